"""footprint.py: what the busybox demo's base.tdk holds, for `make bench`, printed as `bench: name value unit`.

Two builds of examples/demo/profile in one run, side by side:
- as shipped: the base carries build/host/ramhost, the host build (cli/main.c: no `pxe`, only the libraries a host
  command needs, stripped), with the libraries ldd names for it;
- the full build as the base's binary (RAMHOST_SELF=build/ramhost): what every image carried before the host build.
For each: base.tdk's compressed size (the RAM it costs on the host), the ramhost binary's size, its shared
libraries, and the ten largest files of the tardisk.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "system"))
from qemu import RAMHOST, TOP, run  # noqa: E402


def report(name, value, unit):
    print("bench: %-44s %10s %s" % (name, value, unit), flush=True)


def build(work, tag, env):
    bank = os.path.join(work, tag)
    subprocess.run([RAMHOST, "image", "build", os.path.join(TOP, "examples", "demo", "profile"), "-o", bank, "-q"],
                   env=env, check=True)
    tdk = os.path.join(bank, "base.tdk")
    ls = run([RAMHOST, "tardisk", "ls", "-l", tdk])
    files = []
    for line in ls.splitlines():
        f = line.split()
        if f and f[0].startswith("-"):
            files.append((int(f[2]), f[-1]))
    files.sort(reverse=True)
    libs = [p for _, p in files if re.search(r"/lib[^/]*\.so", p)]
    binary = dict((p, s) for s, p in files).get("usr/bin/ramhost", 0)
    return os.path.getsize(tdk), binary, libs, files[:10]


def main():
    work = tempfile.mkdtemp(prefix="ramhost-bench-footprint.")
    try:
        env = dict(os.environ)
        env.pop("RAMHOST_SELF", None)
        full = dict(env, RAMHOST_SELF=os.path.join(os.path.dirname(RAMHOST), "ramhost"))
        for tag, e in (("host build", env), ("full build", full)):
            size, binary, libs, top = build(work, tag.replace(" ", "-"), e)
            report("base.tdk, %s" % tag, "%.2f" % (size / 1048576), "MiB (compressed)")
            report("usr/bin/ramhost, %s" % tag, "%.2f" % (binary / 1048576), "MiB")
            report("shared libraries in base.tdk, %s" % tag, len(libs), "files")
            for s, p in top:
                report("  %s" % p[-42:], "%.2f" % (s / 1048576), "MiB (%s, top 10)" % tag)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
