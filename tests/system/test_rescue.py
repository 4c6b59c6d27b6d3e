"""test_rescue.py: the rescue boot (issue 12) from the demo ISO under QEMU TCG, with the product's disk image
attached as the host that does not boot.

1. SeaBIOS: `rescue` typed at ISOLINUX's boot: prompt boots the ISO (signed for Secure Boot with the snakeoil
   key) with ramhost.rescue=1: the console shows
   the "ramhost rescue:" banner and the scan's run, no `ramhost state boot` line, mark-good marks nothing, the
   ready line says mode=rescue; the shell answers, the rescue mark is there, no disk is mounted, install-uefi
   would write the ISO's own signed loader (not the rescue tardisk's unsigned copy), and the attached disk is
   byte-identical afterwards.
2. OVMF: ramhost.efi's menu shows the Rescue line last (not the default); Down to it, `e` starts the editor from
   the default bank's options plus ramhost.rescue=1, ` ramhost.rescue=auto` and Enter boot it: no state restore,
   `ramhost rescue repair --yes` runs, "ramhost rescue: auto repair done rc=N", and the VM powers off by itself.

   The disk attached here has its ESP's FAT32 boot sector zeroed: alone under OVMF it does not boot (OVMF fails
   to load it and starts its shell); the scan summary names /dev/vda's problems, the repair runs fsck (the
   backup boot sector copied back) and ends rc=0; then the disk alone boots under OVMF to the ready line.
3. SeaBIOS, a disk whose sector 0 is zeroed (boot code, partition entry, 55 AA): alone, SeaBIOS says "Boot
   failed: not a bootable disk" (on its debug port 0x402; with reboot-timeout=0 and -no-reboot QEMU exits at
   once); `rescue ramhost.rescue=auto` at the boot: prompt repairs it (fix-pmbr, rc=0) and powers off; then the
   disk alone boots to the ready line. (Only the first 440 bytes zeroed is no proof: SeaBIOS runs the zeroes
   through to the boot sector's remnants and this disk still boots.)

The repairs run with the rescue host's own tools (rescue.tdk: mtools, syslinux, e2fsprogs, dosfstools,
SYSLINUX's gptmbr.bin) and take the media from the booted ISO (recovery/media.h). `figure:` lines give the time
from the Rescue entry to the scan summary and to the repair's rc line.
"""
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from qemu import (READY_RE, RAMHOST, SNAKEOIL_CERT, SNAKEOIL_KEY, TOP, Report, Timeout, Vm,  # noqa: E402
                  gpt_partitions, media, run, sha256_file)

PROFILE = os.path.join(TOP, "examples", "demo", "profile")
BOOT_TIMEOUT = 240
BANNER = r"ramhost rescue: rescue boot \(ramhost\.rescue=%s\): no state restored"
NO_STATE = r"ramhost-state:|ramhost state boot"   # any line of `ramhost state boot`
SUMMARY = r"/dev/vda: ramhost disk, (\d+) problems?"   # cli/rescue_print.c's rescue_print_summary
RC_LINE = r"ramhost rescue: auto repair done rc=(\d+)"


def virtio(path):
    return ["-drive", "file=%s,format=raw,if=none,id=d0" % path, "-device", "virtio-blk-pci,drive=d0"]


def cdrom(path):
    return ["-drive", "file=%s,format=raw,media=cdrom,if=none,id=cd0,readonly=on" % path,
            "-device", "ide-cd,drive=cd0,bootindex=0"]


def tail(vm):
    return vm.buf[-2000:].decode("utf-8", "replace")


def isolinux_rescue(vm, mode, options):
    """Types `rescue` + options at ISOLINUX's boot: prompt (its SAY lines do not reach the serial console; the
    prompt does, for the demo's 3 s); returns the time it was chosen, once the rescue banner came."""
    vm.expect(r"boot: ", 120)
    vm.send("rescue%s\r" % options)
    t0 = time.monotonic()
    vm.expect(BANNER % mode, BOOT_TIMEOUT)
    return t0


def bios_rescue(r, iso, disk, signed_sha):
    before = sha256_file(disk)
    with Vm("rescue-bios", cdrom(iso) + virtio(disk), firmware="bios") as vm:
        try:
            t0 = isolinux_rescue(vm, "1", "")
            r.check("rescue_bios_banner", True)
            vm.expect(r"ramhost rescue: scanning every disk \(ramhost rescue scan --summary\)", 30)
            m = vm.expect(SUMMARY, 300)
            print("figure: BIOS Rescue entry to the scan summary %.1f s (TCG)" % (time.monotonic() - t0))
            # a clean disk: no false problem (e.g. the state partition unreadable for want of debugfs)
            r.check("rescue_bios_summary_clean", m.group(1) == b"0", m.group(0).decode() + "\n" + tail(vm))
            vm.expect(r"ramhost rescue: on the shell: ", 300)
            m = vm.expect(READY_RE + r" addr=\S+( mode=rescue)?\r?\n", BOOT_TIMEOUT)
            r.check("rescue_bios_ready_mode_rescue", m.group(6) == b" mode=rescue", m.group(0).decode())
            vm.shell()
            rc, out = vm.sh("cat /proc/cmdline")
            r.check("rescue_bios_cmdline", rc == 0 and re.search(r"ramhost\.bank=1 ramhost\.rescue=1( |$)", out), out)
            r.check("rescue_bios_no_state_restore", not vm.seen(NO_STATE), tail(vm))
            r.check("rescue_bios_no_mark_good", vm.seen(r"ramhost bootbank: rescue boot \(/run/ramhost/rescue\): "
                                                        r"no bank is marked") and
                    not vm.seen(r"ramhost bootbank: [^\r\n]*: marked good"),
                    tail(vm))
            rc, out = vm.sh("cat /run/ramhost/rescue")
            r.check("rescue_bios_mark", rc == 0 and out.strip() == "rescue=1", out)
            rc, out = vm.sh("cat /proc/mounts")
            r.check("rescue_bios_no_disk_mounted", rc == 0 and not re.search(r"^/dev/(vd|sd|sr|hd)", out, re.M), out)
            rc, out = vm.sh("ls /sys/block")
            r.check("rescue_bios_disk_seen", rc == 0 and "vda" in out.split(), out)
            # install-uefi takes the ISO's own loader (signed, as this ISO is), not the rescue tardisk's unsigned
            # /usr/bin/ramhost.efi: the plan would write the signed one over the disk's unsigned BOOTX64.EFI
            rc, out = vm.sh("ramhost rescue install-uefi --dry-run /dev/vda 2>&1", 120)
            r.check("rescue_bios_loader_from_the_iso", rc == 0 and ("sha256 %s..." % signed_sha[:16]) in out and
                    "/EFI/BOOT/BOOTX64.EFI" in out, out)
        except Timeout as e:
            r.check("rescue_bios_boot", False, str(e))
    r.check("rescue_bios_disk_unchanged", sha256_file(disk) == before)


def auto_rescue(r, vm, t0, fw, problem, step):
    """ramhost.rescue=auto from its banner on: the summary for /dev/vda names problem, the repair makes step and
    ends rc=0, the VM powers off. Prints the figures from t0 (the Rescue entry chosen)."""
    what = {"uefi": "UEFI", "bios": "BIOS"}[fw]
    m = vm.expect(SUMMARY, 300)
    print("figure: %s Rescue entry (auto) to the scan summary %.1f s (TCG)" % (what, time.monotonic() - t0))
    nproblems = int(m.group(1))
    vm.expect(r"ramhost rescue: ramhost\.rescue=auto: repairing every disk", 300)
    r.check("rescue_%s_summary_problems" % fw, nproblems >= 1 and vm.seen(problem), tail(vm))
    m = vm.expect(RC_LINE, 900)
    print("figure: %s Rescue entry (auto) to the repair's rc line %.1f s (TCG)" % (what, time.monotonic() - t0))
    ok = r.check("rescue_%s_auto_repair_rc0" % fw, m.group(1) == b"0", m.group(0).decode() + "\n" + tail(vm))
    r.check("rescue_%s_auto_repair_step" % fw, vm.seen(step) and vm.seen(r"/dev/vda: repaired: "), tail(vm))
    vm.expect(r"ramhost rescue: powering off", 30)
    try:
        vm.proc.wait(timeout=60)
    except Exception:  # noqa: BLE001
        pass
    r.check("rescue_%s_powered_off" % fw, vm.proc.poll() == 0, "qemu %s" % vm.proc.poll())
    return ok


def uefi_rescue_auto(r, iso, disk, vars_file):
    with Vm("rescue-uefi", cdrom(iso) + virtio(disk), firmware="uefi", vars_file=vars_file) as vm:
        try:
            vm.expect(r"booting bank 1 in \d+ s", 180)
            r.check("rescue_uefi_menu_entry", vm.seen(r"ramhost.efi:    Rescue: bank 1 with ramhost\.rescue=1 "), tail(vm))
            r.check("rescue_uefi_not_default", vm.seen(r"ramhost.efi:  > bank 1: ") and
                    not vm.seen(r" > Rescue"), tail(vm))
            vm.send("\x1b[B")  # Down: stops the countdown; bank 2, Install, then Rescue
            vm.expect(r"countdown stopped", 30)
            vm.expect(r" > bank 2", 30)
            vm.send("\x1b[B")
            vm.expect(r" > Install to disk: bank 1", 30)
            vm.send("\x1b[B")
            vm.expect(r" > Rescue: bank 1", 30)
            vm.send("\x1b[B")   # the last line: Down stays there
            vm.send("e")
            # no group: the editor's line has no end until Enter
            vm.expect(r"options: console=ttyS0,115200 loglevel=4 transparent_hugepage=never ramhost\.rescue=1", 30)
            r.check("rescue_uefi_edit_starts_with_option", True)
            vm.send(" ramhost.rescue=auto\r")
            t0 = time.monotonic()
            vm.expect(r"ramhost.efi: Rescue: bank 1 with ramhost\.rescue=1", 30)
            m = vm.expect(r"kernel options: ([^\r\n]*)", 120)
            r.check("rescue_uefi_kernel_options", m.group(1) == b"console=ttyS0,115200 loglevel=4 transparent_hugepage=never ramhost.rescue=1 "
                    b"ramhost.rescue=auto ramhost.bank=1", m.group(0).decode())
            vm.expect(BANNER % "auto", BOOT_TIMEOUT)
            ok = auto_rescue(r, vm, t0, "uefi", r"the FAT boot sector is damaged", r"\d+\. fsck esp")
            # the VM's variable store is a fresh OVMF one: no ramhost entry, so the same repair writes it through
            # efivarfs into the firmware's store
            r.check("rescue_uefi_fresh_store_entry", vm.seen(r"\d+\. boot-entries") and
                    vm.seen(r"variable Boot[0-9A-F]{4}-8be4df61-93ca-11d2-aa0d-00e098032b8c: write, \"ramhost\""),
                    tail(vm))
            r.check("rescue_uefi_no_state_restore", not vm.seen(NO_STATE), tail(vm))
            r.check("rescue_uefi_no_shell_before_poweroff", not vm.seen(r"ramhost: ready bank="), tail(vm))
            return ok
        except Timeout as e:
            r.check("rescue_uefi_boot", False, str(e))
    return False


def seabios_fails(r, name, disk, work):
    """The disk alone under SeaBIOS: its debug port says it is not bootable; reboot-timeout=0 and -no-reboot make
    QEMU exit at once instead of retrying every 60 s."""
    log = os.path.join(work, name + ".seabios.log")
    extra = ["-chardev", "file,id=dbg,path=" + log, "-device", "isa-debugcon,iobase=0x402,chardev=dbg",
             "-boot", "reboot-timeout=0"]
    t0 = time.monotonic()
    with Vm(name, media("disk", disk), firmware="bios", extra=extra) as vm:
        try:
            vm.proc.wait(timeout=60)
        except Exception:  # noqa: BLE001
            pass
        exited = vm.proc.poll() is not None
    with open(log, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    r.check(name, exited and "Boot failed: not a bootable disk" in text and "No bootable device" in text and
            not vm.seen(r"Linux version|ramhost"), text[-600:])
    print("figure: SeaBIOS refuses the broken disk in %.1f s" % (time.monotonic() - t0))


def ovmf_fails(r, name, disk):
    """The disk alone under OVMF: its removable-media boot option fails (no file system on the ESP) and OVMF
    starts its internal shell; ramhost.efi never runs."""
    t0 = time.monotonic()
    with Vm(name, media("disk", disk), firmware="uefi") as vm:
        try:
            vm.expect(r"BdsDxe: failed to load Boot\d+ \"UEFI Misc Device\" from PciRoot[^\r\n]*: Not Found", 120)
            vm.expect(r"BdsDxe: starting Boot\d+ \"EFI Internal Shell\"", 60)
            r.check(name, not vm.seen(r"ramhost\.efi|Linux version"), tail(vm))
        except Timeout as e:
            r.check(name, False, str(e))
    print("figure: OVMF gives up on the broken disk in %.1f s" % (time.monotonic() - t0))


def boots_to_ready(r, name, disk, firmware, repaired, vars_file=None):
    """The disk alone boots to the ready line; with vars_file (the store the rescue wrote ramhost's entry into)
    OVMF must start that entry, not its removable-media fallback."""
    if not repaired:   # a broken disk would only run into the timeout
        r.check(name, False, "not tried: the repair failed")
        return
    with Vm(name, media("disk", disk), firmware=firmware, vars_file=vars_file) as vm:
        try:
            m = vm.expect(READY_RE, BOOT_TIMEOUT)
            r.check(name, m.group(1) == b"1", m.group(0).decode())
            if vars_file:
                r.check(name + "_through_the_entry", vm.seen(r"BdsDxe: starting Boot[0-9A-F]{4} \"ramhost\"") and
                        not vm.seen(r"BdsDxe: starting Boot[0-9A-F]{4} \"UEFI Misc Device"), tail(vm))
        except Timeout as e:
            r.check(name, False, str(e))


def bios_rescue_auto(r, iso, disk):
    """`rescue ramhost.rescue=auto` typed at ISOLINUX's prompt: scan, repair (fix-pmbr), power off."""
    with Vm("rescue-bios-auto", cdrom(iso) + virtio(disk), firmware="bios") as vm:
        try:
            t0 = isolinux_rescue(vm, "auto", " ramhost.rescue=auto")
            return auto_rescue(r, vm, t0, "bios", r"sector 0 is blank", r"\d+\. fix-pmbr")
        except Timeout as e:
            r.check("rescue_bios_auto_boot", False, str(e))
    return False


def zero(path, offset, length):
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(bytes(length))


def main():
    r = Report()
    work = tempfile.mkdtemp(prefix="ramhost-rescue-test.")
    try:
        bank = os.path.join(work, "bank")
        run([RAMHOST, "image", "build", PROFILE, "-o", bank, "-q"])
        iso = os.path.join(work, "demo.iso")
        run([RAMHOST, "image", "iso", "--bootbank", bank, "-o", iso, "-q"])
        disk = os.path.join(work, "disk.img")
        run([RAMHOST, "image", "disk", "--bootbank", bank, "-o", disk, "-q"])
        # the interactive rescue boots a Secure Boot signed ISO (the snakeoil key): its loader is what
        # install-uefi offers
        key = os.path.join(work, "sb.key")
        run(["openssl", "pkey", "-in", SNAKEOIL_KEY, "-passin", "pass:snakeoil", "-out", key])
        signed_iso = os.path.join(work, "signed.iso")
        run([RAMHOST, "image", "iso", "--bootbank", bank, "-o", signed_iso, "-q", "--sign-key", key,
             "--sign-cert", SNAKEOIL_CERT])
        loader = os.path.join(work, "signed.efi")
        run(["xorriso", "-osirrox", "on", "-indev", signed_iso, "-extract", "/EFI/BOOT/BOOTX64.EFI", loader])
        bios_rescue(r, signed_iso, disk, sha256_file(loader))
        # UEFI: the ESP's FAT32 boot sector zeroed (its backup at sector 6 intact)
        esp_disk = os.path.join(work, "esp-broken.img")
        shutil.copyfile(disk, esp_disk)
        zero(esp_disk, gpt_partitions(esp_disk)[1]["first"], 512)
        ovmf_fails(r, "rescue_uefi_broken_disk_does_not_boot", esp_disk)
        # a fresh OVMF store (no boot entry) kept from the rescue boot to the disk's boot
        store = os.path.join(work, "ovmf-vars.fd")
        ok = uefi_rescue_auto(r, iso, esp_disk, store)
        boots_to_ready(r, "rescue_uefi_repaired_disk_boots", esp_disk, "uefi", ok, store)
        # BIOS: sector 0 zeroed
        mbr_disk = os.path.join(work, "mbr-broken.img")
        shutil.copyfile(disk, mbr_disk)
        zero(mbr_disk, 0, 512)
        seabios_fails(r, "rescue_bios_broken_disk_does_not_boot", mbr_disk, work)
        ok = bios_rescue_auto(r, iso, mbr_disk)
        boots_to_ready(r, "rescue_bios_repaired_disk_boots", mbr_disk, "bios", ok)
    except RuntimeError as e:
        r.check("rescue_build", False, str(e))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    r.exit()


if __name__ == "__main__":
    main()
