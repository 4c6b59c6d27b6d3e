#!/usr/bin/env bash
# tests/integration/image.sh: `ramhost image build|iso|check` on the demo profile: the bootbank is exactly the
# contract's (boot.cfg hashes, init.cpio entries, tardisk modules), it is reproducible with SOURCE_DATE_EPOCH,
# bad profiles are reported as FILE:LINE, and the ISO is a hybrid El Torito image holding the bootbank.
# Needs the setup cache (Debian kernel, static busybox), the static init next to $RAMHOST, xorriso, isolinux.
. "$(dirname "$0")/../lib.sh"

PROFILE=$TOP/examples/demo/profile
EFI=${RAMHOST_EFI:-$(dirname "$RAMHOST")/ramhost.efi}
SNAKEOIL_KEY=/usr/share/ovmf/PkKek-1-snakeoil.key
SNAKEOIL_CERT=/usr/share/ovmf/PkKek-1-snakeoil.pem
export MTOOLS_SKIP_CHECK=1
SHARED=$(mktemp -d "${TMPDIR:-/tmp}/ramhost-image-test.XXXXXX")
trap 'rm -rf "$SHARED"' EXIT
export SOURCE_DATE_EPOCH=1700000000

# One bootbank and one ISO shared by the read-only cases (a build takes a few seconds).
"$RAMHOST" image build "$PROFILE" -o "$SHARED/bank" -q 2>"$SHARED/build.err" || cat "$SHARED/build.err"
"$RAMHOST" image iso "$PROFILE" -o "$SHARED/demo.iso" 2>"$SHARED/iso.err" || cat "$SHARED/iso.err"
BANK=$SHARED/bank
ISO=$SHARED/demo.iso

help_and_usage() {
	"$RAMHOST" image --help | grep -q 'Usage: ramhost image'
	"$RAMHOST" image build --help | grep -q 'ramhost image build PROFILE -o DIR'
	"$RAMHOST" image iso --help | grep -q -- '--bootbank DIR'
	"$RAMHOST" image check --help | grep -q 'FILE:LINE'
	local rc
	rc=0; "$RAMHOST" image 2>/dev/null || rc=$?; [ $rc -eq 2 ]
	rc=0; "$RAMHOST" image frobnicate 2>/dev/null || rc=$?; [ $rc -eq 2 ]
	rc=0; "$RAMHOST" image build "$PROFILE" 2>/dev/null || rc=$?; [ $rc -eq 2 ]       # no -o
	rc=0; "$RAMHOST" image build -o x 2>/dev/null || rc=$?; [ $rc -eq 2 ]              # no profile
	rc=0; "$RAMHOST" image build "$PROFILE" -o x --bogus 2>/dev/null || rc=$?; [ $rc -eq 2 ]
	rc=0; "$RAMHOST" image iso "$PROFILE" --bootbank "$BANK" -o x 2>/dev/null || rc=$?; [ $rc -eq 2 ]
	[ ! -e x ]
}

bootbank_files() {
	[ "$(cd "$BANK" && ls | sort | tr '\n' ' ')" = "base.tdk boot.cfg bootcfg.cpio drivers.tdk extras.tdk init.cpio rescue.tdk vmlinuz " ]
	ls -d "$BANK".tmp.* "$BANK".tmp-* 2>/dev/null && return 1
	return 0
}

bootcfg_contents() {
	local cfg=$BANK/boot.cfg
	grep -qx 'bootstate=0' "$cfg"
	grep -qx 'title=ramhost demo 1.0' "$cfg"
	grep -qx 'timeout=3' "$cfg"
	grep -qx 'prefix=' "$cfg"
	grep -qx 'kernel=vmlinuz' "$cfg"
	grep -qx 'kernelopt=console=ttyS0,115200 loglevel=4 transparent_hugepage=never' "$cfg"
	grep -qx 'modules=init.cpio --- base.tdk --- rescue.tdk --- drivers.tdk --- extras.tdk' "$cfg"
	grep -qx 'build=demo-1.0' "$cfg"
	grep -qx 'updated=1' "$cfg"
	[ "$(grep -c '^hash\.' "$cfg")" -eq 6 ]
	# bootcfg.cpio holds exactly /boot.cfg, byte for byte
	[ "$(cpio -t --quiet <"$BANK/bootcfg.cpio")" = "boot.cfg" ]
	cpio -i --quiet --to-stdout boot.cfg <"$BANK/bootcfg.cpio" | cmp - "$cfg"
}

bootcfg_hashes_match() {
	local name hex n=0
	while IFS='=' read -r key val; do
		case $key in hash.*) ;; *) continue ;; esac
		name=${key#hash.}
		hex=${val#sha256:}
		[ "$(sha256sum "$BANK/$name" | cut -d' ' -f1)" = "$hex" ] || { echo "hash of $name differs"; return 1; }
		n=$((n + 1))
	done <"$BANK/boot.cfg"
	[ $n -eq 6 ]
}

init_cpio_contract() {
	cpio -t --quiet <"$BANK/init.cpio" >list
	local kver
	kver=$(sed -n 's/^kver=//p' <(cpio -i --quiet --to-stdout etc/ramhost/init.conf <"$BANK/init.cpio"))
	[ -n "$kver" ]
	for e in init bin/busybox bin/sh dev dev/console proc sys run sysroot tardisks etc/ramhost \
		etc/ramhost/init.conf "lib/modules/$kver/kernel/fs/squashfs/squashfs.ko" \
		"lib/modules/$kver/kernel/drivers/block/loop.ko" "lib/modules/$kver/kernel/fs/overlayfs/overlay.ko"; do
		grep -qx "$e" list || { echo "init.cpio lacks $e"; return 1; }
	done
	# init.cpio carries only what mounts the tardisks: the demo has a drivers tardisk (net), so the disk drivers
	# are on demand (omod=, loaded on a disk or rescue boot, or by install/rescue), kept in drivers.tdk outside
	# its module index; virtio_pci, in the net set, is on demand from the set's folder; no network driver is a
	# boot module at all, and nothing is loaded from the drivers tardisk at every boot (no dkmod=)
	[ "$(grep -c '\.ko$' list)" -eq 3 ]
	cpio -i --quiet --to-stdout etc/ramhost/init.conf <"$BANK/init.cpio" >conf
	"$RAMHOST" tardisk ls "$BANK/drivers.tdk" >drivers.ls
	for m in kernel/drivers/block/virtio_blk.ko kernel/drivers/scsi/sd_mod.ko \
		kernel/drivers/scsi/sr_mod.ko kernel/drivers/ata/ahci.ko kernel/drivers/usb/storage/usb-storage.ko \
		kernel/drivers/usb/storage/uas.ko kernel/drivers/usb/host/xhci-pci.ko kernel/drivers/usb/host/ehci-pci.ko \
		kernel/fs/fat/vfat.ko kernel/fs/fat/fat.ko kernel/fs/nls/nls_cp437.ko kernel/fs/nls/nls_ascii.ko kernel/fs/nls/nls_utf8.ko \
		kernel/fs/nls/nls_iso8859-1.ko kernel/drivers/scsi/virtio_scsi.ko kernel/drivers/scsi/scsi_mod.ko \
		kernel/fs/ext4/ext4.ko; do
		grep -qx "omod=usr/lib/ramhost/ondemand-modules/$kver/$m" conf || { echo "init.conf lacks omod= $m"; return 1; }
		grep -qx "usr/lib/ramhost/ondemand-modules/$kver/$m" drivers.ls || { echo "drivers.tdk lacks $m"; return 1; }
		! grep -qx "usr/lib/modules/$kver/$m" drivers.ls || { echo "$m is in drivers.tdk's module index"; return 1; }
		! grep -qx "lib/modules/$kver/$m" list || { echo "init.cpio carries $m"; return 1; }
	done
	"$RAMHOST" tardisk cat "$BANK/drivers.tdk" "usr/lib/modules/$kver/modules.dep" >drivers.dep
	! grep -q 'ata_piix\|ext4' drivers.dep || { echo "on-demand modules in drivers.tdk's modules.dep"; return 1; }
	cpio -tv --quiet <"$BANK/init.cpio" >long
	grep -E '^crw------- .* 5, +1 .* dev/console$' long
	grep -E '^-rwxr-xr-x .* init$' long
	grep -E '^lrwxrwxrwx .* bin/sh -> busybox$' long
	grep -qx 'kmod=kernel/fs/squashfs/squashfs.ko' conf
	grep -qx "omod=usr/lib/modules/$kver/kernel/drivers/virtio/virtio_pci.ko" conf
	! grep -q '^dkmod=' conf || false
	! grep -q "virtio_pci.ko\$" list || false
	! grep -Eq 'virtio_net|e1000' list conf || false
	[ "$(grep '^kmod=' conf | tr '\n' ' ')" = "kmod=kernel/fs/squashfs/squashfs.ko kmod=kernel/drivers/block/loop.ko kmod=kernel/fs/overlayfs/overlay.ko " ]
	[ "$(grep -E '^(kmod|dkmod|omod)=' conf | sort -u | wc -l)" -eq "$(grep -cE '^(kmod|dkmod|omod)=' conf)" ]
	# dependencies first: fat before vfat, scsi_mod before sd_mod, virtio before virtio_blk
	grep -nE '^(kmod|dkmod|omod)=' conf >num
	before() { [ "$(grep -m1 "/$1.ko$" num | cut -d: -f1)" -lt "$(grep -m1 "/$2.ko$" num | cut -d: -f1)" ]; }
	before fat vfat && before scsi_mod sd_mod && before virtio virtio_blk && before usbcore usb-storage
	grep -qx 'ramdisk=root / 33554432 8192' conf
	grep -qx 'ramdisk=etc /etc 8388608 2048' conf
	grep -qx 'ramdisk=var /var 67108864 8192' conf
	grep -qx 'ramdisk=tmp /tmp 67108864 4096' conf
	grep -qx 'ramdisk=run /run 16777216 4096' conf
	grep -qx 'init=/sbin/init' conf
	# the modules are the kernel's own files, uncompressed
	cpio -i --quiet --to-stdout "lib/modules/$kver/kernel/fs/squashfs/squashfs.ko" <"$BANK/init.cpio" | head -c 4 | grep -q ELF
}

tardisk_modules() {
	cpio -i --quiet -d <"$BANK/base.tdk"
	cpio -i --quiet -d <"$BANK/extras.tdk"
	[ "$(cpio -t --quiet <"$BANK/base.tdk" | tr '\n' ' ')" = "tardisks tardisks/base.tdk " ]
	"$RAMHOST" tardisk ls tardisks/base.tdk >base.ls
	for e in usr/bin/busybox usr/bin/ramhost usr/sbin/init bin sbin lib lib64 etc/inittab etc/passwd \
		etc/shadow etc/group usr/lib/ramhost/default-hostname etc/profile usr/lib64/ld-linux-x86-64.so.2 \
		usr/lib/x86_64-linux-gnu/libc.so.6 proc sys dev run tmp var root home mnt; do
		grep -qx "$e" base.ls || { echo "base.tdk lacks $e"; return 1; }
	done
	"$RAMHOST" tardisk cat tardisks/base.tdk etc/inittab | grep -qx '::sysinit:/usr/bin/ramhost ready'
	# no /etc/hostname in the image: the profile's name is the fallback (after state and DHCP)
	! grep -qx etc/hostname base.ls || false
	[ "$("$RAMHOST" tardisk cat tardisks/base.tdk usr/lib/ramhost/default-hostname)" = demo ]
	"$RAMHOST" tardisk cat tardisks/base.tdk etc/inittab | grep -qx 'ttyS0::respawn:-/bin/sh'
	# a rescue boot (init's mark) runs neither state saver
	[ "$("$RAMHOST" tardisk cat tardisks/base.tdk etc/inittab | grep -c '\[ ! -e /run/ramhost/rescue \] &&')" = 2 ]
	"$RAMHOST" tardisk ls tardisks/extras.tdk | grep -qx opt/demo/hello.txt
	"$RAMHOST" tardisk cat tardisks/extras.tdk opt/demo/hello.txt | cmp - "$TOP/examples/demo/extras/opt/demo/hello.txt"
	# the tardisk in the module is what boot.cfg's hash covers through the canonical wrapper
	"$RAMHOST" tardisk verify tardisks/base.tdk >/dev/null
}

base_runs_in_chroot() {
	# the staged base is a working root: ramhost runs with the libraries it brought
	[ "$(id -u)" -eq 0 ] || { echo "needs root for chroot"; return 1; }
	cpio -i --quiet -d <"$BANK/base.tdk"
	rdsquashfs -q -C -u / -p root tardisks/base.tdk
	chroot root /usr/bin/ramhost --version | grep -q '^ramhost '
	chroot root /bin/sh -c 'readlink /sbin/init' | grep -qx '../bin/busybox'
}

# rescue.tdk (profile key rescue, docs/profile.md): listed in boot.cfg right after base.tdk, it holds what the
# repairs of `ramhost rescue` run, with the libraries base.tdk lacks (and none it has), and works over the base
rescue_module() {
	local e
	cpio -i --quiet -d <"$BANK/rescue.tdk"
	[ "$(cpio -t --quiet <"$BANK/rescue.tdk" | tr '\n' ' ')" = "tardisks tardisks/rescue.tdk " ]
	"$RAMHOST" tardisk verify tardisks/rescue.tdk >/dev/null
	"$RAMHOST" tardisk ls tardisks/rescue.tdk >rescue.ls
	for e in usr/bin/mtools usr/bin/mcopy usr/bin/mdir usr/bin/mmd usr/bin/mformat usr/bin/mdel usr/bin/mattrib \
		usr/bin/minfo usr/bin/syslinux usr/bin/debugfs usr/bin/e2fsck usr/bin/fsck.fat usr/sbin/debugfs \
		usr/sbin/e2fsck usr/sbin/fsck.fat usr/bin/ramhost.efi \
		usr/lib/syslinux/mbr/gptmbr.bin usr/lib/syslinux/mbr/mbr.bin \
		usr/lib/syslinux/modules/bios/ldlinux.c32 usr/lib/syslinux/modules/bios/chain.c32 \
		usr/lib/syslinux/modules/bios/libcom32.c32 usr/lib/syslinux/modules/bios/libutil.c32 \
		usr/lib/x86_64-linux-gnu/libext2fs.so.2; do
		grep -qx "$e" rescue.ls || { echo "rescue.tdk lacks $e"; return 1; }
	done
	# what base.tdk already has is not shipped twice
	if grep -qx usr/lib/x86_64-linux-gnu/libc.so.6 rescue.ls; then echo "rescue.tdk has libc again"; return 1; fi
	"$RAMHOST" tardisk cat tardisks/rescue.tdk usr/lib/syslinux/mbr/gptmbr.bin | cmp - /usr/lib/syslinux/mbr/gptmbr.bin
	"$RAMHOST" tardisk cat tardisks/rescue.tdk usr/bin/ramhost.efi | cmp - "$(dirname "$RAMHOST")/ramhost.efi"
	# the tools run over the base, with its libraries and theirs
	if [ "$(id -u)" -eq 0 ]; then
		cpio -i --quiet -d <"$BANK/base.tdk"
		rdsquashfs -q -C -u / -p root tardisks/base.tdk
		rdsquashfs -q -C -u / -p root tardisks/rescue.tdk
		for e in "debugfs -V" "e2fsck -V" "fsck.fat --help" "mtools --version" "mcopy --version" \
			"syslinux --version"; do
			chroot root /usr/bin/env -i PATH=/bin:/usr/bin /bin/sh -c "$e" >/dev/null 2>&1 ||
				{ echo "in the base + rescue.tdk: $e fails"; return 1; }
		done
	fi
	# rescue = no: no module
	sed 's/^base = builtin:minimal$/&\nrescue = no/' "$PROFILE" >p
	cp -r "$(dirname "$PROFILE")/extras" .
	"$RAMHOST" image build p -o norescue -q
	grep -qx 'modules=init.cpio --- base.tdk --- drivers.tdk --- extras.tdk' norescue/boot.cfg
	[ ! -e norescue/rescue.tdk ]
}

reproducible() {
	"$RAMHOST" image build "$PROFILE" -o again -q
	diff -r "$BANK" again
	# without the pinned epoch the tardisks carry the build time, so they may differ; boot.cfg's non-hash
	# lines never do
	unset SOURCE_DATE_EPOCH
	"$RAMHOST" image build "$PROFILE" -o now -q
	diff <(grep -v '^hash' "$BANK/boot.cfg") <(grep -v '^hash' now/boot.cfg)
	cmp "$BANK/vmlinuz" now/vmlinuz
}

# The tardisk cache (issue 14): a build whose base, rescue tools and profile tardisk did not change copies their
# images by content key, byte for byte what a cold build makes, also without SOURCE_DATE_EPOCH (the trees the
# build stages carry the ramhost binary's mtime); a changed tree, or a damaged entry, is built again.
cached_lines() {
	grep -E '^ramhost image: (base|rescue|extras)\.tdk ' "$1" | grep -c ', cached, ' || true
}

tardisk_cache() {
	private_cache drivers
	"$RAMHOST" image build "$PROFILE" -o cold 2>cold.err
	[ "$(cached_lines cold.err)" = 0 ] || { cat cold.err; return 1; }
	[ "$(ls cache/tardisks/*.tdk | wc -l)" = 3 ]
	"$RAMHOST" image build "$PROFILE" -o warm 2>warm.err
	[ "$(cached_lines warm.err)" = 3 ] || { cat warm.err; return 1; }
	diff -r cold warm
	diff -r "$BANK" warm   # the shared build used the real cache, or none: the same bytes
	# no epoch: the staged trees still give the same bytes, so the second build hits
	unset SOURCE_DATE_EPOCH
	"$RAMHOST" image build "$PROFILE" -o now1 2>now1.err
	"$RAMHOST" image build "$PROFILE" -o now2 2>now2.err
	grep -q '^ramhost image: base.tdk .*, cached, ' now2.err || { cat now1.err now2.err; return 1; }
	diff -r now1 now2
	export SOURCE_DATE_EPOCH=1700000000
	# one file of the profile's tardisk changed: that one is built again, the base is not
	cp -a "$(dirname "$PROFILE")" prof
	echo changed >>prof/extras/opt/demo/hello.txt
	"$RAMHOST" image build prof/profile -o changed 2>changed.err
	grep -q '^ramhost image: base.tdk .*, cached, ' changed.err
	! grep -q '^ramhost image: extras.tdk .*, cached, ' changed.err || false
	! cmp -s cold/extras.tdk changed/extras.tdk || false
	# damaged entries are dropped and built again; the result is still the cold build's
	for f in cache/tardisks/*.tdk; do
		chmod u+w "$f"; printf 'X' | dd of="$f" bs=1 seek=300 conv=notrunc status=none
	done
	"$RAMHOST" image build "$PROFILE" -o healed 2>healed.err
	[ "$(cached_lines healed.err)" = 0 ] || { cat healed.err; return 1; }
	diff -r cold healed
	"$RAMHOST" image build "$PROFILE" -o again 2>again.err
	[ "$(cached_lines again.err)" = 3 ]
	[ -z "$(ls -A cache/tardisks | grep -vE '^[0-9a-f]{64}\.tdk(\.sha256)?$')" ]
}

refuses_nonempty_dir() {
	mkdir out && echo keep >out/file
	expect_fail "$RAMHOST" image build "$PROFILE" -o out -q
	expect_err 'out: exists and is not empty \(use --force'
	[ "$(cat out/file)" = keep ]
	# --force replaces only a bootbank ramhost wrote (issue 10 finding 7; tests/integration/outputs.sh)
	expect_fail "$RAMHOST" image build "$PROFILE" -o out -q --force
	expect_err 'out: not a bootbank ramhost wrote; refusing to replace it even with --force'
	[ "$(cat out/file)" = keep ]
	rm out/file
	"$RAMHOST" image build "$PROFILE" -o out -q
	"$RAMHOST" image build "$PROFILE" -o out -q --force
	[ -f out/boot.cfg ]
	mkdir empty
	"$RAMHOST" image build "$PROFILE" -o empty -q
	[ -f empty/boot.cfg ]
	[ -z "$(ls -d ./*.tmp-* ./*.tmp.* 2>/dev/null)" ]
}

progress_lines() {
	"$RAMHOST" image build "$PROFILE" -o b 2>err
	for s in vmlinuz init.cpio base.tdk rescue.tdk extras.tdk boot.cfg; do
		grep -qE "^ramhost image: $s +.*, [0-9.]+ (B|KiB|MiB), [0-9.]+ s$" err || { cat err; return 1; }
	done
}

profile_errors() {
	printf 'name = x\nversion = 1\nkernel = debian\nbase = builtin:minimal\ncolour = blue\n' >p1
	expect_fail "$RAMHOST" image build p1 -o o1
	expect_err "^ramhost image: p1:5: unknown key 'colour'$"
	printf 'name = x\nversion = 1\nkernel = debian\nbase = builtin:minimal\n\nramdisk = tmp 12Q\n' >p2
	expect_fail "$RAMHOST" image iso p2 -o o2.iso
	expect_err "p2:6: ramdisk 'tmp': bad size '12Q'"
	printf 'name = x\nversion = 1\nkernel = debian\n' >p3
	expect_fail "$RAMHOST" image check p3
	expect_err "p3:3: end of file: missing required key 'base'"
	expect_fail "$RAMHOST" image build nosuch.profile -o o4
	expect_err 'nosuch.profile: cannot open profile'
	[ ! -e o1 ] && [ ! -e o2.iso ] && [ ! -e o4 ]
	# an unknown kernel module and a missing tardisk source fail the build, leaving nothing behind
	printf 'name = x\nversion = 1\nkernel = debian\nbase = builtin:minimal\nkmod = no-such-module\n' >p5
	expect_fail "$RAMHOST" image build p5 -o o5 -q
	expect_err "kernel module 'no_such_module' is neither in .*modules.dep nor built in"
	printf 'name = x\nversion = 1\nkernel = debian\nbase = builtin:minimal\ntardisk = t missing-dir\n' >p6
	expect_fail "$RAMHOST" image build p6 -o o6 -q
	expect_err 'missing-dir'
	[ ! -e o5 ] && [ ! -e o6 ] && [ -z "$(ls -d ./*.tmp-* ./*.tmp.* 2>/dev/null)" ]
}

check_prints_profile() {
	"$RAMHOST" image check "$PROFILE" >out
	grep -qx 'name=demo' out
	grep -qx "tardisk=extras $TOP/examples/demo/extras" out
	grep -qx 'ramdisk=tmp /tmp 67108864 4096' out
	grep -qx 'drivers=net' out
	grep -qx 'network=dhcp' out
	printf 'name = x\nversion = 1\nkernel = debian\nbase = builtin:minimal\nnetwork = static 192.0.2.9/24 dns=192.0.2.1,192.0.2.2 interface=eth1\n' >pn
	"$RAMHOST" image check pn >out
	grep -qx 'drivers=none' out
	grep -qx 'network=static 192.0.2.9/24 dns=192.0.2.1,192.0.2.2 interface=eth1' out
}

iso_files() {
	[ -s "$ISO" ]
	xorriso -indev "$ISO" -find / 2>/dev/null | tr -d "'" | sort >files
	for f in /bootbank/boot.cfg /bootbank/vmlinuz /bootbank/init.cpio /bootbank/base.tdk /bootbank/rescue.tdk /bootbank/drivers.tdk /bootbank/extras.tdk \
		/bootbank/bootcfg.cpio /isolinux/isolinux.bin /isolinux/ldlinux.c32 /isolinux/isolinux.cfg \
		/isolinux/boot.cat /EFI/BOOT/BOOTX64.EFI; do
		grep -qx "$f" files || { echo "ISO lacks $f"; cat files; return 1; }
	done
	xorriso -osirrox on -indev "$ISO" -extract /isolinux/isolinux.cfg cfg -extract /bootbank bank 2>/dev/null
	grep -qx 'SERIAL 0 115200' cfg
	grep -qx 'DEFAULT ramhost' cfg
	grep -qx 'TIMEOUT 30' cfg
	grep -qx '  KERNEL /bootbank/vmlinuz' cfg
	grep -qx '  INITRD /bootbank/init.cpio,/bootbank/base.tdk,/bootbank/rescue.tdk,/bootbank/drivers.tdk,/bootbank/extras.tdk,/bootbank/bootcfg.cpio' cfg
	grep -qx '  APPEND console=ttyS0,115200 loglevel=4 transparent_hugepage=never ramhost.bank=1' cfg
	# the Rescue entry: the last label, the same boot with ramhost.rescue=1, not the default
	[ "$(grep '^LABEL ' cfg | tail -n 1)" = "LABEL rescue" ]
	grep -A4 -x 'LABEL rescue' cfg | grep -qx '  APPEND console=ttyS0,115200 loglevel=4 transparent_hugepage=never ramhost.bank=1 ramhost.rescue=1'
	grep -qx "SAY Type 'rescue' at the boot: prompt for the rescue console (a host that does not boot)" cfg
	# the ISO's bootbank is the same build as the directory one (same epoch, same inputs)
	diff -r "$BANK" bank
}

iso_hybrid_and_eltorito() {
	# isohybrid MBR: boot signature 55 aa at bytes 510-511 and a partition entry
	[ "$(od -An -tx1 -j510 -N2 "$ISO" | tr -d ' \n')" = "55aa" ]
	[ "$(od -An -tx1 -j446 -N16 "$ISO" | tr -d ' \n')" != "00000000000000000000000000000000" ]
	# ISO 9660 primary descriptor at sector 16 and El Torito boot record at sector 17
	[ "$(dd if="$ISO" bs=1 skip=$((16 * 2048 + 1)) count=5 2>/dev/null)" = "CD001" ]
	[ "$(dd if="$ISO" bs=1 skip=$((17 * 2048 + 7)) count=23 2>/dev/null)" = "EL TORITO SPECIFICATION" ]
	xorriso -indev "$ISO" -report_el_torito plain 2>/dev/null >et
	grep -E 'El Torito boot img : +1 +BIOS +y +none' et
	grep -E 'El Torito boot img : +2 +UEFI +y +none' et
	xorriso -indev "$ISO" -pvd_info 2>/dev/null | grep -q "Volume Id    : RAMHOST"
}

iso_efi_partition() {
	# MBR partition 2 is an ESP (0xEF) after the ISO 9660 volume; El Torito entry 2 points at the same blocks
	local start count lba blks
	[ "$(od -An -tx1 -j$((446 + 16 + 4)) -N1 "$ISO" | tr -d ' ')" = ef ]
	start=$(od -An -tu4 -j$((446 + 16 + 8)) -N4 "$ISO" | tr -d ' ')
	count=$(od -An -tu4 -j$((446 + 16 + 12)) -N4 "$ISO" | tr -d ' ')
	[ "$start" -gt 0 ] && [ "$count" -gt 0 ]
	xorriso -indev "$ISO" -report_el_torito plain 2>/dev/null >et
	lba=$(awk '/El Torito boot img : +2 +UEFI/ {print $NF}' et)
	[ $((lba * 4)) -eq "$start" ]
	# partition 1 (the ISO, active) ends where the ESP starts
	[ "$(od -An -tx1 -j446 -N1 "$ISO" | tr -d ' ')" = 80 ]
	[ "$(($(od -An -tu4 -j$((446 + 8)) -N4 "$ISO") + $(od -An -tu4 -j$((446 + 12)) -N4 "$ISO")))" -eq "$start" ]
	dd if="$ISO" of=esp.img bs=512 skip="$start" count="$count" status=none
	fsck.vfat -n esp.img
	mdir -i esp.img -/ -a -b :: | sed 's|^::||' | sort | tr '\n' ' ' >list
	[ "$(cat list)" = "/EFI/ /EFI/BOOT/ /EFI/BOOT/BOOTX64.EFI " ] || { cat list; return 1; }
	mcopy -i esp.img ::/EFI/BOOT/BOOTX64.EFI loader.efi
	cmp loader.efi "$EFI"
	xorriso -osirrox on -indev "$ISO" -extract /EFI/BOOT/BOOTX64.EFI tree.efi 2>/dev/null
	cmp tree.efi "$EFI"
}

iso9660_names() {
	# without Rock Ridge and Joliet (as a firmware-side reader sees it) the names are the real ones
	xorriso -rockridge off -joliet off -indev "$ISO" -find / 2>/dev/null | tr -d "'" | sort >plain
	for f in /bootbank/boot.cfg /bootbank/bootcfg.cpio /bootbank/init.cpio /bootbank/base.tdk \
		/bootbank/extras.tdk /bootbank/vmlinuz /EFI/BOOT/BOOTX64.EFI /isolinux/isolinux.cfg; do
		grep -qx "$f" plain || { echo "ISO 9660 name of $f differs"; cat plain; return 1; }
	done
}

iso_signed() {
	openssl pkey -in "$SNAKEOIL_KEY" -passin pass:snakeoil -out test.key
	"$RAMHOST" image iso --bootbank "$BANK" -o s.iso -q --sign-key test.key --sign-cert "$SNAKEOIL_CERT"
	xorriso -osirrox on -indev s.iso -extract /EFI/BOOT/BOOTX64.EFI tree.efi -extract /bootbank bank 2>/dev/null
	sbverify --cert "$SNAKEOIL_CERT" tree.efi
	sbverify --cert "$SNAKEOIL_CERT" bank/vmlinuz
	grep -qx "hash.vmlinuz=sha256:$(sha256sum bank/vmlinuz | cut -d' ' -f1)" bank/boot.cfg
	cpio -i --quiet --to-stdout boot.cfg <bank/bootcfg.cpio | cmp - bank/boot.cfg
	# the ESP partition holds the signed loader too
	local start count
	start=$(od -An -tu4 -j$((446 + 16 + 8)) -N4 s.iso | tr -d ' ')
	count=$(od -An -tu4 -j$((446 + 16 + 12)) -N4 s.iso | tr -d ' ')
	dd if=s.iso of=esp.img bs=512 skip="$start" count="$count" status=none
	mcopy -i esp.img ::/EFI/BOOT/BOOTX64.EFI esp.efi
	cmp esp.efi tree.efi
	# the unsigned ISO's loader does not verify
	xorriso -osirrox on -indev "$ISO" -extract /EFI/BOOT/BOOTX64.EFI unsigned.efi 2>/dev/null
	! sbverify --cert "$SNAKEOIL_CERT" unsigned.efi 2>/dev/null || false
}

iso_reproducible() {
	# same profile, inputs and SOURCE_DATE_EPOCH: the same ISO bytes (tree times pinned, volume dates fixed)
	"$RAMHOST" image iso "$PROFILE" -o again.iso -q
	cmp "$ISO" again.iso
}

iso_from_bootbank() {
	"$RAMHOST" image iso --bootbank "$BANK" -o a.iso -q
	xorriso -indev a.iso -find /bootbank 2>/dev/null | grep -q extras.tdk
	# refuses to overwrite without --force
	expect_fail "$RAMHOST" image iso --bootbank "$BANK" -o a.iso -q
	expect_err 'a.iso: exists \(use --force'
	"$RAMHOST" image iso --bootbank "$BANK" -o a.iso -q --force
	# a tampered bootbank is refused, naming the file and both hashes
	cp -r "$BANK" bad
	printf 'x' | dd of=bad/extras.tdk bs=1 seek=200 conv=notrunc 2>/dev/null
	expect_fail "$RAMHOST" image iso --bootbank bad -o b.iso -q
	expect_err 'bad/extras.tdk: SHA-256 mismatch: boot.cfg says [0-9a-f]{64}, the file has [0-9a-f]{64}'
	[ ! -e b.iso ] && [ -z "$(ls ./*.tmp-* 2>/dev/null)" ]
}

custom_kernel_tar_base_kmod_deps() {
	# kernel given by path, a base from a tar.gz archive, and a kmod whose dependencies come from modules.dep
	local cache=${RAMHOST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ramhost} kdir kver
	kdir=$(ls -d "$cache"/kernel/lib/modules/* | head -n 1)
	kver=${kdir##*/}
	mkdir -p rootfs/usr/bin rootfs/etc && echo custom >rootfs/etc/issue && ln -s usr/bin rootfs/bin
	tar -czf rootfs.tar.gz -C rootfs .
	cat >p <<-EOP
	name = custom
	version = 7
	kernel = $cache/kernel/boot/vmlinuz-$kver
	kernel-modules = $kdir
	base = rootfs.tar.gz
	kmod = virtio-net
	timeout = 0
	EOP
	"$RAMHOST" image build p -o bank -q
	grep -qx 'modules=init.cpio --- base.tdk' bank/boot.cfg
	grep -qx 'timeout=0' bank/boot.cfg
	cpio -i --quiet --to-stdout etc/ramhost/init.conf <bank/init.cpio | sed -n 's/^kmod=//p' >order
	# dependencies before virtio_net, each once, after the three always loaded
	[ "$(head -n 3 order | tr '\n' ' ')" = "kernel/fs/squashfs/squashfs.ko kernel/drivers/block/loop.ko kernel/fs/overlayfs/overlay.ko " ]
	[ "$(tail -n 1 order)" = kernel/drivers/net/virtio_net.ko ]
	for m in net_failover failover virtio virtio_ring; do
		grep -q "/$m.ko\$" order || { echo "missing dependency $m"; cat order; return 1; }
	done
	[ "$(wc -l <order)" -eq "$(sort -u order | wc -l)" ]
	[ "$(cpio -t --quiet <bank/init.cpio | grep -c '\.ko$')" -eq "$(wc -l <order)" ]
	cpio -i --quiet -d <bank/base.tdk
	"$RAMHOST" tardisk cat tardisks/base.tdk etc/issue | grep -qx custom
}

t_case image_help_and_usage help_and_usage
t_case image_bootbank_files bootbank_files
t_case image_bootcfg_contents bootcfg_contents
t_case image_bootcfg_hashes_match bootcfg_hashes_match
t_case image_init_cpio_contract init_cpio_contract
t_case image_tardisk_modules tardisk_modules
t_case image_base_runs_in_chroot base_runs_in_chroot
t_case image_rescue_module rescue_module
t_case image_reproducible reproducible
t_case image_tardisk_cache tardisk_cache
t_case image_refuses_nonempty_dir refuses_nonempty_dir
t_case image_progress_lines progress_lines
t_case image_profile_errors profile_errors
t_case image_check_prints_profile check_prints_profile
t_case image_custom_kernel_tar_base_kmod_deps custom_kernel_tar_base_kmod_deps
t_case image_iso_files iso_files
t_case image_iso_hybrid_and_eltorito iso_hybrid_and_eltorito
t_case image_iso_efi_partition iso_efi_partition
t_case image_iso9660_names iso9660_names
t_case image_iso_signed iso_signed
t_case image_iso_reproducible iso_reproducible
t_case image_iso_from_bootbank iso_from_bootbank
t_exit
