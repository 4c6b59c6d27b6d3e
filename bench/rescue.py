"""rescue.py: `ramhost rescue` benchmarks for `make bench`, printed as `bench: name value unit`.

One bootbank is built from the demo profile and made into a disk with `ramhost image disk` (both banks), grown
to a 64 GiB sparse image (`truncate`, then `sgdisk -e` moves the backup GPT to the new end). Then, median of
RAMHOST_BENCH_RUNS runs (default 5), page cache warm (the figures are CPU and syscalls, not the disk):
  (a) `rescue scan` of the 64 GiB image, beside its floor: what an operator would run by hand to see the same
      (`sgdisk -p`, `mdir -/` of the ESP and both banks, `sha256sum` of every bank file read with mcopy);
      plus the bytes the scan reads (strace, when installed).
  (b) `rescue repair` of the worst host-image case: both GPT copies zeroed and one byte of base.tdk flipped in
      both banks. `rescue repair --yes` is run until `rescue scan` is clean (find-partitions puts the table
      back first; the banks are only seen once it is there); the whole sequence is timed, with its floor: the
      same extents (from the backups' manifests) copied from a clean image with pwrite and one fsync.
  (c) `rescue plan` of a clean disk.
No QEMU, no root. Temporaries are removed at the end.
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RAMHOST = os.environ.get("RAMHOST", os.path.join(TOP, "build", "ramhost"))
RUNS = int(os.environ.get("RAMHOST_BENCH_RUNS", "5"))
SIZE = 64 << 30
ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1", SOURCE_DATE_EPOCH="1700000000",
           RAMHOST_EFI=os.environ.get("RAMHOST_EFI", os.path.join(os.path.dirname(RAMHOST), "ramhost.efi")))


def report(name, value, unit):
    print("bench: %-34s %10s %s" % (name, value, unit), flush=True)


def run(cmd, ok=(0,), **kw):
    p = subprocess.run(cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if p.returncode not in ok:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stderr.decode(errors="replace")))
    return p


def timed(cmd, ok=(0,)):
    t = time.monotonic()
    p = run(cmd, ok)
    return time.monotonic() - t, p


def starts(img):
    """{partition name: first byte} from sgdisk."""
    out = run(["sgdisk", "-p", img]).stdout.decode()
    res = {}
    for m in re.finditer(r"^\s+(\d+)\s+(\d+)\s+\d+\s+\S+ \S+\s+\S+\s+(\S+)\s*$", out, re.M):
        res[m.group(3)] = int(m.group(2)) * 512
    return res


def by_hand(img, parts):
    """What an operator runs to see the partition table, the FAT folders and the bank files' hashes."""
    run(["sgdisk", "-p", img])
    for name in ("ESP", "bootbank", "altbootbank"):
        spec = "%s@@%d" % (img, parts[name])
        run(["mdir", "-/", "-i", spec, "::/"])
        if name == "ESP":
            continue
        for f in run(["mdir", "-b", "-i", spec, "::/"]).stdout.decode().split():
            if f.endswith("/"):
                continue
            data = run(["mcopy", "-n", "-i", spec, f, "-"]).stdout
            subprocess.run(["sha256sum"], input=data, stdout=subprocess.DEVNULL, check=True)


def bytes_read(cmd, work):
    """Bytes the command and its children read (read, pread64 and preadv return values, from strace)."""
    if not shutil.which("strace"):
        return None
    log = os.path.join(work, "strace.log")
    run(["strace", "-f", "-qq", "-e", "trace=read,pread64,preadv,preadv2", "-e", "signal=none", "-o", log] + cmd,
        ok=(0, 3))
    total = 0
    with open(log, errors="replace") as f:
        for line in f:
            m = re.search(r"= (\d+)$", line.rstrip())
            if m:
                total += int(m.group(1))
    return total


def flip(img, spec, work):
    tdk = os.path.join(work, "base.tdk")
    run(["mcopy", "-n", "-i", spec, "::/base.tdk", tdk])
    with open(tdk, "r+b") as f:
        f.seek(4096)
        f.write(b"\x5a")
    run(["mcopy", "-o", "-i", spec, tdk, "::/base.tdk"])
    os.unlink(tdk)


def worst_damage(img, parts, work):
    flip(img, "%s@@%d" % (img, parts["bootbank"]), work)
    flip(img, "%s@@%d" % (img, parts["altbootbank"]), work)
    n = os.path.getsize(img) // 512
    with open(img, "r+b") as f:
        f.seek(512)
        f.write(bytes(33 * 512))
        f.seek((n - 33) * 512)
        f.write(bytes(33 * 512))


def extents(backups):
    """(offset, length) of every extent in the manifests of the backup folders under backups."""
    res = []
    for d in sorted(os.listdir(backups)):
        man = os.path.join(backups, d, "manifest")
        if not os.path.exists(man):
            continue
        with open(man) as f:
            for line in f:
                w = line.split(" ")
                if w[0] == "ext":
                    res.append((int(w[1]), int(w[2])))
    return res


def copy_extents(src, dst, ext):
    """The floor of a repair: ext copied from src into dst by pwrite, then one fsync."""
    t = time.monotonic()
    fi = os.open(src, os.O_RDONLY)
    fo = os.open(dst, os.O_WRONLY)
    try:
        for off, n in ext:
            os.pwrite(fo, os.pread(fi, n, off), off)
        os.fsync(fo)
    finally:
        os.close(fi)
        os.close(fo)
    return time.monotonic() - t


def repair_until_clean(img, bank, backups):
    """rescue repair --yes until the scan is clean: (seconds in all, seconds of each repair, bytes written)."""
    t = time.monotonic()
    each, written = [], 0
    while len(each) < 5:
        _, p = timed([RAMHOST, "rescue", "scan", img], ok=(0, 3))
        if p.returncode == 0:
            return time.monotonic() - t, each, written
        r, p = timed([RAMHOST, "rescue", "repair", "--yes", "--media", bank, "--backup-dir", backups, img])
        m = re.search(rb"repaired: (\d+) bytes", p.stdout)
        written += int(m.group(1)) if m else 0
        each.append(r)
    raise RuntimeError("rescue repair: the scan is still not clean after 5 repairs")


def bench_scan(work, big, parts):
    scans = [timed([RAMHOST, "rescue", "scan", big])[0] for _ in range(RUNS)]
    floor = []
    for _ in range(RUNS):
        t = time.monotonic()
        by_hand(big, parts)
        floor.append(time.monotonic() - t)
    report("rescue scan, 64 GiB sparse disk", "%.3f" % statistics.median(scans), "s")
    report("  floor: sgdisk+mdir+sha256 by hand", "%.3f" % statistics.median(floor), "s")
    n = bytes_read([RAMHOST, "rescue", "scan", big], work)
    if n is not None:
        report("rescue scan bytes read (all hashed)", "%.2f" % (n / 1048576), "MiB")


def bench_repair(work, bank, big, parts):
    times, floors, each, nbytes = [], [], [], 0
    for i in range(RUNS):
        d = os.path.join(work, "worst.img")
        run(["cp", "--sparse=always", big, d])
        worst_damage(d, parts, work)
        damaged = os.path.join(work, "worst.damaged")
        run(["cp", "--sparse=always", d, damaged])
        backups = os.path.join(work, "backups%d" % i)
        t, one, nbytes = repair_until_clean(d, bank, backups)
        times.append(t)
        each.append(one)
        floors.append(copy_extents(big, damaged, extents(backups)))
        shutil.rmtree(backups)
        os.unlink(d)
        os.unlink(damaged)
    report("rescue repair, worst case, to clean", "%.2f" % statistics.median(times), "s")
    for k in range(min(len(one) for one in each)):
        report("  repair run %d of %d" % (k + 1, len(each[0])), "%.2f" % statistics.median(o[k] for o in each), "s")
    report("  written by the repairs", "%.1f" % (nbytes / 1024), "KiB")
    report("  floor: pwrite of the extents", "%.1f" % (statistics.median(floors) * 1000), "ms")


def main():
    work = tempfile.mkdtemp(prefix="ramhost-bench-rescue.")
    try:
        bank, big = os.path.join(work, "bank"), os.path.join(work, "big.img")
        run([RAMHOST, "image", "build", os.path.join(TOP, "examples", "demo", "profile"), "-o", bank, "-q"])
        run([RAMHOST, "image", "disk", "--bootbank", bank, "-o", big, "-q"])
        os.truncate(big, SIZE)
        run(["sgdisk", "-e", big])
        parts = starts(big)
        bench_scan(work, big, parts)
        plans = [timed([RAMHOST, "rescue", "plan", "--media", bank, big])[0] for _ in range(RUNS)]
        report("rescue plan, clean 64 GiB disk", "%.3f" % statistics.median(plans), "s")
        bench_repair(work, bank, big, parts)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
