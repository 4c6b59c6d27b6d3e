"""test_debian.py: a real userspace. examples/debian.profile (a Debian 12 debootstrap minbase with systemd as init)
built into a disk image boots from its tardisks to multi-user on the serial console, with /usr read-only, and keeps
its hostname, /etc/machine-id and SSH host keys across reboots through sticky state.

Boot 1 (SeaBIOS): ready line, root login on the ttyS0 getty, PID 1 is systemd, `systemctl is-system-running`,
ramhost's units, /usr refuses writes; the hostname is set, `ramhost state save`, reboot.
Boot 2 (SeaBIOS): the state is restored: same hostname, machine-id, SSH host key fingerprints. The hostname is changed
again WITHOUT a save and the host rebooted: ramhost-state-save.service saves at shutdown.
Boot 3 (OVMF): the shutdown save came back.

The debootstrap tree is cached in $RAMHOST_CACHE/debootstrap (the first run on a machine takes minutes; a second
build must take the cached tree). Needs root, like debootstrap."""
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from qemu import READY_RE, RAMHOST, TOP, Report, Vm, media, run  # noqa: E402

PROFILE = os.path.join(TOP, "examples", "debian.profile")
BOOT_TIMEOUT = 600
BUILD = "debian-12.0"


def login(vm):
    """Logs in as root (empty password) on the serial getty and prepares the shell for vm.sh()."""
    vm.send("\n")  # agetty prints its prompt again, whatever came before on the console
    vm.expect(r"login: ", 120)
    vm.send("root\n")
    vm.expect(r"# ", 60)
    vm.sh("stty columns 4000 2>/dev/null; export SYSTEMD_PAGER= SYSTEMD_COLORS=0 TERM=dumb")


def identity(vm):
    """hostname, machine-id and the SSH host key fingerprints of the running host."""
    _, host = vm.sh("cat /etc/hostname; hostname")
    _, mid = vm.sh("cat /etc/machine-id")
    _, fps = vm.sh("for f in /etc/ssh/ssh_host_*_key.pub; do ssh-keygen -lf $f; done")
    return host.split(), mid.strip(), sorted(l for l in fps.splitlines() if "SHA256:" in l)


def boot(name, disk, firmware):
    vm = Vm(name, media("disk", disk), firmware=firmware)
    t0 = time.monotonic()
    m = vm.expect(READY_RE, BOOT_TIMEOUT)
    print("INFO %s: ready after %.1f s wall, %s" % (name, time.monotonic() - t0, m.group(0).decode()))
    return vm, m


def reboot_and_wait(vm, r, name):
    """`systemctl reboot`; QEMU runs with -no-reboot, so it exits once the guest has shut down. The console is read
    all along (a full pipe would stop QEMU) and kept in vm.buf for the checks after."""
    vm.send("systemctl reboot\n")
    deadline = time.monotonic() + 300
    while vm.proc.poll() is None and time.monotonic() < deadline:
        vm._pump(min(deadline, time.monotonic() + 1))
    while vm._pump(time.monotonic() + 0.2):
        if vm.proc.poll() is not None and not vm._pump(time.monotonic() + 0.2):
            break
    return r.check(name, vm.proc.poll() is not None, "the guest did not shut down within 300 s")


def first_boot(r, disk):
    vm, m = boot("debian-boot1", disk, "bios")
    with vm:
        r.check("debian_ready_line", m.group(2) == b"2" and m.group(5).startswith(BUILD.encode()),
                m.group(0).decode())
        login(vm)
        _, comm = vm.sh("cat /proc/1/comm")
        r.check("debian_pid1_is_systemd", comm.strip() == "systemd", comm)
        _, state = vm.sh("systemctl is-system-running --wait", 300)
        _, failed = vm.sh("systemctl --failed --no-legend --plain")
        state = state.strip().splitlines()[-1] if state.strip() else ""
        print("INFO debian_failed_units: %s" % (failed.strip() or "none"))
        r.check("debian_multi_user", state in ("running", "degraded"), "state %r, failed: %s" % (state, failed))
        rc, units = vm.sh("systemctl is-active ramhost-ready.service ramhost-ssh-keygen.service "
                          "ramhost-state-save.service ramhost-state-save.timer ssh.service "
                          "serial-getty@ttyS0.service systemd-udevd.service")
        r.check("debian_ramhost_units_active", rc == 0 and "inactive" not in units and "failed" not in units, units)
        # the ready line is written before any getty starts (agetty flushes the console's output queue), and the
        # ordering that makes it so must not be one systemd breaks up as a cycle
        ready_at, login_at = vm.buf.find(b"ramhost: ready "), vm.buf.find(b"login: ")
        r.check("debian_ready_before_getty", 0 <= ready_at < login_at and b"rdering cycle" not in vm.buf,
                "ready line at %d, first login prompt at %d, ordering cycle: %s"
                % (ready_at, login_at, b"rdering cycle" in vm.buf))
        rc, out = vm.sh("touch /usr/ramhost-test")
        r.check("debian_usr_read_only", rc != 0 and "Read-only file system" in out, out)
        rc, out = vm.sh("touch /etc/ramhost-test && rm /etc/ramhost-test && touch /var/ramhost-test")
        r.check("debian_etc_var_writable", rc == 0, out)
        host, mid, fps = identity(vm)
        r.check("debian_first_boot_identity", re.fullmatch(r"[0-9a-f]{32}", mid) is not None and len(fps) >= 3,
                "machine-id %r, host keys %r" % (mid, fps))
        rc, out = vm.sh("hostnamectl set-hostname rh-debian-one")
        r.check("debian_hostnamectl", rc == 0, out)
        rc, out = vm.sh("ramhost state save")
        r.check("debian_state_save", rc == 0 and "saved generation" in out, out)
        _, out = vm.sh("ramhost state show")
        print("INFO state show:\n" + out)
        reboot_and_wait(vm, r, "debian_reboot_1")
    return mid, fps


def second_boot(r, disk, mid, fps):
    vm, m = boot("debian-boot2", disk, "bios")
    with vm:
        r.check("debian_state_restored_line", vm.seen(r"ramhost-state: restored generation \d+") and
                m.group(3) != b"none", m.group(0).decode())
        login(vm)
        host2, mid2, fps2 = identity(vm)
        r.check("debian_hostname_kept", host2 == ["rh-debian-one", "rh-debian-one"], repr(host2))
        r.check("debian_machine_id_kept", mid2 == mid, "%r != %r" % (mid2, mid))
        r.check("debian_ssh_host_keys_kept", fps2 == fps, "%r != %r" % (fps2, fps))
        rc, out = vm.sh("systemctl is-system-running --wait", 300)
        r.check("debian_multi_user_after_restore", out.strip().splitlines()[-1:] in (["running"], ["degraded"]), out)
        # no explicit save this time: ramhost-state-save.service saves when it stops at shutdown
        rc, out = vm.sh("hostnamectl set-hostname rh-debian-two")
        r.check("debian_hostnamectl_2", rc == 0, out)
        reboot_and_wait(vm, r, "debian_reboot_2")
        r.check("debian_saved_at_shutdown", vm.seen(r"ramhost state: saved generation"),
                vm.buf[-1500:].decode("utf-8", "replace"))


def third_boot(r, disk, mid, fps):
    vm, m = boot("debian-boot3-ovmf", disk, "uefi")
    with vm:
        login(vm)
        host3, mid3, fps3 = identity(vm)
        r.check("debian_shutdown_save_restored", host3 == ["rh-debian-two", "rh-debian-two"] and mid3 == mid and
                fps3 == fps, "%r %r %r" % (host3, mid3, fps3))


def main():
    r = Report()
    if os.geteuid() != 0:
        r.check("debian_build", False, "needs root (debootstrap chroots and sets owners)")
        r.exit()
    work = tempfile.mkdtemp(prefix="ramhost-debian.")
    try:
        disk = os.path.join(work, "debian.img")
        t0 = time.monotonic()
        try:
            out = run([RAMHOST, "image", "disk", PROFILE, "-o", disk])
        except Exception as e:  # noqa: BLE001
            r.check("debian_build", False, str(e)[-3000:])
            r.exit()
        print(out.rstrip())
        print("INFO debian image build: %.1f s" % (time.monotonic() - t0))
        r.check("debian_build", os.path.getsize(disk) > 0 and "ramhost.tdk" in out, out)
        # the same inputs again: the debootstrap tree must come from the cache
        t0 = time.monotonic()
        out = run([RAMHOST, "image", "build", PROFILE, "-o", os.path.join(work, "bank2")])
        print("INFO debian bootbank rebuild: %.1f s" % (time.monotonic() - t0))
        r.check("debian_debootstrap_cached", re.search(r"debootstrap:bookworm, cached ", out) is not None, out)
        shutil.rmtree(os.path.join(work, "bank2"), ignore_errors=True)
        try:
            mid, fps = first_boot(r, disk)
            second_boot(r, disk, mid, fps)
            third_boot(r, disk, mid, fps)
        except Exception as e:  # noqa: BLE001
            r.check("debian_boot", False, str(e))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    r.exit()


if __name__ == "__main__":
    main()
