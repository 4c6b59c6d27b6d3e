"""test_boot_matrix.py: one hybrid ISO and one disk image boot every way the UEFI/hybrid issue lists, to the ready
line and a serial shell, on the bank expected, with the kernel command line the loader must build.

Cells: the ISO as a CD and as a USB stick (xHCI usb-storage) on SeaBIOS and OVMF; the disk image on SeaBIOS, OVMF,
and OVMF with Secure Boot (loader and kernel signed with the snakeoil test key that Debian's OVMF enrolls). Under
Secure Boot the firmware must refuse an unsigned loader and a signed one modified afterwards. The loader's own
behaviour (banks, menu, hashes) is tests/system/test_efi_loader.py."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from qemu import (READY_RE, RAMHOST, SNAKEOIL_CERT, SNAKEOIL_KEY, Report, Vm, demo_copy,  # noqa: E402
                  gpt_partitions, media, run)

BOOT_TIMEOUT = 300


def boot_cell(r, name, firmware, kind, image, bank, bankuuid=None):
    """Boots image and checks the ready line's bank and the kernel command line the loader built."""
    with Vm(name, media(kind, image), firmware=firmware) as vm:
        try:
            m = vm.expect(READY_RE, BOOT_TIMEOUT)
            vm.shell()
            _, cmdline = vm.sh("cat /proc/cmdline")
        except Exception as e:  # noqa: BLE001
            return r.check(name, False, str(e))
        ok = m.group(1).decode() == str(bank) and ("ramhost.bank=%d" % bank) in cmdline.split()
        if bankuuid:
            ok = ok and ("ramhost.bankuuid=" + bankuuid) in cmdline.split()
        r.check(name, ok, "ready %r, cmdline %r" % (m.group(0), cmdline))
        if bankuuid:
            # the booted host found its bank partition on the disk and marked it good after the ready line
            rc, out = vm.sh("ramhost bootbank status")
            row = [l for l in out.splitlines() if l.startswith("%d " % bank)]
            r.check(name + "_bank_marked_good", rc == 0 and row and "VALID" in row[0] and "*" in row[0] and
                    not vm.seen(r"ramhost bootbank: mark-good: "), out)


def mtools_target(image, part):
    return "%s@@%d" % (image, part["first"])


def test_secure_boot_refuses(r, signed_disk, unsigned_disk, work):
    """Under Secure Boot the firmware refuses an unsigned loader and a signed one modified afterwards."""
    img = os.path.join(work, "modified.img")
    shutil.copy(signed_disk, img)
    esp = [v for v in gpt_partitions(img).values() if v["name"] == "ESP"][0]
    efi = os.path.join(work, "BOOTX64.EFI")
    run(["mcopy", "-o", "-i", mtools_target(img, esp), "::EFI/BOOT/BOOTX64.EFI", efi])
    with open(efi, "r+b") as f:
        data = f.read()
        f.seek(len(data) // 2)
        f.write(bytes([data[len(data) // 2] ^ 0xFF]))
    run(["mcopy", "-o", "-i", mtools_target(img, esp), efi, "::EFI/BOOT/BOOTX64.EFI"])
    for name, image in (("secureboot_refuses_unsigned_loader", unsigned_disk),
                        ("secureboot_refuses_modified_loader", img)):
        with Vm(name, media("disk", image), firmware="uefi-sb") as vm:
            try:
                vm.expect(r"(Access Denied|Security Violation)", 180)
                refused = True
            except Exception:  # noqa: BLE001
                refused = False
            r.check(name, refused and not vm.seen(r"ramhost\.efi:") and not vm.seen("ramhost: ready"),
                    vm.buf[-800:].decode("utf-8", "replace"))


def main():
    r = Report()
    work = tempfile.mkdtemp(prefix="ramhost-matrix.")
    try:
        bank_dir = os.path.join(work, "bank")
        run([RAMHOST, "image", "build", demo_copy(os.path.join(work, "demo")), "-o", bank_dir])
        iso = os.path.join(work, "demo.iso")
        disk = os.path.join(work, "demo.img")
        signed = os.path.join(work, "signed.img")
        run([RAMHOST, "image", "iso", "--bootbank", bank_dir, "-o", iso])
        run([RAMHOST, "image", "disk", "--bootbank", bank_dir, "-o", disk])
        # Debian ships the snakeoil key encrypted (passphrase "snakeoil"); sbsign needs it plain.
        key = os.path.join(work, "snakeoil.key")
        run(["openssl", "pkey", "-in", SNAKEOIL_KEY, "-passin", "pass:snakeoil", "-out", key])
        run([RAMHOST, "image", "disk", "--bootbank", bank_dir, "-o", signed,
             "--sign-key", key, "--sign-cert", SNAKEOIL_CERT])
        uuid1 = [v for v in gpt_partitions(disk).values() if v["name"] == "bootbank"][0]["guid"]
        uuid1s = [v for v in gpt_partitions(signed).values() if v["name"] == "bootbank"][0]["guid"]

        boot_cell(r, "bios_iso_cd", "bios", "cd", iso, 1)
        boot_cell(r, "uefi_iso_cd", "uefi", "cd", iso, 1)
        boot_cell(r, "bios_iso_usb", "bios", "usb", iso, 1)
        boot_cell(r, "uefi_iso_usb", "uefi", "usb", iso, 1)
        boot_cell(r, "bios_disk", "bios", "disk", disk, 1, uuid1)
        boot_cell(r, "uefi_disk", "uefi", "disk", disk, 1, uuid1)
        boot_cell(r, "uefi_secureboot_disk", "uefi-sb", "disk", signed, 1, uuid1s)

        test_secure_boot_refuses(r, signed, disk, work)
    except (RuntimeError, subprocess.CalledProcessError, OSError, ValueError) as e:
        r.check("boot_matrix_setup", False, str(e))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    r.exit()


if __name__ == "__main__":
    main()
