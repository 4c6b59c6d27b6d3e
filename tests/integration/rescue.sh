#!/usr/bin/env bash
# tests/integration/rescue.sh: `ramhost rescue` on disk images made by `ramhost image disk`, the corruption
# matrix of issue 12 that needs no firmware. Every case: damage a copy of a clean image, `rescue scan --json`
# names the problem and its repair, `rescue plan --json` lists the extents, `rescue repair --yes` writes them
# (backup first), the scan is then clean, no byte outside the plan changed, the repair gives back the clean
# image's bytes where it can (fix-gpt, fsck's boot sector, copy-module), and `rescue undo` gives back the
# damaged bytes exactly. Then bad input: not a disk, read-only, too small, no partition table.
# Needs the setup cache, sgdisk, mtools, syslinux, dosfstools, e2fsprogs, python3.
. "$(dirname "$0")/../lib.sh"

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

# start N IMG: partition N's first sector (512-byte sectors).
start() { sgdisk -i "$1" "$2" | awk '/^First sector:/ {print $3}'; }
# fat N IMG: the mtools target of partition N.
fat() { echo "$2@@$(($(start "$1" "$2") * 512))"; }

# Three state generations on the clean image's state partition (p4), written with debugfs as `state save` left
# them in a store directory.
mkdir -p "$S/root/etc" "$S/root/run/ramhost" "$S/store"
echo /etc/app.conf >"$S/root/run/ramhost/sticky.list"
for g in 1 2 3; do
	echo "generation $g" >"$S/root/etc/app.conf"
	"$RAMHOST" state save --root "$S/root" --store "$S/store" >/dev/null
done
P4="$CLEAN?offset=$(($(start 4 "$CLEAN") * 512))"
for f in "$S"/store/state-*.rhs; do
	debugfs -w -R "write $f $(basename "$f")" "$P4" >/dev/null 2>&1
done

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

dmg_lba0() { dd if=/dev/zero of="$1" bs=512 count=1 conv=notrunc status=none; }
dmg_code() { dd if=/dev/zero of="$1" bs=440 count=1 conv=notrunc status=none; }
dmg_gpt_header() { printf 'XXXXXXXX' | dd of="$1" bs=1 seek=$((512 + 24)) conv=notrunc status=none; }
dmg_gpt_entries() { dd if=/dev/zero of="$1" bs=512 seek=2 count=32 conv=notrunc status=none; }
dmg_grown() { truncate -s +1G "$1"; }
dmg_both_gpt() {
	local n=$(($(stat -c %s "$1") / 512))
	dd if=/dev/zero of="$1" bs=512 seek=1 count=33 conv=notrunc status=none
	dd if=/dev/zero of="$1" bs=512 seek=$((n - 33)) count=33 conv=notrunc status=none
}
dmg_ldlinux() { mattrib -i "$(fat 2 "$1")" -r -s -h ::/syslinux/ldlinux.sys && mdel -i "$(fat 2 "$1")" ::/syslinux/ldlinux.sys; }
dmg_esp_boot() { dd if=/dev/zero of="$1" bs=512 seek="$(start 1 "$1")" count=1 conv=notrunc status=none; }
dmg_bootx64() { mdel -i "$(fat 1 "$1")" ::/EFI/BOOT/BOOTX64.EFI; }
dmg_cfg() {
	mcopy -i "$(fat 2 "$1")" ::/boot.cfg "$T/boot.cfg"
	head -c 40 "$T/boot.cfg" >"$T/short.cfg"
	mcopy -o -i "$(fat 2 "$1")" "$T/short.cfg" ::/boot.cfg
}
# flip one byte of base.tdk in bank N (found through mtools' own view of the file's clusters: overwrite it)
flip() {
	mcopy -i "$(fat "$2" "$1")" ::/base.tdk "$T/base.tdk"
	printf '\x5a' | dd of="$T/base.tdk" bs=1 seek=4096 conv=notrunc status=none
	mcopy -o -i "$(fat "$2" "$1")" "$T/base.tdk" ::/base.tdk
}
dmg_flip1() { flip "$1" 2; }
dmg_flip_both() { flip "$1" 2; flip "$1" 3; }
dmg_state() {
	local p="$1?offset=$(($(start 4 "$1") * 512))"
	debugfs -R "dump state-00000003.rhs $T/g3" "$p" >/dev/null 2>&1
	head -c 100 "$T/g3" >"$T/g3.short"
	debugfs -w -R "rm state-00000003.rhs" "$p" >/dev/null 2>&1
	debugfs -w -R "write $T/g3.short state-00000003.rhs" "$p" >/dev/null 2>&1
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
c_cfg() { run_case dmg_cfg bank-cfg-bad; }
c_flip1() { run_case dmg_flip1 bank-module-damaged same; }
c_flip_both() { run_case dmg_flip_both bank-damaged; }
c_state() { run_case dmg_state state-newest-damaged; }

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
t_case "rescue: bank boot.cfg truncated -> rebuild-cfg" c_cfg
t_case "rescue: a tardisk byte flipped in bank 1 -> copy-module (bytes as built)" c_flip1
t_case "rescue: both banks damaged -> reinstall-bank from the media" c_flip_both
t_case "rescue: newest state generation truncated -> restore-state" c_state
t_exit
