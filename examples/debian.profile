# A Debian 12 host in RAM: a debootstrap minbase with systemd as init, on the Debian kernel.
# Format: docs/profile.md; the Debian base: docs/debian-base.md.
# Build: ramhost image disk examples/debian.profile -o out/debian.img   (as root: debootstrap chroots)
# The first build runs debootstrap (minutes, from this machine's apt mirror) and caches the tree in
# $RAMHOST_CACHE/debootstrap; later builds with the same suite, packages and mirror reuse it.
name = debian
version = 12.0
title = ramhost Debian 12

kernel = debian
# systemd talks on the serial console and starts a getty there (console=ttyS0).
kernelopt = console=ttyS0,115200 loglevel=4 systemd.show_status=auto

base = debootstrap:bookworm
# udev is not part of minbase nor pulled by systemd: without it no device unit appears (no serial getty).
packages = systemd-sysv udev dbus openssh-server
# the operator's tools: ps/top/free, ip/ss, lsmod/modprobe; systemd-resolved answers DNS with what DHCP gave
packages = procps iproute2 kmod systemd-resolved

# Every kernel module as a tardisk (drivers = all is the default for a debootstrap base): udev loads what the
# machine's NICs, disk controllers and HBAs need. `drivers = net,storage` keeps it smaller.
drivers = all
# DHCP on every wired interface (systemd-networkd); or e.g.
#   network = static 192.0.2.10/24 gateway=192.0.2.1 dns=192.0.2.53
network = dhcp

# systemd mounts its automount points with autofs4.
kmod = autofs4

# /etc holds the whole Debian /etc (about 1.5 MiB); the journal is kept in /run (at most 8 MiB, see the
# ramhost layer's journald.conf.d), so /run is bigger than the busybox demo's.
ramdisk = root 32M
ramdisk = etc 16M inodes=4096
ramdisk = var 64M inodes=8192
ramdisk = tmp 64M inodes=8192
ramdisk = run 32M inodes=8192

timeout = 3
