#!/usr/bin/env bash
# tests/integration/rescue.sh: `ramhost rescue` on disk images made by `ramhost image disk`, the corruption
# matrix of issue 12 that needs no firmware. Every case: damage a copy of a clean image, `rescue scan --json`
# names the problem and its repair, `rescue plan --json` lists the extents, `rescue repair --yes` writes them
# (backup first), the scan is then clean, no byte outside the plan changed, the repair gives back the clean
# image's bytes where it can (fix-gpt, fsck's boot sector, copy-module), and `rescue undo` gives back the
# damaged bytes exactly. Then bad input: not a disk, read-only, too small, no partition table.
# Needs the setup cache, sgdisk, mtools, syslinux, dosfstools, e2fsprogs, python3.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rescue_damage.sh"

PROFILE=$TOP/examples/demo/profile
EFI=${RAMHOST_EFI:-$(dirname "$RAMHOST")/ramhost.efi}
CHECK="python3 $TOP/tests/integration/rescue_check.py"
S=$(mktemp -d "${TMPDIR:-/tmp}/ramhost-rescue-test.XXXXXX")
trap 'rm -rf "$S"' EXIT
export SOURCE_DATE_EPOCH=1700000000 MTOOLS_SKIP_CHECK=1 RAMHOST_EFI=$EFI

"$RAMHOST" image build "$PROFILE" -o "$S/bank" -q 2>"$S/build.err" || cat "$S/build.err"
"$RAMHOST" image disk --bootbank "$S/bank" -o "$S/clean.img" -q 2>"$S/disk.err" || cat "$S/disk.err"
CLEAN=$S/clean.img
MEDIA=$S/bank

# Three state generations on the clean image's state partition (p4).
state_generations "$CLEAN" "$S"

# rcase NAME DAMAGE CODE [same]: the whole round for one damage (a function taking the image); CODE must be in
# the scan; with "same" the repaired image must equal the clean one byte for byte.
run_case() {
	local damage=$1 code=$2 same=${3:-}
	cp --sparse=always "$CLEAN" "$T/d.img"
	"$damage" "$T/d.img"
	cp --sparse=always "$T/d.img" "$T/damaged.img"
	"$RAMHOST" rescue scan --json "$T/d.img" >"$T/scan.json" || [ $? -eq 3 ]
	$CHECK codes "$T/scan.json" >"$T/codes"
	grep -qx "$code" "$T/codes" || { echo "scan did not find $code:"; cat "$T/codes"; return 1; }
	"$RAMHOST" rescue plan --json --media "$MEDIA" "$T/d.img" >"$T/plan.json"
	"$RAMHOST" rescue repair --yes --media "$MEDIA" --backup-dir "$T/backups" "$T/d.img" | tee "$T/repair.out"
	grep -q "repaired:" "$T/repair.out"
	"$RAMHOST" rescue scan --json "$T/d.img" >"$T/after.json" || [ $? -eq 3 ]
	$CHECK severe "$T/after.json" >"$T/left"
	[ ! -s "$T/left" ] || { echo "problems left after the repair:"; cat "$T/left"; return 1; }
	$CHECK outside "$T/plan.json" "$T/damaged.img" "$T/d.img"
	if [ "$same" = same ]; then cmp "$T/d.img" "$CLEAN"; fi
	"$RAMHOST" rescue undo --backup-dir "$T/backups" "$T/d.img"
	cmp "$T/d.img" "$T/damaged.img"
}

clean_scan() {
	"$RAMHOST" rescue scan --json "$CLEAN" >"$T/scan.json"
	$CHECK severe "$T/scan.json" >"$T/left"
	[ ! -s "$T/left" ] || { cat "$T/left"; return 1; }
	"$RAMHOST" rescue scan "$CLEAN" | tee "$T/text"
	grep -q "bank 1" "$T/text"
	"$RAMHOST" rescue plan "$CLEAN" | grep -q "nothing to repair"
}

c_lba0() { run_case dmg_lba0 mbr-zeroed; }
c_code() { run_case dmg_code mbr-code-zero; }
c_gpt_header() { run_case dmg_gpt_header gpt-main-damaged same; }
c_gpt_entries() { run_case dmg_gpt_entries gpt-main-damaged same; }
c_grown() { run_case dmg_grown gpt-backup-not-at-end; sgdisk -v "$T/d.img" >/dev/null; }
c_both_gpt() { run_case dmg_both_gpt gpt-both-damaged; }
c_ldlinux() { run_case dmg_ldlinux bank-syslinux-missing; }
c_esp_boot() { run_case dmg_esp_boot esp-boot-sector-damaged same; }
c_bootx64() { run_case dmg_bootx64 esp-fallback-missing; }
c_dirty() { run_case dmg_dirty esp-dirty; }
c_cfg() { run_case dmg_cfg bank-cfg-bad; }
c_flip1() { run_case dmg_flip1 bank-module-damaged same; }
c_flip_both() { run_case dmg_flip_both bank-damaged; }
c_state() { run_case dmg_state state-newest-damaged; }

# A 4Kn disk (the clean image's GPT rewritten for 4096-byte sectors): fix-gpt gives back its main copy.
c_4kn() {
	cp --sparse=always "$CLEAN" "$T/k.img"
	$CHECK to4kn "$T/k.img"
	cp --sparse=always "$T/k.img" "$T/d.img"
	printf 'XXXXXXXX' | dd of="$T/d.img" bs=1 seek=$((4096 + 24)) conv=notrunc status=none
	"$RAMHOST" rescue scan --json "$T/d.img" >"$T/scan.json" || [ $? -eq 3 ]
	$CHECK codes "$T/scan.json" | grep -qx gpt-main-damaged
	"$RAMHOST" rescue repair --yes --backup-dir "$T/b" "$T/d.img" | grep -q "sectors 1-1 (4096 bytes)"
	cmp "$T/d.img" "$T/k.img"
}

# Other vendors' EFI folders survive a repair of the ESP byte for byte.
c_foreign() {
	cp --sparse=always "$CLEAN" "$T/f.img"
	head -c 300000 /dev/urandom >"$T/bootmgfw.efi"
	head -c 200000 /dev/urandom >"$T/grubx64.efi"
	mmd -i "$(fat 1 "$T/f.img")" ::/EFI/Microsoft ::/EFI/Microsoft/Boot ::/EFI/debian
	mcopy -i "$(fat 1 "$T/f.img")" "$T/bootmgfw.efi" ::/EFI/Microsoft/Boot/bootmgfw.efi
	mcopy -i "$(fat 1 "$T/f.img")" "$T/grubx64.efi" ::/EFI/debian/grubx64.efi
	mdel -i "$(fat 1 "$T/f.img")" ::/EFI/BOOT/BOOTX64.EFI
	"$RAMHOST" rescue repair --yes --backup-dir "$T/b" "$T/f.img" | grep -q "install-uefi"
	mcopy -i "$(fat 1 "$T/f.img")" ::/EFI/Microsoft/Boot/bootmgfw.efi "$T/m.out"
	mcopy -i "$(fat 1 "$T/f.img")" ::/EFI/debian/grubx64.efi "$T/g.out"
	mcopy -i "$(fat 1 "$T/f.img")" ::/EFI/BOOT/BOOTX64.EFI "$T/x.out"
	cmp "$T/m.out" "$T/bootmgfw.efi"
	cmp "$T/g.out" "$T/grubx64.efi"
	cmp "$T/x.out" "$EFI"
}

# Firmware entries through a directory in efivarfs form: a fresh store gets ramhost's entry and BootOrder; a
# stale ramhost entry (its ESP is on no disk) goes, another system's stays; undo puts the store back.
efivar() { printf '\x07\x00\x00\x00' >"$1/$2-8be4df61-93ca-11d2-aa0d-00e098032b8c"; cat >>"$1/$2-8be4df61-93ca-11d2-aa0d-00e098032b8c"; }
c_entries() {
	mkdir "$T/vars"
	cp --sparse=always "$CLEAN" "$T/d.img"
	"$RAMHOST" rescue scan --json --efivars "$T/vars" "$T/d.img" >"$T/scan.json" || [ $? -eq 3 ]
	$CHECK codes "$T/scan.json" | grep -qx efi-no-entry
	"$RAMHOST" rescue repair --yes --efivars "$T/vars" --backup-dir "$T/b" "$T/d.img" | tee "$T/out"
	grep -q "variable Boot0000-8be4df61-93ca-11d2-aa0d-00e098032b8c: write" "$T/out"
	[ "$(od -An -tx1 -j4 "$T/vars/BootOrder-8be4df61-93ca-11d2-aa0d-00e098032b8c" | tr -d ' \n')" = 0000 ]
	"$RAMHOST" rescue scan --json --efivars "$T/vars" "$T/d.img" >"$T/after.json" || [ $? -eq 3 ]
	! $CHECK codes "$T/after.json" | grep -q '^efi-' || false
	"$RAMHOST" rescue undo --efivars "$T/vars" --backup-dir "$T/b" "$T/d.img"
	[ -z "$(ls "$T/vars")" ]
	# a stale ramhost entry (an ESP GUID no disk has) and a foreign one, both in BootOrder
	python3 - "$T/stale" "$T/foreign" <<'EOF2'
import struct, sys
def opt(desc, guid):
    d = (desc + "\0").encode("utf-16-le")
    hd = struct.pack("<BBHIQQ16sBB", 4, 1, 42, 1, 2048, 131072, guid, 2, 2)
    fp = ("\\EFI\\BOOT\\BOOTX64.EFI\0").encode("utf-16-le")
    node = struct.pack("<BBH", 4, 4, 4 + len(fp)) + fp
    end = struct.pack("<BBH", 0x7f, 0xff, 4)
    path = hd + node + end
    return struct.pack("<IH", 1, len(path)) + d + path
open(sys.argv[1], "wb").write(opt("ramhost", bytes(range(16))))
open(sys.argv[2], "wb").write(opt("debian", bytes(range(16, 32))))
EOF2
	efivar "$T/vars" Boot0001 <"$T/stale"
	efivar "$T/vars" Boot0002 <"$T/foreign"
	printf '\x01\x00\x02\x00' | efivar "$T/vars" BootOrder
	cp -a "$T/vars" "$T/vars.before"
	"$RAMHOST" rescue repair --yes --efivars "$T/vars" --backup-dir "$T/b2" "$T/d.img" | tee "$T/out2"
	grep -q "variable Boot0001-8be4df61-93ca-11d2-aa0d-00e098032b8c: delete" "$T/out2"
	[ ! -e "$T/vars/Boot0001-8be4df61-93ca-11d2-aa0d-00e098032b8c" ]
	cmp "$T/vars/Boot0002-8be4df61-93ca-11d2-aa0d-00e098032b8c" "$T/vars.before/Boot0002-8be4df61-93ca-11d2-aa0d-00e098032b8c"
	"$RAMHOST" rescue undo --efivars "$T/vars" --backup-dir "$T/b2" "$T/d.img"
	diff -r "$T/vars" "$T/vars.before"
}

# A full variable store (a 16 KiB tmpfs: one page per variable): with a stale ramhost entry, removing it makes the
# room; with only other systems' entries, the repair stops, names them and writes nothing.
c_full_store() {
	cp --sparse=always "$CLEAN" "$T/d.img"
	mkdir "$T/vars"
	mount -t tmpfs -o size=16k tmpfs "$T/vars"
	trap 'umount "$T/vars" 2>/dev/null || true' EXIT
	python3 - "$T" <<'EOF2'
import struct, sys
def opt(desc, guid):
    d = (desc + "\0").encode("utf-16-le")
    hd = struct.pack("<BBHIQQ16sBB", 4, 1, 42, 1, 2048, 131072, guid, 2, 2)
    fp = ("\\EFI\\BOOT\\BOOTX64.EFI\0").encode("utf-16-le")
    path = hd + struct.pack("<BBH", 4, 4, 4 + len(fp)) + fp + struct.pack("<BBH", 0x7f, 0xff, 4)
    return struct.pack("<IH", 1, len(path)) + d + path
for i, desc in enumerate(["ramhost", "debian", "Windows Boot Manager"]):
    open("%s/opt%d" % (sys.argv[1], i), "wb").write(opt(desc, bytes(range(16 * (i + 1), 16 * (i + 2)))))
EOF2
	efivar "$T/vars" Boot0001 <"$T/opt0"
	efivar "$T/vars" Boot0002 <"$T/opt1"
	efivar "$T/vars" Boot0003 <"$T/opt2"
	printf '\x01\x00\x02\x00\x03\x00' | efivar "$T/vars" BootOrder
	[ "$(stat -f -c %a "$T/vars")" = 0 ]
	"$RAMHOST" rescue scan --json --efivars "$T/vars" "$T/d.img" >"$T/scan.json" || [ $? -eq 3 ]
	$CHECK codes "$T/scan.json" | grep -qx efi-store-full
	"$RAMHOST" rescue repair --yes --efivars "$T/vars" --backup-dir "$T/b" "$T/d.img" | tee "$T/out"
	grep -q "Boot0001-8be4df61-93ca-11d2-aa0d-00e098032b8c: delete" "$T/out"
	[ "$(od -An -tx1 -j4 "$T/vars/BootOrder-8be4df61-93ca-11d2-aa0d-00e098032b8c" | tr -d ' \n')" = 000002000300 ]
	# full again with only other systems' entries: refused, named, nothing written
	rm "$T/vars/Boot0000-8be4df61-93ca-11d2-aa0d-00e098032b8c"
	efivar "$T/vars" Boot0004 <"$T/opt1"
	ls -l --time-style=+%s.%N "$T/vars" >"$T/before"
	expect_fail "$RAMHOST" rescue repair --yes --only boot-entries --efivars "$T/vars" --backup-dir "$T/b2" "$T/d.img"
	expect_err "variable store is full.*Boot0002 \(debian\).*efibootmgr"
	ls -l --time-style=+%s.%N "$T/vars" | diff - "$T/before"
}

# Without --backup-dir the backup goes to the disk's state partition; undo finds it there. Every byte outside the
# state partition is the damaged one again.
c_default_backup() {
	cp --sparse=always "$CLEAN" "$T/d.img"
	dmg_gpt_header "$T/d.img"
	cp --sparse=always "$T/d.img" "$T/damaged.img"
	"$RAMHOST" rescue repair --yes "$T/d.img" | tee "$T/out"
	grep -q "on the state partition" "$T/out"
	cmp <(head -c $(($(start 4 "$CLEAN") * 512)) "$T/d.img") <(head -c $(($(start 4 "$CLEAN") * 512)) "$CLEAN")
	"$RAMHOST" rescue undo "$T/d.img"
	cmp <(head -c $(($(start 4 "$CLEAN") * 512)) "$T/d.img") <(head -c $(($(start 4 "$CLEAN") * 512)) "$T/damaged.img")
	debugfs -R "ls /rescue-backups" "$T/d.img?offset=$(($(start 4 "$CLEAN") * 512))" 2>/dev/null | grep -q rescue-
	# restore-state writes to the state partition: its backup cannot live there
	dmg_state "$T/d.img"
	expect_fail "$RAMHOST" rescue repair --yes "$T/d.img"
	expect_err "writes to the state partition.*--backup-dir"
}

# verify-bank: every module of each bank with its hash; exit 0 when both verify, 3 when one does not (JSON says
# which), 2 for a bank that does not exist.
c_verify_bank() {
	cp --sparse=always "$CLEAN" "$T/d.img"
	"$RAMHOST" rescue verify-bank "$T/d.img" >"$T/out"
	grep -q "bank 1 verifies" "$T/out"
	grep -q "bank 2 verifies" "$T/out"
	[ "$(grep -c " ok  " "$T/out")" -ge 6 ]
	dmg_flip1 "$T/d.img"
	cp --sparse=always "$T/d.img" "$T/damaged.img"
	local rc=0
	"$RAMHOST" rescue verify-bank --bank 1 "$T/d.img" >"$T/out" || rc=$?
	[ $rc = 3 ]
	grep -q "base.tdk .*bad-hash" "$T/out"
	grep -q "bank 1 does NOT verify" "$T/out"
	if grep -q "bank 2" "$T/out"; then
		echo "--bank 1 showed bank 2"
		return 1
	fi
	rc=0
	"$RAMHOST" rescue verify-bank --json "$T/d.img" >"$T/v.json" || rc=$?
	[ $rc = 3 ]
	python3 - "$T/v.json" <<'EOF2'
import json, sys
b = json.load(open(sys.argv[1]))["disks"][0]["banks"]
assert [x["number"] for x in b] == [1, 2] and not b[0]["verified"] and b[1]["verified"], b
assert [m["state"] for m in b[0]["modules"] if m["name"] == "base.tdk"] == ["bad-hash"]
EOF2
	expect_fail "$RAMHOST" rescue verify-bank --bank 3 "$T/d.img"
	expect_err "--bank is 1 or 2"
	# a disk that cannot be read first: named on stderr, exit 1, and the JSON of the others still parses
	rc=0
	"$RAMHOST" rescue verify-bank --json "$T/missing.img" "$T/d.img" >"$T/v.json" 2>"$T/err" || rc=$?
	[ $rc = 1 ]
	grep -q "missing.img" "$T/err"
	python3 -c 'import json, sys; assert len(json.load(open(sys.argv[1]))["disks"]) == 1' "$T/v.json"
	cmp "$T/d.img" "$T/damaged.img"
}

# SIGTERM at each fsync of a repair whose backup goes to the state partition (strace injects it: the backup's
# files, the rename into place, the disk's writes, the status): outside the state partition the disk is either
# the damaged one or the repaired one, a backup folder is there whenever the disk changed, and no loop device,
# mount or temporary (on the host or on the state partition) is left.
c_killed_default_backup() {
	local n p4 fsyncs
	cp --sparse=always "$CLEAN" "$T/damaged.img"
	dmg_gpt_header "$T/damaged.img"
	p4=$(($(start 4 "$CLEAN") * 512))
	cp --sparse=always "$T/damaged.img" "$T/d.img"
	strace -o "$T/st" -e trace=fsync "$RAMHOST" rescue repair --yes "$T/d.img" >/dev/null
	fsyncs=$(grep -c '^fsync' "$T/st")
	[ "$fsyncs" -ge 4 ]
	mkdir -p "$T/tmp"
	for n in $(seq "$fsyncs"); do
		cp --sparse=always "$T/damaged.img" "$T/d.img"
		if TMPDIR=$T/tmp strace -o "$T/st" -e trace=fsync -e inject=fsync:signal=SIGTERM:when="$n" \
			"$RAMHOST" rescue repair --yes "$T/d.img" >/dev/null 2>&1; then
			echo "fsync $n: the repair was not stopped"
			return 1
		fi
		if losetup -a | grep -F "$T/" || grep -F "$T/" /proc/mounts; then
			echo "fsync $n: a loop device or a mount was left"
			return 1
		fi
		[ -z "$(ls -A "$T/tmp")" ] || { echo "fsync $n: left in TMPDIR:"; ls -A "$T/tmp"; return 1; }
		debugfs -R "ls /rescue-backups" "$T/d.img?offset=$p4" 2>/dev/null >"$T/ls"
		if grep -q "rescue-tmp" "$T/ls"; then
			echo "fsync $n: a temporary backup folder was left"
			return 1
		fi
		if cmp -s <(head -c $p4 "$T/d.img") <(head -c $p4 "$T/damaged.img"); then
			:   # stopped before the writes (a complete backup may already be in place: it comes first)
		elif cmp -s <(head -c $p4 "$T/d.img") <(head -c $p4 "$CLEAN"); then
			grep -q " rescue-2" "$T/ls"
		else
			echo "fsync $n: the disk is neither the damaged nor the repaired one"
			return 1
		fi
	done
}

# Bad input: clear errors, nothing written.
c_bad_input() {
	mkdir "$T/dir"
	expect_fail "$RAMHOST" rescue scan "$T/dir"
	expect_err "dir"
	expect_fail "$RAMHOST" rescue scan /dev/null
	expect_err "/dev/null"
	mkfifo "$T/fifo"
	expect_fail timeout 10 "$RAMHOST" rescue scan "$T/fifo"
	expect_err "fifo"
	head -c 100000 /dev/zero >"$T/small.img"
	expect_fail "$RAMHOST" rescue scan "$T/small.img"
	expect_err "small"
	head -c $((8 * 1024 * 1024)) /dev/urandom >"$T/noise.img"
	cp "$T/noise.img" "$T/noise.orig"
	"$RAMHOST" rescue scan "$T/noise.img" >"$T/out" || [ $? -eq 3 ]
	grep -qi "gpt" "$T/out"
	"$RAMHOST" rescue repair --yes --backup-dir "$T/b" "$T/noise.img" || true
	cmp "$T/noise.img" "$T/noise.orig"
	cp --sparse=always "$CLEAN" "$T/ro.img"
	dmg_code "$T/ro.img"
	cp --sparse=always "$T/ro.img" "$T/ro.orig"
	chattr +i "$T/ro.img"
	expect_fail "$RAMHOST" rescue repair --yes --backup-dir "$T/b" "$T/ro.img"
	chattr -i "$T/ro.img"
	expect_err "ro.img"
	cmp "$T/ro.img" "$T/ro.orig"
	[ ! -e "$T/b" ] || [ -z "$(ls -A "$T/b")" ]
	# no terminal and no --yes: refused, nothing written
	expect_fail "$RAMHOST" rescue repair --backup-dir "$T/b" "$T/ro.img" </dev/null
	expect_err "pass --yes"
	cmp "$T/ro.img" "$T/ro.orig"
}

# The on-demand disk drivers (lib/host/ondemand.h): rescue and install run init's plan before they look at a
# disk. A plan that is not one, or that names a module that is not there, stops the command with the plan's
# file, line or module named and the image untouched; no plan (a build machine, a disk boot) is nothing to load.
# No real module is ever named: nothing is loaded into this machine's kernel.
c_ondemand_plan() {
	cp --sparse=always "$CLEAN" "$T/p.img"
	printf '# plan\n/etc/passwd\n' >"$T/bad.plan"
	RAMHOST_ONDEMAND_PLAN=$T/bad.plan expect_fail "$RAMHOST" rescue scan "$T/p.img"
	expect_err "ramhost rescue: disk drivers: $T/bad.plan: line 2: not a clean absolute path ending in .ko"
	printf '%s\n' "$T/no-such-dir/ata_piix.ko" >"$T/missing.plan"
	RAMHOST_ONDEMAND_PLAN=$T/missing.plan expect_fail "$RAMHOST" rescue repair --yes --backup-dir "$T/b" "$T/p.img"
	expect_err "kernel module $T/no-such-dir/ata_piix.ko: No such file or directory"
	RAMHOST_ONDEMAND_PLAN=$T/missing.plan expect_fail "$RAMHOST" install --disk "$T/p.img" --yes
	expect_err "ramhost install: disk drivers: kernel module $T/no-such-dir/ata_piix.ko"
	cmp "$T/p.img" "$CLEAN"
	[ ! -e "$T/b" ]
	RAMHOST_ONDEMAND_PLAN=$T/none.plan "$RAMHOST" rescue scan "$T/p.img" >"$T/out" 2>&1
	! grep -q "disk drivers\|loaded" "$T/out" || false
}

t_case "rescue scan: a clean disk has no problem" clean_scan
t_case "rescue: zeroed LBA 0 -> fix-pmbr" c_lba0
t_case "rescue: zeroed MBR boot code -> fix-pmbr" c_code
t_case "rescue: corrupt main GPT header -> fix-gpt (bytes as built)" c_gpt_header
t_case "rescue: zeroed main GPT entries -> fix-gpt (bytes as built)" c_gpt_entries
t_case "rescue: image grown by 1 GiB -> fix-gpt moves the backup" c_grown
t_case "rescue: both GPT copies zeroed -> find-partitions" c_both_gpt
t_case "rescue: bank ldlinux.sys deleted -> install-bios" c_ldlinux
t_case "rescue: ESP FAT32 sector 0 zeroed -> fsck from the backup (bytes as built)" c_esp_boot
t_case "rescue: BOOTX64.EFI deleted -> install-uefi" c_bootx64
t_case "rescue: ESP written when the power was cut (dirty, FATs differ) -> fsck" c_dirty
t_case "rescue: bank boot.cfg truncated -> rebuild-cfg" c_cfg
t_case "rescue: a tardisk byte flipped in bank 1 -> copy-module (bytes as built)" c_flip1
t_case "rescue: both banks damaged -> reinstall-bank from the media" c_flip_both
t_case "rescue: newest state generation truncated -> restore-state" c_state
t_case "rescue: a 4Kn disk's main GPT from its backup" c_4kn
t_case "rescue: other vendors' EFI folders survive an ESP repair byte for byte" c_foreign
t_case "rescue: boot entries in a fresh store, a stale one removed, a foreign one kept, undo" c_entries
t_case "rescue: a full variable store: a stale ramhost entry makes room; else refused, naming the others" c_full_store
t_case "rescue: the backup on the state partition by default; not for a repair that writes there" c_default_backup
t_case "rescue: verify-bank lists every module's hash and says which bank does not verify" c_verify_bank
t_case "rescue: SIGTERM at each fsync with the default backup place: old or new disk, nothing left" c_killed_default_backup
t_case "rescue: bad input (a directory, a device, a fifo, too small, noise, read-only, no terminal)" c_bad_input
t_case "rescue, install: a bad on-demand plan or a missing module stops them, the disk untouched" c_ondemand_plan
t_exit
