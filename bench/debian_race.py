"""debian_race.py: the Debian base against Debian's own live-boot, side by side, for `make bench`.

Both boot the same debootstrap tree (the one examples/debian.profile caches), the same kernel and kernel options,
with the network up (systemd-networkd, DHCP on every wired interface, systemd-resolved), under QEMU TCG with
1 GiB, SeaBIOS, a CD and a virtio NIC on QEMU's user network:

* ramhost: `ramhost image iso examples/debian.profile` (tardisks in RAM, drivers.tdk with every module);
* live-boot: the same tree plus Debian's live-boot and initramfs-tools (installed in a copy with apt, from the
  mirror the tree's own sources.list names), every kernel module in /lib/modules, networkd enabled with the same
  .network file and resolved's stub, SSH host keys made at build time (live-config, which would make them at
  boot, is not installed: this favours live-boot), `mkinitramfs`, the tree as filesystem.squashfs (zstd) and an
  isolinux ISO booting `boot=live toram=filesystem.squashfs` (the squashfs copied to RAM: the fair comparison
  for a host that runs from RAM).

Rounds alternate (ramhost, live-boot, ramhost, ...); each boot is measured from QEMU's start to the first
"login: " prompt on the serial console, then root logs in and reads /proc/meminfo (RAM used = MemTotal -
MemAvailable), `systemd-analyze` and the IPv4 address. Medians of ROUNDS (default 3) per side; the ISO sizes.
RAM is also given with the free pages on the per-CPU lists counted as free (/proc/zoneinfo "count:", which
MemAvailable leaves out): the kernel frees each side's initrd there once it is unpacked, and ramhost's initrd
holds its tardisks (bench/boot.py says the same for the demo).
Needs root (chroot, mounts). Commands to repeat it by hand: bench/README.md.
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
from qemu import PCP_KB_CMD, RAMHOST, Vm  # noqa: E402

PROFILE = os.path.join(TOP, "examples", "debian.profile")
ROUNDS = int(os.environ.get("RAMHOST_BENCH_ROUNDS", "3"))
KOPTS = "console=ttyS0,115200 loglevel=4 systemd.show_status=auto"
NETWORK = "[Match]\nType=ether\n\n[Network]\nDHCP=yes\n"


def report(name, value, unit):
    print("bench: %-34s %10s %s" % (name, value, unit), flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def build_ramhost(work):
    iso = os.path.join(work, "ramhost.iso")
    out = subprocess.run([RAMHOST, "image", "iso", PROFILE, "-o", iso], check=True, capture_output=True,
                         text=True)
    text = out.stdout + out.stderr
    m = re.search(r"debootstrap:\S+, (?:cached|built) (\S+) from", text)
    if not m:
        raise RuntimeError("no debootstrap tree in the build's output:\n" + text)
    return iso, m.group(1)


def kernel():
    cache = os.environ.get("RAMHOST_CACHE") or os.path.expanduser("~/.cache/ramhost")
    k = os.path.realpath(os.path.join(cache, "kernel"))
    kver = sorted(os.listdir(os.path.join(k, "lib", "modules")))[-1]
    return k, kver


CHROOT_SCRIPT = r"""
set -e
root=$1 kver=$2
mount -t proc proc "$root/proc"; mount -t sysfs sys "$root/sys"; mount --rbind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf.bench"
rm -f "$root/etc/resolv.conf"; cp /etc/resolv.conf "$root/etc/resolv.conf"
export DEBIAN_FRONTEND=noninteractive
chroot "$root" apt-get -q update >/dev/null
chroot "$root" apt-get -q -y --no-install-recommends install live-boot initramfs-tools zstd >/dev/null
chroot "$root" ssh-keygen -A >/dev/null
chroot "$root" mkinitramfs -o /boot/initrd.img "$kver"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root/etc/resolv.conf.bench"
ln -sfn ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
umount -R "$root/dev"; umount "$root/sys"; umount "$root/proc"
"""


def build_live(work, tree):
    k, kver = kernel()
    root = os.path.join(work, "live-root")
    sh("cp -a '%s' '%s'" % (tree, root))
    shutil.copytree(os.path.join(k, "lib", "modules", kver), os.path.join(root, "usr", "lib", "modules", kver))
    os.makedirs(os.path.join(root, "boot"), exist_ok=True)
    shutil.copy(os.path.join(k, "boot", "config-" + kver), os.path.join(root, "boot"))
    net = os.path.join(root, "etc", "systemd", "network")
    os.makedirs(net, exist_ok=True)
    with open(os.path.join(net, "80-dhcp.network"), "w") as f:
        f.write(NETWORK)
    wants = os.path.join(root, "etc", "systemd", "system")
    for target, unit in (("multi-user.target.wants", "systemd-networkd.service"),
                         ("sockets.target.wants", "systemd-networkd.socket")):
        os.makedirs(os.path.join(wants, target), exist_ok=True)
        link = os.path.join(wants, target, unit)
        if not os.path.lexists(link):
            os.symlink("/lib/systemd/system/" + unit, link)
    script = os.path.join(work, "chroot.sh")
    with open(script, "w") as f:
        f.write(CHROOT_SCRIPT)
    sh("unshare -m --propagation private bash '%s' '%s' '%s'" % (script, root, kver))
    iso_dir = os.path.join(work, "iso")
    os.makedirs(os.path.join(iso_dir, "live"))
    os.makedirs(os.path.join(iso_dir, "isolinux"))
    shutil.move(os.path.join(root, "boot", "initrd.img"), os.path.join(iso_dir, "live", "initrd.img"))
    shutil.copy(os.path.join(k, "boot", "vmlinuz-" + kver), os.path.join(iso_dir, "live", "vmlinuz"))
    sh("mksquashfs '%s' '%s' -comp zstd -noappend -quiet -e boot" % (root, os.path.join(iso_dir, "live",
                                                                                    "filesystem.squashfs")),
       stdout=subprocess.DEVNULL)
    shutil.copy("/usr/lib/ISOLINUX/isolinux.bin", os.path.join(iso_dir, "isolinux"))
    shutil.copy("/usr/lib/syslinux/modules/bios/ldlinux.c32", os.path.join(iso_dir, "isolinux"))
    with open(os.path.join(iso_dir, "isolinux", "isolinux.cfg"), "w") as f:
        f.write("SERIAL 0 115200\nDEFAULT live\nTIMEOUT 30\nLABEL live\n  KERNEL /live/vmlinuz\n"
                "  APPEND initrd=/live/initrd.img boot=live toram=filesystem.squashfs %s\n" % KOPTS)
    iso = os.path.join(work, "live.iso")
    sh("xorriso -as mkisofs -quiet -o '%s' -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot "
       "-boot-load-size 4 -boot-info-table '%s'" % (iso, iso_dir), stderr=subprocess.DEVNULL)
    shutil.rmtree(root, ignore_errors=True)
    return iso


def boot(name, iso):
    with Vm(name, ["-cdrom", iso], net=True) as vm:
        t0 = time.monotonic()
        vm.expect(r"login: ", 900)
        login = time.monotonic() - t0
        vm.send("root\n")
        vm.expect(r"# ", 120)
        vm.sh("stty columns 4000 2>/dev/null; export SYSTEMD_PAGER= SYSTEMD_COLORS=0 TERM=dumb")
        vm.sh("systemctl is-system-running --wait", 300)
        _, mem = vm.sh("cat /proc/meminfo")
        kb = {l.split(":")[0]: int(l.split()[1]) for l in mem.splitlines() if l.endswith(" kB")}
        used = (kb["MemTotal"] - kb["MemAvailable"]) / 1024.0
        _, pcp = vm.sh(PCP_KB_CMD)
        pcp_mib = int(pcp.split()[-1]) / 1024.0
        _, an = vm.sh("systemd-analyze")
        m = re.search(r"= ([0-9.]+)(min|s)", an)
        total = float(m.group(1)) * (60 if m and m.group(2) == "min" else 1) if m else float("nan")
        _, addr = vm.sh("ip -4 -br addr show scope global")
        return login, used, total, bool(re.search(r"10\.0\.2\.15/24", addr)), used - pcp_mib


def main():
    if os.geteuid() != 0:
        print("bench: debian_race needs root (chroot, mounts): skipped", flush=True)
        return
    work = tempfile.mkdtemp(prefix="ramhost-bench-race.")
    try:
        ram_iso, tree = build_ramhost(work)
        t0 = time.monotonic()
        live_iso = build_live(work, tree)
        report("race_live_boot_build", "%.1f" % (time.monotonic() - t0), "s")
        res = {"ramhost": [], "live": []}
        for i in range(ROUNDS):
            for side, iso in (("ramhost", ram_iso), ("live", live_iso)):
                r = boot("race_%s_%d" % (side, i), iso)
                res[side].append(r)
                print("round %d %-8s login %.1f s, RAM used %.0f MiB (%.0f with the per-CPU lists' free pages), "
                      "systemd-analyze %.1f s, network %s" % (i + 1, side, r[0], r[1], r[4], r[2],
                                                              "up" if r[3] else "DOWN"), flush=True)
        for side, iso in (("ramhost", ram_iso), ("live", live_iso)):
            rows = res[side]
            report("race_%s_login" % side, "%.1f" % statistics.median(r[0] for r in rows), "s")
            report("race_%s_ram_used" % side, "%.0f" % statistics.median(r[1] for r in rows), "MiB")
            report("race_%s_ram_used_pcp_free" % side, "%.0f" % statistics.median(r[4] for r in rows),
                   "MiB (the per-CPU lists' free pages as free)")
            report("race_%s_systemd_analyze" % side, "%.1f" % statistics.median(r[2] for r in rows), "s")
            report("race_%s_network_up" % side, "%d/%d" % (sum(r[3] for r in rows), len(rows)), "boots")
            report("race_%s_iso" % side, "%.1f" % (os.path.getsize(iso) / 1048576.0), "MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
