"""install.py: install-to-disk time from the ISO for `make bench`, under QEMU TCG on SeaBIOS, printed as
`bench: name value unit`.

The demo ISO (with an answer file: hostname, root hash, one sticky file, poweroff) boots from a CD with a blank
8 GiB virtio disk; `install` typed at the ISOLINUX prompt picks the Install entry (ramhost.install=auto
ramhost.ks=/install/ks.cfg). Figures: the install step inside the guest (skeleton written, bank 1 copied and
read back, state seeded; ramhost install's own clock), the skeleton write alone, and the host wall time from
QEMU's start to the power-off (boot of the ISO included); plus the skeleton's size on the ISO.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "system"))
from qemu import RAMHOST, TOP, Vm, run  # noqa: E402

KS = "hostname = bench-host\nrootpw = $6$s$h\nsticky = /etc/motd << bench\nafter = poweroff\n"


def report(name, value, unit):
    print("bench: %-34s %10s %s" % (name, value, unit), flush=True)


def main():
    work = tempfile.mkdtemp(prefix="ramhost-bench-install.")
    try:
        ks = os.path.join(work, "ks.cfg")
        with open(ks, "w") as f:
            f.write(KS)
        prof = os.path.join(TOP, "examples", "demo", "profile")
        iso = os.path.join(work, "demo.iso")
        run([RAMHOST, "image", "iso", prof, "-o", iso, "--answer-file", ks, "-q"])
        skel = subprocess.run(["xorriso", "-indev", iso, "-find", "/install/skeleton.img.zst", "-exec",
                               "lsdl"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
        m = re.search(r"\s(\d+)\s+\w{3}\s", skel)
        if m:
            report("install skeleton on the ISO", "%.2f" % (int(m.group(1)) / 1048576), "MiB")
        disk = os.path.join(work, "disk.img")
        with open(disk, "wb") as f:
            f.truncate(8 << 30)
        media = ["-drive", "file=%s,format=raw,media=cdrom,if=none,id=cd0,readonly=on" % iso,
                 "-device", "ide-cd,drive=cd0,bootindex=0",
                 "-drive", "file=%s,format=raw,if=none,id=hd0" % disk, "-device", "virtio-blk-pci,drive=hd0"]
        with Vm("bench-install", media, firmware="bios") as vm:
            vm.expect(r"boot: ", 120)
            vm.send("install\r")
            m = vm.expect(r"ramhost install: (done: [^\r\n]* in ([0-9.]+) s[^\r\n]*|FAILED: [^\r\n]*)", 900)
            if not m.group(2):
                print("bench: install failed: %s" % m.group(1).decode(errors="replace"))
                return 1
            s = re.search(rb"skeleton written: (\d+) MiB in ([0-9.]+) s", vm.buf)
            vm.proc.wait(timeout=120)
            wall = time.monotonic() - vm.started
        report("install step in the guest", m.group(2).decode(), "s")
        if s:
            report("install skeleton write (%s MiB)" % s.group(1).decode(), s.group(2).decode(), "s")
        report("install total, QEMU start to poweroff", "%.1f" % wall, "s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
