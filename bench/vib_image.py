"""vib_image.py: image build time with VIBs for `make bench`, printed as `bench: name value unit`.

A depot of 20 generated community VIBs (each a 1 MiB payload of random bytes plus a script, half of them
depending on the one before) and a profile (builtin:minimal base, acceptance community) that asks for all 20.
Figures: the build of the same profile without VIBs (the baseline), the cold build with the 20 VIBs (payload
modules not cached yet: fresh random payloads), the rebuild after changing one VIB (19 modules from the cache),
and the VIB part of each as the builder measures it (the "vib check" stage: resolve, fetch, signature and
payload hashes; plus the VIB modules: payload modules and vibs.cpio), since the base tardisk dominates the
wall-clock time and varies with the machine's load.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RAMHOST = os.environ.get("RAMHOST", os.path.join(TOP, "build", "ramhost"))
NVIBS = 20
PAYLOAD = 1 << 20


def report(name, value, unit):
    print("bench: %-34s %10s %s" % (name, value, unit), flush=True)


def run(args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def make_vib(work, i, salt):
    name = "bench%02d" % i
    src = os.path.join(work, "src", name)
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(os.path.join(src, "usr", "bin"))
    os.makedirs(os.path.join(src, "usr", "share", name))
    with open(os.path.join(src, "usr", "bin", name), "w") as f:
        f.write("#!/bin/sh\necho %s %s\n" % (name, salt))
    os.chmod(os.path.join(src, "usr", "bin", name), 0o755)
    with open(os.path.join(src, "usr", "share", name, "data"), "wb") as f:
        f.write(os.urandom(PAYLOAD))
    dep = ""
    if i % 2 == 1:
        dep = '<depends><constraint name="bench%02d"/></depends>' % (i - 1)
    desc = os.path.join(work, name + ".xml")
    with open(desc, "w") as f:
        f.write('<vib version="1.0"><name>%s</name><version>1.0-%d</version><vendor>bench</vendor>'
                '<summary>bench</summary><acceptance-level>community</acceptance-level>'
                '<relationships>%s</relationships></vib>\n' % (name, 1, dep))
    run([RAMHOST, "vib", "create", "-q", "--force", "--descriptor", desc, "--payload", src, "-o",
         os.path.join(work, "depot", name + ".vib")])


def build(profile, out):
    """Wall time, and the VIB part (check stage + modules) from the progress lines."""
    t0 = time.monotonic()
    p = subprocess.run([RAMHOST, "image", "build", "--force", profile, "-o", out], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    part = 0.0
    m = re.search(r"vib check +VIBs resolved.*, ([0-9.]+) s$", p.stderr, re.M)
    if m:
        part += float(m.group(1))
    m = re.search(r"VIB modules in ([0-9.]+) s$", p.stderr, re.M)
    if m:
        part += float(m.group(1))
    return wall, part


def main():
    work = tempfile.mkdtemp(prefix="ramhost-bench-vib-image.")
    try:
        os.makedirs(os.path.join(work, "depot"))
        for i in range(NVIBS):
            make_vib(work, i, "a")
        run([RAMHOST, "depot", "create", "-q", os.path.join(work, "depot")])
        head = "name = bench\nversion = 1\nkernel = debian\nbase = builtin:minimal\ntimeout = 0\n"
        plain = os.path.join(work, "plain.profile")
        with open(plain, "w") as f:
            f.write(head)
        vibs = os.path.join(work, "vibs.profile")
        with open(vibs, "w") as f:
            f.write(head + "depot = depot\nacceptance = community\n")
            for i in range(NVIBS):
                f.write("vib = bench%02d\n" % i)
        out = os.path.join(work, "bank")
        base, _ = build(plain, out)
        cold, cold_part = build(vibs, out)
        make_vib(work, NVIBS // 2, "b")
        run([RAMHOST, "depot", "create", "-q", os.path.join(work, "depot")])
        warm, warm_part = build(vibs, out)
        report("image_build_no_vibs", "%.2f" % base, "s")
        report("image_build_%d_vibs" % NVIBS, "%.2f" % cold, "s")
        report("image_rebuild_1_of_%d_changed" % NVIBS, "%.2f" % warm, "s")
        report("vib_part_build_%d_vibs" % NVIBS, "%.2f" % cold_part, "s")
        report("vib_part_rebuild_1_changed", "%.2f" % warm_part, "s")
        report("vib_payload_total", "%d" % (NVIBS * PAYLOAD >> 20), "MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        # the bench's payloads are random: drop their cached modules instead of leaving them for 30 days
        cache = os.environ.get("RAMHOST_CACHE") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "ramhost")
        mods = os.path.join(cache, "vib-modules")
        for f in os.listdir(mods) if os.path.isdir(mods) else []:
            if re.match(r"^[0-9a-f]{64}-bench\d\d\.tdk(\.sha256)?$", f):
                os.unlink(os.path.join(mods, f))


if __name__ == "__main__":
    sys.exit(main())
