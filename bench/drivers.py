"""drivers.py: the drivers tardisk (profile key drivers) for `make bench`, printed as `bench: name value unit`.

For each choice (net, storage, other, net,storage, all) a bootbank of the demo profile with that `drivers =`
line: the number of modules, the compressed size of drivers.tdk (what it costs in RAM: a module is decompressed
only when it is loaded) and of init.cpio, next to the kernel's modules uncompressed (the floor a distribution's
initramfs or /lib/modules holds). The pack time is shown when the set was not in $RAMHOST_CACHE/drivers yet; a
cached build copies it (its time is shown too).
"""
import os
import re
import shutil
import subprocess
import tempfile

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RAMHOST = os.environ.get("RAMHOST", os.path.join(TOP, "build", "ramhost"))
PROFILE = os.path.join(TOP, "examples", "demo", "profile")
CHOICES = ["none", "net", "storage", "other", "net,storage", "all"]
LINE = re.compile(r"^ramhost image: (\S+) +(.*), ([0-9.]+) (MiB|KiB|B), ([0-9.]+) s$", re.M)


def report(name, value, unit):
    print("bench: %-34s %10s %s" % (name, value, unit), flush=True)


def mib(value, unit):
    return float(value) / {"MiB": 1, "KiB": 1024, "B": 1 << 20}[unit]


def build(work, choice, tag):
    prof = os.path.join(work, "p-%s-%s" % (choice.replace(",", "-"), tag))
    shutil.copytree(os.path.dirname(PROFILE), prof)
    with open(PROFILE) as f:
        text = re.sub(r"(?m)^drivers = .*$", "", f.read())
    with open(os.path.join(prof, "profile"), "w") as f:
        f.write(text + "\ndrivers = %s\n" % choice)
    out = subprocess.run([RAMHOST, "image", "build", os.path.join(prof, "profile"), "-o", prof + "-bank"],
                         check=True, capture_output=True, text=True).stderr
    return {m.group(1): (m.group(2), mib(m.group(3), m.group(4)), float(m.group(5))) for m in LINE.finditer(out)}


def main():
    kdir = os.path.realpath(os.path.join(os.environ.get("RAMHOST_CACHE", os.path.expanduser("~/.cache/ramhost")),
                                         "kernel", "lib", "modules"))
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(kdir) for f in fs if ".ko" in f)
    report("drivers_kernel_modules_uncompressed", "%.1f" % (total / 1048576.0), "MiB")
    work = tempfile.mkdtemp(prefix="ramhost-bench-drivers.")
    try:
        for choice in CHOICES:
            stages = build(work, choice, "first")
            key = choice.replace(",", "_")
            report("drivers_%s_init_cpio" % key, "%.1f" % stages["init.cpio"][1], "MiB")
            if "drivers.tdk" not in stages:
                continue
            what, size, secs = stages["drivers.tdk"]
            n = re.match(r"(\d+) kernel modules", what)
            report("drivers_%s_modules" % key, n.group(1) if n else "?", "modules")
            report("drivers_%s_tdk_compressed" % key, "%.1f" % size, "MiB")
            report("drivers_%s_%s" % (key, "copy_cached" if "cached" in what else "pack"), "%.2f" % secs, "s")
            again = build(work, choice, "again")["drivers.tdk"]
            report("drivers_%s_copy_cached" % key, "%.2f" % again[2], "s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
