#!/usr/bin/env bash
# tests/integration/hostile_archive.sh: `ramhost tardisk create` (and vib create, through the same code) with
# hostile or damaged source archives (issue 10, findings 1, 2 and the archive parts of 12): every compressed
# stream is verified to its checksum, bombs are stopped by the size cap and the free-space check before any
# data is written, sparse data stays sparse, and every refusal names the archive and says what was wrong.
. "$(dirname "$0")/../lib.sh"
unset SOURCE_DATE_EPOCH

# A tar of one 600 KB text file (several bzip2/xz blocks' worth of output, compressible).
make_tar() {
	python3 - "$1" <<'EOF'
import io, sys, tarfile
data = b"".join(b"line %06d of a compressible file\n" % i for i in range(18000))
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as tf:
    t = tarfile.TarInfo("f"); t.size = len(data); t.mtime = 1600000000; tf.addfile(t, io.BytesIO(data))
EOF
}

# flip FILE OFFSET: xor one byte (a negative offset counts from the end).
flip() {
	python3 -c 'import sys; p, o = sys.argv[1], int(sys.argv[2]); d = bytearray(open(p, "rb").read()); d[o] ^= 0x55; open(p, "wb").write(d)' "$1" "$2"
}

# no_leftovers DIR: nothing in DIR (no image, no temporary file, no spool).
no_leftovers() {
	if [ -n "$(ls -A "$1")" ]; then echo "left behind in $1:"; ls -la "$1"; return 1; fi
}

# random_tar TAR SIZE: a tar of one file r.bin of SIZE random (incompressible) bytes.
random_tar() {
	head -c "$2" /dev/urandom >r.bin
	tar -cf "$1" r.bin
}

# A small file system for the full-disk cases, unmounted when the case ends.
small_fs() {
	mkdir "$1"
	mount -t tmpfs -o size="$2" tmpfs "$1"
	trap "umount '$T/$1' 2>/dev/null || true" EXIT
}

case_gzip_crc_checked() {
	make_tar a.tar
	gzip -n -c a.tar >ok.tar.gz
	cp ok.tar.gz crc.tar.gz
	flip crc.tar.gz -8                    # the CRC-32 trailer
	cp ok.tar.gz len.tar.gz
	flip len.tar.gz -2                    # ISIZE
	mkdir out
	"$RAMHOST" tardisk create ok.tar.gz -o out/ok.tdk --quiet
	rm out/ok.tdk
	expect_fail "$RAMHOST" tardisk create crc.tar.gz -o out/x.tdk --quiet
	expect_err '^ramhost tardisk: crc.tar.gz: .*corrupt gzip stream .*incorrect data check'
	expect_fail "$RAMHOST" tardisk create len.tar.gz -o out/x.tdk --quiet
	expect_err '^ramhost tardisk: len.tar.gz: .*corrupt gzip stream .*incorrect length check'
	no_leftovers out
}

case_gzip_flipped_byte_in_the_middle() {
	make_tar a.tar
	gzip -n -c a.tar >mid.tar.gz
	flip mid.tar.gz $(( $(stat -c %s mid.tar.gz) / 2 ))
	! gzip -t mid.tar.gz 2>/dev/null || false
	mkdir out
	expect_fail "$RAMHOST" tardisk create mid.tar.gz -o out/x.tdk --quiet
	expect_err '^ramhost tardisk: mid.tar.gz: .*corrupt gzip stream'
	no_leftovers out
}

# A valid gzip of two members with zero padding (tape blocking) is accepted and equals the plain tar's image.
case_gzip_multi_member_accepted() {
	make_tar a.tar
	head -c 10240 a.tar | gzip -n >two.tar.gz
	tail -c +10241 a.tar | gzip -n >>two.tar.gz
	head -c 512 /dev/zero >>two.tar.gz
	"$RAMHOST" tardisk create a.tar -o a.tdk --mtime 0 --quiet
	"$RAMHOST" tardisk create two.tar.gz -o two.tdk --mtime 0 --quiet
	cmp a.tdk two.tdk
	printf 'garbage!' >>two.tar.gz
	expect_fail "$RAMHOST" tardisk create two.tar.gz -o bad.tdk --quiet
	expect_err 'two.tar.gz: corrupt gzip stream: garbage after member 2'
}

# bzip2, xz, zstd and lz4: a damaged checksum at the end of the stream (after the tar's end) is found too.
case_other_compressions_checked_to_the_end() {
	make_tar a.tar
	bzip2 -c a.tar >a.tar.bz2
	xz -c a.tar >a.tar.xz
	zstd -q -c a.tar >a.tar.zst
	lz4 -q -c a.tar >a.tar.lz4
	mkdir out
	for c in bz2:bzip2:-6 xz:xz:-9 zst:zstd:-2 lz4:lz4:-2; do
		ext=${c%%:*} name=${c#*:} name=${name%%:*} off=${c##*:}
		"$RAMHOST" tardisk create "a.tar.$ext" -o "out/$ext.tdk" --quiet
		rm "out/$ext.tdk"
		cp "a.tar.$ext" "bad.tar.$ext"
		flip "bad.tar.$ext" "$off"
		expect_fail "$RAMHOST" tardisk create "bad.tar.$ext" -o out/x.tdk --quiet
		expect_err "^ramhost tardisk: bad.tar.$ext: .*corrupt $name stream"
	done
	no_leftovers out
}

# A bzip2 stream damaged in its first block decompresses to garbage before its CRC: not "Unrecognized
# archive format", but a corrupt bzip2 stream.
case_corrupt_bzip2_named() {
	make_tar a.tar
	bzip2 -c a.tar >b.tar.bz2
	flip b.tar.bz2 200
	expect_fail "$RAMHOST" tardisk create b.tar.bz2 -o x.tdk --quiet
	expect_err '^ramhost tardisk: b.tar.bz2: corrupt bzip2 stream'
	if grep -q 'Unrecognized' "$T/err"; then cat "$T/err"; exit 1; fi
}

case_truncated_gzip_message() {
	make_tar a.tar
	gzip -n -c a.tar | head -c 3000 >t.tar.gz
	expect_fail "$RAMHOST" tardisk create t.tar.gz -o x.tdk --quiet
	expect_err "^ramhost tardisk: t.tar.gz: entry 'f': truncated gzip stream"
	if grep -q '(null)' "$T/err"; then cat "$T/err"; exit 1; fi
}

case_cpio_size_past_eof_message() {
	python3 - <<'EOF'
b = b"f\0"
h = b"070701" + b"".join(b"%08X" % v for v in (1, 0o100644, 0, 0, 1, 0, 100000, 0, 0, 0, 0, len(b), 0)) + b
open("past.cpio", "wb").write(h + b"\0" * (-len(h) % 4) + b"only a few bytes of data")
EOF
	expect_fail "$RAMHOST" tardisk create past.cpio -o x.tdk --quiet
	expect_err "^ramhost tardisk: past.cpio: entry 'f': the archive ends inside this entry's data \(truncated\)"
	if grep -q '(null)' "$T/err"; then cat "$T/err"; exit 1; fi
}

case_unchecked_compression_refused() {
	printf '\037\235\220some .Z data' >old.tar.Z
	expect_fail "$RAMHOST" tardisk create old.tar.Z -o x.tdk --quiet
	expect_err '^ramhost tardisk: old.tar.Z: compress \(.Z\) compression is not accepted: it has no integrity check'
}

# xz, zstd and lz4 streams written without their optional checksum cannot be verified: refused.
case_stream_without_checksum_refused() {
	make_tar a.tar
	xz --check=none -c a.tar >n.tar.xz
	zstd -q --no-check -c a.tar >n.tar.zst
	lz4 -q --no-frame-crc -c a.tar >n.tar.lz4
	for c in xz:xz zst:zstd lz4:lz4; do
		expect_fail "$RAMHOST" tardisk create "n.tar.${c%%:*}" -o x.tdk --quiet
		expect_err "^ramhost tardisk: n.tar.${c%%:*}: the ${c#*:} stream has no checksum \(.*\), so it cannot be verified"
	done
	[ ! -e x.tdk ]
}

# A 10 KB tar holding a sparse file declared 1 TB: refused by the default cap at once, nothing written.
case_sparse_terabyte_refused() {
	mkdir src out
	truncate -s 1T src/big
	printf 'data' | dd of=src/big bs=1 seek=5000000 conv=notrunc 2>/dev/null
	tar --sparse -cf tb.tar -C src big
	[ "$(stat -c %s tb.tar)" -le 20480 ]
	expect_fail timeout 20 "$RAMHOST" tardisk create tb.tar -o out/x.tdk --quiet
	expect_err "^ramhost tardisk: tb.tar: entry 'big': 1099511627776 bytes .* over the limit of 17179869184 \(--max-size\)"
	no_leftovers out
	# vib create goes through the same code and the same default.
	printf '<vib version="1.0"><name>bomb</name><version>1.0-1</version><vendor>t</vendor><acceptance-level>community</acceptance-level></vib>\n' >d.xml
	expect_fail timeout 20 "$RAMHOST" vib create --descriptor d.xml --payload tb.tar -o out/b.vib --quiet
	expect_err "tb.tar: entry 'big': .*over the limit of 17179869184 \(--max-size\)"
	no_leftovers out
}

# A 64 MiB sparse file builds on a 2 MiB file system (the free-space check counts its data, not its holes),
# and two 64 MiB files of zeros from a zstd bomb on a 100 MiB one: the first leaves the free space as it was
# (zero blocks are holes in the spool), or the second would not pass the check. The images hold the bytes.
case_sparse_and_zeros_stay_sparse() {
	mkdir src
	truncate -s 64M src/big
	printf 'middle' | dd of=src/big bs=1 seek=33554432 conv=notrunc 2>/dev/null
	tar --sparse -cf sp.tar -C src big
	python3 - <<'EOF'
import subprocess, tarfile
p = subprocess.Popen(["zstd", "-q", "-c"], stdin=subprocess.PIPE, stdout=open("z.tar.zst", "wb"))
for name in ("zeros1", "zeros2"):
    t = tarfile.TarInfo(name); t.size = 64 << 20
    p.stdin.write(t.tobuf(tarfile.GNU_FORMAT))
    for i in range(64): p.stdin.write(bytes(1 << 20))
p.stdin.write(bytes(10240)); p.stdin.close(); p.wait()
EOF
	small_fs small 2m
	"$RAMHOST" tardisk create sp.tar -o small/sp.tdk --quiet
	"$RAMHOST" tardisk cat small/sp.tdk big | cmp - src/big
	mkdir mid
	mount -t tmpfs -o size=100m tmpfs mid
	trap "umount '$T/small' '$T/mid' 2>/dev/null || true" EXIT
	"$RAMHOST" tardisk create z.tar.zst -o mid/z.tdk --quiet
	[ "$("$RAMHOST" tardisk cat mid/z.tdk zeros2 | tr -d '\0' | wc -c)" -eq 0 ]
	[ "$("$RAMHOST" tardisk ls -l mid/z.tdk | awk '$NF == "zeros2" {print $3}')" = 67108864 ]
}

case_max_size_option() {
	python3 - <<'EOF'
import subprocess, tarfile
t = tarfile.TarInfo("zeros"); t.size = 64 << 20
p = subprocess.Popen(["zstd", "-q", "-c"], stdin=subprocess.PIPE, stdout=open("bomb.tar.zst", "wb"))
p.stdin.write(t.tobuf(tarfile.GNU_FORMAT))
for i in range(64): p.stdin.write(bytes(1 << 20))
p.stdin.write(bytes(10240)); p.stdin.close(); p.wait()
EOF
	mkdir out
	expect_fail "$RAMHOST" tardisk create bomb.tar.zst -o out/x.tdk --max-size 10M
	expect_err "^ramhost tardisk: bomb.tar.zst: entry 'zeros': 67108864 bytes .*over the limit of 10485760 \(--max-size\)"
	no_leftovers out
	expect_fail "$RAMHOST" tardisk create bomb.tar.zst -o out/x.tdk --max-size lots
	[ "$(cat "$T/err" | head -1)" = "ramhost tardisk: --max-size 'lots': not a size (bytes, or with K, M, G or T)" ]
	"$RAMHOST" tardisk create --help | grep -q -- '--max-size SIZE'
	# A directory source counts the same way.
	mkdir tree
	head -c 2M /dev/zero >tree/two
	expect_fail "$RAMHOST" tardisk create tree -o out/x.tdk --max-size 1M
	expect_err "^ramhost tardisk: tree: entry 'two': 2097152 bytes .*over the limit of 1048576 \(--max-size\)"
	no_leftovers out
	# vib create has the same option, for each payload
	printf '<vib version="1.0"><name>two</name><version>1.0-1</version><vendor>t</vendor><acceptance-level>community</acceptance-level></vib>\n' >d.xml
	expect_fail "$RAMHOST" vib create --descriptor d.xml --payload tree -o out/t.vib --quiet --max-size 1M
	expect_err "^ramhost vib create: payload two: tree: entry 'two': 2097152 bytes .*over the limit of 1048576"
	no_leftovers out
	"$RAMHOST" vib create --descriptor d.xml --payload tree -o out/t.vib --quiet --max-size 3M
	rm out/t.vib
}

# Data that cannot fit the output's file system is refused before it is written, naming the directory.
case_free_space_checked_first() {
	random_tar r.tar 3000000
	small_fs small 2m
	expect_fail "$RAMHOST" tardisk create r.tar -o small/r.tdk --quiet
	expect_err "^ramhost tardisk: r.tar: entry 'r.bin': 3000000 bytes of data, but only [0-9]+ bytes are free in small$"
	no_leftovers small
}

# The spool fits but the image does not: tar2sqfs's failure is reported as a full disk naming the output.
case_full_disk_while_writing_the_image() {
	random_tar r.tar 1400000
	small_fs small 2m
	expect_fail "$RAMHOST" tardisk create r.tar -o small/r.tdk --quiet
	expect_err "^ramhost tardisk: small/r.tdk: no space left in small for the image \([0-9]+ bytes were free; tar2sqfs: "
	if grep -q 'Connection reset' "$T/err"; then cat "$T/err"; exit 1; fi
	no_leftovers small
	# tar2sqfs dies in the middle of the stream: its error, not "writing to tar2sqfs: Connection reset".
	random_tar r5.tar 5000000
	mkdir mid
	mount -t tmpfs -o size=8m tmpfs mid
	trap "umount '$T/small' '$T/mid' 2>/dev/null || true" EXIT
	expect_fail "$RAMHOST" tardisk create r5.tar -o mid/r.tdk --quiet
	expect_err "^ramhost tardisk: mid/r.tdk: no space left in mid for the image \([0-9]+ bytes were free; tar2sqfs: "
	if grep -q 'Connection reset' "$T/err"; then cat "$T/err"; exit 1; fi
	no_leftovers mid
}

case_oversized_xattr_names_the_entry() {
	python3 - <<'EOF'
import io, tarfile
with tarfile.open("x.tar", "w", format=tarfile.PAX_FORMAT) as tf:
    t = tarfile.TarInfo("dir/f"); t.size = 1
    t.pax_headers = {"SCHILY.xattr.user.big": "x" * 70000}
    tf.addfile(t, io.BytesIO(b"a"))
EOF
	expect_fail "$RAMHOST" tardisk create x.tar -o x.tdk --quiet
	expect_err "^ramhost tardisk: x.tar: entry 'dir/f': xattr 'user.big' has a 8-byte name and a 70000-byte value; the limits are 255 and 65536$"
}

t_case hostile_gzip_crc_checked case_gzip_crc_checked
t_case hostile_gzip_flipped_byte case_gzip_flipped_byte_in_the_middle
t_case hostile_gzip_multi_member_accepted case_gzip_multi_member_accepted
t_case hostile_other_compressions_checked case_other_compressions_checked_to_the_end
t_case hostile_corrupt_bzip2_named case_corrupt_bzip2_named
t_case hostile_truncated_gzip_message case_truncated_gzip_message
t_case hostile_cpio_size_past_eof_message case_cpio_size_past_eof_message
t_case hostile_unchecked_compression_refused case_unchecked_compression_refused
t_case hostile_stream_without_checksum_refused case_stream_without_checksum_refused
t_case hostile_sparse_terabyte_refused case_sparse_terabyte_refused
t_case hostile_sparse_and_zeros_stay_sparse case_sparse_and_zeros_stay_sparse
t_case hostile_max_size_option case_max_size_option
t_case hostile_free_space_checked_first case_free_space_checked_first
t_case hostile_full_disk_while_writing_the_image case_full_disk_while_writing_the_image
t_case hostile_oversized_xattr_names_the_entry case_oversized_xattr_names_the_entry
t_exit
