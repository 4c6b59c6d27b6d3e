#!/usr/bin/env bash
# tests/integration/disk.sh: `ramhost image disk` on the demo profile: the GPT layout of the contract (names,
# types, legacy BIOS bootable ESP, gptmbr boot code), clean FAT file systems, the ESP's loader and SYSLINUX chain
# config, both banks (boot.cfg hashes, updated=, syslinux.cfg with the partition GUID), the empty ext4 state
# partition, --single-bank, --size (honoured, refused when too small), reproducibility with SOURCE_DATE_EPOCH,
# atomic output, Secure Boot signing.
# Needs the setup cache, the static init and ramhost.efi next to $RAMHOST, sgdisk, mtools, syslinux, dosfstools,
# e2fsprogs, sbsigntool, openssl.
. "$(dirname "$0")/../lib.sh"

PROFILE=$TOP/examples/demo/profile
EFI=${RAMHOST_EFI:-$(dirname "$RAMHOST")/ramhost.efi}
SHARED=$(mktemp -d "${TMPDIR:-/tmp}/ramhost-disk-test.XXXXXX")
trap 'rm -rf "$SHARED"' EXIT
export SOURCE_DATE_EPOCH=1700000000 MTOOLS_SKIP_CHECK=1
SNAKEOIL_KEY=/usr/share/ovmf/PkKek-1-snakeoil.key
SNAKEOIL_CERT=/usr/share/ovmf/PkKek-1-snakeoil.pem

# One bootbank and one default disk image shared by the read-only cases; the other images are made from the
# bootbank (no tardisk compression: about 2 s each).
"$RAMHOST" image build "$PROFILE" -o "$SHARED/bank" -q 2>"$SHARED/build.err" || cat "$SHARED/build.err"
"$RAMHOST" image disk "$PROFILE" -o "$SHARED/disk.img" 2>"$SHARED/disk.err" || cat "$SHARED/disk.err"
BANK=$SHARED/bank
DISK=$SHARED/disk.img

# part N IMG: prints "START SECTORS" of partition N from sgdisk.
part() {
	sgdisk -i "$1" "$2" | awk '/^First sector:/ {f=$3} /^Partition size:/ {s=$3} END {print f, s}'
}
# guid N IMG: partition N's unique GUID, lowercase.
guid() {
	sgdisk -i "$1" "$2" | sed -n 's/^Partition unique GUID: //p' | tr 'A-F' 'a-f'
}
# extract N IMG OUT: dd partition N out into OUT.
extract() {
	local s n
	read -r s n < <(part "$1" "$2")
	dd if="$2" of="$3" bs=512 skip="$s" count="$n" status=none
}

help_and_usage() {
	"$RAMHOST" image --help | grep -q 'disk PROFILE -o FILE'
	"$RAMHOST" image disk --help | grep -q -- '--single-bank'
	"$RAMHOST" image disk --help | grep -q -- '--sign-key KEY'
	local rc
	rc=0; "$RAMHOST" image disk "$PROFILE" 2>/dev/null || rc=$?; [ $rc -eq 2 ]                      # no -o
	rc=0; "$RAMHOST" image disk "$PROFILE" -o x --size 12Q 2>/dev/null || rc=$?; [ $rc -eq 2 ]
	rc=0; "$RAMHOST" image disk "$PROFILE" -o x --sign-key k 2>/dev/null || rc=$?; [ $rc -eq 2 ]    # no cert
	rc=0; "$RAMHOST" image disk "$PROFILE" --bootbank "$BANK" -o x 2>/dev/null || rc=$?; [ $rc -eq 2 ]
	rc=0; "$RAMHOST" image iso "$PROFILE" -o x --single-bank 2>/dev/null || rc=$?; [ $rc -eq 2 ]     # disk only
	rc=0; "$RAMHOST" image build "$PROFILE" -o x --efi y 2>/dev/null || rc=$?; [ $rc -eq 2 ]         # images only
	[ ! -e x ]
}

gpt_layout() {
	[ -s "$DISK" ]
	sgdisk -v "$DISK" >v
	grep -q '^No problems found' v || { cat v; return 1; }
	sgdisk -p "$DISK" >p
	# number, code and name of each partition, in order
	awk '/^ +[0-9]+ / {print $1, $6, $7}' p >parts
	printf '1 EF00 ESP\n2 0700 bootbank\n3 0700 altbootbank\n4 8300 state\n' | diff - parts
	# legacy BIOS bootable (attribute bit 2) on the ESP only
	sgdisk -i 1 "$DISK" | grep -qx 'Attribute flags: 0000000000000004'
	for n in 2 3 4; do sgdisk -i $n "$DISK" | grep -qx 'Attribute flags: 0000000000000000'; done
	# ESP 64 MiB at 1 MiB; every partition starts on a MiB boundary
	[ "$(part 1 "$DISK")" = "2048 131072" ]
	for n in 1 2 3 4; do read -r s c < <(part $n "$DISK"); [ $((s % 2048)) -eq 0 ] && [ $((c % 2048)) -eq 0 ]; done
	# the protective MBR carries gptmbr.bin's boot code, an 0xEE partition and the 55 aa signature
	cmp -n 440 "$DISK" /usr/lib/syslinux/mbr/gptmbr.bin
	[ "$(od -An -tx1 -j450 -N1 "$DISK" | tr -d ' ')" = ee ]
	[ "$(od -An -tx1 -j510 -N2 "$DISK" | tr -d ' \n')" = 55aa ]
	# four distinct partition GUIDs
	[ "$(for n in 1 2 3 4; do guid $n "$DISK"; done | sort -u | wc -l)" -eq 4 ]
}

fat_clean() {
	local n label
	for n in 1 2 3; do
		extract $n "$DISK" p$n.img
		fsck.vfat -n p$n.img >fsck$n 2>&1 || { cat fsck$n; return 1; }
		if grep -qi 'differences\|mismatch\|corrupt\|lost' fsck$n; then cat fsck$n; return 1; fi
		label=$(mlabel -i p$n.img -s :: | sed 's/^ *Volume label is //; s/ *$//')
		case $n in 1) [ "$label" = RH-ESP ] ;; 2) [ "$label" = RHBANK1 ] ;; 3) [ "$label" = RHBANK2 ] ;; esac
	done
	# the ESP is FAT32
	minfo -i p1.img :: | grep -q 'disk type="FAT32'
}

esp_files() {
	extract 1 "$DISK" esp.img
	mdir -i esp.img -/ -a -b :: | sed 's|^::||' | sort >list
	for f in /EFI/BOOT/BOOTX64.EFI /syslinux/ldlinux.sys /syslinux/ldlinux.c32 /syslinux/libcom32.c32 \
		/syslinux/libutil.c32 /syslinux/chain.c32 /syslinux/syslinux.cfg; do
		grep -qix "$f" list || { echo "ESP lacks $f"; cat list; return 1; }
	done
	mcopy -i esp.img ::/EFI/BOOT/BOOTX64.EFI loader.efi
	cmp loader.efi "$EFI"
	mcopy -i esp.img ::/syslinux/chain.c32 chain.c32
	cmp chain.c32 /usr/lib/syslinux/modules/bios/chain.c32
	mcopy -i esp.img ::/syslinux/syslinux.cfg cfg
	grep -qx 'DEFAULT bootbank' cfg
	grep -qx 'SERIAL 0 115200' cfg
	[ "$(grep -c '^  COM32 chain.c32$' cfg)" -eq 2 ]
	grep -qx '  APPEND label=bootbank' cfg
	grep -qx '  APPEND label=altbootbank' cfg
	# the boot sector is SYSLINUX's
	dd if=esp.img bs=1 skip=3 count=8 status=none | grep -q SYSLINUX
}

# check_bank N IMG UPDATED: bank N (partition N+1) of IMG holds the bootbank with updated=UPDATED, every hash matching, its
# bootcfg.cpio equal to boot.cfg, SYSLINUX booting it with this partition's GUID.
check_bank() {
	local b=$1 n=$(($1 + 1)) img=$2 updated=$3 uuid d=bank$1 key val count=0
	extract "$n" "$img" b$n.img
	mkdir -p $d/syslinux
	# exactly these files: the bootbank at the root, SYSLINUX (hidden ldlinux.sys) and its config in /syslinux
	mdir -i b$n.img -/ -a -b :: | sed 's|^::||' | sort | tr '\n' ' ' >list
	[ "$(cat list)" = "/base.tdk /boot.cfg /bootcfg.cpio /drivers.tdk /extras.tdk /init.cpio /rescue.tdk /syslinux/ /syslinux/ldlinux.c32 /syslinux/ldlinux.sys /syslinux/syslinux.cfg /vmlinuz " ] || { cat list; return 1; }
	mcopy -i b$n.img ::/vmlinuz ::/init.cpio ::/base.tdk ::/rescue.tdk ::/drivers.tdk ::/extras.tdk ::/boot.cfg ::/bootcfg.cpio $d/
	mcopy -i b$n.img ::/syslinux/syslinux.cfg $d/syslinux/
	grep -qx "updated=$updated" $d/boot.cfg
	grep -qx 'bootstate=0' $d/boot.cfg
	grep -qx 'build=demo-1.0' $d/boot.cfg
	while IFS='=' read -r key val; do
		case $key in hash.*) ;; *) continue ;; esac
		[ "$(sha256sum "$d/${key#hash.}" | cut -d' ' -f1)" = "${val#sha256:}" ] || { echo "bank $n: ${key#hash.} differs"; return 1; }
		count=$((count + 1))
	done <$d/boot.cfg
	[ $count -eq 6 ]
	cpio -i --quiet --to-stdout boot.cfg <$d/bootcfg.cpio | cmp - $d/boot.cfg
	# apart from boot.cfg/bootcfg.cpio, the files are the bootbank's
	for f in vmlinuz init.cpio base.tdk rescue.tdk drivers.tdk extras.tdk; do cmp $d/$f "$BANK/$f"; done
	# the init module carries the profile's sticky patterns for init to copy to /run/ramhost/sticky.list
	cpio -i --quiet --to-stdout etc/ramhost/sticky.list <$d/init.cpio | grep -v '^#' | tr '\n' ' ' >sticky
	[ "$(cat sticky)" = "/etc/hostname /etc/motd /root/keep " ] || { cat sticky; return 1; }
	uuid=$(guid "$n" "$img")
	[ -n "$uuid" ]
	grep -qx "  KERNEL /vmlinuz" $d/syslinux/syslinux.cfg
	grep -qx "  INITRD /init.cpio,/base.tdk,/rescue.tdk,/drivers.tdk,/extras.tdk,/bootcfg.cpio" $d/syslinux/syslinux.cfg
	grep -qx "  APPEND console=ttyS0,115200 loglevel=4 transparent_hugepage=never ramhost.bank=$b ramhost.bankuuid=$uuid" $d/syslinux/syslinux.cfg
	dd if=b$n.img bs=1 skip=3 count=8 status=none | grep -q SYSLINUX
}

banks() {
	check_bank 1 "$DISK" 2
	check_bank 2 "$DISK" 1
}

# check_state IMG: partition 4 of IMG is a clean, empty ext4 file system labelled RHSTATE that fills the
# partition, whose UUID is the partition's unique GUID.
check_state() {
	local s c
	extract 4 "$1" state.img
	fsck.ext4 -fn state.img >fsck4 2>&1 || { cat fsck4; return 1; }
	dumpe2fs -h state.img 2>/dev/null >sb
	grep -q '^Filesystem volume name: *RHSTATE$' sb || { cat sb; return 1; }
	grep -q '^Filesystem features:.* has_journal .*extent' sb
	grep -qx "Filesystem UUID: *$(guid 4 "$1")" sb || { grep UUID sb; guid 4 "$1"; return 1; }
	read -r s c < <(part 4 "$1")
	[ $(($(sed -n 's/^Block count: *//p' sb) * $(sed -n 's/^Block size: *//p' sb))) -eq $((c * 512)) ]
	# nothing in it but lost+found
	[ "$(debugfs -R 'ls -p /' state.img 2>/dev/null | cut -d/ -f6 | grep -v '^$' | sort | tr '\n' ' ')" = ". .. lost+found " ]
}

state_ext4() {
	check_state "$DISK"
}

single_bank_and_size() {
	"$RAMHOST" image disk --bootbank "$BANK" -o one.img -q --single-bank --size 400M
	[ "$(stat -c %s one.img)" -eq $((400 * 1024 * 1024)) ]
	sgdisk -v one.img | grep -q '^No problems found'
	check_bank 1 one.img 2
	extract 3 one.img alt.img
	fsck.vfat -n alt.img >/dev/null
	mdir -i alt.img -/ -a -b :: | sed 's|^::||' | sort | tr '\n' ' ' >alt.list
	[ "$(cat alt.list)" = "/syslinux/ /syslinux/ldlinux.c32 /syslinux/ldlinux.sys " ] || { cat alt.list; return 1; }
	extract 1 one.img esp1.img
	mcopy -i esp1.img ::/syslinux/syslinux.cfg cfg
	grep -qx '  APPEND label=bootbank' cfg
	! grep -q altbootbank cfg || false
	# the state partition took what the banks left: it ends 1 MiB before the end
	read -r s c < <(part 4 one.img)
	[ $(((s + c) * 512)) -eq $((399 * 1024 * 1024)) ]
	check_state one.img
}

size_too_small() {
	expect_fail "$RAMHOST" image disk --bootbank "$BANK" -o small.img -q --size 100M
	expect_err '^ramhost image disk: --size 100 MiB is too small: a [0-9.]+ MiB bootbank needs at least [0-9]+ MiB'
	[ ! -e small.img ] && [ -z "$(ls ./*.tmp-* 2>/dev/null)" ]
}

reproducible() {
	# the same bootbank and epoch: the same bytes; a profile build gives the same image as the shared one
	"$RAMHOST" image disk "$PROFILE" -o again.img -q
	cmp "$DISK" again.img
	# another epoch: other GUIDs
	SOURCE_DATE_EPOCH=1700000001 "$RAMHOST" image disk --bootbank "$BANK" -o other.img -q
	[ "$(guid 2 other.img)" != "$(guid 2 "$DISK")" ]
	check_state other.img
	# no epoch: random GUIDs, different each time
	unset SOURCE_DATE_EPOCH
	"$RAMHOST" image disk --bootbank "$BANK" -o r1.img -q
	"$RAMHOST" image disk --bootbank "$BANK" -o r2.img -q
	[ "$(guid 2 r1.img)" != "$(guid 2 r2.img)" ]
	check_state r1.img
}

atomic_output() {
	export TMPDIR=$T/tmp
	mkdir "$TMPDIR"
	echo keep >d.img
	expect_fail "$RAMHOST" image disk --bootbank "$BANK" -o d.img -q
	expect_err 'd.img: exists \(use --force'
	[ "$(cat d.img)" = keep ]
	"$RAMHOST" image disk --bootbank "$BANK" -o d.img -q --force
	sgdisk -v d.img | grep -q '^No problems found'
	# a tampered bootbank is refused, naming the file, and leaves nothing behind
	cp -r "$BANK" bad
	printf 'x' | dd of=bad/init.cpio bs=1 seek=300 conv=notrunc 2>/dev/null
	expect_fail "$RAMHOST" image disk --bootbank bad -o e.img -q
	expect_err 'bad/init.cpio: SHA-256 mismatch: boot.cfg says [0-9a-f]{64}, the file has [0-9a-f]{64}'
	# a missing loader is named
	expect_fail env RAMHOST_EFI=$T/nope.efi "$RAMHOST" image disk --bootbank "$BANK" -o f.img -q
	expect_err 'nope.efi: no UEFI loader'
	[ ! -e e.img ] && [ ! -e f.img ] && [ -z "$(ls ./*.tmp-* 2>/dev/null)" ] && [ -z "$(ls -A "$TMPDIR")" ]
}

signed() {
	openssl pkey -in "$SNAKEOIL_KEY" -passin pass:snakeoil -out test.key
	"$RAMHOST" image disk --bootbank "$BANK" -o s.img -q --sign-key test.key --sign-cert "$SNAKEOIL_CERT"
	extract 1 s.img esp.img
	mcopy -i esp.img ::/EFI/BOOT/BOOTX64.EFI signed.efi
	sbverify --cert "$SNAKEOIL_CERT" signed.efi
	# the kernel in both banks carries our signature alone, and boot.cfg's hash is the signed file's
	for n in 2 3; do
		extract $n s.img b.img
		mcopy -o -i b.img ::/vmlinuz k
		mcopy -o -i b.img ::/boot.cfg cfg
		sbverify --cert "$SNAKEOIL_CERT" k
		[ "$(sbverify --list k | grep -c '^signature [0-9]')" -eq 1 ]
		grep -qx "hash.vmlinuz=sha256:$(sha256sum k | cut -d' ' -f1)" cfg
		! cmp -s k "$BANK/vmlinuz" || false
	done
	# the source bootbank is untouched
	grep -qx "hash.vmlinuz=sha256:$(sha256sum "$BANK/vmlinuz" | cut -d' ' -f1)" "$BANK/boot.cfg"
	# an unsigned build's loader does not verify
	extract 1 "$DISK" uesp.img
	mcopy -i uesp.img ::/EFI/BOOT/BOOTX64.EFI unsigned.efi
	! sbverify --cert "$SNAKEOIL_CERT" unsigned.efi 2>/dev/null || false
	# a passphrase-protected key is refused with a hint, before anything is built
	expect_fail "$RAMHOST" image disk --bootbank "$BANK" -o t.img -q --sign-key "$SNAKEOIL_KEY" --sign-cert "$SNAKEOIL_CERT"
	expect_err 'passphrase-protected.*openssl pkey'
	[ ! -e t.img ]
}

t_case disk_help_and_usage help_and_usage
t_case disk_gpt_layout gpt_layout
t_case disk_fat_clean fat_clean
t_case disk_esp_files esp_files
t_case disk_banks banks
t_case disk_state_ext4 state_ext4
t_case disk_single_bank_and_size single_bank_and_size
t_case disk_size_too_small size_too_small
t_case disk_reproducible reproducible
t_case disk_atomic_output atomic_output
t_case disk_signed signed
t_exit
