#!/usr/bin/env bash
# tests/integration/bootbank.sh: `ramhost bootbank status|mark-good` against real GPT disk images (sgdisk, FAT
# banks made with mtools), checked from outside with mtools on the image files.
#
# The ramhost commands run as one step script (steps.sh below) in one of two places:
#   host  the images attached as loop devices with partitions (losetup -P; partx -a when the kernel does not scan
#         GPT itself), RAMHOST_DISKS/RAMHOST_PROC_CMDLINE pointing at them, mounts in a private mount namespace;
#   vm    when the host kernel cannot mount vfat (no module, e.g. a minimal VM kernel): the images are virtio
#         disks of a QEMU (TCG) guest running the Debian kernel ($RAMHOST_CACHE/kernel) with busybox, the vfat
#         modules and this ramhost, which also boots with ramhost.bankuuid= on its real kernel command line.
# RAMHOST_BOOTBANK_TEST=host|vm forces one. Needs root; if loop devices, mounts or QEMU are impossible the cases
# FAIL, they never skip.
if [ -z "${RAMHOST_TEST_NS:-}" ]; then
	exec unshare -m --propagation private env RAMHOST_TEST_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"

SECT=512
P2=18432 P3=34816 PLEN=16384   # bank partitions (sectors)
CACHE=${RAMHOST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ramhost}
W=$(mktemp -d "${TMPDIR:-/tmp}/ramhost-bootbank.XXXXXX")

# the loop devices attached (one a line in $W/loops) are detached however the script ends
cleanup_all() {
	local l
	if [ -f "$W/loops" ]; then
		while read -r l; do
			umount "$l"p* 2>/dev/null || true
			losetup -d "$l" || echo "cannot detach $l"
		done <"$W/loops"
	fi
	[ -n "${RAMHOST_TEST_KEEP:-}" ] && echo "kept $W" >&2 || rm -rf "$W"
}
trap cleanup_all EXIT

cfg_text() {   # cfg_text BOOTSTATE UPDATED BUILD
	cat <<-CFG
	bootstate=$1
	title=ramhost bootbank test
	timeout=5
	kernel=vmlinuz
	kernelopt=console=ttyS0,115200 quiet
	modules=init.cpio --- base.tdk
	build=$3
	updated=$2
	hash.vmlinuz=sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
	hash.init.cpio=sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752
	CFG
}

# mkdisk X [BANK2]: $W/X.img with partitions ESP, bootbank, altbootbank, state; bank 1 (RHBANK1) holds a boot.cfg
# with bootstate=1 updated=2; bank 2 (RHBANK2) as BANK2 says: "cfg" (bootstate=1 updated=1), "empty" (FAT without
# boot.cfg) or "raw" (not formatted). Writes the partitions' unique GUIDs (lowercase) to $W/X.g1..g4.
mkdisk() {
	local x=$1 bank2=${2:-cfg} img=$W/$1.img i
	truncate -s 40M "$img"
	sgdisk -n 1:2048:+8M -t 1:EF00 -c 1:ESP -n 2:$P2:+8M -t 2:0700 -c 2:bootbank \
		-n 3:$P3:+8M -t 3:0700 -c 3:altbootbank -n 4:0:+8M -t 4:8300 -c 4:state "$img" >/dev/null
	for i in 1 2 3 4; do
		sgdisk -i $i "$img" | sed -n 's/^Partition unique GUID: //p' | tr A-Z a-z >"$W/$x.g$i"
		[ -s "$W/$x.g$i" ]
	done
	mformat -i "$img@@$((P2 * SECT))" -T $PLEN -v RHBANK1 ::
	cfg_text 1 2 test-2.0 >"$W/$x.bank1.cfg"
	mcopy -i "$img@@$((P2 * SECT))" "$W/$x.bank1.cfg" ::boot.cfg
	[ "$bank2" = raw ] || mformat -i "$img@@$((P3 * SECT))" -T $PLEN -v RHBANK2 ::
	if [ "$bank2" = cfg ]; then
		cfg_text 1 1 test-1.0 >"$W/$x.bank2.cfg"
		mcopy -i "$img@@$((P3 * SECT))" "$W/$x.bank2.cfg" ::boot.cfg
	fi
	return 0
}

# The step script: plain sh (bash on the host, busybox in the guest). Each step prints its output between
# markers; parse_log turns that into $W/res/NAME.{out,err,rc}. Variables: RH (ramhost), A..D (the disks), A2 A3
# B2 C3 D3 (partitions), GA2.. (GUIDs), WD (a writable directory), MNT (where ramhost's mounts go).
write_steps() {
	cat >"$W/steps.sh" <<-'STEPS'
	step() {
		name=$1
		shift
		"$@" >"$WD/o" 2>"$WD/e"
		echo "@@@ $name rc=$?"
		sed 's/^/@@O /' "$WD/o"
		sed 's/^/@@E /' "$WD/e"
	}
	cl() { echo "BOOT_IMAGE=/vmlinuz console=ttyS0 $*" >"$WD/cmdline"; }
	export RAMHOST_PROC_CMDLINE="$WD/cmdline"
	export RAMHOST_DISKS="$A"
	cl ramhost.bank=1 ramhost.bankuuid=$GA2
	step a_status "$RH" bootbank status
	step a_status_json "$RH" bootbank status --json
	cl ramhost.bank=2 ramhost.bankuuid=$(echo $GA3 | tr a-f A-F)
	step a_status_b2 "$RH" bootbank status
	cl ramhost.bank=1 ramhost.bankuuid=$GA2
	step a_sum_before md5sum "$A2" "$A3"
	step a_mark "$RH" bootbank mark-good
	step a_sum_mid md5sum "$A2" "$A3"
	step a_mark_again "$RH" bootbank mark-good
	step a_sum_after md5sum "$A2" "$A3"
	step a_status_after "$RH" bootbank status
	cl ramhost.bank=1 ramhost.bankuuid=99999999-9999-4999-8999-999999999999
	step a_unknown_mark "$RH" bootbank mark-good
	step a_unknown_status "$RH" bootbank status
	cl ramhost.bank=1 ramhost.bankuuid=$GA4
	step a_state_mark "$RH" bootbank mark-good
	cl ramhost.bank=1 ramhost.bankuuid=not-a-guid
	step a_bad_mark "$RH" bootbank mark-good
	cl ramhost.bank=1
	step iso_status "$RH" bootbank status
	step iso_json "$RH" bootbank status --json
	step iso_mark "$RH" bootbank mark-good
	export RAMHOST_DISKS="$B"
	cl ramhost.bank=1 ramhost.bankuuid=$GB2
	step b_mark "$RH" bootbank mark-good
	step b_status "$RH" bootbank status
	export RAMHOST_DISKS="$C"
	cl ramhost.bank=1 ramhost.bankuuid=$GC2
	step c_status "$RH" bootbank status
	step c_mark "$RH" bootbank mark-good
	export RAMHOST_DISKS="$D"
	cl ramhost.bank=1 ramhost.bankuuid=$GD2
	step d_status "$RH" bootbank status
	# all disks scanned (the guest: its own /proc/cmdline and /sys/block, nothing redirected): bank 2 of A
	if [ -n "$REAL" ]; then
		unset RAMHOST_DISKS RAMHOST_PROC_CMDLINE
	else
		export RAMHOST_DISKS="$A $B $C $D"
		cl ramhost.bank=2 ramhost.bankuuid=$GA3
	fi
	step scan_status "$RH" bootbank status
	step scan_mark "$RH" bootbank mark-good
	step leftovers sh -c "grep ' $MNT/' /proc/mounts; ls -A $MNT"
	STEPS
}

# parse_log LOG: splits the step script's output into $W/res/NAME.{out,err,rc}.
parse_log() {
	mkdir -p "$W/res"
	awk -v d="$W/res" '
		/^@@@ / { name = $2; sub(/^rc=/, "", $3); print $3 > (d "/" name ".rc"); close(d "/" name ".rc");
			  printf "" > (d "/" name ".out"); printf "" > (d "/" name ".err"); next }
		/^@@O / { print substr($0, 5) >> (d "/" name ".out"); next }
		/^@@E / { print substr($0, 5) >> (d "/" name ".err"); next }' "$1"
	[ -f "$W/res/leftovers.rc" ]
}

step_vars() {   # step_vars DEV_A DEV_B DEV_C DEV_D PARTSEP: the variables of steps.sh
	local x i dev sep=$5
	set -- "$1" "$2" "$3" "$4"
	for x in A B C D; do
		dev=$1
		shift
		echo "$x=$dev"
		for i in 2 3; do echo "$x$i=$dev$sep$i"; done
		for i in 1 2 3 4; do echo "G$x$i=$(cat "$W/$(echo $x | tr A-D a-d).g$i")"; done
	done
}

run_host() {
	local x l i loops=()
	for x in a b c d; do
		l=$(losetup -P --find --show "$W/$x.img")
		echo "$l" >>"$W/loops"
		loops+=("$l")
		# kernels built without EFI_PARTITION do not scan GPT: partx reads it and adds the partitions (BLKPG)
		[ -b "${l}p4" ] || { sleep 1; [ -b "${l}p4" ] || partx -a "$l"; }
		for i in $(seq 1 50); do [ -b "${l}p4" ] && break; sleep 0.1; done
		[ -b "${l}p3" ] || { echo "no partition devices for $l"; return 1; }
	done
	mkdir -p "$W/mnt" "$W/wd"
	step_vars "${loops[@]}" p >"$W/vars"
	{
		cat "$W/vars"
		echo "RH=$RAMHOST WD=$W/wd MNT=$W/mnt REAL="
		echo "export TMPDIR=$W/mnt"
		cat "$W/steps.sh"
	} >"$W/host.sh"
	bash "$W/host.sh" >"$W/log" 2>&1
}

# add_kmod MODDIR RELPATH DEST: copies the module and, first, its dependencies; appends to DEST/order once.
add_kmod() {
	local d
	[ -n "$2" ] || return 0   # built into the kernel
	grep -qxF "$(basename "$2")" "$3/order" 2>/dev/null && return 0
	for d in $(sed -n "s|^$2: *||p" "$1/modules.dep"); do add_kmod "$1" "$d" "$3"; done
	cp "$1/$2" "$3/"
	basename "$2" >>"$3/order"
}

run_vm() {
	local kver vmlinuz mods root=$W/initrd m lib
	kver=$(ls "$CACHE/kernel/lib/modules" | head -n1)
	vmlinuz=$CACHE/kernel/boot/vmlinuz-$kver
	mods=$CACHE/kernel/lib/modules/$kver
	[ -f "$vmlinuz" ] && [ -x "$CACHE/busybox-static/bin/busybox" ] ||
		{ echo "the VM mode needs the Debian kernel and busybox in $CACHE (scripts/setup.sh)"; return 1; }
	mkdir -p "$root"/{bin,dev,proc,sys,run,tmp,lib/modules,wd}
	cp "$CACHE/busybox-static/bin/busybox" "$root/bin/busybox"
	for m in sh sed md5sum grep ls tr cat mount insmod poweroff sync echo sleep xz zstd; do ln -s busybox "$root/bin/$m"; done
	cp "$RAMHOST" "$root/bin/ramhost"
	for lib in $(ldd "$RAMHOST" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	# the modules the booted host needs for its bank partitions, each after its dependencies (modules.dep)
	for m in virtio_pci virtio_blk vfat nls_cp437 nls_ascii nls_utf8; do
		add_kmod "$mods" "$(grep -o "^[^:]*/$m\.ko[^:]*" "$mods/modules.dep" | head -n1)" "$root/lib/modules"
	done
	step_vars /dev/vda /dev/vdb /dev/vdc /dev/vdd "" >"$W/vars"
	{
		echo '#!/bin/sh'
		echo 'mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev'
		echo 'for m in $(cat /lib/modules/order); do f=/lib/modules/$m; case $m in *.xz) xz -dc $f >/tmp/m.ko; f=/tmp/m.ko;; *.zst) zstd -dc $f >/tmp/m.ko; f=/tmp/m.ko;; esac; insmod $f || echo "insmod $m failed"; done'
		echo 'n=0; while [ ! -b /dev/vdd4 ] && [ $n -lt 100 ]; do n=$((n+1)); sleep 0.1; done'
		echo 'echo 1 >/proc/sys/kernel/printk   # kernel messages would interleave with the results'
		echo 'echo; echo @@@BEGIN'
		cat "$W/vars"
		echo "RH=/bin/ramhost WD=/wd MNT=/run/ramhost REAL=1"
		cat "$W/steps.sh"
		echo 'echo @@@END; sync; poweroff -f'
	} >"$root/init"
	chmod 755 "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$W/initrd.cpio"
	timeout 600 qemu-system-x86_64 -accel tcg -m 768 -smp 1 -nographic -no-reboot -monitor none \
		-serial "file:$W/serial" -kernel "$vmlinuz" -initrd "$W/initrd.cpio" \
		-append "console=ttyS0 panic=-1 quiet ramhost.bank=2 ramhost.bankuuid=$(cat "$W/a.g3")" \
		-drive "file=$W/a.img,format=raw,if=virtio" -drive "file=$W/b.img,format=raw,if=virtio" \
		-drive "file=$W/c.img,format=raw,if=virtio" -drive "file=$W/d.img,format=raw,if=virtio" >/dev/null 2>&1
	tr -d '\r' <"$W/serial" | sed -n '/@@@BEGIN/,/^@@@END/p' >"$W/log"
	grep -q '^@@@END' "$W/log" || { echo "the guest did not finish:"; tail -n 30 "$W/serial"; return 1; }
}

prepare_and_run() {
	local mode=${RAMHOST_BOOTBANK_TEST:-}
	mkdisk a
	printf 'bootstate=1\nupdated=2\nkernel=vmlinuz\nhash.nothere=sha256:00\n' >"$W/bad.cfg"
	mkdisk b
	mcopy -o -i "$W/b.img@@$((P2 * SECT))" "$W/bad.cfg" ::boot.cfg
	mkdisk c raw
	mkdisk d empty
	cp "$W/b.img" "$W/b.orig"
	write_steps
	if [ -z "$mode" ]; then
		mode=vm
		{ grep -qw vfat /proc/filesystems || { modprobe vfat 2>/dev/null && grep -qw vfat /proc/filesystems; }; } &&
			mode=host
	fi
	echo "mode: $mode" >&2
	echo "$mode" >"$W/mode"
	"run_$mode"
	parse_log "$W/log"
}

# --- checks, on the results of the steps and the image files ---
R() { cat "$W/res/$1.$2"; }
rc_is() { [ "$(R "$1" rc)" = "$2" ] || { echo "$1: exit $(R "$1" rc), expected $2"; R "$1" out; R "$1" err; return 1; }; }
out_has() { grep -Eq -- "$2" "$W/res/$1.out" || { echo "$1: stdout does not match '$2':"; R "$1" out; R "$1" err; return 1; }; }
err_has() { grep -Eq -- "$2" "$W/res/$1.err" || { echo "$1: stderr does not match '$2':"; R "$1" err; return 1; }; }
field() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
bank_cfg() { mtype -i "$W/$1.img@@$(($2 * SECT))" ::boot.cfg; }
dev() {   # dev DISK [N]: the device of disk a..d (partition N) as the steps saw it
	local d
	d=$(sed -n "s/^$(echo "$1" | tr a-d A-D)=//p" "$W/vars")
	if [ -n "${2:-}" ]; then [ "$(cat "$W/mode")" = host ] && echo "${d}p$2" || echo "$d$2"; else echo "$d"; fi
}
g() { cat "$W/$1.g$2"; }

status_shows_both_banks() {
	rc_is a_status 0
	out_has a_status "^booted: bank 1, partition GUID $(g a 2) on $(dev a)\$"
	out_has a_status "^1 +$(dev a 2) +bootbank +UPGRADING +2 +test-2.0 +\*\$"
	out_has a_status "^2 +$(dev a 3) +altbootbank +UPGRADING +1 +test-1.0 *\$"
	rc_is a_status_json 0
	[ "$(R a_status_json out | field "(j['read_only_media'], j['disk'], j['booted'], j['bankuuid'])")" = \
		"(False, '$(dev a)', 1, '$(g a 2)')" ]
	[ "$(R a_status_json out | field "[(b['bank'], b['partition'], b['partnum'], b['uuid'], b['booted'], b['state'], b['bootstate'], b['updated'], b['build'], b['problem']) for b in j['banks']]")" = \
		"[(1, '$(dev a 2)', 2, '$(g a 2)', True, 'UPGRADING', 1, 2, 'test-2.0', None), (2, '$(dev a 3)', 3, '$(g a 3)', False, 'UPGRADING', 1, 1, 'test-1.0', None)]" ]
	# booted from bank 2 (GUID in capitals on the command line)
	rc_is a_status_b2 0
	out_has a_status_b2 "^1 .*test-2.0 *\$"
	out_has a_status_b2 "^2 .*test-1.0 +\*\$"
}

mark_good_writes_booted_bank_only() {
	local before mid after
	rc_is a_mark 0
	out_has a_mark "^ramhost bootbank: $(dev a 2): marked good: bootstate 1 \(UPGRADING\) -> 0 \(VALID\)\$"
	before=($(R a_sum_before out | cut -d' ' -f1)) mid=($(R a_sum_mid out | cut -d' ' -f1))
	[ "${before[0]}" != "${mid[0]}" ] || { echo "bank 1 unchanged by mark-good"; return 1; }
	[ "${before[1]}" = "${mid[1]}" ] || { echo "bank 2 changed by marking bank 1"; return 1; }
	rc_is a_status_after 0
	out_has a_status_after "^1 +$(dev a 2) +bootbank +VALID +2 +test-2.0 +\*\$"
	bank_cfg a $P2 >"$T/new.cfg"
	grep -qx "bootstate=0" "$T/new.cfg"
	# every other line of the old boot.cfg is still there, and nothing else but an empty prefix= (which
	# bootcfg_format always writes, as ESXi does)
	diff <(grep -v '^bootstate=' "$W/a.bank1.cfg" | sort) <(grep -Ev '^(bootstate=|prefix=$)' "$T/new.cfg" | sort)
	# bootcfg.cpio was regenerated from the new boot.cfg; no temporary file is left
	mcopy -i "$W/a.img@@$((P2 * SECT))" ::bootcfg.cpio "$T/bootcfg.cpio"
	mkdir "$T/x"
	(cd "$T/x" && cpio -i --quiet <"$T/bootcfg.cpio")
	[ "$(ls "$T/x")" = boot.cfg ]
	cmp "$T/x/boot.cfg" "$T/new.cfg"
	! mdir -b -i "$W/a.img@@$((P2 * SECT))" :: | grep -qi "tmp"
	dd if="$W/a.img" bs=$SECT skip=$P2 count=$PLEN status=none of="$T/p2.img"
	fsck.vfat -n "$T/p2.img"
}

mark_good_is_idempotent() {
	rc_is a_mark_again 0
	out_has a_mark_again "^ramhost bootbank: $(dev a 2): already VALID \(bootstate=0\), nothing written\$"
	[ "$(R a_sum_mid out)" = "$(R a_sum_after out)" ] || { echo "the second mark-good changed the banks"; return 1; }
}

unknown_or_wrong_uuid_fails() {
	rc_is a_unknown_mark 1
	err_has a_unknown_mark "^ramhost bootbank: mark-good: no partition with GUID 99999999-9999-4999-8999-999999999999 \(ramhost.bankuuid\) on any disk; scanned: $(dev a) \(GPT, 4 partitions\)\$"
	rc_is a_unknown_status 1
	err_has a_unknown_status "^ramhost bootbank: no partition with GUID 99999999-"
	rc_is a_state_mark 1
	err_has a_state_mark "$(dev a): partition 4 \(GUID $(g a 4)\) is named 'state', not 'bootbank' or 'altbootbank'"
	rc_is a_bad_mark 1
	err_has a_bad_mark "kernel command line: 'ramhost.bankuuid=not-a-guid' is not ramhost.bankuuid="
}

corrupt_bootcfg_is_kept() {
	rc_is b_mark 1
	err_has b_mark "^ramhost bootbank: mark-good: $(dev b 2): boot.cfg: line 4: "
	cmp "$W/b.img" "$W/b.orig"
	# status shows the bank as missing (unparsable): a state, not a failure
	rc_is b_status 0
	out_has b_status "^1 +$(dev b 2) +bootbank +missing +- +- +\*\$"
	out_has b_status "bank 1: $(dev b 2): boot.cfg: line 4: "
}

bank2_unformatted_or_empty() {
	rc_is c_status 1
	err_has c_status "ramhost bootbank: bank 2: $(dev c 3): cannot mount \(vfat, read-only\)"
	out_has c_status "^2 +$(dev c 3) +altbootbank +unreadable "
	rc_is c_mark 0
	bank_cfg c $P2 | grep -qx "bootstate=0"
	rc_is d_status 0
	out_has d_status "^2 +$(dev d 3) +altbootbank +missing +- +- *\$"
	out_has d_status "bank 2: no boot.cfg"
}

iso_boot_has_nothing_to_mark() {
	rc_is iso_status 0
	out_has iso_status "^booted: bank 1 on read-only media \(no ramhost.bankuuid= on the kernel command line\)\$"
	rc_is iso_json 0
	[ "$(R iso_json out | field "(j['read_only_media'], j['booted'], j['banks'], j['disk'])")" = "(True, 1, [], None)" ]
	rc_is iso_mark 0
	out_has iso_mark "^ramhost bootbank: booted from read-only media \(no ramhost.bankuuid=\): nothing to mark\$"
}

scan_finds_the_disk() {
	# every disk scanned (in the guest: its real /proc/cmdline and /sys/block); bank 2 of disk a is the booted one
	rc_is scan_status 0
	out_has scan_status "^booted: bank 2, partition GUID $(g a 3) on $(dev a)\$"
	rc_is scan_mark 0
	out_has scan_mark "$(dev a 3): marked good"
	bank_cfg a $P3 | grep -qx "bootstate=0"
	bank_cfg a $P3 | grep -qx "updated=1"
	# nothing left mounted, no mount directory left behind
	rc_is leftovers 0
	[ -z "$(R leftovers out)" ] || { echo "left behind:"; R leftovers out; return 1; }
}

default_scan_skips_loop_devices() {
	# without RAMHOST_DISKS the scan reads RAMHOST_SYS_BLOCK and leaves loop, ram, zram, fd and sr devices out
	mkdir -p "$T/sys/loop3/queue" "$T/sys/ram0" "$T/sys/zram0" "$T/sys/sr0" "$T/sys/fd0" "$T/sys/nosuchdisk"
	echo "ramhost.bank=1 ramhost.bankuuid=99999999-9999-4999-8999-999999999999" >"$T/cmdline"
	export RAMHOST_PROC_CMDLINE=$T/cmdline RAMHOST_SYS_BLOCK=$T/sys
	unset RAMHOST_DISKS
	expect_fail "$RAMHOST" bootbank status
	expect_err "scanned: /dev/nosuchdisk \(No such file or directory\)\$"
	rm -r "$T/sys/nosuchdisk"
	expect_fail "$RAMHOST" bootbank status
	expect_err "scanned: no disks\$"
}

usage_errors() {
	"$RAMHOST" bootbank --help | grep -q "^Usage: ramhost bootbank status"
	"$RAMHOST" bootbank status --help | grep -q "mark-good"
	set +e
	"$RAMHOST" bootbank 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" bootbank frob 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" bootbank status --yaml 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" bootbank mark-good now 2>/dev/null; [ $? -eq 2 ] || exit 1
}

t_case bootbank_usage_errors usage_errors
t_case bootbank_default_scan_skips_loop_devices default_scan_skips_loop_devices
if ( set -e; prepare_and_run ) >"$W/run.log" 2>&1; then
	echo "PASS bootbank_run_steps ($(cat "$W/mode"))"
	t_case bootbank_status_shows_both_banks status_shows_both_banks
	t_case bootbank_mark_good_writes_booted_bank_only mark_good_writes_booted_bank_only
	t_case bootbank_mark_good_is_idempotent mark_good_is_idempotent
	t_case bootbank_unknown_or_wrong_uuid_fails unknown_or_wrong_uuid_fails
	t_case bootbank_corrupt_bootcfg_is_kept corrupt_bootcfg_is_kept
	t_case bootbank_bank2_unformatted_or_empty bank2_unformatted_or_empty
	t_case bootbank_iso_boot_has_nothing_to_mark iso_boot_has_nothing_to_mark
	t_case bootbank_scan_finds_the_disk scan_finds_the_disk
else
	echo "FAIL bootbank_run_steps"
	sed 's/^/    /' "$W/run.log" | tail -n 40
	t_failed=1
fi
t_exit
