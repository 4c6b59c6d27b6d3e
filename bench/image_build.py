"""image_build.py: the demo ISO build against its floor, for `make bench`, printed as `bench: name value unit`.

In one run, on the same machine:
- cold: `ramhost image iso examples/demo/profile` with an empty module cache (a scratch RAMHOST_CACHE that holds
  only setup's kernel and busybox), so the drivers tardisk is packed too;
- the floor: the same trees (each tardisk of that build unpacked with unsquashfs) packed by `mksquashfs -comp
  zstd`, then one `xorriso -as mkisofs` of the kernel, init.cpio and those images;
- rebuild: the profile with one line changed (title), built again with the cache the cold build left.
Goals (issue 14): cold <= 1.1x the floor, rebuild <= 20% of cold. Medians of RAMHOST_BENCH_RUNS (default 3).
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
from qemu import RAMHOST, TOP, run  # noqa: E402

RUNS = int(os.environ.get("RAMHOST_BENCH_RUNS", "3"))
PROFILE = os.path.join(TOP, "examples", "demo", "profile")


def report(name, value, unit):
    print("bench: %-40s %10s %s" % (name, value, unit), flush=True)


def timed(cmd, env=None):
    t0 = time.monotonic()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t0


def scratch_cache(work):
    """A cache with setup's kernel and busybox only (symlinks into the real one)."""
    real = os.environ.get("RAMHOST_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME") or
                                                           os.path.expanduser("~/.cache"), "ramhost")
    cache = tempfile.mkdtemp(prefix="cache.", dir=work)
    for name in os.listdir(real):
        if name == "kernel" or name.startswith("kernel-") or name == "busybox-static":
            os.symlink(os.path.join(real, name), os.path.join(cache, name))
    return cache


def floor(work, bank):
    """mksquashfs of every tardisk's tree, then xorriso of the kernel, init.cpio and the images."""
    trees = os.path.join(work, "trees")
    iso_dir = os.path.join(work, "floor-iso")
    shutil.rmtree(trees, ignore_errors=True)
    shutil.rmtree(iso_dir, ignore_errors=True)
    os.makedirs(trees)
    os.makedirs(iso_dir)
    for tdk in sorted(glob.glob(os.path.join(bank, "*.tdk"))):
        name = os.path.basename(tdk)[:-4]
        unwrap = os.path.join(trees, name + ".cpio.d")
        os.makedirs(unwrap)
        with open(tdk, "rb") as f:
            subprocess.run(["cpio", "-id", "--quiet"], stdin=f, cwd=unwrap, check=True)
        run(["unsquashfs", "-q", "-n", "-d", os.path.join(trees, name), os.path.join(unwrap, "tardisks", name + ".tdk")])
    for f in ("vmlinuz", "init.cpio"):
        shutil.copy(os.path.join(bank, f), iso_dir)
    t = 0.0
    for tdk in sorted(glob.glob(os.path.join(bank, "*.tdk"))):
        name = os.path.basename(tdk)[:-4]
        t += timed(["mksquashfs", os.path.join(trees, name), os.path.join(iso_dir, name + ".sqfs"), "-comp", "zstd",
                    "-noappend", "-quiet", "-no-progress"])
    t += timed(["xorriso", "-as", "mkisofs", "-quiet", "-o", os.path.join(work, "floor.iso"), "-J", "-R", iso_dir])
    return t


def main():
    work = tempfile.mkdtemp(prefix="ramhost-bench-build.")
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    try:
        bank = os.path.join(work, "bank")
        run([RAMHOST, "image", "build", PROFILE, "-o", bank])
        changed = os.path.join(work, "changed")
        shutil.copytree(os.path.dirname(PROFILE), changed)
        with open(PROFILE) as f:
            text = re.sub(r"(?m)^title = .*$", "title = ramhost demo, one line changed", f.read())
        with open(os.path.join(changed, "profile"), "w") as f:
            f.write(text)
        colds, floors, rebuilds = [], [], []
        for i in range(RUNS):
            env = dict(os.environ, RAMHOST_CACHE=scratch_cache(work))
            colds.append(timed([RAMHOST, "image", "iso", PROFILE, "-o", os.path.join(work, "cold%d.iso" % i)], env))
            rebuilds.append(timed([RAMHOST, "image", "iso", os.path.join(changed, "profile"), "-o",
                                   os.path.join(work, "re%d.iso" % i)], env))
            floors.append(floor(work, bank))
        report("demo ISO, cold build", "%.2f" % med(colds), "s (median of %d)" % RUNS)
        report("floor: mksquashfs -comp zstd + xorriso", "%.2f" % med(floors), "s (median of %d)" % RUNS)
        report("cold build / floor", "%.2f" % (med(colds) / med(floors)), "x (goal <= 1.1)")
        report("rebuild, one profile line changed", "%.2f" % med(rebuilds), "s (median of %d)" % RUNS)
        report("rebuild / cold build", "%.0f" % (100 * med(rebuilds) / med(colds)), "% (goal <= 20)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
