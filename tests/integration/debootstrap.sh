#!/usr/bin/env bash
# tests/integration/debootstrap.sh: `base = debootstrap:SUITE` without the network. A fake `debootstrap` first in
# PATH makes a tiny tree (or fails), so the cache rules are checked in seconds: the mirror comes from the machine's
# apt sources, a failed run never becomes the cache (its log is kept and quoted), a good one is pruned and renamed
# into $RAMHOST_CACHE/debootstrap/SUITE-KEY, the next build takes it without running debootstrap, a different
# package list is a different key, and the ramhost layer (ramhost.tdk) holds the binary, its units and the
# sticky list. The real debootstrap is exercised by tests/system/test_debian.py.
# Needs the setup cache (Debian kernel, static busybox) and the static init next to $RAMHOST.
. "$(dirname "$0")/../lib.sh"

# $T/cache: a private RAMHOST_CACHE that borrows the real kernel and busybox; $T/bin/debootstrap: the fake.
setup() {
	mkdir -p "$T/bin"
	private_cache
	cat >"$T/bin/debootstrap" <<'EOF'
#!/bin/sh
# fake debootstrap: records its arguments, then fails or makes a minimal systemd-looking tree in $4
echo "$@" >>"$FAKE_LOG"
if [ "${FAKE_MODE:-ok}" = hang ]; then
	# like debootstrap running dpkg: a tool of its own that outlives a plain kill of debootstrap
	mkdir -p "$4/usr"
	sleep 600 &
	echo $! >"$FAKE_LOG.grandchild.new" && mv "$FAKE_LOG.grandchild.new" "$FAKE_LOG.grandchild"
	wait
	exit 1
fi
if [ "${FAKE_MODE:-ok}" = fail ]; then
	echo "E: Couldn't download packages: fake-failure"
	mkdir -p "$4/proc"
	exit 1
fi
t=$4
mkdir -p "$t/usr/lib/systemd/system" "$t/usr/bin" "$t/usr/sbin" "$t/etc/ssh" "$t/var/cache/apt/archives" \
	"$t/var/lib/apt/lists" "$t/var/log" "$t/usr/share/doc/pkg" "$t/usr/share/man/man1"
ln -s usr/bin "$t/bin"; ln -s usr/sbin "$t/sbin"; ln -s usr/lib "$t/lib"
echo systemd >"$t/usr/lib/systemd/systemd"; echo udevd >"$t/usr/lib/systemd/systemd-udevd"
echo unit >"$t/usr/lib/systemd/system/systemd-networkd.service"
echo unit >"$t/usr/lib/systemd/system/systemd-resolved.service"
printf 'root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n' >"$t/etc/shadow"
echo build-machine >"$t/etc/hostname"
echo 0123456789abcdef0123456789abcdef >"$t/etc/machine-id"
echo secret >"$t/etc/ssh/ssh_host_ed25519_key"; echo pub >"$t/etc/ssh/ssh_host_ed25519_key.pub"
echo sshd >"$t/etc/ssh/sshd_config"
echo deb >"$t/var/cache/apt/archives/x_1_amd64.deb"; echo list >"$t/var/lib/apt/lists/x_Packages"
echo log >"$t/var/log/dpkg.log"; echo c >"$t/usr/share/doc/pkg/copyright"; echo n >"$t/usr/share/doc/pkg/NEWS.gz"
echo m >"$t/usr/share/man/man1/x.1.gz"
mkdir -p "$t/var/lib/dpkg/info" "$t/var/cache/debconf"
echo 'Package: x' >"$t/var/lib/dpkg/status"; echo old >"$t/var/lib/dpkg/status-old"; echo /x >"$t/var/lib/dpkg/info/x.list"
echo 'Name: x' >"$t/var/cache/debconf/config.dat"
exit 0
EOF
	chmod 755 "$T/bin/debootstrap"
	cat >"$T/p.profile" <<EOF
name = deb
version = 1
kernel = debian
base = debootstrap:bookworm
packages = systemd-sysv udev
# not the default (all): packing every module takes half a minute, and this cache is the test's own
drivers = none
EOF
	export RAMHOST_CACHE=$T/cache PATH=$T/bin:$PATH FAKE_LOG=$T/fake.log
}

mirror_from_apt_sources() {
	setup
	"$RAMHOST" image build "$T/p.profile" -o "$T/bank" -q
	# the fake got minbase, the sorted package list, and a mirror that is one of this machine's apt sources
	grep -q -- '--variant=minbase --include=systemd-sysv,udev bookworm ' "$T/fake.log"
	mirror=$(awk '{print $NF}' "$T/fake.log")
	cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | grep -qF -- "$mirror"
}

failed_run_is_not_cached() {
	setup
	export FAKE_MODE=fail
	expect_fail "$RAMHOST" image build "$T/p.profile" -o "$T/bank"
	expect_err "debootstrap bookworm from .* failed \(exit status 1; log .*fake-failure"
	[ ! -e "$T/bank" ]
	# neither a cache entry nor a temporary directory is left; the log is kept beside the cache
	[ -z "$(ls -d "$T"/cache/debootstrap/bookworm-*/ "$T"/cache/debootstrap/tmp.* 2>/dev/null)" ]
	ls "$T"/cache/debootstrap/bookworm-*.failed.log >/dev/null
	grep -q fake-failure "$T"/cache/debootstrap/bookworm-*.failed.log
}

# SIGINT during debootstrap: ramhost stops debootstrap's whole process group (the dpkg it would be running too),
# removes its temporary tree and dies of the signal; nothing becomes the cache.
interrupted_run_stops_its_tools() {
	setup
	export FAKE_MODE=hang
	env --default-signal "$RAMHOST" image build "$T/p.profile" -o "$T/bank" -q 2>"$T/err" &
	pid=$!
	for _ in $(seq 400); do [ -s "$T/fake.log.grandchild" ] && break; sleep 0.05; done
	gc=$(cat "$T/fake.log.grandchild")
	trap 'kill -KILL "$gc" 2>/dev/null || true' EXIT
	kill -INT "$pid"
	rc=0; wait "$pid" || rc=$?
	[ "$rc" -eq 130 ] || { echo "exit status $rc, expected 130"; cat "$T/err"; exit 1; }
	for _ in $(seq 100); do kill -0 "$gc" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$gc" 2>/dev/null; then echo "debootstrap's own tool (pid $gc) outlived ramhost"; exit 1; fi
	[ ! -e "$T/bank" ]
	[ -z "$(ls -d "$T"/cache/debootstrap/bookworm-*/ "$T"/cache/debootstrap/tmp.* 2>/dev/null)" ]
}

pruned_and_cached() {
	setup
	"$RAMHOST" image build "$T/p.profile" -o "$T/bank" -q
	root=$(ls -d "$T"/cache/debootstrap/bookworm-*/root)
	[ "$(wc -l <"$T/fake.log")" -eq 1 ]
	grep -q '^packages=systemd-sysv,udev$' "$(dirname "$root")/key"
	# the prune: no host keys, no apt lists or debs, no logs or manuals, copyright kept, empty machine-id,
	# no /etc/hostname (the build machine's name is not the host's), root without a password and the other
	# shadow lines untouched
	[ -z "$(ls "$root"/etc/ssh/ssh_host_* 2>/dev/null)" ] && [ -f "$root/etc/ssh/sshd_config" ]
	[ ! -e "$root/var/cache/apt/archives/x_1_amd64.deb" ] && [ ! -e "$root/var/lib/apt/lists/x_Packages" ]
	[ -d "$root/var/lib/apt/lists/partial" ]
	[ ! -e "$root/var/log/dpkg.log" ] && [ ! -e "$root/usr/share/man/man1" ]
	[ -f "$root/usr/share/doc/pkg/copyright" ] && [ ! -e "$root/usr/share/doc/pkg/NEWS.gz" ]
	[ ! -s "$root/etc/machine-id" ] && [ ! -e "$root/etc/hostname" ]
	[ "$(cat "$root/etc/shadow")" = "$(printf 'root::19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::')" ]
	# dpkg's and debconf's databases in usr/lib/sysimage (read-only on the host, not copied into /var's
	# ramdisk), reached through relative symlinks at the old places; dpkg's -old files pruned first
	[ "$(readlink "$root/var/lib/dpkg")" = ../../usr/lib/sysimage/dpkg ]
	[ "$(readlink "$root/var/cache/debconf")" = ../../usr/lib/sysimage/debconf ]
	[ "$(cat "$root/var/lib/dpkg/status")" = 'Package: x' ] && [ -f "$root/usr/lib/sysimage/dpkg/info/x.list" ]
	[ ! -e "$root/usr/lib/sysimage/dpkg/status-old" ] && [ -f "$root/usr/lib/sysimage/debconf/config.dat" ]
	# the second build takes the tree from the cache: debootstrap does not run again
	"$RAMHOST" image build "$T/p.profile" -o "$T/bank2" 2>"$T/out"
	grep -q 'debootstrap:bookworm, cached ' "$T/out"
	[ "$(wc -l <"$T/fake.log")" -eq 1 ]
	# another package list is another tree
	echo "packages = openssh-server" >>"$T/p.profile"
	"$RAMHOST" image build "$T/p.profile" -o "$T/bank3" -q
	[ "$(wc -l <"$T/fake.log")" -eq 2 ]
	[ "$(ls -d "$T"/cache/debootstrap/bookworm-*/ | wc -l)" -eq 2 ]
}

ramhost_layer() {
	setup
	"$RAMHOST" image build "$T/p.profile" -o "$T/bank" -q
	grep -q '^modules=init.cpio --- base.tdk --- ramhost.tdk$' "$T/bank/boot.cfg"
	"$RAMHOST" tardisk ls "$T/bank/ramhost.tdk" >"$T/ls"
	for f in usr/bin/ramhost usr/lib/systemd/system/ramhost-ready.service \
		usr/lib/systemd/system/ramhost-state-save.service usr/lib/systemd/system/ramhost-state-save.timer \
		usr/lib/systemd/system/ramhost-ssh-keygen.service \
		usr/lib/systemd/system/multi-user.target.wants/ramhost-ready.service \
		usr/lib/systemd/system/timers.target.wants/ramhost-state-save.timer \
		usr/lib/ramhost/sticky.d/debian.list usr/lib/os-release etc/systemd/system/systemd-firstboot.service; do
		grep -qx "$f" "$T/ls" || { echo "missing $f"; cat "$T/ls"; return 1; }
	done
	# the fake base has no C library: every library of ldd's list comes with the layer; the binary is the host
	# build, which needs only the C library (the others linked in; no libxml2, ICU or libmicrohttpd)
	grep -q '^usr/lib/x86_64-linux-gnu/libc.so.6$' "$T/ls"
	! grep -E 'lib(archive|squashfs|crypto|ssl|zstd|expat|xml2|icu|microhttpd|curl|stdc\+\+)' "$T/ls" || false
	# no /etc/hostname: the profile's name is the fallback after /etc/hostname (state) and the DHCP server's
	! grep -qx etc/hostname "$T/ls" || false
	"$RAMHOST" tardisk cat "$T/bank/ramhost.tdk" usr/lib/os-release | grep -qx DEFAULT_HOSTNAME=deb
	"$RAMHOST" tardisk cat "$T/bank/ramhost.tdk" usr/lib/systemd/system/ramhost-state-save.service |
		grep -qx 'ExecStop=/usr/bin/ramhost state save --if-changed'
	# a rescue boot (init's mark) runs neither saver
	for u in ramhost-state-save.service ramhost-state-save-hourly.service; do
		"$RAMHOST" tardisk cat "$T/bank/ramhost.tdk" usr/lib/systemd/system/$u |
			grep -qx 'ConditionPathExists=!/run/ramhost/rescue'
	done
	"$RAMHOST" tardisk cat "$T/bank/ramhost.tdk" usr/lib/ramhost/sticky.d/debian.list | grep -qx '/etc/ssh/ssh_host_\*'
	# the network (network = dhcp, the default): networkd enabled with DHCP on every wired interface, its
	# wait-online bounded, resolved's stub as resolv.conf; sshd waits for host keys made after the gettys
	for f in usr/lib/systemd/network/80-ramhost.network \
		usr/lib/systemd/system/multi-user.target.wants/systemd-networkd.service \
		usr/lib/systemd/system/sockets.target.wants/systemd-networkd.socket \
		usr/lib/systemd/system/network-online.target.wants/systemd-networkd-wait-online.service \
		usr/lib/systemd/system/systemd-networkd-wait-online.service.d/ramhost.conf \
		usr/lib/systemd/system/ssh.service.d/ramhost.conf etc/resolv.conf \
		usr/lib/systemd/system/multi-user.target.wants/ramhost-dhcp-hostname.service; do
		grep -qx "$f" "$T/ls" || { echo "missing $f"; return 1; }
	done
	[ "$("$RAMHOST" tardisk cat "$T/bank/ramhost.tdk" usr/lib/systemd/network/80-ramhost.network | grep -v '^#' |
		tr '\n' ' ')" = "[Match] Type=ether  [Network] DHCP=yes  [DHCPv4] UseHostname=no RequestOptions=12 " ]
	"$RAMHOST" tardisk ls -l "$T/bank/ramhost.tdk" | grep -q 'etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf'
	"$RAMHOST" tardisk cat "$T/bank/ramhost.tdk" usr/lib/systemd/system/ramhost-ssh-keygen.service >"$T/keygen"
	grep -qx 'After=getty.target' "$T/keygen" && grep -qx 'Type=exec' "$T/keygen"
	"$RAMHOST" tardisk cat "$T/bank/ramhost.tdk" usr/lib/systemd/system/ramhost-ready.service >"$T/ready"
	grep -qx 'After=basic.target systemd-user-sessions.service network-online.target' "$T/ready"
	! grep -q 'ssh' "$T/ready" || false
	# the DHCP host name unit's command, run in UTS and mount namespaces with networkd's lease in a scratch /run:
	# the lease's name is taken, a name that could be an option or holds a bad byte is not
	"$RAMHOST" tardisk cat "$T/bank/ramhost.tdk" usr/lib/systemd/system/ramhost-dhcp-hostname.service >"$T/dh"
	grep -qx 'ConditionFileNotEmpty=!/etc/hostname' "$T/dh" && grep -qx 'Before=ramhost-ready.service' "$T/dh"
	cmd=$(sed -n 's/^ExecStart=//p' "$T/dh" | sed 's/\$\$/$/g')
	for case in "lease-name|lease-name" "-F|before" "bad;name|before"; do
		IFS='|' read -r name want <<<"$case"
		got=$(unshare -u -m --propagation private bash -c 'mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/netif/leases &&
			printf "ADDRESS=192.0.2.9\nHOSTNAME=%s\n" "$2" >/run/systemd/netif/leases/2 && hostname before &&
			eval "$1" && hostname' _ "$cmd" "$name")
		[ "$got" = "$want" ] || { echo "lease name $name: host name $got, want $want"; return 1; }
	done
	# a static address
	sed -i 's/^drivers = none$/&\nnetwork = static 192.0.2.7\/24 gateway=192.0.2.1 dns=192.0.2.53,192.0.2.54 interface=eno1/' "$T/p.profile"
	"$RAMHOST" image build "$T/p.profile" -o "$T/bank-static" -q
	[ "$("$RAMHOST" tardisk cat "$T/bank-static/ramhost.tdk" usr/lib/systemd/network/80-ramhost.network |
		grep -v '^#' | tr '\n' ' ')" = "[Match] Name=eno1  [Network] Address=192.0.2.7/24 Gateway=192.0.2.1 DNS=192.0.2.53 192.0.2.54 " ]
	# no DHCP, no DHCP host name
	! "$RAMHOST" tardisk ls "$T/bank-static/ramhost.tdk" | grep -q dhcp-hostname || false
	# network = none: nothing of it
	sed -i 's/^network = .*/network = none/' "$T/p.profile"
	"$RAMHOST" image build "$T/p.profile" -o "$T/bank-none" -q
	! "$RAMHOST" tardisk ls "$T/bank-none/ramhost.tdk" | grep -Eq 'networkd|80-ramhost|resolv.conf' || false
	# a base without systemd-networkd cannot bring the network up: said, unless network = none
	sed -i 's/^network = .*/network = dhcp/' "$T/p.profile"
	sed -i '/systemd-networkd.service"$/d' "$T/bin/debootstrap"
	echo "packages = kmod" >>"$T/p.profile"
	expect_fail "$RAMHOST" image build "$T/p.profile" -o "$T/bank-nonet"
	expect_err "no systemd-networkd.service: the base cannot bring its network up .*network = none"
}

base_without_udev_refused() {
	setup
	sed -i 's/echo udevd >.*systemd-udevd"/:/' "$T/bin/debootstrap"
	expect_fail "$RAMHOST" image build "$T/p.profile" -o "$T/bank"
	expect_err "no systemd-udevd: .*add udev to packages"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL debootstrap_needs_root (run the integration tests as root)"
	exit 1
fi
t_case debootstrap_mirror_from_apt_sources mirror_from_apt_sources
t_case debootstrap_failed_run_is_not_cached failed_run_is_not_cached
t_case debootstrap_interrupted_run_stops_its_tools interrupted_run_stops_its_tools
t_case debootstrap_pruned_and_cached pruned_and_cached
t_case debootstrap_ramhost_layer ramhost_layer
t_case debootstrap_base_without_udev_refused base_without_udev_refused
t_exit
