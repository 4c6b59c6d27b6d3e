"""test_rescue.py: the rescue boot (issue 12) from the demo ISO under QEMU TCG, with the product's disk image
attached as the host that does not boot.

1. SeaBIOS: `rescue` typed at ISOLINUX's boot: prompt boots the ISO with ramhost.rescue=1: the console shows
   the "ramhost rescue:" banner and the scan's run, no `ramhost state boot` line, mark-good marks nothing, the
   ready line says mode=rescue; the shell answers, the rescue mark is there, no disk is mounted, and the attached
   disk is byte-identical afterwards.
2. OVMF: ramhost.efi's menu shows the Rescue line last (not the default); Down to it, `e` starts the editor from
   the default bank's options plus ramhost.rescue=1, ` ramhost.rescue=auto` and Enter boot it: no state restore,
   `ramhost rescue repair --yes` runs, "ramhost rescue: auto repair done rc=N", and the VM powers off by itself.

The assertion on the scan's summary itself (`ramhost rescue scan --summary`) comes with the rescue command."""
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from qemu import READY_RE, RAMHOST, TOP, Report, Timeout, Vm, run  # noqa: E402

PROFILE = os.path.join(TOP, "examples", "demo", "profile")
BOOT_TIMEOUT = 240
BANNER = r"ramhost rescue: rescue boot \(ramhost\.rescue=%s\): no state restored"
NO_STATE = r"ramhost-state:|ramhost state boot"   # any line of `ramhost state boot`


def virtio(path):
    return ["-drive", "file=%s,format=raw,if=none,id=d0" % path, "-device", "virtio-blk-pci,drive=d0"]


def cdrom(path):
    return ["-drive", "file=%s,format=raw,media=cdrom,if=none,id=cd0,readonly=on" % path,
            "-device", "ide-cd,drive=cd0,bootindex=0"]


def sha256_file(path):
    return run(["sha256sum", path]).split()[0]


def tail(vm):
    return vm.buf[-2000:].decode("utf-8", "replace")


def bios_rescue(r, iso, disk):
    before = sha256_file(disk)
    with Vm("rescue-bios", cdrom(iso) + virtio(disk), firmware="bios") as vm:
        try:
            # ISOLINUX's SAY lines do not reach the serial console; its prompt does (3 s: the demo's timeout)
            vm.expect(r"boot: ", 120)
            vm.send("rescue\r")
            t0 = time.monotonic()
            vm.expect(BANNER % "1", BOOT_TIMEOUT)
            r.check("rescue_bios_banner", True)
            vm.expect(r"ramhost rescue: scanning every disk \(ramhost rescue scan --summary\)", 30)
            # (with `ramhost rescue`: the summary's lines for /dev/vda come here, before the next line)
            vm.expect(r"ramhost rescue: on the shell: ", 300)
            print("figure: BIOS Rescue entry to the end of the scan summary %.1f s (TCG)" % (time.monotonic() - t0))
            m = vm.expect(READY_RE + r"( mode=rescue)?", BOOT_TIMEOUT)
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
        except Timeout as e:
            r.check("rescue_bios_boot", False, str(e))
    r.check("rescue_bios_disk_unchanged", sha256_file(disk) == before)


def uefi_rescue_auto(r, iso, disk):
    with Vm("rescue-uefi", cdrom(iso) + virtio(disk), firmware="uefi") as vm:
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
            vm.expect(r"options: console=ttyS0,115200 loglevel=4 ramhost\.rescue=1", 30)
            r.check("rescue_uefi_edit_starts_with_option", True)
            vm.send(" ramhost.rescue=auto\r")
            t0 = time.monotonic()
            vm.expect(r"ramhost.efi: Rescue: bank 1 with ramhost\.rescue=1", 30)
            m = vm.expect(r"kernel options: ([^\r\n]*)", 120)
            r.check("rescue_uefi_kernel_options", m.group(1) == b"console=ttyS0,115200 loglevel=4 ramhost.rescue=1 "
                    b"ramhost.rescue=auto ramhost.bank=1", m.group(0).decode())
            vm.expect(BANNER % "auto", BOOT_TIMEOUT)
            vm.expect(r"ramhost rescue: ramhost\.rescue=auto: repairing every disk", 300)
            m = vm.expect(r"ramhost rescue: auto repair done rc=(\d+)", 900)
            print("figure: UEFI Rescue entry (auto) to the repair's rc line %.1f s (TCG)" % (time.monotonic() - t0))
            r.check("rescue_uefi_auto_repair_ran", True, m.group(0).decode())
            vm.expect(r"ramhost rescue: powering off", 30)
            try:
                vm.proc.wait(timeout=60)
            except Exception:  # noqa: BLE001
                pass
            r.check("rescue_uefi_powered_off", vm.proc.poll() == 0, "qemu %s" % vm.proc.poll())
            r.check("rescue_uefi_no_state_restore", not vm.seen(NO_STATE), tail(vm))
            r.check("rescue_uefi_no_shell_before_poweroff", not vm.seen(r"ramhost: ready bank="), tail(vm))
        except Timeout as e:
            r.check("rescue_uefi_boot", False, str(e))


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
        bios_rescue(r, iso, disk)
        uefi_rescue_auto(r, iso, disk)
    except RuntimeError as e:
        r.check("rescue_build", False, str(e))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    r.exit()


if __name__ == "__main__":
    main()
