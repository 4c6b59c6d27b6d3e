#!/usr/bin/env bash
# tests/integration/rescue_scan.sh: `ramhost rescue scan --json` on disk images made by `ramhost image disk`, one
# case per fault of issue 12's matrix: the damage, then the scan names the problem with the repair that fixes it
# (code, op, argument) and nothing that would run a wrong repair. Also: a healthy disk has no problem and is not
# written by the scan; other systems' loaders (GRUB, Windows Boot Manager) and a Debian installation found by
# its os-release are listed; firmware entries from a test efivarfs directory; Secure Boot with an unsigned and a
# signed loader; a 64 GiB sparse image scanned in well under a second.
# Needs the setup cache, init and ramhost.efi next to $RAMHOST, sgdisk, mtools, dosfstools, e2fsprogs, python3,
# sbsigntool, grub-pc-bin (boot.img).
. "$(dirname "$0")/../lib.sh"

# Until cli/cmd_rescue.c exists there is nothing to drive (the scan itself is unit-tested: test_scan_disk).
if ! "$RAMHOST" rescue scan --help >/dev/null 2>&1; then
	echo "SKIP rescue_scan: ramhost rescue scan is not built yet"
	exit 0
fi

PROFILE=$TOP/examples/demo/profile
SHARED=$(mktemp -d "${TMPDIR:-/tmp}/ramhost-rescue-scan.XXXXXX")
trap 'rm -rf "$SHARED"' EXIT
export SOURCE_DATE_EPOCH=1700000000 MTOOLS_SKIP_CHECK=1
SNAKEOIL_KEY=/usr/share/ovmf/PkKek-1-snakeoil.key
SNAKEOIL_CERT=/usr/share/ovmf/PkKek-1-snakeoil.pem

# One bootbank, one disk image; every case damages its own sparse copy.
"$RAMHOST" image build "$PROFILE" -o "$SHARED/bank" -q 2>"$SHARED/build.err" || cat "$SHARED/build.err"
"$RAMHOST" image disk --bootbank "$SHARED/bank" -o "$SHARED/disk.img" -q 2>"$SHARED/disk.err" ||
	cat "$SHARED/disk.err"
DISK=$SHARED/disk.img

# start N IMG: partition N's first sector (512-byte sectors).
start() { sgdisk -i "$1" "$2" | awk '/^First sector:/ {print $3}'; }
# fat N: the mtools image spec of partition N of $T/d.img.
fat() { echo "$T/d.img@@$(($(start "$1" "$T/d.img") * 512))"; }
copy() { cp --sparse=always "$DISK" "$T/d.img"; }

# scan [ARGS]: the JSON report of $T/d.img into $T/scan.json.
scan() { "$RAMHOST" rescue scan --json "$@" "$T/d.img" >"$T/scan.json"; }

# check PYTHON-EXPR...: each expression holds for the report d (the first disk's object), p (code -> problem).
check() {
	python3 - "$T/scan.json" "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
if isinstance(d, list):
    d = d[0]
p = {x["code"]: x for x in d["problems"]}
for e in sys.argv[2:]:
    if not eval(e):
        print("check failed:", e)
        print(json.dumps(d["problems"], indent=1))
        sys.exit(1)
EOF
}

# has CODE OP ARG: the report names CODE, repaired by OP with ARG ("none": no op).
has() {
	if [ "$2" = none ]; then
		check "'$1' in p" "p['$1']['op'] is None"
	else
		check "'$1' in p" "p['$1']['op'] == '$2'" "p['$1']['arg'] == '$3'" \
			"p['$1']['fix'] == 'ramhost rescue repair --only $2${3:+ $3}'"
	fi
}

healthy() {
	copy
	cp --sparse=always "$T/d.img" "$T/before.img"
	scan
	check "d['problems'] == []" "d['ramhost']" "d['mbr']['code'] == 'gptmbr'" "d['gpt']['main_ok']" \
		"d['gpt']['backup_ok']" "d['esp']['fallback_is_ramhost']" "d['esp']['chain_bank'] == 1" \
		"[l['path'] for l in d['esp']['loaders']] == ['/EFI/BOOT/BOOTX64.EFI']" \
		"d['esp']['loaders'][0]['signed'] is False" \
		"all(b['modules_ok'] and b['cfg'] and b['syslinux'] for b in d['banks'])" \
		"[b['updated'] for b in d['banks']] == [2, 1]" "d['state']['fs_ok']" "not d['firmware']['available']"
	local want
	want=$(sha256sum <"$SHARED/bank/base.tdk" | cut -d' ' -f1)
	check "[m['sha256'] for m in d['banks'][0]['modules'] if m['name'] == 'base.tdk'] == ['$want']"
	cmp "$T/d.img" "$T/before.img"   # read-only
	"$RAMHOST" rescue scan "$T/d.img" >text
	grep -q '^No problems found.$' text
	grep -q '^  GPT: .*main ok, backup ok' text
}

mbr_zeroed() {
	copy
	dd if=/dev/zero of="$T/d.img" bs=512 count=1 conv=notrunc status=none
	scan
	has mbr-zeroed fix-pmbr ""
	check "'mbr-code-zero' not in p" "p['mbr-zeroed']['severity'] == 'broken'"
}

mbr_code_zeroed() {
	copy
	dd if=/dev/zero of="$T/d.img" bs=440 count=1 conv=notrunc status=none
	scan
	has mbr-code-zero fix-pmbr ""
	check "'UEFI still can' in p['mbr-code-zero']['what']" "len(p) == 1"
}

mbr_grub() {
	copy
	dd if=/usr/lib/grub/i386-pc/boot.img of="$T/d.img" bs=440 count=1 conv=notrunc status=none
	scan
	has mbr-code-grub fix-pmbr ""
	check "'--force' in p['mbr-code-grub']['what']" "d['others'][0]['kind'] == 'grub'" \
		"d['others'][0]['where'] == 'MBR'"
}

gpt_main_header() {
	copy
	printf 'X' | dd of="$T/d.img" bs=1 seek=$((512 + 20)) conv=notrunc status=none
	scan
	has gpt-main-damaged fix-gpt ""
	check "'header: CRC32 mismatch' in p['gpt-main-damaged']['what']" "len(p) == 1" \
		"d['gpt']['used_backup']" "d['esp']['fallback_is_ramhost']"
}

gpt_main_entries() {
	copy
	dd if=/dev/zero of="$T/d.img" bs=512 seek=2 count=32 conv=notrunc status=none
	scan
	has gpt-main-damaged fix-gpt ""
	check "'entry array' in d['gpt']['main_why']" "len(p) == 1"
}

gpt_backup() {
	local last
	copy
	last=$(($(stat -c %s "$T/d.img") / 512 - 1))
	dd if=/dev/zero of="$T/d.img" bs=512 seek=$last count=1 conv=notrunc status=none
	scan
	has gpt-backup-damaged fix-gpt ""
	check "p['gpt-backup-damaged']['severity'] == 'warn'" "len(p) == 1"
}

gpt_grown() {
	copy
	truncate -s +1G "$T/d.img"
	scan
	has gpt-backup-not-at-end fix-gpt ""
	check "p['gpt-backup-not-at-end']['severity'] == 'warn'" "len(p) == 1" "d['gpt']['backup_ok']"
}

gpt_both() {
	local last
	copy
	last=$(($(stat -c %s "$T/d.img") / 512 - 1))
	dd if=/dev/zero of="$T/d.img" bs=512 seek=1 count=33 conv=notrunc status=none
	dd if=/dev/zero of="$T/d.img" bs=512 seek=$((last - 32)) count=33 conv=notrunc status=none
	scan
	has gpt-both-damaged find-partitions ""
	check "not d['gpt']['main_ok'] and not d['gpt']['backup_ok']"
}

bank_ldlinux() {
	copy
	mdel -i "$(fat 2)" ::/syslinux/ldlinux.sys
	scan
	has bank-syslinux-missing install-bios ""
	check "d['banks'][0]['syslinux_missing'] == '/syslinux/ldlinux.sys'" "len(p) == 1"
}

esp_sector0() {
	copy
	dd if=/dev/zero of="$T/d.img" bs=512 seek="$(start 1 "$T/d.img")" count=1 conv=notrunc status=none
	scan
	has esp-boot-sector-damaged fsck esp
	check "d['esp']['fs']['boot_sector_from_backup']" "d['esp']['fallback_is_ramhost']" "len(p) == 1"
}

# A cut write: the FAT's clean bit cleared and the second FAT changed (as a power loss between the two).
esp_dirty() {
	local s
	copy
	s=$(start 1 "$T/d.img")
	python3 - "$T/d.img" $((s * 512)) <<'EOF'
import struct, sys
f = open(sys.argv[1], 'r+b'); base = int(sys.argv[2])
f.seek(base); bs = f.read(512)
bps, rs, fs = struct.unpack_from('<H', bs, 11)[0], struct.unpack_from('<H', bs, 14)[0], struct.unpack_from('<I', bs, 36)[0]
f.seek(base + rs * bps + 4); v = struct.unpack('<I', f.read(4))[0]
f.seek(base + rs * bps + 4); f.write(struct.pack('<I', v & ~(1 << 27)))
f.seek(base + (rs + fs) * bps + 200); f.write(b'\x55')
EOF
	scan
	has esp-dirty fsck esp
	check "d['esp']['fs']['dirty'] and d['esp']['fs']['fats_differ']" "len(p) == 1"
}

esp_fallback() {
	copy
	mdel -i "$(fat 1)" ::/EFI/BOOT/BOOTX64.EFI
	scan
	has esp-fallback-missing install-uefi ""
	check "'BIOS still can' in p['esp-fallback-missing']['what']" "len(p) == 1"
}

esp_full() {
	local free
	copy
	scan
	free=$(python3 -c "import json; print(json.load(open('$T/scan.json'))['esp']['fs']['free_bytes'])")
	truncate -s $((free - 512 * 1024)) big
	mcopy -i "$(fat 1)" big ::/big
	scan
	has esp-full none ""
	check "len(p) == 1"
}

bank_cfg_truncated() {
	copy
	mcopy -i "$(fat 2)" ::/boot.cfg cfg
	truncate -s $(($(stat -c %s cfg) / 2)) cfg
	mcopy -o -i "$(fat 2)" cfg ::/boot.cfg
	scan
	has bank-cfg-bad rebuild-cfg 1
	has bank-revert revert 2
	check "len(p) == 2"
}

bank_module_flipped() {
	copy
	mcopy -i "$(fat 2)" ::/base.tdk m
	printf '\x00' | dd of=m bs=1 seek=4096 conv=notrunc status=none
	mcopy -o -i "$(fat 2)" m ::/base.tdk
	scan
	has bank-module-damaged copy-module 1:base.tdk
	has bank-revert revert 2
	check "len(p) == 2" \
		"any(m['state'] == 'bad-hash' for m in d['banks'][0]['modules'])"
	# the same module damaged in bank 2 too: nothing to copy from, both banks are reinstalled
	mcopy -o -i "$(fat 3)" m ::/base.tdk
	scan
	check "[x['arg'] for x in d['problems'] if x['op'] == 'reinstall-bank'] == ['1', '2']" \
		"'copy-module' not in [x['op'] for x in d['problems']]" "'bank-revert' not in p"
}

# Three state generations written into the ext4 partition with debugfs, the newest cut short.
state_truncated() {
	local i s
	copy
	mkdir -p store root/etc
	for i in 1 2 3; do
		echo "host$i" >root/etc/hostname
		"$RAMHOST" state save --store "$T/store" --root "$T/root" >/dev/null
	done
	head -c 100 store/state-00000003.rhs >g3
	printf 'write store/state-00000001.rhs state-00000001.rhs\nwrite store/state-00000002.rhs state-00000002.rhs\nwrite g3 state-00000003.rhs\n' >cmds
	s=$(start 4 "$T/d.img")
	debugfs -w -f cmds "$T/d.img?offset=$((s * 512))" >/dev/null 2>&1
	scan
	has state-newest-damaged restore-state 2
	check "[g['generation'] for g in d['state']['generations']] == [1, 2, 3]" \
		"[g['ok'] for g in d['state']['generations']] == [True, True, False]" "len(p) == 1"
}


EFI_GUID=8be4df61-93ca-11d2-aa0d-00e098032b8c
# boot_entry DIR NUM DESC PARTGUID FILE: a Boot#### load option (HD node of partition 1, file path node).
boot_entry() {
	python3 - "$@" <<'EOF2'
import struct, sys, uuid
d, num, desc, guid, path = sys.argv[1:6]
dsc = desc.encode('utf-16-le') + b'\0\0'
hd = struct.pack('<BBHIQQ16sBB', 4, 1, 42, 1, 2048, 131072, uuid.UUID(guid).bytes_le, 2, 2)
p = path.encode('utf-16-le') + b'\0\0'
dp = hd + struct.pack('<BBH', 4, 4, 4 + len(p)) + p + struct.pack('<BBH', 0x7f, 0xff, 4)
opt = struct.pack('<IH', 1, len(dp)) + dsc + dp
open('%s/Boot%s-8be4df61-93ca-11d2-aa0d-00e098032b8c' % (d, num), 'wb').write(struct.pack('<I', 7) + opt)
EOF2
}
# var DIR NAME PRINTF-BYTES: any other variable.
var() { printf "\x07\x00\x00\x00$3" >"$1/$2-$EFI_GUID"; }

firmware() {
	local g1
	copy
	mkdir ev
	scan --efivars "$T/ev"   # a fresh variable store: no entry, no BootOrder
	has efi-no-entry boot-entries ""
	has efi-bootorder-missing boot-entries ""
	check "d['firmware']['available']" "len(p) == 2"
	g1=$(sgdisk -i 1 "$T/d.img" | sed -n 's/^Partition unique GUID: //p')
	boot_entry ev 0001 ramhost "$g1" '\EFI\BOOT\BOOTX64.EFI'
	boot_entry ev 0004 ramhost 11111111-2222-4333-8444-555555555555 '\EFI\BOOT\BOOTX64.EFI'
	boot_entry ev 0000 'UEFI Shell' 11111111-2222-4333-8444-555555555556 '\shell.efi'
	var ev BootOrder '\x01\x00\x00\x00'
	scan --efivars "$T/ev"
	has efi-entry-stale boot-entries ""
	check "len(p) == 1" "'Boot0004' in p['efi-entry-stale']['what']" \
		"[e['num'] for e in d['firmware']['entries']] == ['Boot0000', 'Boot0001', 'Boot0004']" \
		"d['firmware']['entries'][1]['ours'] and d['firmware']['entries'][1]['on_this_disk']" \
		"d['firmware']['entries'][1]['file_exists'] is True" "not d['firmware']['entries'][0]['ours']" \
		"d['firmware']['boot_order'] == ['0001', '0000']"
	rm "ev/Boot0004-$EFI_GUID"
	mdel -i "$(fat 1)" ::/EFI/BOOT/BOOTX64.EFI
	scan --efivars "$T/ev"
	has efi-entry-file-missing boot-entries ""
	has esp-fallback-missing install-uefi ""
}

secure_boot() {
	copy
	mkdir ev
	var ev SecureBoot '\x01'
	scan --efivars "$T/ev"
	has esp-loader-unsigned install-uefi ""
	openssl pkey -in "$SNAKEOIL_KEY" -passin pass:snakeoil -out test.key
	"$RAMHOST" image disk --bootbank "$SHARED/bank" -o "$T/d.img" -q --force --sign-key test.key \
		--sign-cert "$SNAKEOIL_CERT"
	scan --efivars "$T/ev"
	check "'esp-loader-unsigned' not in p" "d['esp']['loaders'][0]['signed'] is True" \
		"d['firmware']['secure_boot']"
}

# Other vendors' folders on a ramhost ESP are listed as other systems, and are no problem.
foreign_folders() {
	copy
	printf 'MZ not really\n' >l.efi
	mmd -i "$(fat 1)" ::/EFI/debian ::/EFI/Microsoft ::/EFI/Microsoft/Boot ::/EFI/systemd
	mcopy -i "$(fat 1)" l.efi ::/EFI/debian/grubx64.efi
	mcopy -i "$(fat 1)" l.efi ::/EFI/debian/shimx64.efi
	mcopy -i "$(fat 1)" l.efi ::/EFI/Microsoft/Boot/bootmgfw.efi
	mcopy -i "$(fat 1)" l.efi ::/EFI/systemd/systemd-bootx64.efi
	scan
	check "d['problems'] == []" "sorted(d['esp']['vendors']) == ['Microsoft', 'debian', 'systemd']" \
		"sorted(o['kind'] for o in d['others']) == ['grub', 'systemd-boot', 'windows']" \
		"len(d['esp']['loaders']) == 5" "all(l['signed'] is None for l in d['esp']['loaders'][1:])"
}

# A Debian-like disk (not ramhost's): BIOS boot partition, ESP with /EFI/debian, ext4 root with os-release.
debian() {
	truncate -s 200M "$T/d.img"
	sgdisk -n 1:2048:+1M -t 1:EF02 -c 1:bios -n 2:0:+40M -t 2:EF00 -c 2:EFI -n 3:0:0 -t 3:8300 -c 3:root \
		"$T/d.img" >/dev/null
	dd if=/usr/lib/grub/i386-pc/boot.img of="$T/d.img" bs=440 count=1 conv=notrunc status=none
	mkfs.fat -F 32 -C esp.img $((40 * 1024)) >/dev/null
	printf 'MZ grub\n' >g.efi
	mmd -i esp.img ::/EFI ::/EFI/debian
	mcopy -i esp.img g.efi ::/EFI/debian/grubx64.efi
	mcopy -i esp.img g.efi ::/EFI/debian/shimx64.efi
	dd if=esp.img of="$T/d.img" bs=1M seek=2 conv=notrunc,sparse status=none
	mkdir -p root/etc root/usr/lib
	printf 'NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >root/usr/lib/os-release
	ln -s ../usr/lib/os-release root/etc/os-release
	mkfs.ext4 -q -d root root.img 100M
	dd if=root.img of="$T/d.img" bs=1M seek=42 conv=notrunc,sparse status=none
	scan
	check "d['problems'] == []" "not d['ramhost']" \
		"{'kind': 'linux', 'where': 'p3', 'detail': 'Debian GNU/Linux 12 (bookworm)'} in d['others']" \
		"{'kind': 'grub', 'where': 'MBR', 'detail': 'GRUB boot code (boot.img)'} in d['others']"
	# its MBR zeroed and its grubx64.efi deleted: `rescue grub` for the installation on p3
	dd if=/dev/zero of="$T/d.img" bs=440 count=1 conv=notrunc status=none
	mdel -i "$T/d.img@@$((2 * 1024 * 1024))" ::/EFI/debian/grubx64.efi
	scan
	has linux-loader-missing grub 3
	check "'mbr-code-zero' not in p" "'Debian GNU/Linux 12' in p['linux-loader-missing']['what']"
}

# A 4Kn disk: the same image with its GPT rewritten for 4096-byte logical sectors (every partition starts on a
# MiB, so only the table changes; the FAT volumes keep their 512-byte sectors, which the scan reads by offset).
disk_4kn() {
	copy
	python3 - "$T/d.img" <<'EOF2'
import struct, sys, zlib
f = open(sys.argv[1], 'r+b')
size = f.seek(0, 2)
f.seek(512); h = f.read(92)
ents = f.seek(1024) and f.read(128 * 128)
bs, n = 4096, size // 4096
parts = b''
for i in range(128):
    e = bytearray(ents[i * 128:(i + 1) * 128])
    if any(e[:16]):
        first, last = struct.unpack_from('<QQ', e, 32)
        struct.pack_into('<QQ', e, 32, first * 512 // bs, (last + 1) * 512 // bs - 1)
    parts += bytes(e)
crc = zlib.crc32(parts) & 0xffffffff
def header(me, alt, entlba):
    hd = bytearray(h)
    struct.pack_into('<IIIIQQQQ', hd, 8, 0x10000, 92, 0, 0, me, alt, 6, n - 6)
    struct.pack_into('<QIII', hd, 72, entlba, 128, 128, crc)
    struct.pack_into('<I', hd, 16, zlib.crc32(bytes(hd)) & 0xffffffff)
    return bytes(hd)
f.seek(512); f.write(bytes(24576 - 512))
f.seek(size - 33 * 512); f.write(bytes(33 * 512))
f.seek(446 + 12); f.write(struct.pack('<I', min(n - 1, 0xffffffff)))
f.seek(bs); f.write(header(1, n - 1, 2))
f.seek(2 * bs); f.write(parts)
f.seek((n - 5) * bs); f.write(parts)
f.seek((n - 1) * bs); f.write(header(n - 1, 1, n - 5))
EOF2
	scan
	check "d['sector'] == 4096" "not d['sector_guessed']" "d['problems'] == []" "d['esp']['fs']['start'] == 256" \
		"all(b['modules_ok'] for b in d['banks'])" "d['gpt']['backup_lba'] == d['size'] // 4096 - 1"
	mdel -i "$T/d.img@@$((256 * 4096))" ::/EFI/BOOT/BOOTX64.EFI
	scan
	has esp-fallback-missing install-uefi ""
}

# A 64 GiB sparse image (the backup GPT moved to its end): read only what is needed.
sparse_64g() {
	local t0 t1 ms
	copy
	truncate -s 64G "$T/d.img"
	sgdisk -e "$T/d.img" >/dev/null
	t0=$(date +%s%N)
	scan
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	echo "rescue scan of a 64 GiB sparse image: $ms ms"
	check "d['problems'] == []" "d['size'] == 64 << 30"
	[ "$ms" -lt 3000 ]
}

t_case rescue_scan_healthy healthy
t_case rescue_scan_mbr_zeroed mbr_zeroed
t_case rescue_scan_mbr_code_zeroed mbr_code_zeroed
t_case rescue_scan_mbr_grub mbr_grub
t_case rescue_scan_gpt_main_header gpt_main_header
t_case rescue_scan_gpt_main_entries gpt_main_entries
t_case rescue_scan_gpt_backup gpt_backup
t_case rescue_scan_gpt_grown gpt_grown
t_case rescue_scan_gpt_both gpt_both
t_case rescue_scan_bank_ldlinux bank_ldlinux
t_case rescue_scan_esp_sector0 esp_sector0
t_case rescue_scan_esp_dirty esp_dirty
t_case rescue_scan_esp_fallback esp_fallback
t_case rescue_scan_esp_full esp_full
t_case rescue_scan_bank_cfg_truncated bank_cfg_truncated
t_case rescue_scan_bank_module bank_module_flipped
t_case rescue_scan_state_truncated state_truncated
t_case rescue_scan_firmware firmware
t_case rescue_scan_secure_boot secure_boot
t_case rescue_scan_foreign_folders foreign_folders
t_case rescue_scan_debian debian
t_case rescue_scan_4kn disk_4kn
t_case rescue_scan_sparse_64g sparse_64g
t_exit
