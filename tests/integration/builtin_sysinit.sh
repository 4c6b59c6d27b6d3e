#!/usr/bin/env bash
# tests/integration/builtin_sysinit.sh: the built-in base's start-up script (usr/lib/ramhost/sysinit: the host
# name, then coldplug) as the image ships it, chrooted in a scratch tree whose /proc/modules, /sys/bus and
# /lib/modules are plain files, with a fake modprobe that logs each call and plays the kernel: a bus driver
# brings a device, whose driver the next pass loads. The shell there is the host's dash: the image's busybox
# sh runs its own modprobe applet whatever PATH holds, so it could not be given the fake; busybox sh checks
# the script's syntax, and the boot tests run it for real (test_bios_iso: the e1000 driver, the host name). In
# a UTS namespace of its own, so the host name it sets is the test's. Needs root (chroot, namespaces).
. "$(dirname "$0")/../lib.sh"
PROFILE=$TOP/examples/demo/profile
CACHE=$REAL_CACHE

# The fake modprobe (run by the tree's sh): one line per call in /modprobe.log; loading pci:bus adds the bus driver to
# /proc/modules and a virtio device to /sys; loading that device's alias adds its driver; both only once. A
# third and a fourth device (/chain4) come with the virtio driver and the third's, the fourth's driver beyond
# the last pass.
fake_modprobe='#!/bin/sh
[ "$1 $2" = "-q -a" ] || { echo "unexpected options: $*" >>/modprobe.log; exit 1; }
shift 2
echo "$*" >>/modprobe.log
# load MODULE [DEVICE ALIAS]: MODULE into /proc/modules once; the device it brings, when given
load() {
	grep -q "^$1 " /proc/modules && return 0
	echo "$1 16384 0 - Live 0x0" >>/proc/modules
	[ $# -eq 3 ] || return 0
	mkdir -p "/sys/bus/virtio/devices/$2"
	echo "$3" >"/sys/bus/virtio/devices/$2/modalias"
}
for a; do
	case $a in
	pci:bus) load vbus virtio0 virtio:d00000001v00001AF4 ;;
	virtio:d00000001v00001AF4)
		if [ -e /chain4 ]; then load vnet virtio1 virtio:d00000009v00001AF4; else load vnet; fi ;;
	virtio:d00000009v00001AF4) load vthree virtio2 virtio:d0000000av00001AF4 ;;
	virtio:d0000000av00001AF4) load vfour ;;
	esac
done
exit 0
'

# root DIR: the scratch tree: /dev/null, dash (and its libc) as sh, busybox as hostname, grep, mkdir; the
# image's sysinit; five modalias files on three buses (two with the same alias, one without a newline, one
# empty) and devices without one
root() {
	local r=$1
	mkdir -p "$r"/{bin,dev,etc,proc/sys/kernel,lib/modules/6.1.0-test,usr/lib/ramhost}
	mknod -m 666 "$r/dev/null" c 1 3
	cp "$CACHE/busybox-static/bin/busybox" "$r/bin/busybox"
	for a in hostname grep mkdir; do ln -s busybox "$r/bin/$a"; done
	cp /bin/dash "$r/bin/sh"
	for l in $(ldd /bin/dash | grep -o '/[^ ]*'); do
		mkdir -p "$r$(dirname "$l")"
		cp "$l" "$r$l"
	done
	printf '%s' "$fake_modprobe" >"$r/bin/modprobe"
	chmod 755 "$r/bin/modprobe"
	"$RAMHOST" tardisk cat "$T/bank/base.tdk" usr/lib/ramhost/sysinit >"$r/usr/lib/ramhost/sysinit"
	chmod 755 "$r/usr/lib/ramhost/sysinit"
	echo 6.1.0-test >"$r/proc/sys/kernel/osrelease"
	: >"$r/lib/modules/6.1.0-test/modules.alias"
	printf 'squashfs 73728 4 - Live 0x0\nloop 32768 8 - Live 0x0\n' >"$r/proc/modules"
	echo fallback-name >"$r/usr/lib/ramhost/default-hostname"
	mkdir -p "$r"/sys/bus/pci/devices/{0000:00:01.0,0000:00:02.0,0000:00:03.0} "$r"/sys/bus/acpi/devices/{PNP0A03:00,LNXCPU:00} \
		"$r"/sys/bus/platform/devices/{serial8250,empty}
	echo pci:bus >"$r/sys/bus/pci/devices/0000:00:01.0/modalias"
	echo pci:bus >"$r/sys/bus/pci/devices/0000:00:02.0/modalias"
	echo 'acpi:PNP0A03:' >"$r/sys/bus/acpi/devices/PNP0A03:00/modalias"
	printf 'platform:serial8250' >"$r/sys/bus/platform/devices/serial8250/modalias"
	: >"$r/sys/bus/platform/devices/empty/modalias"
}

# run DIR: the script in DIR, chrooted, in its own UTS namespace; prints the host name it left
run_sysinit() {
	unshare -u chroot "$1" /bin/sh -c 'PATH=/bin /usr/lib/ramhost/sysinit && hostname'
}

sysinit_coldplug_and_hostname() {
	sed -e '/^drivers = /d' "$PROFILE" >"$T/p"
	cp -r "$(dirname "$PROFILE")/extras" "$T/"
	"$RAMHOST" image build "$T/p" -o "$T/bank" -q
	"$RAMHOST" tardisk cat "$T/bank/base.tdk" usr/lib/ramhost/sysinit >"$T/sysinit"
	"$CACHE/busybox-static/bin/busybox" sh -n "$T/sysinit"
	"$RAMHOST" tardisk cat "$T/bank/base.tdk" etc/inittab >"$T/inittab"
	# the order of the base's start-up: host name and drivers, then the network, then the ready line
	grep '^::sysinit:' "$T/inittab" | head -n 3 >"$T/order"
	printf '::sysinit:/usr/lib/ramhost/sysinit\n::sysinit:/usr/lib/ramhost/net-up\n::sysinit:/usr/bin/ramhost ready\n' |
		diff - "$T/order"

	# a bus driver brings a device: three passes, every alias once, in the order found, the last pass loads
	# nothing; the host name from /etc/hostname
	root "$T/r1"
	echo from-etc >"$T/r1/etc/hostname"
	[ "$(run_sysinit "$T/r1")" = from-etc ]
	cat "$T/r1/modprobe.log"
	printf '%s\n' 'acpi:PNP0A03: pci:bus platform:serial8250' \
		'acpi:PNP0A03: pci:bus platform:serial8250 virtio:d00000001v00001AF4' \
		'acpi:PNP0A03: pci:bus platform:serial8250 virtio:d00000001v00001AF4' | diff - "$T/r1/modprobe.log"
	[ "$(grep -c ' Live ' "$T/r1/proc/modules")" = 4 ]

	# nothing new: one pass; no /etc/hostname: the profile's name
	root "$T/r2"
	rm "$T/r2/sys/bus/pci/devices/0000:00:01.0/modalias" "$T/r2/sys/bus/pci/devices/0000:00:02.0/modalias"
	[ "$(run_sysinit "$T/r2")" = fallback-name ]
	echo 'acpi:PNP0A03: platform:serial8250' | diff - "$T/r2/modprobe.log"

	# a chain of four drivers, each bringing the next one's device: three passes at most, so the fourth driver
	# is not loaded
	root "$T/r3"
	: >"$T/r3/chain4"
	run_sysinit "$T/r3" >/dev/null
	[ "$(wc -l <"$T/r3/modprobe.log")" = 3 ]
	grep -q '^vthree ' "$T/r3/proc/modules"
	! grep -q '^vfour ' "$T/r3/proc/modules" || false

	# no modules.alias (drivers = none): no modprobe at all, the host name still set
	root "$T/r4"
	rm "$T/r4/lib/modules/6.1.0-test/modules.alias"
	echo from-etc >"$T/r4/etc/hostname"
	[ "$(run_sysinit "$T/r4")" = from-etc ]
	[ ! -e "$T/r4/modprobe.log" ]
}

if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL builtin_sysinit_needs_root (run the integration tests as root)"
	exit 1
fi
[ -x "$CACHE/busybox-static/bin/busybox" ] || { echo "FAIL builtin_sysinit (no busybox in $CACHE: scripts/setup.sh)"; exit 1; }
t_case builtin_sysinit_coldplug_and_hostname sysinit_coldplug_and_hostname
t_exit
