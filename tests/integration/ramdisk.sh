#!/usr/bin/env bash
# tests/integration/ramdisk.sh: `ramhost df`, `du` and `ready` against real tmpfs, ramfs and squashfs mounts made
# in a private mount namespace (the script re-runs itself under `unshare -m`; needs root), with boot.env and
# /proc/mounts given through RAMHOST_BOOTENV / RAMHOST_PROC_MOUNTS.
if [ -z "${RAMHOST_TEST_NS:-}" ]; then
	exec unshare -m --propagation private env RAMHOST_TEST_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"

# mnt TYPE OPTS DIR: mounts a fresh file system at DIR (made if needed); unmounted when the case ends.
mnt() {
	mkdir -p "$3"
	mount -t "$1" -o "$2" "ramhost-test" "$3"
	echo "$3" >>"$T/.mounts"
}
cleanup() {
	[ -f "$T/.mounts" ] && tac "$T/.mounts" | while read -r m; do umount -l "$m" 2>/dev/null || true; done
	return 0
}

# field JSON PYEXPR: evaluates PYEXPR with j = the parsed JSON on stdin.
field() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

df_ramdisk_numbers_and_flags() {
	trap cleanup EXIT
	mnt tmpfs size=1048576,nr_inodes=100 "$T/a"
	mnt tmpfs size=4194304,nr_inodes=1000 "$T/b"
	mnt tmpfs size=1048576,nr_inodes=1000 "$T/full"
	dd if=/dev/zero of="$T/a/fill" bs=4096 count=240 status=none      # 960 KiB of 1 MiB: 94%
	echo small >"$T/b/file"
	dd if=/dev/zero of="$T/full/fill" bs=4096 count=1000 status=none 2>/dev/null || true
	cat >"$T/boot.env" <<-ENV
	bank=1
	build=test-1
	ramdisk=a $T/a 1048576 100
	ramdisk=b $T/b 4194304 1000
	ramdisk=full $T/full 1048576 1000
	ENV
	export RAMHOST_BOOTENV=$T/boot.env
	"$RAMHOST" df >"$T/out"
	cat "$T/out"
	grep -Eq "^a +$T/a +1048576 +983040 +65536 +94% +2 +100 +!\$" "$T/out"
	grep -Eq "^full .* FULL\$" "$T/out"
	grep -Eq "^b .* [0-9]+%( +[0-9]+){2} *\$" "$T/out"     # no flag
	"$RAMHOST" df --json >"$T/json"
	for d in a b full; do
		read -r size used avail < <(df -B1 --output=size,used,avail "$T/$d" | tail -n1)
		read -r itotal iused < <(df --output=itotal,iused "$T/$d" | tail -n1)
		got=$(field "[(r['limit'],r['used'],r['free'],r['inodes_limit'],r['inodes_used']) for r in j['ramdisks'] if r['name']=='$d'][0]" <"$T/json")
		[ "$got" = "($size, $used, $avail, $itotal, $iused)" ] || { echo "$d: df says $size $used $avail $itotal $iused, ramhost $got"; exit 1; }
	done
	[ "$(field "[r['flag'] for r in j['ramdisks']]" <"$T/json")" = "['!', '', 'FULL']" ]
	[ "$(field "j['tardisks']" <"$T/json")" = "[]" ]
	"$RAMHOST" df -h | grep -Eq "^a +$T/a +1.0M +960.0K +64.0K +94%"
}

df_inode_flag() {
	trap cleanup EXIT
	mnt tmpfs size=8388608,nr_inodes=20 "$T/i"
	for n in $(seq 1 18); do : >"$T/i/f$n"; done              # 19 of 20 inodes: 95%
	printf 'bank=1\nramdisk=i %s 8388608 20\n' "$T/i" >"$T/boot.env"
	RAMHOST_BOOTENV=$T/boot.env "$RAMHOST" df | grep -Eq "^i .* 95% +19 +20 +!\$"
}

df_missing_or_wrong_ramdisk() {
	trap cleanup EXIT
	mnt tmpfs size=1048576 "$T/ok"
	mnt ramfs mode=0755 "$T/notmpfs"
	mkdir -p "$T/absent"
	printf 'bank=1\nramdisk=ok %s 1048576 100\nramdisk=gone %s 1048576 100\nramdisk=rf %s 1 1\n' \
		"$T/ok" "$T/absent" "$T/notmpfs" >"$T/boot.env"
	export RAMHOST_BOOTENV=$T/boot.env
	expect_fail "$RAMHOST" df >"$T/out"
	expect_err "ramhost df: ramdisk gone: $T/absent is not mounted"
	expect_err "ramhost df: ramdisk rf: $T/notmpfs is ramfs, not tmpfs"
	grep -Eq "^gone .* ERROR\$" "$T/out"
	grep -Eq "^ok .*%" "$T/out"
	expect_fail "$RAMHOST" df --json >"$T/json"
	[ "$(field "[r['error'] is None for r in j['ramdisks']]" <"$T/json")" = "[True, False, False]" ]
	# /proc/mounts comes from RAMHOST_PROC_MOUNTS: an empty table means nothing is mounted
	: >"$T/mounts"
	RAMHOST_PROC_MOUNTS=$T/mounts expect_fail "$RAMHOST" df
	expect_err "ramdisk ok: $T/ok is not mounted"
}

df_tardisk_loop_device() {
	trap cleanup EXIT
	mkdir -p "$T/src/usr/bin" && echo hi >"$T/src/usr/bin/hello"
	mksquashfs "$T/src" "$T/base.tdk" -all-root -noappend -quiet >/dev/null
	mkdir -p "$T/mnt/base" && mount -o loop,ro -t squashfs "$T/base.tdk" "$T/mnt/base" && echo "$T/mnt/base" >>"$T/.mounts"
	dev=$(losetup -j "$T/base.tdk" | cut -d: -f1 | head -n1)
	size=$(stat -c %s "$T/base.tdk")
	mnt tmpfs size=1048576 "$T/root"
	printf 'bank=1\ntardisk=base %s %s 1\ntardisk=gone %s %s 2\nramdisk=root %s 1048576 100\n' \
		"$T/base.tdk" "$T/mnt/base" "$T/base.tdk" "$T/mnt/gone" "$T/root" >"$T/boot.env"
	export RAMHOST_BOOTENV=$T/boot.env
	expect_fail "$RAMHOST" df >"$T/out"
	cat "$T/out"
	grep -Eq "^base +$T/base.tdk +$size +$T/mnt/base +$dev\$" "$T/out"
	expect_err "tardisk gone: $T/mnt/gone is not mounted"
	expect_fail "$RAMHOST" df --json >"$T/json"
	[ "$(field "(j['tardisks'][0]['loop'], j['tardisks'][0]['size'], j['tardisks'][0]['error'])" <"$T/json")" = \
		"('$dev', $size, None)" ]
}

# the read-only overlays of the view (/usr ...) are listed as read-only with their tardisks, never as a full file system
df_overlay_read_only() {
	trap cleanup EXIT
	for t in a b; do
		mkdir -p "$T/src-$t/usr/share" && echo "$t" >"$T/src-$t/usr/share/$t"
		mksquashfs "$T/src-$t" "$T/$t.tdk" -all-root -noappend -quiet >/dev/null
		mkdir -p "$T/tardisks/$t" && mount -o loop,ro -t squashfs "$T/$t.tdk" "$T/tardisks/$t"
		echo "$T/tardisks/$t" >>"$T/.mounts"
	done
	mkdir -p "$T/view/usr" && mount -t overlay -o ro,lowerdir="$T/tardisks/b/usr:$T/tardisks/a/usr" overlay "$T/view/usr"
	echo "$T/view/usr" >>"$T/.mounts"
	mnt tmpfs size=1048576 "$T/root"
	printf 'bank=1\ntardisk=a %s %s 1\ntardisk=b %s %s 1\nramdisk=root %s 1048576 100\n' \
		"$T/a.tdk" "$T/tardisks/a" "$T/b.tdk" "$T/tardisks/b" "$T/root" >"$T/boot.env"
	export RAMHOST_BOOTENV=$T/boot.env
	"$RAMHOST" df >"$T/out"
	cat "$T/out"
	grep -Eq "^overlay +$T/view/usr +read-only +b,a\$" "$T/out"
	! grep -q "100%" "$T/out" || false
	[ "$("$RAMHOST" df --json | field "j['overlays']")" = "[{'mountpoint': '$T/view/usr', 'read_only': True, 'layers': ['b', 'a']}]" ]
	# an overlay of other directories is not one of the view's
	umount "$T/view/usr"
	mkdir -p "$T/other" "$T/o2" && mount -t overlay -o ro,lowerdir="$T/other:$T/o2" overlay "$T/view/usr"
	[ "$("$RAMHOST" df --json | field "j['overlays']")" = "[]" ]
}

# the ready line's addr=: none in a network namespace with only lo, then the address of an interface that is up
ready_addresses() {
	printf 'bank=1\nbuild=demo-1.0\n' >"$T/boot.env"
	unshare -n env RAMHOST_BOOTENV="$T/boot.env" "$RAMHOST" ready >"$T/out"
	grep -Eq ' build=demo-1.0 addr=none$' "$T/out"
	unshare -n bash -c 'ip link set lo up && ip link add v0 type veth peer name v1 &&
		ip addr add 192.0.2.5/24 dev v0 && ip addr add 2001:db8::5/64 dev v0 nodad && ip link set v1 up &&
		ip link set v0 up && RAMHOST_BOOTENV="$1" "$2" ready' _ "$T/boot.env" "$RAMHOST" >"$T/out"
	cat "$T/out"
	grep -Eq ' build=demo-1.0 addr=v0:192.0.2.5/24,v0:2001:db8::5/64$' "$T/out"
}

du_matches_coreutils() {
	trap cleanup EXIT
	mkdir -p "$T/d/sub/deeper"
	dd if=/dev/urandom of="$T/d/big" bs=1k count=300 status=none
	echo x >"$T/d/sub/small"
	ln "$T/d/big" "$T/d/sub/hardlink"
	ln -s big "$T/d/link"
	mkfifo "$T/d/fifo"
	read -r bytes _ < <(du -s -B1 "$T/d")
	inodes=$(find "$T/d" -printf '%i\n' | sort -u | wc -l)
	"$RAMHOST" du "$T/d" >"$T/out"
	cat "$T/out"
	[ "$(cat "$T/out")" = "$bytes	$inodes	$T/d" ]
	[ "$("$RAMHOST" du --json "$T/d" | field "(j['bytes'], j['inodes'], j['errors'])")" = "($bytes, $inodes, 0)" ]
	# -x: a file system mounted below is left out, as du -x does
	mnt tmpfs size=4194304 "$T/d/sub/deeper"
	dd if=/dev/zero of="$T/d/sub/deeper/z" bs=1k count=64 status=none
	read -r all _ < <(du -s -B1 "$T/d")
	read -r one _ < <(du -s -x -B1 "$T/d")
	[ "$("$RAMHOST" du "$T/d" | cut -f1)" = "$all" ]
	[ "$("$RAMHOST" du -x "$T/d" | cut -f1)" = "$one" ]
	[ "$all" -gt "$one" ]
	"$RAMHOST" du -h "$T/d" | grep -Eq '^[0-9.]+K	'
	expect_fail "$RAMHOST" du "$T/nonexistent"
	expect_err "ramhost du: $T/nonexistent: No such file or directory"
}

ready_line() {
	printf 'bank=2\nbuild=demo-1.0\ntardisk=a /t/a.tdk /m/a 1\ntardisk=b /t/b.tdk /m/b 1\ninit_ms=5\n' >"$T/boot.env"
	up=$(cut -d. -f1 /proc/uptime)   # read before `ready` runs: read after, a second boundary could pass it
	RAMHOST_BOOTENV=$T/boot.env "$RAMHOST" ready >"$T/out"
	cat "$T/out"
	[ "$(wc -l <"$T/out")" = 1 ]
	grep -Eq '^ramhost: ready bank=2 tardisks=2 state=none boot_ms=[0-9]+ build=demo-1.0 addr=[^ ]+$' "$T/out"
	# boot_ms is the time since the kernel started: never below this machine's uptime when we started
	ms=$(sed 's/.*boot_ms=\([0-9]*\).*/\1/' "$T/out")
	[ "$ms" -ge $((up * 1000)) ]
	RAMHOST_BOOTENV=$T/missing expect_fail "$RAMHOST" ready
	expect_err "ramhost ready: $T/missing: cannot open: No such file or directory \(was this host booted by ramhost's init\?\)"
	printf 'bank=1\nbank=1\n' >"$T/bad.env"
	RAMHOST_BOOTENV=$T/bad.env expect_fail "$RAMHOST" ready
	expect_err "ramhost ready: $T/bad.env: line 2: bank= is given twice"
}

usage_and_exit_codes() {
	for c in df du ready; do
		"$RAMHOST" $c --help | grep -q "^Usage: ramhost $c"
	done
	set +e
	"$RAMHOST" df --bogus 2>/dev/null; [ $? = 2 ] || exit 1
	"$RAMHOST" du 2>/dev/null; [ $? = 2 ] || exit 1
	"$RAMHOST" ready extra 2>/dev/null; [ $? = 2 ] || exit 1
	RAMHOST_BOOTENV=$T/none "$RAMHOST" df 2>/dev/null; [ $? = 1 ] || exit 1
}

t_case df_ramdisk_numbers_and_flags df_ramdisk_numbers_and_flags
t_case df_inode_flag df_inode_flag
t_case df_missing_or_wrong_ramdisk df_missing_or_wrong_ramdisk
t_case df_tardisk_loop_device df_tardisk_loop_device
t_case df_overlay_read_only df_overlay_read_only
t_case du_matches_coreutils du_matches_coreutils
t_case ready_line ready_line
t_case ready_addresses ready_addresses
t_case usage_and_exit_codes usage_and_exit_codes
t_exit
