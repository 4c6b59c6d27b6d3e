"""state.py: `ramhost state` benchmarks for `make bench`, printed as `bench: name value unit`.

1,000 sticky files totalling 50 MB (50 KiB each; half of them random bytes, half repetitive text, so that zstd
has both kinds of input) in a root on tmpfs, saved into a store on another tmpfs, then restored with
`state boot` into a fresh tmpfs root. Reports the median of RAMHOST_BENCH_RUNS runs (default 3) of the save
time, the restore time (full verification included), the generation's size and the throughputs. Needs root
(tmpfs mounts).
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RAMHOST = os.environ.get("RAMHOST", os.path.join(TOP, "build", "ramhost"))
RUNS = int(os.environ.get("RAMHOST_BENCH_RUNS", "3"))
FILES = 1000
FILE_SIZE = 50 * 1024 * 1024 // FILES


def report(name, value, unit):
    print("bench: %-34s %10s %s" % (name, value, unit), flush=True)


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % size, "ramhost-bench", path], check=True)


def umount(path):
    subprocess.run(["umount", "-l", path], check=False)


def make_root(root):
    text = (b"ramhost sticky state benchmark line\n" * (FILE_SIZE // 36 + 1))[:FILE_SIZE]
    for i in range(FILES):
        d = os.path.join(root, "var", "lib", "bench", "d%02d" % (i // 100))
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, "f%04d" % i)
        with open(p, "wb") as f:
            f.write(os.urandom(FILE_SIZE) if i % 2 else text)
        os.chmod(p, 0o1644)   # sticky bit: saved


def timed(cmd):
    t = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - t


def main():
    if os.geteuid() != 0:
        print("bench/state.py: needs root for its tmpfs mounts", file=sys.stderr)
        return 1
    work = tempfile.mkdtemp(prefix="ramhost-bench-state.")
    root, store = os.path.join(work, "root"), os.path.join(work, "store")
    mounts = []
    try:
        mount_tmpfs(root, 256 << 20)
        mounts.append(root)
        mount_tmpfs(store, 512 << 20)
        mounts.append(store)
        make_root(root)
        total = FILES * FILE_SIZE
        saves, restores, sizes = [], [], []
        for run in range(RUNS):
            saves.append(timed([RAMHOST, "state", "save", "--keep", "1", "--root", root, "--store", store]))
            gen = sorted(n for n in os.listdir(store) if n.endswith(".rhs"))[-1]
            sizes.append(os.path.getsize(os.path.join(store, gen)))
            new = os.path.join(work, "new%d" % run)
            mount_tmpfs(new, 256 << 20)
            mounts.append(new)
            restores.append(timed([RAMHOST, "state", "boot", "--root", new, "--store", store]))
            umount(new)
            mounts.remove(new)
        save, restore, size = statistics.median(saves), statistics.median(restores), statistics.median(sizes)
        report("state save 1000 files / 50 MB", "%.2f" % save, "s")
        report("state save throughput", "%.1f" % (total / save / 1e6), "MB/s")
        report("state restore (boot) 1000 files", "%.2f" % restore, "s")
        report("state restore throughput", "%.1f" % (total / restore / 1e6), "MB/s")
        report("state generation size", "%.1f" % (size / 1e6), "MB")
        report("state generation size / content", "%.2f" % (size / total), "ratio")
    finally:
        for m in reversed(mounts):
            umount(m)
        subprocess.run(["rm", "-rf", work], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
