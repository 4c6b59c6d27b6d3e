"""boot_matrix.py: UEFI/hybrid benchmarks for `make bench`, printed as `bench: NAME VALUE UNIT`.

- Boot to ready for every cell of the boot matrix (the same cells as tests/system/test_boot_matrix.py): host wall
  time from QEMU's start to the ready line, and the guest's own boot_ms.
- Firmware hand-off to kernel start: ramhost.efi from the disk image against OVMF starting the same kernel's EFI
  stub directly (`-kernel -initrd`, the same modules concatenated as the initrd), in the same run: QEMU start to
  the stub's "Loaded initrd" line, plus the loader's own load-and-verify figure.
"""
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "system"))
from qemu import READY_RE, RAMHOST, SNAKEOIL_CERT, SNAKEOIL_KEY, TOP, Vm, media, run  # noqa: E402

STUB_RE = r"EFI stub: Loaded initrd"


def report(name, value, unit):
    print("bench: %-44s %10s %s" % (name, value, unit), flush=True)


def cell(name, firmware, kind, image):
    with Vm("bench_" + name, media(kind, image), firmware=firmware) as vm:
        m = vm.expect(READY_RE, 400)
        report("ready, %s (wall)" % name, "%.1f" % (time.monotonic() - vm.started), "s")
        report("ready, %s (guest boot_ms)" % name, m.group(4).decode(), "ms")


def main():
    work = tempfile.mkdtemp(prefix="ramhost-bench-matrix.")
    try:
        bank = os.path.join(work, "bank")
        run([RAMHOST, "image", "build", os.path.join(TOP, "examples", "demo", "profile"), "-o", bank, "-q"])
        iso, disk, signed = (os.path.join(work, n) for n in ("demo.iso", "demo.img", "signed.img"))
        key = os.path.join(work, "snakeoil.key")
        run(["openssl", "pkey", "-in", SNAKEOIL_KEY, "-passin", "pass:snakeoil", "-out", key])
        run([RAMHOST, "image", "iso", "--bootbank", bank, "-o", iso])
        run([RAMHOST, "image", "disk", "--bootbank", bank, "-o", disk, "-q"])
        run([RAMHOST, "image", "disk", "--bootbank", bank, "-o", signed, "-q", "--sign-key", key,
             "--sign-cert", SNAKEOIL_CERT])
        for name, fw, kind, image in (("bios_iso_cd", "bios", "cd", iso), ("uefi_iso_cd", "uefi", "cd", iso),
                                      ("bios_iso_usb", "bios", "usb", iso), ("uefi_iso_usb", "uefi", "usb", iso),
                                      ("bios_disk", "bios", "disk", disk), ("uefi_disk", "uefi", "disk", disk),
                                      ("uefi_secureboot_disk", "uefi-sb", "disk", signed)):
            cell(name, fw, kind, image)

        # ramhost.efi against the kernel's EFI stub started directly by OVMF, same kernel and initrd
        with open(os.path.join(bank, "boot.cfg")) as f:
            cfg = f.read()
        mods = re.search(r"^modules=(.*)$", cfg, re.M).group(1).split(" --- ")
        opt = re.search(r"^kernelopt=(.*)$", cfg, re.M).group(1)
        initrd = os.path.join(work, "initrd.img")
        with open(initrd, "wb") as out:
            for name in mods + ["bootcfg.cpio"]:
                with open(os.path.join(bank, name), "rb") as f:
                    out.write(f.read())
        # the same bank with timeout=0, so the menu's countdown is not counted as loader time
        quick_bank = os.path.join(work, "bank0")
        shutil.copytree(bank, quick_bank)
        with open(os.path.join(quick_bank, "boot.cfg"), "w") as f:
            f.write(re.sub(r"^timeout=.*$", "timeout=0", cfg, flags=re.M))
        quick = os.path.join(work, "quick.img")
        run([RAMHOST, "image", "disk", "--bootbank", quick_bank, "-o", quick, "-q"])
        with Vm("bench_uefi_loader", media("disk", quick), firmware="uefi") as vm:
            vm.expect(r"ramhost\.efi: ", 120)
            t_loader = time.monotonic() - vm.started
            m = vm.expect(r"loaded and verified (\d+) MiB in (\d+) ms", 120)
            vm.expect(STUB_RE, 120)
            t_stub = time.monotonic() - vm.started
        with Vm("bench_uefi_direct", ["-kernel", os.path.join(bank, "vmlinuz"), "-initrd", initrd,
                                      "-append", opt + " ramhost.bank=1"], firmware="uefi") as vm:
            vm.expect(STUB_RE, 180)
            t_direct = time.monotonic() - vm.started
        report("UEFI: QEMU start to ramhost.efi's first line", "%.2f" % t_loader, "s")
        report("UEFI: ramhost.efi load+verify", "%s MiB in %s ms" % (m.group(1).decode(), m.group(2).decode()), "")
        report("UEFI: QEMU start to kernel stub, via ramhost.efi", "%.2f" % t_stub, "s")
        report("UEFI: QEMU start to kernel stub, OVMF direct", "%.2f" % t_direct, "s")
        report("UEFI: ramhost.efi hand-off to kernel stub", "%.2f" % (t_stub - t_loader), "s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
