"""test_debian.py: a real userspace. examples/debian.profile (a Debian 12 debootstrap minbase with systemd as init)
built into a disk image boots from its tardisks to multi-user on the serial console, with /usr read-only, the
network up and the kernel's drivers in a tardisk, and keeps its hostname, /etc/machine-id and SSH host keys across
reboots through sticky state. The image is the example profile plus a test trust store (`trust =`), so that a
signed VIB can be installed live.

Boot 1 (SeaBIOS, an e1000 NIC on QEMU's user network): the ready line carries the DHCP address, init reports no
problem and freed the initramfs (at least 90% of init.cpio); the host name is the DHCP server's (the image has no
/etc/hostname); the login prompt comes before the SSH host keys are made (this boot has no saved state); root login on the
ttyS0 getty, PID 1 is systemd, `systemctl is-system-running`, ramhost's units, /usr refuses writes; udev loaded
e1000 from the drivers tardisk (neither init.cpio nor init.conf has it), the host fetches a file from the test's
HTTP server on the host, lsmod/modprobe/ip/ss/journalctl answer, `ramhost df` lists drivers.tdk and /usr as a
read-only overlay; `ramhost vib install` of a signed VIB works live; the hostname is set, `ramhost state save`,
reboot.
Boot 2 (SeaBIOS, a virtio NIC): the state is restored: same hostname (the restored one wins over DHCP's), machine-id, SSH host key fingerprints (no key
is made again), the VIB is still installed; virtio_net loaded by udev, the address and the HTTP fetch again. The
hostname is changed again WITHOUT a save and the host rebooted: ramhost-state-save.service saves at shutdown.
Boot 3 (OVMF, no NIC): the shutdown save came back; no init problem on a UEFI boot either.
Boot 4 (SeaBIOS, no NIC): the same debootstrap tree as a container image made by umoci and GNU tar (no registry,
no daemon) in three layers: the tree; /opt/oci/{low1,low2} and /etc/oci/low1 added, /etc/motd and the directory
/usr/share/doc/adduser whited out; /opt/oci and /etc/oci made opaque holding only `up`. The layout is tarred into an
OCI archive, and a profile with `base = oci:ARCHIVE:deb` and `oci-layers = split` (the example's keys, without
packages) builds one tardisk per layer and boots to the ready line with systemd as PID 1: the kernel's overlays
(/usr, /opt) and init's copies (/etc) obey the layers' whiteouts and opaque directories, so /etc/motd and
/usr/share/doc/adduser are absent (/usr/share/doc/apt is there) and /opt/oci and /etc/oci hold `up` alone. The
profile's `tardisk = ociapp oci:DOCKER_ARCHIVE` (a hand-made `docker save` archive of two layers, imported as one
tardisk) shows its upper layer's whiteout too: /opt/app holds `b` alone.

The debootstrap tree is cached in $RAMHOST_CACHE/debootstrap (the first run on a machine takes minutes; a second
build must take the cached tree). Needs root, like debootstrap."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from qemu import FREED_RE, READY_ADDR_RE, RAMHOST, TOP, Report, Vm, init_problems, media, run  # noqa: E402
from test_vib_live import FIX, make_vib, script  # noqa: E402

PROFILE = os.path.join(TOP, "examples", "debian.profile")
BOOT_TIMEOUT = 600
BUILD = "debian-12.0"
KEYS_MADE = "ramhost: SSH host keys made"
TOKEN = "ramhost-debian-http-token-4711"
DHCP_NAME = "rh-dhcp-debian"  # the host name QEMU's DHCP server gives the guest


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


def boot(name, disk, firmware, nic=None):
    vm = Vm(name, media("disk", disk), firmware=firmware, net=nic is not None, nic=nic or "virtio-net-pci",
            dhcp_hostname=DHCP_NAME if nic else None)
    t0 = time.monotonic()
    m = vm.expect(READY_ADDR_RE, BOOT_TIMEOUT)
    print("INFO %s: ready after %.1f s wall, %s" % (name, time.monotonic() - t0, m.group(0).decode().strip()))
    return vm, m


def check_network(r, vm, m, prefix, driver, port, init_text):
    """The NIC's driver loaded by udev from the drivers tardisk (init.cpio and init.conf have no network driver),
    the address from QEMU's DHCP on the ready line, and a file fetched from the host's HTTP server."""
    r.check(prefix + "_ready_addr_dhcp", re.fullmatch(rb"ens\d+:10\.0\.2\.15/24(,.*)?", m.group(6)) is not None,
            m.group(0).decode())
    rc, out = vm.sh("lsmod")
    r.check(prefix + "_%s_loaded_by_udev" % driver, rc == 0 and re.search(r"^%s " % driver, out, re.M) and
            driver not in init_text, out + "\n" + init_text[-400:])
    rc, out = vm.sh("exec 3<>/dev/tcp/10.0.2.2/%d && printf 'GET /token HTTP/1.0\\r\\n\\r\\n' >&3 && "
                    "timeout 20 cat <&3" % port, 60)
    r.check(prefix + "_reaches_host_http", rc == 0 and TOKEN in out and "200 OK" in out, out)


def keys_after_prompt(r, vm):
    """A boot without saved state: the login prompt is not held up by the SSH host keys (made after it)."""
    vm.expect(re.escape(KEYS_MADE), 300)
    prompt, made = vm.buf.find(b"login: "), vm.buf.find(KEYS_MADE.encode())
    r.check("debian_login_prompt_before_ssh_keys", 0 <= prompt < made, "login prompt at %d, keys made at %d"
            % (prompt, made))


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


def operator_tools(r, vm):
    rc, out = vm.sh("lsmod | head -n 3 && modprobe -n -v e1000e && ip -br link && ss -tln && journalctl -b -n 3 "
                    "--no-pager && ramhost df")
    r.check("debian_operator_tools", rc == 0 and "Module" in out and "insmod /lib/modules/" in out and
            "LISTEN" in out and "lo " in out, out)
    rc, out = vm.sh("ramhost df --json")
    try:
        df = json.loads(out[out.index("{"):])
        usr = [o for o in df["overlays"] if o["mountpoint"] == "/usr"]
        ok = any(t["name"] == "drivers" for t in df["tardisks"]) and len(usr) == 1 and usr[0]["read_only"] and \
            usr[0]["layers"] == ["drivers", "ramhost", "base"]
    except (ValueError, KeyError) as e:
        ok, out = False, "%s: %s" % (e, out)
    r.check("debian_df_drivers_tardisk_usr_read_only", ok, out)
    # the package databases are read from /usr/lib/sysimage (not copied into /var's ramdisk): the queries work
    rc, out = vm.sh("readlink /var/lib/dpkg /var/cache/debconf && dpkg -S /bin/ls && dpkg -l systemd | tail -n 1 "
                    "&& debconf-show openssh-server && du -sk /var")
    r.check("debian_package_databases_read_only", rc == 0 and "../../usr/lib/sysimage/dpkg" in out and
            "coreutils: /bin/ls" in out and re.search(r"^ii +systemd ", out, re.M) is not None and
            "openssh-server/" in out and int(out.split()[-2]) < 2048, out)


def vib_live(r, vm, port):
    rc, out = vm.sh("ramhost vib install http://10.0.2.2:%d/hello.vib && vib-hello" % port, 300)
    r.check("debian_vib_install_live", rc == 0 and "hello from a vib: greeting=1" in out, out)


def first_boot(r, disk, port, init_text, init_mib):
    vm, m = boot("debian-boot1", disk, "bios", "e1000")
    with vm:
        r.check("debian_ready_line", m.group(2) == b"3" and m.group(5).startswith(BUILD.encode()),
                m.group(0).decode())
        r.check("debian_bios_no_init_problem", not init_problems(vm.buf), "\n".join(init_problems(vm.buf)))
        freed = re.search(FREED_RE.encode(), vm.buf)
        r.check("debian_initramfs_freed", freed is not None and float(freed.group(1)) >= 0.9 * init_mib,
                "%s, init.cpio %.1f MiB" % (freed.group(0).decode() if freed else "no freed line", init_mib))
        login(vm)
        keys_after_prompt(r, vm)
        _, comm = vm.sh("cat /proc/1/comm")
        r.check("debian_pid1_is_systemd", comm.strip() == "systemd", comm)
        _, state = vm.sh("systemctl is-system-running --wait", 300)
        _, failed = vm.sh("systemctl --failed --no-legend --plain")
        state = state.strip().splitlines()[-1] if state.strip() else ""
        print("INFO debian_failed_units: %s" % (failed.strip() or "none"))
        r.check("debian_multi_user", state in ("running", "degraded"), "state %r, failed: %s" % (state, failed))
        rc, units = vm.sh("systemctl is-active ramhost-ready.service ramhost-ssh-keygen.service "
                          "ramhost-state-save.service ramhost-state-save.timer ssh.service "
                          "serial-getty@ttyS0.service systemd-udevd.service systemd-networkd.service "
                          "systemd-resolved.service")
        r.check("debian_ramhost_units_active", rc == 0 and "inactive" not in units and "failed" not in units, units)
        # the ready line is written before any getty starts (agetty flushes the console's output queue), and the
        # ordering that makes it so must not be one systemd breaks up as a cycle
        ready_at, login_at = vm.buf.find(b"ramhost: ready "), vm.buf.find(b"login: ")
        _, cycles = vm.sh("journalctl -b --no-pager | grep -c 'ordering cycle'")
        r.check("debian_ready_before_getty", 0 <= ready_at < login_at and cycles.strip().endswith("0"),
                "ready line at %d, first login prompt at %d, ordering cycles: %s" % (ready_at, login_at, cycles))
        check_network(r, vm, m, "debian_e1000", "e1000", port, init_text)
        operator_tools(r, vm)
        rc, out = vm.sh("touch /usr/ramhost-test")
        r.check("debian_usr_read_only", rc != 0 and "Read-only file system" in out, out)
        rc, out = vm.sh("touch /etc/ramhost-test && rm /etc/ramhost-test && touch /var/ramhost-test")
        r.check("debian_etc_var_writable", rc == 0, out)
        # no /etc/hostname in the image and none restored: the DHCP server's name (networkd) over the profile's
        _, out = vm.sh("hostname; [ -e /etc/hostname ] || echo no-etc-hostname; . /etc/os-release; "
                       "echo $DEFAULT_HOSTNAME")
        r.check("debian_hostname_from_dhcp", out.split() == [DHCP_NAME, "no-etc-hostname", "debian"], out)
        host, mid, fps = identity(vm)
        r.check("debian_first_boot_identity", re.fullmatch(r"[0-9a-f]{32}", mid) is not None and len(fps) >= 3,
                "machine-id %r, host keys %r" % (mid, fps))
        rc, out = vm.sh("hostnamectl set-hostname rh-debian-one")
        r.check("debian_hostnamectl", rc == 0, out)
        vib_live(r, vm, port)
        rc, out = vm.sh("ramhost state save")
        r.check("debian_state_save", rc == 0 and "saved generation" in out, out)
        _, out = vm.sh("ramhost state show")
        print("INFO state show:\n" + out)
        reboot_and_wait(vm, r, "debian_reboot_1")
    return mid, fps


def second_boot(r, disk, mid, fps, port, init_text):
    vm, m = boot("debian-boot2", disk, "bios", "virtio-net-pci")
    with vm:
        r.check("debian_state_restored_line", vm.seen(r"ramhost-state: restored generation \d+") and
                m.group(3) != b"none", m.group(0).decode())
        login(vm)
        check_network(r, vm, m, "debian_virtio", "virtio_net", port, init_text)
        rc, out = vm.sh("vib-hello && ramhost vib list")
        r.check("debian_vib_kept_after_reboot", rc == 0 and "greeting=1" in out and re.search(r"(?m)^hello ", out),
                out)
        host2, mid2, fps2 = identity(vm)
        # the restored /etc/hostname wins over the DHCP server's name
        r.check("debian_hostname_kept", host2 == ["rh-debian-one", "rh-debian-one"], repr(host2))
        r.check("debian_machine_id_kept", mid2 == mid, "%r != %r" % (mid2, mid))
        r.check("debian_ssh_host_keys_kept", fps2 == fps and not vm.seen(re.escape(KEYS_MADE)),
                "%r != %r (or the keys were made again)" % (fps2, fps))
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
        r.check("debian_uefi_no_init_problem", not init_problems(vm.buf) and m.group(6) == b"none",
                "\n".join(init_problems(vm.buf)) + " " + m.group(0).decode())
        login(vm)
        host3, mid3, fps3 = identity(vm)
        r.check("debian_shutdown_save_restored", host3 == ["rh-debian-two", "rh-debian-two"] and mid3 == mid and
                fps3 == fps, "%r %r %r" % (host3, mid3, fps3))


def oci_archive(work, tree):
    """The debootstrap tree as a three-layer OCI image, tarred into an OCI archive; its path. umoci unpack/repack
    make the first two layers (the tree; then /opt/oci/{low1,low2} added and /etc/motd removed, which umoci writes
    as .wh.motd); the third, made by GNU tar and added with `umoci raw add-layer`, makes /opt/oci opaque with only
    `up` in it. (`umoci insert` is not used: umoci 0.4.7 writes its layers without the tar's last padding and end
    blocks, and such a truncated layer is refused.)"""
    img = os.path.join(work, "oci")
    ref = img + ":deb"
    bundle = os.path.join(work, "bundle")
    rootfs = os.path.join(bundle, "rootfs")
    run(["umoci", "init", "--layout", img])
    run(["umoci", "new", "--image", ref])
    run(["umoci", "unpack", "--image", ref, bundle])
    run(["cp", "-a", tree + "/.", rootfs + "/"])
    run(["umoci", "repack", "--refresh-bundle", "--image", ref, bundle])
    for d, names in (("opt", ("low1", "low2")), ("etc", ("low1",))):
        os.makedirs(os.path.join(rootfs, d, "oci"))
        for n in names:
            with open(os.path.join(rootfs, d, "oci", n), "w") as f:
                f.write(n + "\n")
    os.unlink(os.path.join(rootfs, "etc", "motd"))
    shutil.rmtree(os.path.join(rootfs, "usr", "share", "doc", "adduser"))
    run(["umoci", "repack", "--refresh-bundle", "--image", ref, bundle])
    shutil.rmtree(bundle)
    up = os.path.join(work, "up")
    for d in ("opt", "etc"):
        os.makedirs(os.path.join(up, d, "oci"))
        with open(os.path.join(up, d, "oci", "up"), "w") as f:
            f.write("up\n")
        open(os.path.join(up, d, "oci", ".wh..wh..opq"), "w").close()
    run(["tar", "-C", up, "-cf", os.path.join(work, "up.tar"), "opt", "etc"])
    run(["umoci", "raw", "add-layer", "--image", ref, os.path.join(work, "up.tar")])
    archive = os.path.join(work, "oci.tar")
    run(["tar", "-C", img, "-cf", archive, "."])
    shutil.rmtree(img)
    return archive


def oci_boot(r, work, tree):
    """Boot 4: the debootstrap tree imported from an OCI archive as the base (see the docstring)."""
    if not os.path.isdir(os.path.join(tree, "etc")) or not os.path.exists(os.path.join(tree, "etc", "motd")):
        r.check("debian_oci_build", False, "no debootstrap tree with /etc/motd at %s" % tree)
        return
    t0 = time.monotonic()
    archive = oci_archive(work, tree)
    app = os.path.join(work, "app.tar")
    run([sys.executable, os.path.join(TOP, "tests", "fixtures", "oci", "mkimage.py"), app,
         '{"format":"docker","layers":[[["d","opt"],["d","opt/app"],["f","opt/app/a","a"],["f","opt/app/b","b"]],'
         '[["f","opt/app/.wh.a",""]]]}'])
    prof = os.path.join(work, "oci.profile")
    with open(PROFILE) as src, open(prof, "w") as dst:
        for line in src:
            if line.startswith("base ="):
                line = "base = oci:%s:deb\noci-layers = split\ntardisk = ociapp oci:%s\n" % (archive, app)
            if not line.startswith("packages ="):
                dst.write(line)
    disk = os.path.join(work, "oci.img")
    try:
        out = run([RAMHOST, "image", "disk", prof, "-o", disk])
    except Exception as e:  # noqa: BLE001
        r.check("debian_oci_build", False, str(e)[-3000:])
        return
    print("INFO OCI image (umoci, archive) and disk build: %.1f s" % (time.monotonic() - t0))
    r.check("debian_oci_build", re.search(r"base layers +oci:\S+: 3 layers", out) is not None and
            re.search(r"base-3\.tdk +layer 3 of 3", out) is not None and "ramhost.tdk" in out, out)
    vm, m = boot("debian-boot4-oci", disk, "bios")
    with vm:
        r.check("debian_oci_ready", m.group(5).startswith(BUILD.encode()) and not init_problems(vm.buf),
                m.group(0).decode() + "\n".join(init_problems(vm.buf)))
        login(vm)
        _, comm = vm.sh("cat /proc/1/comm")
        rc, out = vm.sh("for d in /opt/oci /etc/oci /opt/app; do echo $d: $(ls -A $d); done; test -e /etc/motd && echo motd-there; "
                        "test -e /usr/share/doc/adduser && echo adduser-there; test -e /usr/share/doc/apt && echo apt; "
                        "test -e /usr/bin/dpkg && echo dpkg")
        r.check("debian_oci_whiteout_and_opaque", comm.strip() == "systemd" and
                out.split() == ["/opt/oci:", "up", "/etc/oci:", "up", "/opt/app:", "b", "apt", "dpkg"], comm + out)


def make_inputs(work):
    """The example profile with a test trust store, a signed VIB and the file the guest fetches, served by
    tests/fixtures/vib/httpd.py on the host's loopback (10.0.2.2 for the guest)."""
    keys = os.path.join(work, "keys")
    run(["bash", os.path.join(FIX, "mkca.sh"), keys])
    prof = os.path.join(work, "prof")
    os.makedirs(prof)
    shutil.copytree(os.path.join(keys, "trust"), os.path.join(prof, "trust"))
    with open(PROFILE) as src, open(os.path.join(prof, "debian.profile"), "w") as dst:
        dst.write(src.read() + "\ntrust = trust\n")
    srv = os.path.join(work, "srv")
    os.makedirs(srv)
    with open(os.path.join(srv, "token"), "w") as f:
        f.write(TOKEN + "\n")
    make_vib(work, keys, os.path.join(srv, "hello.vib"), "hello", {
        "/usr/bin/vib-hello": script('echo "hello from a vib: $(cat /etc/hello.conf)"'),
        "/etc/hello.conf": ("greeting=1\n", 0o644),
        "/etc/hello-user.conf": ("default\n", 0o644)})
    portf = os.path.join(work, "port")
    httpd = subprocess.Popen([sys.executable, os.path.join(FIX, "httpd.py"), srv, "--port", "0", "--port-file",
                              portf, "--log", os.path.join(work, "httpd.log")], stdout=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(portf) and open(portf).read().strip():
            return os.path.join(prof, "debian.profile"), httpd, int(open(portf).read().strip())
        time.sleep(0.1)
    httpd.kill()
    raise RuntimeError("httpd.py did not start")


def init_module_text(bank):
    """What init.cpio holds and its init.conf says: no network driver may be in either."""
    with open(os.path.join(bank, "init.cpio"), "rb") as f:
        data = f.read()
    names = subprocess.run(["cpio", "-it", "--quiet"], input=data, capture_output=True, check=True).stdout
    conf = subprocess.run(["cpio", "-i", "--quiet", "--to-stdout", "etc/ramhost/init.conf"], input=data,
                          capture_output=True, check=True).stdout
    return (names + conf).decode()


def build(r, work, profile):
    disk = os.path.join(work, "debian.img")
    t0 = time.monotonic()
    try:
        out = run([RAMHOST, "image", "disk", profile, "-o", disk])
    except Exception as e:  # noqa: BLE001
        r.check("debian_build", False, str(e)[-3000:])
        r.exit()
    print(out.rstrip())
    print("INFO debian image build: %.1f s" % (time.monotonic() - t0))
    r.check("debian_build", os.path.getsize(disk) > 0 and "ramhost.tdk" in out and "drivers.tdk" in out, out)
    # the same inputs again: the debootstrap tree and the drivers tardisk must come from the cache
    t0 = time.monotonic()
    bank = os.path.join(work, "bank2")
    out = run([RAMHOST, "image", "build", profile, "-o", bank])
    print("INFO debian bootbank rebuild: %.1f s" % (time.monotonic() - t0))
    r.check("debian_debootstrap_cached", re.search(r"debootstrap:bookworm, cached ", out) is not None and
            re.search(r"drivers\.tdk +\d+ kernel modules \(drivers = all\), cached", out) is not None, out)
    tree = re.search(r"debootstrap:bookworm, (?:cached|built) (\S+) from", out)
    init_text = init_module_text(bank)
    init_mib = os.path.getsize(os.path.join(bank, "init.cpio")) / 1048576.0
    r.check("debian_init_cpio_small", "squashfs.ko" in init_text and "e1000" not in init_text and
            "virtio_net" not in init_text and "omod=usr/lib/modules/" in init_text and
            "etc/ramhost/boot.alias" in init_text,
            init_text)
    return disk, init_text, init_mib, tree.group(1) if tree else ""


def main():
    r = Report()
    if os.geteuid() != 0:
        r.check("debian_build", False, "needs root (debootstrap chroots and sets owners)")
        r.exit()
    work = tempfile.mkdtemp(prefix="ramhost-debian.")
    httpd = None
    try:
        profile, httpd, port = make_inputs(work)
        disk, init_text, init_mib, tree = build(r, work, profile)
        try:
            mid, fps = first_boot(r, disk, port, init_text, init_mib)
            second_boot(r, disk, mid, fps, port, init_text)
            third_boot(r, disk, mid, fps)
        except Exception as e:  # noqa: BLE001
            r.check("debian_boot", False, str(e))
        try:
            oci_boot(r, work, tree)
        except Exception as e:  # noqa: BLE001
            r.check("debian_oci_boot", False, str(e))
    finally:
        if httpd:
            httpd.kill()
        shutil.rmtree(work, ignore_errors=True)
    r.exit()


if __name__ == "__main__":
    main()
