"""tardisk_entries.py: `ramhost tardisk create` of one directory holding many entries, for `make bench`, printed
as `bench: name value unit`.

For each count in RAMHOST_BENCH_ENTRIES (default "10000 30000 100000"), a plain tar of that many empty files in
one directory is turned into a tardisk three ways, each timed once:
  ramhost   - `ramhost tardisk create` (the whole command);
  floor     - `tar2sqfs` alone on the same tar, with the flags ramhost gives it: the cost nobody can avoid
              without replacing tar2sqfs;
  ours      - ramhost with a tar2sqfs that only reads its input: reading, checking, sorting and streaming.
Each is reported as wall time and as CPU time (the steadier figure on a shared machine).
tar2sqfs 1.2 finds each new entry's place by walking the directory's list, so its time grows with the square
of the entries in one directory; ramhost's own part stays linear (docs/tardisk.md, "Large directories").
"""
import os
import resource
import shutil
import stat
import subprocess
import tarfile
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RAMHOST = os.environ.get("RAMHOST", os.path.join(TOP, "build", "ramhost"))
COUNTS = [int(n) for n in os.environ.get("RAMHOST_BENCH_ENTRIES", "10000 30000 100000").split()]
T2S_FLAGS = ["--compressor", "zstd", "--no-skip", "--quiet", "--force", "--defaults", "mtime=0", "-j", "1"]
SINK = """#!/bin/sh
for a; do last=$a; done
cat >/dev/null
: >"$last"
"""


def report(name, value, unit):
    print("bench: %-42s %8s %s" % (name, value, unit), flush=True)


def timed(argv, stdin=None, env=None):
    """Wall time and CPU time (user + system of the command and its children): on a shared machine the CPU
    time is the steadier figure."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    subprocess.run(argv, check=True, stdin=stdin, stdout=subprocess.DEVNULL, env=env)
    wall = time.monotonic() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def make_tar(path, n):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
        d = tarfile.TarInfo("d")
        d.type, d.mode = tarfile.DIRTYPE, 0o755
        tf.addfile(d)
        for i in range(n):
            tf.addfile(tarfile.TarInfo("d/f%07d" % i))


def main():
    work = tempfile.mkdtemp(prefix="ramhost-bench-entries.")
    try:
        sinkdir = os.path.join(work, "sink")
        os.mkdir(sinkdir)
        sink = os.path.join(sinkdir, "tar2sqfs")
        with open(sink, "w") as f:
            f.write(SINK)
        os.chmod(sink, stat.S_IRWXU)
        env_sink = dict(os.environ, PATH=sinkdir + os.pathsep + os.environ.get("PATH", ""))
        for n in COUNTS:
            tar = os.path.join(work, "d%d.tar" % n)
            make_tar(tar, n)
            out = os.path.join(work, "out.tdk")
            ours = timed([RAMHOST, "tardisk", "create", tar, "-o", out, "--quiet", "--force"], env=env_sink)
            with open(tar, "rb") as f:
                floor = timed(["tar2sqfs"] + T2S_FLAGS + [os.path.join(work, "floor.sqfs")], stdin=f)
            whole = timed([RAMHOST, "tardisk", "create", tar, "-o", out, "--quiet", "--force", "--mtime", "0"])
            for what, (wall, cpu) in (("ramhost", whole), ("tar2sqfs_floor", floor), ("ramhost_own_part", ours)):
                report("tardisk_entries_%d_%s" % (n, what), "%.2f" % wall, "s")
                report("tardisk_entries_%d_%s_cpu" % (n, what), "%.2f" % cpu, "s")
            os.unlink(tar)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
