# tests/integration/rescue_damage.sh: the damages of issue 12's corruption matrix on a disk image made by
# `ramhost image disk`, one function each (dmg_NAME IMG), sourced by rescue.sh (the repair on the host) and run by
# tests/system/test_rescue_matrix.py (the same damage booted in QEMU before and after the repair), so that both
# break a disk the same way. $T is a scratch directory. Needs sgdisk, mtools, debugfs, python3.

# start N IMG: partition N's first sector (512-byte sectors).
start() { sgdisk -i "$1" "$2" | awk '/^First sector:/ {print $3}'; }
# fat N IMG: the mtools target of partition N.
fat() { echo "$2@@$(($(start "$1" "$2") * 512))"; }

# state_generations IMG WORK: three state generations (/etc/app.conf "generation N") written with debugfs onto
# IMG's state partition (p4), as `state save` left them in a store directory (made under WORK).
state_generations() {
	local img=$1 w=$2 g f p4
	mkdir -p "$w/root/etc" "$w/root/run/ramhost" "$w/store"
	echo /etc/app.conf >"$w/root/run/ramhost/sticky.list"
	for g in 1 2 3; do
		echo "generation $g" >"$w/root/etc/app.conf"
		"$RAMHOST" state save --root "$w/root" --store "$w/store" >/dev/null
	done
	p4="$img?offset=$(($(start 4 "$img") * 512))"
	for f in "$w"/store/state-*.rhs; do
		debugfs -w -R "write $f $(basename "$f")" "$p4" >/dev/null 2>&1
	done
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
# the ESP as a power cut leaves it: FAT entry 1's clean bit cleared in both FATs and the second FAT one entry
# behind the first (a cluster allocated in FAT 1 only)
dmg_dirty() {
	python3 - "$1" "$(($(start 1 "$1") * 512))" <<'EOF2'
import struct, sys
f = open(sys.argv[1], "r+b"); base = int(sys.argv[2])
f.seek(base); bs = f.read(512)
bps, = struct.unpack_from("<H", bs, 11); res, = struct.unpack_from("<H", bs, 14); nf = bs[16]
fsz, = struct.unpack_from("<I", bs, 36)
for i in range(nf):
    at = base + (res + i * fsz) * bps + 4
    f.seek(at); v, = struct.unpack("<I", f.read(4)); f.seek(at); f.write(struct.pack("<I", v & ~0x08000000))
fat1 = base + res * bps; fat2 = fat1 + fsz * bps
f.seek(fat1); t = f.read(fsz * bps)
free = next(i for i in range(3, len(t) // 4) if t[4 * i:4 * i + 4] == b"\0\0\0\0")
f.seek(fat1 + 4 * free); f.write(struct.pack("<I", 0x0FFFFFFF))
EOF2
}
dmg_bootx64() { mdel -i "$(fat 1 "$1")" ::/EFI/BOOT/BOOTX64.EFI; }
dmg_cfg() {
	mcopy -i "$(fat 2 "$1")" ::/boot.cfg "$T/boot.cfg"
	head -c 40 "$T/boot.cfg" >"$T/short.cfg"
	mcopy -o -i "$(fat 2 "$1")" "$T/short.cfg" ::/boot.cfg
}
# flip one byte of base.tdk in bank N (found through mtools' own view of the file's clusters: overwrite it)
flip() {
	mcopy -i "$(fat "$2" "$1")" ::/base.tdk "$T/base.tdk"
	local b
	b=$(od -An -tu1 -j4096 -N1 "$T/base.tdk")   # inverted, so it changes whatever it was
	printf "\\x$(printf %02x $((b ^ 255)))" | dd of="$T/base.tdk" bs=1 seek=4096 conv=notrunc status=none
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
