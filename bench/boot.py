"""boot.py: boot benchmarks for `make bench`, all under QEMU TCG on SeaBIOS, printed as `bench: name value unit`.

- demo ISO build time (a fresh `ramhost image iso` of examples/demo/profile);
- boot to ready of the demo ISO against the same kernel, booted the same way (ISOLINUX from an ISO built by
  `ramhost image iso --bootbank`), with an initramfs whose init only prints a line: host wall time from QEMU's
  start to the line, and the guest's own uptime at that line; both in one run, and their ratio;
- RAM used by the running demo host (/proc/meminfo) against the compressed and uncompressed size of its
  tardisks.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "system"))
from qemu import READY_RE, RAMHOST, TOP, Vm, run, sha256_file  # noqa: E402

RUNS = int(os.environ.get("RAMHOST_BENCH_RUNS", "3"))


def report(name, value, unit):
    print("bench: %-34s %10s %s" % (name, value, unit), flush=True)


def baseline_iso(work, demo_bank):
    """An ISO with the demo's kernel and a one-line init, built by ramhost from a hand-made bootbank."""
    bank = os.path.join(work, "hello-bank")
    root = os.path.join(work, "hello-root")
    os.makedirs(bank)
    os.makedirs(root)
    run(["cc", "-static", "-O2", "-o", os.path.join(root, "init"), os.path.join(TOP, "bench", "hello-init.c")])
    cpio = os.path.join(bank, "hello.cpio")
    with open(cpio, "wb") as out:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], input=b"init\n", stdout=out, cwd=root,
                       check=True)
    shutil.copy(os.path.join(demo_bank, "vmlinuz"), os.path.join(bank, "vmlinuz"))
    with open(os.path.join(demo_bank, "boot.cfg")) as f:
        opt = re.search(r"^kernelopt=(.*)$", f.read(), re.M).group(1)
    with open(os.path.join(bank, "boot.cfg"), "w") as f:
        f.write("bootstate=0\ntitle=baseline\ntimeout=0\nprefix=\nkernel=vmlinuz\nkernelopt=%s\n"
                "modules=hello.cpio\nbuild=baseline\nupdated=1\nhash.vmlinuz=sha256:%s\n"
                "hash.hello.cpio=sha256:%s\n" % (opt, sha256_file(os.path.join(bank, "vmlinuz")), sha256_file(cpio)))
    iso = os.path.join(work, "hello.iso")
    run([RAMHOST, "image", "iso", "--bootbank", bank, "-o", iso])
    return iso


def boot_to(iso, pattern, name):
    with Vm(name, ["-cdrom", iso]) as vm:
        m = vm.expect(pattern, 300)
        wall = time.monotonic() - vm.started
        guest = int(re.search(rb"boot_ms=(\d+)", m.group(0)).group(1))
        return wall, guest, vm


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
        hello = baseline_iso(work, bank)

        demo_wall, demo_guest, base_wall, base_guest = [], [], [], []
        for i in range(RUNS):
            w, g, _ = boot_to(iso, READY_RE, "bench_demo_%d" % i)
            demo_wall.append(w)
            demo_guest.append(g)
            w, g, _ = boot_to(hello, r"hello-init: up boot_ms=\d+", "bench_hello_%d" % i)
            base_wall.append(w)
            base_guest.append(g)
        med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
        report("boot to ready, demo ISO (wall)", "%.2f" % med(demo_wall), "s (median of %d)" % RUNS)
        report("boot to line, hello init (wall)", "%.2f" % med(base_wall), "s (median of %d)" % RUNS)
        report("boot wall ratio demo/hello", "%.2f" % (med(demo_wall) / med(base_wall)), "x")
        report("boot to ready, demo (guest uptime)", med(demo_guest), "ms")
        report("boot to line, hello (guest uptime)", med(base_guest), "ms")
        report("guest uptime ratio demo/hello", "%.2f" % (med(demo_guest) / med(base_guest)), "x")

        with Vm("bench_demo_mem", ["-cdrom", iso]) as vm:
            vm.expect(READY_RE, 300)
            vm.shell()
            _, mem = vm.sh("cat /proc/meminfo")
            _, sizes = vm.sh("for f in /tardisks/*.tdk; do wc -c < $f; done")
            _, unpacked = vm.sh("du -sk /run/ramhost/tardisks/* | awk '{s+=$1} END {print s}'")
        info = {k: int(v) for k, v in re.findall(r"^(\w+):\s+(\d+) kB", mem, re.M)}
        used = info["MemTotal"] - info["MemAvailable"]
        report("guest RAM used (MemTotal-MemAvailable)", used // 1024, "MiB")
        report("guest Shmem (ramdisks + initramfs)", info.get("Shmem", 0) // 1024, "MiB")
        report("tardisks in RAM (compressed)", "%.1f" % (sum(int(x) for x in sizes.split()) / 1048576), "MiB")
        report("tardisks uncompressed", "%.1f" % (int(unpacked.split()[-1]) / 1024), "MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
