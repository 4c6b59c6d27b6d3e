#!/usr/bin/env bash
# tests/integration/builtin_net.sh: the built-in base's network script (usr/lib/ramhost/net-up, profile key
# network) as the image ships it, run in a network namespace of the test's own with a veth pair (and, for the
# file it writes, a private mount namespace where /etc/resolv.conf is a scratch file): a static address with its
# gateway and DNS servers, and network = none doing nothing. Needs root (namespaces).
if [ -z "${RAMHOST_TEST_NS:-}" ]; then
	exec unshare -m --propagation private env RAMHOST_TEST_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"
PROFILE=$TOP/examples/demo/profile

# net_up PROFILE_NETWORK_LINE: builds a bootbank of the demo profile with that network line (no drivers: not
# needed here) and puts its net-up script at $T/net-up
net_up() {
	sed -e '/^drivers = /d' -e '/^network = /d' "$PROFILE" >"$T/p"
	printf '%s\n' "$1" >>"$T/p"
	cp -r "$(dirname "$PROFILE")/extras" "$T/"
	"$RAMHOST" image build "$T/p" -o "$T/bank" -q
	"$RAMHOST" tardisk cat "$T/bank/base.tdk" usr/lib/ramhost/net-up >"$T/net-up"
	chmod 755 "$T/net-up"
}

# in_netns CMD: runs CMD in new network and mount namespaces: v0 (and its peer v1) the only interfaces besides lo,
# /sys showing them, /etc/resolv.conf a scratch file ($T/resolv.conf)
in_netns() {
	: >"$T/resolv.conf"
	unshare -n -m --propagation private bash -c 'mount -t sysfs sysfs /sys && mount --bind "$1" /etc/resolv.conf &&
		ip link add v0 type veth peer name v1 && ip link set v1 up && shift && "$@"' _ "$T/resolv.conf" "$@"
}

static_address() {
	net_up "network = static 192.0.2.7/24 gateway=192.0.2.1 dns=192.0.2.53,192.0.2.54 interface=v0"
	grep -qx "MODE='static' IFACE='v0' ADDR='192.0.2.7/24' GW='192.0.2.1' DNS='192.0.2.53,192.0.2.54'" "$T/net-up"
	in_netns bash -c '"$1" && ip -4 -o addr show dev v0 && ip -4 route && ip -o link show lo' _ "$T/net-up" >"$T/out"
	cat "$T/out" "$T/resolv.conf"
	grep -q 'inet 192.0.2.7/24 ' "$T/out"
	grep -qx 'default via 192.0.2.1 dev v0 ' "$T/out"
	grep -q 'lo: <LOOPBACK,UP' "$T/out"
	[ "$(cat "$T/resolv.conf")" = "$(printf 'nameserver 192.0.2.53\nnameserver 192.0.2.54')" ]
}

# with no interface named, only a wired interface with a device is taken: a veth has none, so nothing is set
dhcp_skips_virtual_interfaces() {
	net_up "network = dhcp"
	in_netns bash -c '"$1" && ip -4 -o addr show dev v0 && ip -o link show v0' _ "$T/net-up" >"$T/out"
	cat "$T/out"
	! grep -q 'inet ' "$T/out" || false
	! grep -q 'state UP' "$T/out" || false
	[ ! -s "$T/resolv.conf" ]
}

# the udhcpc hook: the server's host name is taken only when /etc/hostname names no host, and only a valid name
# (run in a UTS namespace too, with /etc/hostname a scratch file)
dhcp_hostname() {
	net_up "network = dhcp"
	"$RAMHOST" tardisk cat "$T/bank/base.tdk" etc/udhcpc.script >"$T/hook"
	chmod 755 "$T/hook"
	for case in "|from-dhcp|from-dhcp" "named-host|from-dhcp|before" "|bad;name|before" "|-F|before"; do
		IFS='|' read -r etc name want <<<"$case"
		printf '%s' "$etc" >"$T/hostname"
		in_netns unshare -u bash -c 'mount --bind "$1" /etc/hostname && hostname before &&
			interface=v0 ip=192.0.2.9 mask=24 hostname="$3" "$2" bound && hostname && ip -4 -o addr show dev v0' \
			_ "$T/hostname" "$T/hook" "$name" >"$T/out"
		cat "$T/out"
		[ "$(head -n 1 "$T/out")" = "$want" ] || { echo "case $case: got $(head -n 1 "$T/out")"; return 1; }
		grep -q 'inet 192.0.2.9/24 ' "$T/out"
	done
}

network_none() {
	net_up "network = none"
	grep -qx "MODE='none' IFACE='' ADDR='' GW='' DNS=''" "$T/net-up"
	in_netns bash -c '"$1" && ip -o link show lo' _ "$T/net-up" >"$T/out"
	! grep -q 'LOOPBACK,UP' "$T/out" || false
	[ ! -s "$T/resolv.conf" ]
}

if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL builtin_net_needs_root (run the integration tests as root)"
	exit 1
fi
t_case builtin_net_static_address static_address
t_case builtin_net_dhcp_skips_virtual_interfaces dhcp_skips_virtual_interfaces
t_case builtin_net_none network_none
t_case builtin_net_dhcp_hostname dhcp_hostname
t_exit
