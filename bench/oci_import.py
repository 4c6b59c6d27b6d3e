"""oci_import.py: a container image of about 300 MB imported as a tardisk, against its floor, for `make bench`
(issue 15), printed as `bench: name value unit`.

The image is made here by umoci (init, new, then three unpack/change/repack rounds: about 100 MB of files each,
half text-like, half incompressible, written by a seeded generator; the second round removes files of the
first, which umoci writes as whiteouts), so the run needs nothing but Debian's umoci and squashfs-tools. It also
carries the few files the ramhost layer looks for (empty systemd files and an init symlink), so that it can be a
profile's base.

In one run, alternating, RAMHOST_BENCH_RUNS rounds (default 3), medians:
- import: `ramhost tardisk create oci:IMG:t -o OUT` (every blob hashed, layers applied, squashfs with zstd);
- floor: `umoci unpack --image IMG:t BUNDLE` + `mksquashfs BUNDLE/rootfs OUT -comp zstd` (as root: the owners
  kept, like the import);
- cache hit: `ramhost image build` of a profile with `base = oci:IMG:t`, built once cold into a scratch cache,
  then again: the second build's base.tdk stage, which takes the tardisk from the cache by its content key;
- split: the same with `oci-layers = split` into another scratch cache: the base stages (`base layers` and a
  `base*.tdk` line per layer module) of the cold build, and of the second, which takes every layer from the layer
  cache by its layer key without reading the layers.
"""
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "system"))
from qemu import RAMHOST, run  # noqa: E402
from image_build import scratch_cache, timed  # noqa: E402  (bench/: a cache of setup's kernel and busybox; a timed run)

RUNS = int(os.environ.get("RAMHOST_BENCH_RUNS", "3"))
LAYER_MB = 100


def report(name, value, unit):
    print("bench: %-44s %10s %s" % (name, value, unit), flush=True)


def fill(root, layer, rnd):
    """About LAYER_MB MB under root/data/LAYER: 1 MB files, every other one text-like, the others random."""
    d = os.path.join(root, "data", str(layer))
    os.makedirs(d)
    words = [b"ramhost", b"tardisk", b"layer", b"whiteout", b"squashfs", b"image", b"boot", b"state"]
    for i in range(LAYER_MB):
        with open(os.path.join(d, "f%03d" % i), "wb") as f:
            if i % 2:
                f.write(rnd.randbytes(1 << 20))
            else:
                f.write(b" ".join(rnd.choice(words) for _ in range(140000))[:1 << 20])


def make_image(work):
    img = os.path.join(work, "img")
    ref = img + ":t"
    bundle = os.path.join(work, "bundle")
    rootfs = os.path.join(bundle, "rootfs")
    rnd = random.Random(15)
    run(["umoci", "init", "--layout", img])
    run(["umoci", "new", "--image", ref])
    run(["umoci", "unpack", "--image", ref, bundle])
    for rel in ("usr/lib/systemd/systemd", "usr/lib/systemd/systemd-udevd",
                "usr/lib/systemd/system/systemd-networkd.service"):
        os.makedirs(os.path.dirname(os.path.join(rootfs, rel)), exist_ok=True)
        with open(os.path.join(rootfs, rel), "w") as f:
            f.write("#\n")
        os.chmod(os.path.join(rootfs, rel), 0o755)
    os.makedirs(os.path.join(rootfs, "usr", "sbin"))
    os.symlink("../lib/systemd/systemd", os.path.join(rootfs, "usr", "sbin", "init"))
    os.symlink("usr/sbin", os.path.join(rootfs, "sbin"))
    for layer in range(3):
        fill(rootfs, layer, rnd)
        if layer == 1:
            for i in range(0, LAYER_MB, 10):
                os.unlink(os.path.join(rootfs, "data", "0", "f%03d" % i))
        run(["umoci", "repack", "--refresh-bundle", "--image", ref, bundle])
    shutil.rmtree(bundle)
    size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(img) for f in fs)
    return ref, size


def cache_hit(work, ref):
    """Seconds of the second build's base.tdk stage, and whether it said it was cached."""
    prof = os.path.join(work, "profile")
    with open(prof, "w") as f:
        f.write("name = oci\nversion = 1\nkernel = debian\nbase = oci:%s\ndrivers = none\n" % ref)
    env = dict(os.environ, RAMHOST_CACHE=scratch_cache(work))
    out = ""
    for n in range(2):
        bank = os.path.join(work, "bank%d" % n)
        p = subprocess.run([RAMHOST, "image", "build", prof, "-o", bank], env=env, capture_output=True, text=True)
        out = p.stderr
        if p.returncode:
            return -1.0, False, out
        shutil.rmtree(bank)
    m = re.search(r"base\.tdk +from oci:\S+?(, cached)?, [^,]+, ([\d.]+) s", out)
    return (float(m.group(2)) if m else -1.0), bool(m and m.group(1)), out


def split_builds(work, ref):
    """Seconds of the base stages of a cold and a warm build with oci-layers = split, and the warm one's
    'N from the layer cache' count."""
    prof = os.path.join(work, "profile-split")
    with open(prof, "w") as f:
        f.write("name = oci\nversion = 1\nkernel = debian\nbase = oci:%s\ndrivers = none\noci-layers = split\n" % ref)
    env = dict(os.environ, RAMHOST_CACHE=scratch_cache(work))
    secs, hits = [], -1
    for n in range(2):
        bank = os.path.join(work, "sbank%d" % n)
        p = subprocess.run([RAMHOST, "image", "build", prof, "-o", bank], env=env, capture_output=True, text=True)
        if p.returncode:
            return -1.0, -1.0, -1, p.stderr
        shutil.rmtree(bank)
        secs.append(sum(float(m.group(1)) for m in
                        re.finditer(r"^ramhost image: base(?: layers|(?:-\d+)?\.tdk) .*, ([\d.]+) s$", p.stderr, re.M)))
        m = re.search(r"base layers .*: \d+ layers, (\d+) from the layer cache", p.stderr)
        hits = int(m.group(1)) if m else -1
    return secs[0], secs[1], hits, ""


def main():
    if os.geteuid() != 0:
        print("bench: oci_import skipped: needs root (umoci unpack keeps owners)")
        return
    work = tempfile.mkdtemp(prefix="ramhost-bench-oci.")
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    try:
        t0 = time.monotonic()
        ref, size = make_image(work)
        report("oci image made (umoci, 3 layers)", "%.0f" % (size / 1e6), "MB on disk, %.0f s" %
               (time.monotonic() - t0))
        imports, floors = [], []
        for i in range(RUNS):
            out = os.path.join(work, "a%d.tdk" % i)
            imports.append(timed([RAMHOST, "tardisk", "create", "oci:" + ref, "-o", out]))
            tdk = os.path.getsize(out)
            os.unlink(out)
            b = os.path.join(work, "fb%d" % i)
            sq = os.path.join(work, "f%d.sqfs" % i)
            floors.append(timed(["umoci", "unpack", "--image", ref, b]) +
                          timed(["mksquashfs", os.path.join(b, "rootfs"), sq, "-comp", "zstd", "-noappend",
                                 "-quiet", "-no-progress"]))
            fsq = os.path.getsize(sq)
            shutil.rmtree(b)
            os.unlink(sq)
        report("import: tardisk create oci:", "%.2f" % med(imports), "s (median of %d), %.0f MB" % (RUNS, tdk / 1e6))
        report("floor: umoci unpack + mksquashfs -comp zstd", "%.2f" % med(floors),
               "s (median of %d), %.0f MB" % (RUNS, fsq / 1e6))
        report("import / floor", "%.2f" % (med(imports) / med(floors)), "x")
        secs, cached, out = cache_hit(work, ref)
        report("cache hit: image build's base.tdk again", "%.2f" % secs, "s (%s)" % ("cached" if cached else
                                                                                  "NOT cached: " + out[-300:]))
        cold, warm, hits, err = split_builds(work, ref)
        report("split: image build's base layers, cold", "%.2f" % cold, "s" + (" FAILED: " + err[-300:] if err else ""))
        report("split: the same again, from the layer cache", "%.2f" % warm, "s (%d of 3 layers cached)" % hits)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
