"""test_install.py: `ramhost install` from the booted ISO (QEMU TCG).

1. The ISO (built with an answer file) boots on OVMF from a CD with two virtio disks: vda partitioned, vdb
   blank. The loader's menu shows the "Install to disk" line (boot.cfg installopt=); Down, Down, Enter chooses
   it, which boots the ISO's bank with `ramhost.install=auto ramhost.ks=/install/ks.cfg` appended (what the BIOS
   menu's `install` label appends); the unattended install skips the CD and the partitioned disk, writes vdb,
   adds a UEFI boot entry and powers off.
2. The installed disk boots alone on SeaBIOS to the ready line, with the seeded hostname and sticky file.
3. It boots on OVMF with the variables the install left, through the new boot entry (BootCurrent is it), with
   the ISO and the partitioned disk attached; its loader menu has no Install entry; `ramhost install` refuses the disk it booted from (even with
   --force), the CD (not a blank disk; on this host not the medium but a disk with an ISO 9660 signature), and
   the partitioned disk without --force.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from qemu import OVMF_CODE, OVMF_VARS, READY_RE, RAMHOST, TOP, Report, Timeout, Vm, run  # noqa: E402

PROFILE = os.path.join(TOP, "examples", "demo", "profile")
BOOT_TIMEOUT = 300
INSTALL_TIMEOUT = 900
KS = """# answer file of tests/system/test_install.py
hostname = installed-host
rootpw = $6$rhsalt$6Gq0Yk1nQ4a1m1cqmHn0w8r1mQd2cLq3mS7bJv3m8v1xWj8c3JmXKqFZC2r0X9eYpQWJwN1ePzH0cX7y3o8xZ.
sticky = /etc/motd << installed by ramhost\\nsecond line
after = poweroff
"""


def virtio(path, idx):
    return ["-drive", "file=%s,format=raw,if=none,id=d%d" % (path, idx), "-device", "virtio-blk-pci,drive=d%d" % idx]


def cdrom(path, boot):
    return ["-drive", "file=%s,format=raw,media=cdrom,if=none,id=cd0,readonly=on" % path,
            "-device", "ide-cd,drive=cd0" + (",bootindex=0" if boot else "")]


def pflash(vars_path):
    return ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + OVMF_CODE,
            "-drive", "if=pflash,format=raw,unit=1,file=" + vars_path]


def rescue_scan(disk):
    p = subprocess.run([RAMHOST, "rescue", "scan", "--json", disk], capture_output=True, text=True)
    import json
    return p.returncode, json.loads(p.stdout)["disks"][0] if p.stdout.strip() else None


DAMAGE = os.path.join(TOP, "tests", "integration", "rescue_damage.sh")
# the damages (tests/integration/rescue_damage.sh) whose repair gives back the bytes as built, and their code
INSTALLED_CASES = [("dmg_gpt_entries", "gpt-main-damaged"), ("dmg_gpt_header", "gpt-main-damaged"),
                   ("dmg_esp_boot", "esp-boot-sector-damaged")]


def rescue_installed(r, work, disk):
    """4. `ramhost rescue` on the disk `ramhost install` wrote (after its boots, which proved these bytes boot):
    the scan finds nothing wrong; then for each damage of INSTALLED_CASES (the same functions as rescue.sh's), the
    scan names it, the repair gives back the installed bytes exactly, and undo the damaged ones."""
    rc, d = rescue_scan(disk)
    bad = [p["code"] for p in d["problems"] if p["severity"] != "info"] if d else ["no report"]
    r.check("install_rescue_scan_clean", rc == 0 and not bad and d["ramhost"], "rc %d %s" % (rc, bad))
    good = os.path.join(work, "installed.img")
    run(["cp", "--sparse=always", disk, good])
    env = dict(os.environ, T=work, RAMHOST=RAMHOST, MTOOLS_SKIP_CHECK="1")
    for func, code in INSTALLED_CASES:
        name = func[len("dmg_"):]
        run(["cp", "--sparse=always", good, disk])
        run(["bash", "-c", '. "$1"; %s "$2"' % func, "damage", DAMAGE, disk], env=env)
        damaged = os.path.join(work, "damaged.img")
        run(["cp", "--sparse=always", disk, damaged])
        rc, d = rescue_scan(disk)
        codes = [p["code"] for p in d["problems"]] if d else []
        r.check("install_rescue_%s_named" % name, rc == 3 and code in codes, str(codes))
        backups = os.path.join(work, "rescue-backups-" + name)
        p = subprocess.run([RAMHOST, "rescue", "repair", "--yes", "--backup-dir", backups, disk],
                           capture_output=True, text=True)
        same = subprocess.run(["cmp", "-s", disk, good]).returncode == 0
        r.check("install_rescue_%s_repaired_as_installed" % name, p.returncode == 0 and same, p.stdout + p.stderr)
        p = subprocess.run([RAMHOST, "rescue", "undo", "--backup-dir", backups, disk], capture_output=True,
                           text=True)
        same = subprocess.run(["cmp", "-s", disk, damaged]).returncode == 0
        r.check("install_rescue_%s_undo_exact" % name, p.returncode == 0 and same, p.stdout + p.stderr)
    run(["cp", "--sparse=always", good, disk])


def main():
    r = Report()
    work = tempfile.mkdtemp(prefix="ramhost-install-test.")
    try:
        ks = os.path.join(work, "ks.cfg")
        with open(ks, "w") as f:
            f.write(KS)
        prof = PROFILE
        iso = os.path.join(work, "demo.iso")
        run([RAMHOST, "image", "iso", prof, "-o", iso, "--answer-file", ks, "-q"])
        blank = os.path.join(work, "blank.img")
        with open(blank, "wb") as f:
            f.truncate(1 << 30)
        parted = os.path.join(work, "parted.img")
        with open(parted, "wb") as f:
            f.truncate(1 << 30)
        run(["sgdisk", "-n", "1:2048:+16M", "-t", "1:8300", parted])
        varsf = os.path.join(work, "vars.fd")
        shutil.copyfile(OVMF_VARS, varsf)

        # 1. unattended install on OVMF
        entry = None
        with Vm("install-unattended", pflash(varsf) + cdrom(iso, True) + virtio(parted, 0) + virtio(blank, 1),
                firmware="bios") as vm:
            try:
                vm.expect(r"booting bank 1 in \d+ s", 180)
                r.check("install_iso_menu_entry", vm.seen(r"ramhost.efi:    Install to disk: bank 1 with "
                                                          r"ramhost\.install=auto ramhost\.ks=/install/ks\.cfg\r?\n"),
                        vm.buf[-1500:].decode("utf-8", "replace"))
                vm.send("\x1b[B")  # Down: stops the countdown and selects bank 2, then the Install line
                vm.expect(r"countdown stopped", 30)
                vm.expect(r" > bank 2", 30)
                vm.send("\x1b[B")
                vm.expect(r" > Install to disk: bank 1", 30)
                vm.send("\r")
                m = vm.expect(r"kernel options: ([^\r\n]*) ramhost\.bank=1", 120)
                r.check("install_iso_entry_options", m.group(1) == b"console=ttyS0,115200 loglevel=4 transparent_hugepage=never "
                        b"ramhost.install=auto ramhost.ks=/install/ks.cfg", m.group(0).decode())
                m = vm.expect(r"ramhost install: unattended install \(([^)\r\n]*)\)", BOOT_TIMEOUT)
                r.check("install_iso_entry_starts_installer",
                        m.group(1) == b"ramhost.install=auto ramhost.ks=/install/ks.cfg", m.group(0).decode())
                m = vm.expect(r"ramhost install: (done: [^\r\n]*(?:powering off|rebooting)|FAILED: [^\r\n]*)", INSTALL_TIMEOUT)
                done = m.group(1).decode(errors="replace")
                if not r.check("install_unattended_done", done.startswith("done: /dev/vdb"), done):
                    return r.exit()
                e = re.search(rb"UEFI boot entry Boot([0-9A-F]{4})", vm.buf)
                entry = e.group(1).decode() if e else None
                r.check("install_boot_entry_added", entry is not None)
                r.check("install_skipped_partitioned",
                        re.search(rb"installing from /dev/sr0 onto /dev/vdb", vm.buf) is not None)
                t = re.search(rb"done: .* in ([0-9.]+) s", vm.buf)
                if t:
                    print("figure: install step %s s" % t.group(1).decode())
                vm.proc.wait(timeout=120)
                r.check("install_powered_off", vm.proc.returncode == 0, "qemu exit %s" % vm.proc.returncode)
            except (Timeout, subprocess.TimeoutExpired) as ex:
                r.check("install_unattended_done", False, str(ex))
                return r.exit()
        out = run(["sgdisk", "-p", blank])
        r.check("install_gpt_fits_disk", "Disk %s: 2097152 sectors" % blank in out and
                re.search(r"^\s+4\s.*state", out, re.M) is not None, out)
        r.check("install_gpt_verifies", "No problems found" in run(["sgdisk", "-v", blank]))

        # 2. the installed disk on SeaBIOS
        with Vm("install-disk-bios", virtio(blank, 0) + ["-boot", "c"], firmware="bios") as vm:
            try:
                m = vm.expect(READY_RE, BOOT_TIMEOUT)
                r.check("install_disk_bios_ready", m.group(1) == b"1", m.group(0).decode())
                vm.shell()
                r.check("install_disk_bios_hostname", vm.sh("hostname")[1].strip() == "installed-host",
                        vm.sh("hostname")[1])
                r.check("install_disk_bios_sticky", "installed by ramhost" in vm.sh("cat /etc/motd")[1])
                vm.sh("sync")
            except Timeout as ex:
                r.check("install_disk_bios_ready", False, str(ex))

        # 3. the installed disk on OVMF through the boot entry; refusals
        with Vm("install-disk-uefi", pflash(varsf) + virtio(blank, 0) + virtio(parted, 1) + cdrom(iso, False),
                firmware="bios") as vm:
            try:
                m = vm.expect(READY_RE, BOOT_TIMEOUT)
                r.check("install_disk_uefi_ready", m.group(1) == b"1", m.group(0).decode())
                # the installed disk's menu: drawn (the ISO's timeout=3 came along), no Install entry
                r.check("install_disk_uefi_no_install_entry",
                        vm.seen(r"ramhost.efi: Enter: boot   Up/Down/1/2: select   e: edit") and
                        not vm.seen(r"Install to disk|i: install"), vm.buf[:3000].decode("utf-8", "replace"))
                vm.shell()
                vm.sh("mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null; true")
                rc, cur = vm.sh("od -An -tx1 /sys/firmware/efi/efivars/BootCurrent-8be4df61-93ca-11d2-aa0d-"
                                "00e098032b8c")
                b = cur.split()
                current = (b[5] + b[4]).upper() if len(b) >= 6 else cur
                r.check("install_disk_uefi_boot_entry", entry is not None and current == entry,
                        "BootCurrent %s, installed entry %s" % (current, entry))
                rc, out = vm.sh("ramhost install --disk /dev/vda --force --yes")
                r.check("install_refuses_boot_disk", rc == 1 and "booted from" in out, out)
                rc, out = vm.sh("ramhost install --disk /dev/vdb --yes")
                r.check("install_refuses_partitioned", rc == 1 and "has partitions" in out and "--force" in out, out)
                rc, out = vm.sh("ramhost install --disk /dev/sr0 --yes")
                r.check("install_refuses_medium", rc == 1 and ("install medium" in out or "not blank" in out), out)
            except Timeout as ex:
                r.check("install_disk_uefi_ready", False, str(ex))
        rescue_installed(r, work, blank)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return r.exit()


if __name__ == "__main__":
    main()
