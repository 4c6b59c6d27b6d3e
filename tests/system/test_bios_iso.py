"""test_bios_iso.py: the demo ISO boots as a CD on SeaBIOS into RAM, and the booted host behaves as the spine
issue says: read-only /usr, tardisks mounted from RAM, shipped files readable, ramdisk limits enforced with the
shell still answering, `ramhost df` agreeing with /proc/mounts. The guest has an e1000 NIC on QEMU's user network:
the base's coldplug pass loads e1000 from the drivers tardisk (init.cpio does not carry it), DHCP gives the
address the ready line shows, and init reports no problem on the console; with nowhere to keep state (a CD) init
does not start `ramhost state boot`. The disk drivers are left out of
this boot and loaded on demand by `ramhost rescue` (check_disk_drivers). A second boot with a tardisk whose bytes were
changed after the build must be refused by init, naming the tardisk."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from qemu import (FREED_RE, NO_STATE_SOURCE, READY_ADDR_RE, RAMHOST, TOP, Report, Vm, init_problems,  # noqa: E402
                  run)

PROFILE = os.path.join(TOP, "examples", "demo", "profile")
DHCP_NAME = "rh-dhcp-demo"  # the host name QEMU's DHCP server gives the guest
HELLO = os.path.join(TOP, "examples", "demo", "extras", "opt", "demo", "hello.txt")


def check_network(r, vm, m, bank):
    """The e1000 NIC: its driver came from the drivers tardisk through the coldplug pass, DHCP gave the address."""
    r.check("bios_iso_ready_addr_dhcp", m.group(6) == b"eth0:10.0.2.15/24", m.group(0).decode())
    r.check("bios_iso_no_init_problem", not init_problems(vm.buf), "\n".join(init_problems(vm.buf)))
    init_cpio = subprocess.run(["cpio", "-it", "--quiet"], stdin=open(os.path.join(bank, "init.cpio"), "rb"),
                               capture_output=True, text=True, check=True).stdout
    rc, out = vm.sh("lsmod")
    r.check("bios_iso_e1000_loaded_from_drivers_tardisk", rc == 0 and re.search(r"^e1000 ", out, re.M) and
            "e1000.ko" not in init_cpio and "virtio_net.ko" not in init_cpio, out + init_cpio[-300:])
    check_disk_drivers(r, vm, out, init_cpio)
    rc, out = vm.sh("ls /lib/modules/$(uname -r)/kernel/drivers/net/ethernet/intel/e1000/ && ip -4 route")
    r.check("bios_iso_default_route", rc == 0 and "e1000.ko" in out and "default via 10.0.2.2 dev eth0" in out, out)
    # no /etc/hostname names this host, so the DHCP server's name is taken over the profile's (demo)
    rc, out = vm.sh("hostname; cat /usr/lib/ramhost/default-hostname; [ -e /etc/hostname ] || echo no-etc-hostname")
    r.check("bios_iso_hostname_from_dhcp", rc == 0 and out.split() == [DHCP_NAME, "demo", "no-etc-hostname"], out)


def check_disk_drivers(r, vm, lsmod, init_cpio):
    """An ISO boot needs no disk: init left the disk and file-system drivers out (init.cpio does not carry them,
    the drivers tardisk does, outside its module index) and wrote their plan, gated by the PCI devices present
    (PIIX3's IDE for the CD, no AHCI or xHCI). `ramhost rescue` loads them before it looks at the disks, then
    sees the CD; a second command finds nothing left to load."""
    rc, plan = vm.sh("cat /run/ramhost/ondemand-modules")
    disk_mods = r"^(ata_piix|libata|sr_mod|sd_mod|ext4|jbd2|scsi_mod|usb_storage|vfat) "
    r.check("bios_iso_disk_drivers_not_loaded_at_boot", rc == 0 and not re.search(disk_mods, lsmod, re.M) and
            "ata_piix.ko" not in init_cpio and "ext4.ko" not in init_cpio, lsmod + init_cpio[-300:])
    r.check("bios_iso_disk_drivers_plan_by_pci_device", "etc/ramhost/boot.alias" in init_cpio and
            re.search(r"^/run/ramhost/tardisks/drivers/usr/lib/ramhost/ondemand-modules/[^/]+/kernel/drivers/ata/"
                      r"ata_piix\.ko$", plan, re.M) and "/ext4.ko" in plan and "/ahci.ko" not in plan and
            "/xhci-pci.ko" not in plan and "/efivarfs.ko" not in plan, plan)
    rc, out = vm.sh("grep -c ata_piix /lib/modules/$(uname -r)/modules.dep")
    r.check("bios_iso_disk_drivers_outside_module_index", out.strip() == "0", out)
    rc, out = vm.sh("ramhost rescue scan --summary; ls /sys/block; lsmod", 120)
    r.check("bios_iso_disk_drivers_loaded_on_demand",
            re.search(r"ramhost rescue: loaded \d+ kernel modules for disks that this boot had left out", out) and
            re.search(r"^ata_piix ", out, re.M) and re.search(r"^sr_mod ", out, re.M) and
            not re.search(r"^(ahci|xhci_pci) ", out, re.M) and re.search(r"\bsr0\b", out), out)
    rc, out = vm.sh("ramhost rescue scan --summary", 120)
    r.check("bios_iso_disk_drivers_loaded_once", "loaded" not in out, out)


def check_booted_host(r, vm, bank):
    m = vm.expect(READY_ADDR_RE, 240)
    r.check("bios_iso_ready_line", m.group(1) == b"1" and int(m.group(2)) == 4,
            "ready line %r" % m.group(0))
    # after the root switch init removed its own files (init.cpio's modules, busybox, init) from the initramfs
    freed = re.search(FREED_RE.encode(), vm.buf)
    cpio_mib = os.path.getsize(os.path.join(bank, "init.cpio")) / 1048576.0
    r.check("bios_iso_initramfs_freed", freed is not None and float(freed.group(1)) >= 0.9 * cpio_mib,
            "%s, init.cpio %.1f MiB" % (freed.group(0).decode() if freed else "no freed line", cpio_mib))
    vm.shell()  # the root shell on ttyS0
    check_network(r, vm, m, bank)
    # a CD has nowhere to keep state: init says so and does not start `ramhost state boot` (no state.env)
    rc, out = vm.sh("[ -e /run/ramhost/state.env ] || echo no-state-env")
    r.check("bios_iso_no_state_boot_on_cd", rc == 0 and out.strip() == "no-state-env" and
            re.search(b"ramhost-init: " + NO_STATE_SOURCE, vm.buf) is not None and b"ramhost-state:" not in vm.buf and
            m.group(3) == b"none", out)

    rc, out = vm.sh("cat /proc/cmdline")
    r.check("bios_iso_cmdline", rc == 0 and "ramhost.bank=1" in out and "console=ttyS0" in out, out)

    rc, out = vm.sh("touch /usr/ramhost-write-test")
    r.check("usr_is_readonly", rc != 0 and "Read-only file system" in out, "rc=%d %r" % (rc, out))
    rc, out = vm.sh("grep ' /usr ' /proc/mounts")
    r.check("usr_is_ro_overlay", rc == 0 and out.startswith("overlay /usr overlay ro"), out)

    # Tardisks: loop devices backed by files in /tardisks, which live in the initramfs (RAM), mounted squashfs ro;
    # no disk or CD is mounted at all.
    rc, out = vm.sh("for l in /sys/block/loop*/loop/backing_file; do cat $l; done")
    files = sorted(out.split())
    r.check("tardisks_loop_backed_by_ram_files", files == ["/tardisks/base.tdk", "/tardisks/drivers.tdk",
                                                          "/tardisks/extras.tdk", "/tardisks/rescue.tdk"], out)
    rc, mounts = vm.sh("cat /proc/mounts")
    sq = [l.split() for l in mounts.splitlines() if " squashfs " in l]
    r.check("tardisks_mounted_squashfs_ro", len(sq) == 4 and all(
        f[0].startswith("/dev/loop") and f[3].split(",")[0] == "ro" for f in sq), mounts)
    tdk = [l.split() for l in mounts.splitlines() if l.split()[1:2] == ["/tardisks"]]
    r.check("tardisk_files_on_rootfs", len(tdk) == 1 and tdk[0][2] in ("rootfs", "tmpfs"), mounts)
    r.check("no_block_device_mounted", not re.search(r"^/dev/(sr|sd|vd|hd)", mounts, re.M), mounts)

    with open(HELLO) as f:
        want = f.read().strip()
    rc, out = vm.sh("cat /opt/demo/hello.txt")
    r.check("tardisk_file_readable", rc == 0 and out.strip() == want, out)
    rc, out = vm.sh("ls -l /usr/bin/ramhost /usr/bin/busybox >/dev/null && ramhost --version")
    r.check("ramhost_runs_on_host", rc == 0 and out.startswith("ramhost "), out)

    # /etc is a writable ramdisk copied from the tardisks' defaults
    rc, out = vm.sh("echo test >> /etc/motd-test && grep -c root /etc/passwd")
    r.check("etc_writable_with_defaults", rc == 0 and int(out.split()[-1]) >= 1, out)

    # Fill /tmp past its limit: the writer gets ENOSPC, the shell keeps answering, df flags the ramdisk.
    rc, out = vm.sh("dd if=/dev/zero of=/tmp/fill bs=1M count=512", timeout=120)
    r.check("ramdisk_limit_enospc", rc != 0 and "No space left on device" in out, out)
    rc, out = vm.sh("echo still-alive")
    r.check("shell_answers_after_enospc", rc == 0 and out.endswith("still-alive"), out)
    rc, out = vm.sh("ramhost df")
    tmp_line = [l for l in out.splitlines() if re.search(r"\s/tmp\s", l)]
    r.check("df_flags_full_ramdisk", rc == 0 and tmp_line and ("FULL" in tmp_line[0] or "!" in tmp_line[0]), out)
    vm.sh("rm -f /tmp/fill")

    # df --json agrees with /proc/mounts: every ramdisk is a tmpfs mounted where df says, with the size limit df
    # reports; every tardisk's loop device is mounted squashfs.
    rc, out = vm.sh("ramhost df --json")
    try:
        df = json.loads(out[out.index("{"):])
    except ValueError as e:
        r.check("df_json_parses", False, "%s: %r" % (e, out))
        return
    rc, mounts = vm.sh("cat /proc/mounts")
    table = {f[1]: f for f in (l.split() for l in mounts.splitlines())}
    bad = []
    for rd in df.get("ramdisks", []):
        ent = table.get(rd.get("mountpoint"))
        if not ent or ent[2] != "tmpfs":
            bad.append("ramdisk %s not a tmpfs in /proc/mounts" % rd)
            continue
        size = re.search(r"size=(\d+)k", ent[3])
        if size and int(size.group(1)) * 1024 != int(rd.get("limit", -1)):
            bad.append("ramdisk %s limit %s != mounts %sk" % (rd.get("name"), rd.get("limit"), size.group(1)))
    loops = {f[0]: f for f in table.values() if f[2] == "squashfs"}
    for td in df.get("tardisks", []):
        if td.get("loop") not in loops:
            bad.append("tardisk %s loop %s not mounted" % (td.get("name"), td.get("loop")))
    names = sorted(rd.get("mountpoint") for rd in df.get("ramdisks", []))
    r.check("df_agrees_with_proc_mounts", not bad and len(df.get("tardisks", [])) == 4 and
            {"/", "/etc", "/var", "/tmp"} <= set(names), "; ".join(bad) or out)
    usr = [o for o in df.get("overlays", []) if o.get("mountpoint") == "/usr"]
    r.check("df_usr_overlay_read_only", len(usr) == 1 and usr[0]["read_only"] and
            usr[0]["layers"][-1] == "base" and "drivers" in usr[0]["layers"], out)
    rc, out = vm.sh("ramhost du /etc --json")
    r.check("du_runs", rc == 0 and '"bytes"' in out, out)
    check_timing(r, vm, m)
    check_host_binary(r, vm)


INIT_STAGES = ["kernel", "config", "modules", "hashes", "ramdisks", "tardisks", "late-modules", "view"]


def check_timing(r, vm, m):
    """ramhost ready --timing: init's stages in order, their times adding up to init's end, before the ready line."""
    rc, out = vm.sh("ramhost ready --timing --json")
    try:
        t = json.loads(out[out.index("{"):])
        names = [s["name"] for s in t["stages"]]
        total = sum(s["ms"] for s in t["stages"])
        ends = [s["end_ms"] for s in t["stages"]]
    except (ValueError, KeyError) as e:
        r.check("ready_timing_stages", False, "%s: %r" % (e, out))
        return
    boot_ms = int(m.group(4))
    r.check("ready_timing_stages", rc == 0 and names == INIT_STAGES and total == ends[-1] and
            ends == sorted(ends) and t["stages"][0]["ms"] > 0 and ends[-1] <= t["init_ms"] <= boot_ms <= t["now_ms"],
            "boot_ms %d: %s" % (boot_ms, out))
    rc, out = vm.sh("ramhost ready --timing")
    r.check("ready_timing_text", rc == 0 and re.search(r"^hashes +\d+ ms", out, re.M) is not None and
            "after-init" in out, out)


def check_host_binary(r, vm):
    """The image's ramhost is the host build: no pxe server, no shared library but the C library (the others are
    linked in), so none of the build side's."""
    rc, out = vm.sh("ramhost pxe status")
    r.check("host_binary_has_no_pxe", rc == 2 and "not in the host's ramhost" in out, "rc=%d %r" % (rc, out))
    rc, out = vm.sh("ls /usr/lib/x86_64-linux-gnu/")
    bad = [n for n in ("libicudata", "libxml2", "libcurl", "libmicrohttpd", "libgnutls", "libstdc++", "libcrypto",
                       "libssl", "libsquashfs", "libzstd", "libarchive") if n in out]
    r.check("host_binary_libraries", rc == 0 and "libc.so.6" in out and not bad, "unexpected %s in %r" % (bad, out))


def check_tampered_tardisk(r, work):
    """Changes one byte of extras.tdk on the finished ISO (the medium, after the build): init must refuse the
    tardisk by name, and the host must never reach ready. This image's kernel options add ramhost.debug: before
    the refusal, init says which module it left out as not needed on this BIOS boot (efivarfs), which a normal
    boot does not say."""
    prof = os.path.join(work, "debug-profile")
    shutil.copytree(os.path.dirname(PROFILE), prof)
    with open(PROFILE) as f:
        text = re.sub(r"(?m)^kernelopt = (.*)$", r"kernelopt = \1 ramhost.debug", f.read())
    with open(os.path.join(prof, "profile"), "w") as f:
        f.write(text)
    bank = os.path.join(work, "debug-bank")
    run([RAMHOST, "image", "build", os.path.join(prof, "profile"), "-o", bank])
    iso = os.path.join(work, "tampered.iso")
    run([RAMHOST, "image", "iso", "--bootbank", bank, "-o", iso])
    with open(os.path.join(bank, "extras.tdk"), "rb") as f:
        module = f.read()
    with open(iso, "r+b") as f:
        data = f.read()
        at = data.find(module)
        r.check("tampered_module_found_in_iso", at > 0 and data.find(module, at + 1) < 0)
        # a byte in the middle of the squashfs image, past the cpio header
        f.seek(at + len(module) // 2)
        f.write(bytes([module[len(module) // 2] ^ 0xFF]))
    with Vm("bios_iso_tampered", ["-cdrom", iso]) as vm:
        try:
            m = vm.expect(r"ramhost-init: [^\n]*extras\.tdk[^\n]*SHA-256 mismatch: expected [0-9a-f]{64}, got [0-9a-f]{64}", 240)
            line = m.group(0).decode()
            r.check("tampered_tardisk_refused", True, line)
            r.check("debug_says_efivarfs_not_needed", vm.seen(r"ramhost-init: kernel module kernel/fs/efivarfs/"
                                                              r"efivarfs\.ko: not needed \(not an EFI boot\)"),
                    vm.buf[-3000:].decode("utf-8", "replace"))
            # QEMU's pc machine has no AHCI controller: init leaves the PCI driver out (boot.alias)
            r.check("debug_says_ahci_not_needed", vm.seen(r"ramhost-init: kernel module kernel/drivers/ata/"
                                                          r"ahci\.ko: not needed \(no PCI device for it\)"),
                    vm.buf[-3000:].decode("utf-8", "replace"))
            vm.shell()
            rc, out = vm.sh("grep -c squashfs /proc/mounts")
            r.check("tampered_tardisk_not_mounted", out.strip().endswith("0"), out)
        except Exception as e:  # noqa: BLE001
            r.check("tampered_tardisk_refused", False, str(e))
        r.check("tampered_never_ready", not vm.seen(r"ramhost: ready"))


def main():
    r = Report()
    work = tempfile.mkdtemp(prefix="ramhost-sys.")
    try:
        iso = os.path.join(work, "demo.iso")
        bank = os.path.join(work, "bank")
        run([RAMHOST, "image", "build", PROFILE, "-o", bank])
        run([RAMHOST, "image", "iso", "--bootbank", bank, "-o", iso])
        with Vm("bios_iso_cd", ["-cdrom", iso], net=True, nic="e1000", dhcp_hostname=DHCP_NAME) as vm:
            try:
                check_booted_host(r, vm, bank)
            except Exception as e:  # noqa: BLE001
                r.check("bios_iso_boot", False, str(e))
        check_tampered_tardisk(r, work)
    except Exception as e:  # noqa: BLE001
        r.check("bios_iso_build", False, str(e))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    r.exit()


if __name__ == "__main__":
    main()
