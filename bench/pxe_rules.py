"""pxe_rules.py: how long `ramhost pxe` takes to read a configuration of many host rules, for `make bench`,
printed as `bench: name value unit`.

A configuration of N rules (RAMHOST_BENCH_PXE_RULES, default "1300 10000 50000"), one per host by exact MAC
(each with an image, kernel options, a hostname template and a state policy; a reservation per host; a few
prefix rules between them), is parsed, indexed and asked for the last host's rule by `ramhost pxe match` (the
whole command: process start, image directory checks, parsing, the exact-MAC index, one choice). This is the
work of a SIGHUP reload. Beside it, Cobbler's published figure: `cobbler sync` of ~1,300 systems took
2 min 25 s (145 s), because it writes a file per MAC; ramhost keeps the rules in memory and writes nothing.
"""
import hashlib
import os
import resource
import shutil
import subprocess
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RAMHOST = os.environ.get("RAMHOST", os.path.join(TOP, "build", "ramhost"))
COUNTS = [int(n) for n in os.environ.get("RAMHOST_BENCH_PXE_RULES", "1300 10000 50000").split()]
COBBLER_1300_S = 145.0


def report(name, value, unit):
    print("bench: %-42s %8s %s" % (name, value, unit), flush=True)


def make_image(d):
    os.makedirs(os.path.join(d, "a"))
    files = {"vmlinuz": b"kernel\n", "init.cpio": b"init\n"}
    hashes = {}
    for name, data in files.items():
        h = hashlib.sha256(data).hexdigest()
        hashes[name] = h
        with open(os.path.join(d, "a", h), "wb") as f:
            f.write(data)
    with open(os.path.join(d, "image.conf"), "w") as f:
        f.write("name=demo\nbuild=1\nserver-cert-sha256=none\n")
    with open(os.path.join(d, "boot.cfg"), "w") as f:
        f.write("kernel=vmlinuz\nmodules=init.cpio\nkernelopt=console=ttyS0\n")
        for name, h in hashes.items():
            f.write("hash.%s=sha256:%s\n" % (name, h))


def mac(i):
    return "02:00:%02x:%02x:%02x:%02x" % ((i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255)


def write_config(path, n):
    with open(path, "w") as f:
        f.write("mode = off\nimage demo img\n")
        for i in range(n):
            f.write("reserve %s 10.%d.%d.%d\n" % (mac(i), (i >> 16) & 255, (i >> 8) & 255, i & 255))
        for i in range(n):
            if i % 1000 == 999:
                f.write("rule rack%d\n    match mac 02:00:00:%02x:*\n    match arch efi-x64\n    image demo\n"
                        % (i, (i >> 8) & 255))
            f.write("rule host%d\n    match mac %s\n    image demo\n    kernelopt console=ttyS0 quiet\n"
                    "    hostname node-{mac}\n    state keep\n" % (i, mac(i)))


def timed(argv):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main():
    work = tempfile.mkdtemp(prefix="ramhost-bench-pxe-rules.")
    try:
        make_image(os.path.join(work, "img"))
        for n in COUNTS:
            conf = os.path.join(work, "pxe-%d.conf" % n)
            write_config(conf, n)
            argv = [RAMHOST, "pxe", "match", conf, "--mac", mac(n - 1), "--arch", "bios"]
            best = min(timed(argv) for _ in range(3))
            report("pxe_rules_%d_parse_match_wall" % n, "%.3f" % best[0], "s")
            report("pxe_rules_%d_parse_match_cpu" % n, "%.3f" % best[1], "s")
            report("pxe_rules_%d_config_size" % n, "%.1f" % (os.path.getsize(conf) / 1e6), "MB")
        report("cobbler_sync_1300_published", "%.1f" % COBBLER_1300_S, "s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
