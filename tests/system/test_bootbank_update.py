"""test_bootbank_update.py: `ramhost bootbank update DIR` on a host booted from the demo disk image, then reboots:
the new bank comes up (UEFI through the loader's bank rules, BIOS through the ESP's rewritten syslinux.cfg), a
new bank that never reaches the ready line rolls back to the old one, and the sticky state survives both.

The new bootbanks reach the guest on a second virtio disk: a FAT file system made on the host with mtools
(mformat + mcopy), holding /b (the demo at version 2.0 with an extra tardisk "marker") and /c (that bank with
`ramhost.break` added to its kernel options: init stops before switch_root, so it never gets marked good).

QEMU runs (TCG, one at a time): OVMF 4 boots (update to b; reboot on bank 2; update to c; the broken boot,
killed at its emergency shell; the boot that rolls back), SeaBIOS 2 boots (update to b; reboot on bank 2)."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from qemu import READY_ADDR_RE, RAMHOST, Report, Vm, demo_copy, gpt_partitions, run  # noqa: E402

BOOT_TIMEOUT = 300
MARKER = "/usr/share/ramhost-update-marker"


def disks(image, fat):
    return ["-drive", "file=%s,format=raw,if=none,id=hd0" % image, "-device", "virtio-blk-pci,drive=hd0,bootindex=0",
            "-drive", "file=%s,format=raw,if=none,id=hd1,readonly=on" % fat, "-device", "virtio-blk-pci,drive=hd1"]


def make_sources(work):
    """bank a (demo 1.0), bank b (2.0 + marker tardisk), c (b that breaks before switch_root), the FAT image."""
    prof = os.path.join(work, "prof")
    demo_copy(prof)
    os.makedirs(os.path.join(prof, "marker", "usr", "share"))
    with open(os.path.join(prof, "marker", MARKER.lstrip("/")), "w") as f:
        f.write("bank b\n")
    with open(os.path.join(prof, "profile")) as f:
        text = f.read()
    a, b, c = (os.path.join(work, x) for x in ("a", "b", "c"))
    run([RAMHOST, "image", "build", os.path.join(prof, "profile"), "-o", a, "-q"])
    text = re.sub(r"(?m)^version = .*$", "version = 2.0", text) + "tardisk = marker marker\n"
    with open(os.path.join(prof, "profile"), "w") as f:
        f.write(text)
    run([RAMHOST, "image", "build", os.path.join(prof, "profile"), "-o", b, "-q"])
    shutil.copytree(b, c)
    with open(os.path.join(c, "boot.cfg")) as f:
        cfg = f.read()
    cfg = re.sub(r"(?m)^kernelopt=(.*)$", r"kernelopt=\1 ramhost.break", cfg)
    cfg = re.sub(r"(?m)^build=.*$", "build=demo-3.0-broken", cfg)
    with open(os.path.join(c, "boot.cfg"), "w") as f:
        f.write(cfg)
    os.unlink(os.path.join(c, "bootcfg.cpio"))   # derived from boot.cfg; update writes its own
    size = sum(os.path.getsize(os.path.join(d, n)) for d in (b, c) for n in os.listdir(d))
    fat = os.path.join(work, "new.fat")
    mib = size // (1 << 20) + 16
    run(["truncate", "-s", "%dM" % mib, fat])
    run(["mformat", "-i", fat, "-v", "RHNEW", "::"])
    run(["mcopy", "-s", "-i", fat, b, c, "::"])
    return a, fat


def esp_default(image):
    esp = [v for v in gpt_partitions(image).values() if v["name"] == "ESP"][0]
    out = run(["mtype", "-i", "%s@@%d" % (image, esp["first"]), "::syslinux/syslinux.cfg"])
    m = re.search(r"(?m)^DEFAULT (\S+)", out)
    return m.group(1) if m else None


def bank_cfg(image, name):
    part = [v for v in gpt_partitions(image).values() if v["name"] == name][0]
    return run(["mtype", "-i", "%s@@%d" % (image, part["first"]), "::boot.cfg"])


def up(vm, r, name, bank, build):
    """Waits for the ready line and the shell; checks bank and build; waits until mark-good has run."""
    m = vm.expect(READY_ADDR_RE, BOOT_TIMEOUT)   # the whole line: build= may still be arriving
    vm.shell()
    ok = m.group(1).decode() == str(bank) and m.group(5).decode() == build
    r.check(name, ok, m.group(0).decode())
    # mark-good runs right after ready (inittab sysinit): its line says it was marked or already VALID
    vm.sh("n=0; while ! ramhost bootbank status | grep -q '^%d .*VALID.*\\*'; do n=$((n+1)); [ $n -gt 60 ] && "
          "break; sleep 1; done" % bank, timeout=120)
    return m


def update(vm, source):
    vm.sh("mkdir -p /mnt/new && (grep -q ' /mnt/new ' /proc/mounts || mount -t vfat -o ro /dev/vdb /mnt/new)")
    t0 = time.monotonic()
    rc, out = vm.sh("ramhost bootbank update --json %s 2>/tmp/progress; echo rc=$?; cat /tmp/progress" % source,
                    timeout=300)
    m = re.search(r"(?m)^(\{.*\})$", out)
    summary = json.loads(m.group(1)) if m else None
    if summary:   # a figure for the notes, not a check
        print("    measured: update of %d bytes in %d files took %.1f s (QEMU TCG, state save included)" % (
            summary["bytes"], summary["files"], time.monotonic() - t0))
    return ("rc=0" in out.split()), summary, out


def reboot(vm):
    vm.send("reboot\n")
    vm.proc.wait(timeout=180)   # -no-reboot: the guest's reboot ends QEMU


def uefi_flow(r, image, fat):
    # boot 1: bank 1, a sticky file saved, update to b
    with Vm("update_uefi_1", disks(image, fat), firmware="uefi") as vm:
        up(vm, r, "update_uefi_boot1_bank1", 1, "demo-1.0")
        rc, out = vm.sh("echo kept-before-update >/root/keep && ramhost state save")
        r.check("update_uefi_state_saved", rc == 0 and "saved generation" in out, out)
        ok, s, out = update(vm, "/mnt/new/b")
        r.check("update_uefi_update_b", ok and s and s["bank"] == 2 and s["updated"] == 3 and
                s["bootstate"] == 1 and s["build"] == "demo-2.0" and s["bios"] and s["files"] == 7, out)
        r.check("update_uefi_update_saved_state_first", bool(s) and "state" in s and
                ("nothing changed" in s["state"] or "saved generation" in s["state"]), out)
        rc, out = vm.sh("ramhost bootbank status")
        r.check("update_uefi_status_upgrading", rc == 0 and re.search(r"(?m)^2 .*UPGRADING +3 +demo-2\.0", out) and
                re.search(r"(?m)^bios: .* chains to bank 2$", out), out)
        reboot(vm)
    cfg = bank_cfg(image, "altbootbank")
    r.check("update_uefi_bank2_on_disk", "updated=3" in cfg and "build=demo-2.0" in cfg, cfg)
    r.check("update_uefi_esp_default_bank2", esp_default(image) == "altbootbank", esp_default(image) or "")
    # boot 2: the loader prefers bank 2 (higher updated=), marks it DIRTY, the host marks it VALID
    with Vm("update_uefi_2", disks(image, fat), firmware="uefi") as vm:
        m = up(vm, r, "update_uefi_boot2_bank2", 2, "demo-2.0")
        r.check("update_uefi_boot2_tardisks", m.group(2) == b"5", m.group(0).decode())
        rc, out = vm.sh("cat %s" % MARKER)
        r.check("update_uefi_marker", rc == 0 and "bank b" in out, out)
        rc, out = vm.sh("ramhost bootbank status")
        r.check("update_uefi_status_valid", rc == 0 and re.search(r"(?m)^2 .*VALID +3 +demo-2\.0 +\*$", out), out)
        rc, out = vm.sh("cat /root/keep")
        r.check("update_uefi_sticky_kept", rc == 0 and out.strip() == "kept-before-update", out)
        # an update whose bank never comes up: bank 1 gets c (updated=4, UPGRADING)
        ok, s, out = update(vm, "/mnt/new/c")
        r.check("update_uefi_update_c", ok and s and s["bank"] == 1 and s["updated"] == 4, out)
        reboot(vm)
    # boot 3: bank 1 (UPGRADING -> DIRTY) stops at ramhost.break: never ready; the power goes
    with Vm("update_uefi_3", disks(image, fat), firmware="uefi") as vm:
        try:
            vm.expect(r"ramhost\.break: emergency shell", BOOT_TIMEOUT)
            broke = not vm.seen(r"ramhost: ready")
        except Exception as e:  # noqa: BLE001
            broke = False
            print("    %s" % e)
        r.check("update_uefi_boot3_new_bank_fails", broke)
    # boot 4: DIRTY -> INVALID, bank 2 boots again with the state
    with Vm("update_uefi_4", disks(image, fat), firmware="uefi") as vm:
        up(vm, r, "update_uefi_boot4_rolled_back", 2, "demo-2.0")
        rc, out = vm.sh("cat /root/keep")
        r.check("update_uefi_rollback_sticky_kept", rc == 0 and out.strip() == "kept-before-update", out)
        rc, out = vm.sh("ramhost bootbank status")
        r.check("update_uefi_rollback_status", re.search(r"(?m)^1 .*INVALID +4 +demo-3\.0-broken", out) and
                re.search(r"(?m)^bios: .* chains to bank 2$", out), out)


def bios_flow(r, image, fat):
    with Vm("update_bios_1", disks(image, fat), firmware="bios") as vm:
        up(vm, r, "update_bios_boot1_bank1", 1, "demo-1.0")
        ok, s, out = update(vm, "/mnt/new/b")
        r.check("update_bios_update_b", ok and s and s["bank"] == 2 and s["bios"], out)
        reboot(vm)
    with Vm("update_bios_2", disks(image, fat), firmware="bios") as vm:
        m = up(vm, r, "update_bios_boot2_bank2", 2, "demo-2.0")
        _, cmdline = vm.sh("cat /proc/cmdline")
        r.check("update_bios_chained_to_bank2", "ramhost.bank=2" in cmdline.split() and m.group(2) == b"5", cmdline)
        rc, out = vm.sh("ramhost bootbank status")
        r.check("update_bios_marked_good", rc == 0 and re.search(r"(?m)^2 .*VALID +3 +demo-2\.0 +\*$", out) and
                re.search(r"(?m)^bios: .* chains to bank 2$", out), out)


def main():
    r = Report()
    work = tempfile.mkdtemp(prefix="ramhost-bbupdate.")
    try:
        a, fat = make_sources(work)
        disk = os.path.join(work, "demo.img")
        run([RAMHOST, "image", "disk", "--bootbank", a, "-o", disk, "-q"])
        image = os.path.join(work, "uefi.img")
        shutil.copy(disk, image)
        uefi_flow(r, image, fat)
        image = os.path.join(work, "bios.img")
        shutil.copy(disk, image)
        bios_flow(r, image, fat)
    except (RuntimeError, subprocess.CalledProcessError, OSError, ValueError) as e:
        r.check("bootbank_update_setup", False, str(e))
    except Exception as e:  # noqa: BLE001  (a Timeout: the console tail says why)
        r.check("bootbank_update_boot", False, str(e))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    r.exit()


if __name__ == "__main__":
    main()
