"""test_bios_iso.py: the demo ISO boots as a CD on SeaBIOS into RAM, and the booted host behaves as the spine
issue says: read-only /usr, tardisks mounted from RAM, shipped files readable, ramdisk limits enforced with the
shell still answering, `ramhost df` agreeing with /proc/mounts. A second boot with a tardisk whose bytes were
changed after the build must be refused by init, naming the tardisk."""
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from qemu import READY_RE, RAMHOST, TOP, Report, Vm, run  # noqa: E402

PROFILE = os.path.join(TOP, "examples", "demo", "profile")
HELLO = os.path.join(TOP, "examples", "demo", "extras", "opt", "demo", "hello.txt")


def check_booted_host(r, vm):
    m = vm.expect(READY_RE, 240)
    r.check("bios_iso_ready_line", m.group(1) == b"1" and int(m.group(2)) == 3,
            "ready line %r" % m.group(0))
    vm.shell()  # the root shell on ttyS0

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
    r.check("tardisks_loop_backed_by_ram_files", files == ["/tardisks/base.tdk", "/tardisks/extras.tdk",
                                                          "/tardisks/rescue.tdk"], out)
    rc, mounts = vm.sh("cat /proc/mounts")
    sq = [l.split() for l in mounts.splitlines() if " squashfs " in l]
    r.check("tardisks_mounted_squashfs_ro", len(sq) == 3 and all(
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
    r.check("df_agrees_with_proc_mounts", not bad and len(df.get("tardisks", [])) == 3 and
            {"/", "/etc", "/var", "/tmp"} <= set(names), "; ".join(bad) or out)
    rc, out = vm.sh("ramhost du /etc --json")
    r.check("du_runs", rc == 0 and '"bytes"' in out, out)


def check_tampered_tardisk(r, work):
    """Changes one byte of extras.tdk on the finished ISO (the medium, after the build): init must refuse the
    tardisk by name, and the host must never reach ready."""
    bank = os.path.join(work, "bank")
    run([RAMHOST, "image", "build", PROFILE, "-o", bank])
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
        run([RAMHOST, "image", "iso", PROFILE, "-o", iso])
        with Vm("bios_iso_cd", ["-cdrom", iso]) as vm:
            try:
                check_booted_host(r, vm)
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
