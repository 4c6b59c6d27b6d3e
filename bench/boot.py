"""boot.py: boot benchmarks for `make bench`, all under QEMU TCG on SeaBIOS, printed as `bench: name value unit`.

- demo ISO build time (a fresh `ramhost image iso` of examples/demo/profile);
- boot to ready of the demo ISO against two floors with the same kernel, booted the same way (ISOLINUX from an
  ISO built by `ramhost image iso --bootbank`), whose init only prints a line: the bare floor (kernel + that
  init) and the same-bytes floor (its initramfs padded to the bytes of the demo's modules: init.cpio and the
  tardisks). Host wall time from QEMU's start to the line and the guest's own uptime at that line, alternating
  in one run, medians, and the ratios (goal: <= 1.15x the same-bytes floor, <= 1.3x the bare floor);
- a third floor beside them, the verifying floor: the same-bytes floor whose init first hashes as many bytes as
  the demo's tardisks with SHA-256, the code and flags of ramhost's init: what loading the same bytes and
  checking the tardisks against boot.cfg costs before anything else (SeaBIOS's ISOLINUX checks no hash, so
  init must), and the demo's ratio to it;
- where the demo's time goes: `ramhost ready --timing` (init's stages; after-init is the base's own init up to
  the ready line);
- RAM used by the running demo host (MemTotal - MemAvailable) against the bare floor's plus the compressed size
  of the tardisks (goal: at most 16 MiB more), and the tardisks' uncompressed size. Both sides also read the free
  pages parked on the page allocator's per-CPU lists (/proc/zoneinfo "count:"), which MemFree and MemAvailable
  do not count: the initrd memory the kernel frees once it is unpacked (the demo's 23 MB of boot modules; the bare
  floor has almost none) goes there and stays while nothing needs it. The same comparison with those pages
  counted as free is printed beside the goal's.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "system"))
from qemu import PCP_KB_CMD, READY_RE, RAMHOST, TOP, Vm, run, sha256_file  # noqa: E402

RUNS = int(os.environ.get("RAMHOST_BENCH_RUNS", "3"))


def report(name, value, unit):
    print("bench: %-34s %10s %s" % (name, value, unit), flush=True)


def baseline_iso(work, demo_bank, tag, pad=0, hash_bytes=0):
    """An ISO with the demo's kernel and a one-line init, built by ramhost from a hand-made bootbank; pad bytes of
    filler in its initramfs; hash_bytes: the init first hashes that many bytes of the filler with SHA-256, built
    from lib/sha256.c with the flags of ramhost's init (the Makefile's initobj rule: -Os, RAMHOST_INIT)."""
    bank = os.path.join(work, tag + "-bank")
    root = os.path.join(work, tag + "-root")
    os.makedirs(bank)
    os.makedirs(root)
    cmd = ["cc", "-static", "-O2", "-o", os.path.join(root, "init"), os.path.join(TOP, "bench", "hello-init.c")]
    if hash_bytes:
        cmd[2:3] = ["-Os", "-DRAMHOST_INIT", "-DHASH_PAD_BYTES=%dULL" % hash_bytes, "-I", os.path.join(TOP, "lib")]
        cmd += [os.path.join(TOP, "lib", f) for f in ("sha256.c", "hex.c")]
    run(cmd)
    names = b"init\n"
    if pad > 0:
        with open(os.path.join(root, "pad"), "wb") as f:
            f.write(os.urandom(pad))
        names += b"pad\n"
    cpio = os.path.join(bank, "hello.cpio")
    with open(cpio, "wb") as out:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], input=names, stdout=out, cwd=root, check=True)
    shutil.copy(os.path.join(demo_bank, "vmlinuz"), os.path.join(bank, "vmlinuz"))
    with open(os.path.join(demo_bank, "boot.cfg")) as f:
        opt = re.search(r"^kernelopt=(.*)$", f.read(), re.M).group(1)
    with open(os.path.join(bank, "boot.cfg"), "w") as f:
        f.write("bootstate=0\ntitle=baseline\ntimeout=0\nprefix=\nkernel=vmlinuz\nkernelopt=%s\n"
                "modules=hello.cpio\nbuild=baseline\nupdated=1\nhash.vmlinuz=sha256:%s\n"
                "hash.hello.cpio=sha256:%s\n" % (opt, sha256_file(os.path.join(bank, "vmlinuz")), sha256_file(cpio)))
    iso = os.path.join(work, tag + ".iso")
    run([RAMHOST, "image", "iso", "--bootbank", bank, "-o", iso])
    return iso


def module_bytes(bank):
    """The bytes of the bootbank's modules (boot.cfg's modules= list: init.cpio, the tardisks, ...)."""
    with open(os.path.join(bank, "boot.cfg")) as f:
        mods = re.search(r"^modules=(.*)$", f.read(), re.M).group(1)
    return sum(os.path.getsize(os.path.join(bank, m.strip())) for m in mods.split("---") if m.strip())


def boot_to(iso, pattern, name):
    with Vm(name, ["-cdrom", iso]) as vm:
        m = vm.expect(pattern, 300)
        wall = time.monotonic() - vm.started
        if b"hashed=-1" in m.group(0):
            raise RuntimeError("%s: the floor's init could not hash its /pad" % name)
        guest = int(re.search(rb"boot_ms=(\d+)", m.group(0)).group(1))
        used = re.search(rb"used_kb=(-?\d+) pcp_kb=(-?\d+)", m.group(0))
        return wall, guest, (int(used.group(1)), int(used.group(2))) if used else None


def main():
    work = tempfile.mkdtemp(prefix="ramhost-bench.")
    try:
        profile = os.path.join(TOP, "examples", "demo", "profile")
        iso = os.path.join(work, "demo.iso")
        t0 = time.monotonic()
        run([RAMHOST, "image", "iso", profile, "-o", iso])
        report("demo ISO build time", "%.2f" % (time.monotonic() - t0), "s")
        report("demo ISO size", "%.1f" % (os.path.getsize(iso) / 1048576), "MiB")
        bank = os.path.join(work, "bank")
        run([RAMHOST, "image", "build", profile, "-o", bank])
        same_bytes = module_bytes(bank)
        hello = baseline_iso(work, bank, "hello")
        pad = same_bytes - os.path.getsize(os.path.join(work, "hello-bank", "hello.cpio"))
        padded = baseline_iso(work, bank, "same-bytes", pad)
        tdk_bytes = sum(os.path.getsize(p) for p in glob.glob(os.path.join(bank, "*.tdk")))
        hashing = baseline_iso(work, bank, "hashing", pad, hash_bytes=tdk_bytes)
        report("demo modules (init.cpio + tardisks)", "%.1f" % (same_bytes / 1048576), "MiB")

        med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
        walls = {"demo": [], "bare": [], "same": [], "hash": []}
        guests = {"demo": [], "bare": [], "same": [], "hash": []}
        floor_used = []
        hello_re = r"hello-init: up boot_ms=\d+ used_kb=-?\d+ pcp_kb=-?\d+ hashed=-?\d+"
        for i in range(RUNS):
            for tag, image, pattern in (("demo", iso, READY_RE), ("bare", hello, hello_re), ("same", padded, hello_re),
                                        ("hash", hashing, hello_re)):
                w, g, used = boot_to(image, pattern, "bench_%s_%d" % (tag, i))
                walls[tag].append(w)
                guests[tag].append(g)
                if tag == "bare" and used:
                    floor_used.append(used)
        for tag, what in (("demo", "demo ISO to ready"), ("bare", "bare floor"), ("same", "same-bytes floor"),
                          ("hash", "verifying floor")):
            report("boot, %s (wall)" % what, "%.2f" % med(walls[tag]), "s (median of %d)" % RUNS)
            report("boot, %s (guest uptime)" % what, med(guests[tag]), "ms (median of %d)" % RUNS)
        report("guest uptime ratio demo/same-bytes floor", "%.2f" % (med(guests["demo"]) / med(guests["same"])),
               "x (goal <= 1.15)")
        report("guest uptime ratio demo/bare floor", "%.2f" % (med(guests["demo"]) / med(guests["bare"])),
               "x (goal <= 1.3)")
        report("wall ratio demo/same-bytes floor", "%.2f" % (med(walls["demo"]) / med(walls["same"])), "x")
        report("verifying floor: SHA-256 of", "%.1f" % (tdk_bytes / 1048576), "MiB (the demo's tardisks)")
        report("guest uptime ratio verifying/same-bytes", "%.2f" % (med(guests["hash"]) / med(guests["same"])),
               "x (the hashing alone)")
        report("guest uptime ratio demo/verifying floor", "%.2f" % (med(guests["demo"]) / med(guests["hash"])), "x")

        with Vm("bench_demo_mem", ["-cdrom", iso]) as vm:
            vm.expect(READY_RE, 300)
            vm.shell()
            _, mem = vm.sh("cat /proc/meminfo")
            _, sizes = vm.sh("for f in /tardisks/*.tdk; do wc -c < $f; done")
            _, unpacked = vm.sh("du -sk /run/ramhost/tardisks/* | awk '{s+=$1} END {print s}'")
            _, timing = vm.sh("ramhost ready --timing")
            _, pcp = vm.sh(PCP_KB_CMD)
        info = {k: int(v) for k, v in re.findall(r"^(\w+):\s+(\d+) kB", mem, re.M)}
        used = info["MemTotal"] - info["MemAvailable"]
        report("guest RAM used (MemTotal-MemAvailable)", used // 1024, "MiB")
        report("guest Shmem (ramdisks + initramfs)", info.get("Shmem", 0) // 1024, "MiB")
        report("tardisks in RAM (compressed)", "%.1f" % (sum(int(x) for x in sizes.split()) / 1048576), "MiB")
        report("tardisks uncompressed", "%.1f" % (int(unpacked.split()[-1]) / 1024), "MiB")
        tdk_mib = sum(int(x) for x in sizes.split()) / 1048576
        if floor_used:
            floor = med([u for u, _ in floor_used]) / 1024
            floor_pcp = med([p for _, p in floor_used]) / 1024
            demo_pcp = int(pcp.split()[-1]) / 1024
            report("bare floor RAM used", "%.1f" % floor, "MiB (median of %d)" % len(floor_used))
            report("RAM over floor + tardisks", "%.1f" % (used / 1024 - floor - tdk_mib), "MiB (goal <= 16)")
            report("free pages on per-CPU lists, demo", "%.1f" % demo_pcp, "MiB (not in MemAvailable)")
            report("free pages on per-CPU lists, floor", "%.1f" % floor_pcp, "MiB (median)")
            report("RAM over floor + tardisks, those free", "%.1f" % ((used / 1024 - demo_pcp) - (floor - floor_pcp) -
                                                                       tdk_mib), "MiB")
        for line in timing.splitlines():
            f = line.split()
            if len(f) >= 3 and f[2] == "ms":
                report("init stage %s" % f[0], f[1], "ms (one boot)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
