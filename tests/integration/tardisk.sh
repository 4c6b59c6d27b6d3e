#!/usr/bin/env bash
# tests/integration/tardisk.sh: `ramhost tardisk create|ls|cat|verify` end to end: every source kind, what a
# non-root build keeps (owners, devices, hardlinks, xattrs), determinism, the hostile-input rules
# (tests/fixtures/tardisk/), corrupt images, the cpio-wrapped boot module, and a real loop mount.
. "$(dirname "$0")/../lib.sh"
HOSTILE=$FIX/tardisk
export -n SOURCE_DATE_EPOCH 2>/dev/null || true
unset SOURCE_DATE_EPOCH

# A pax tar (python tarfile) with what a non-root build must keep: owner 1000, a char device, a hardlink,
# an xattr, a setuid file, an absolute symlink, a fifo. $1 = output, $2 = "reverse" for another entry order.
make_rich_tar() {
	python3 - "$1" "${2:-}" <<'EOF'
import io, sys, tarfile
out, order = sys.argv[1], sys.argv[2]
def ti(name, kind=tarfile.REGTYPE, data=b"", **kw):
    t = tarfile.TarInfo(name); t.type = kind; t.mtime = kw.pop("mtime", 1600000000)
    t.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644; t.uname = t.gname = ""
    if kind == tarfile.REGTYPE: t.size = len(data)
    for k, v in kw.items(): setattr(t, k, v)
    return t, data
big = b"".join(b"line %06d of a compressible file\n" % i for i in range(20000))
ents = [
    ti("./", tarfile.DIRTYPE),
    ti("./usr", tarfile.DIRTYPE), ti("./usr/bin", tarfile.DIRTYPE),
    ti("./usr/bin/tool", data=b"#!/bin/sh\necho tool\n", mode=0o4755, mtime=2000000000),
    ti("./home", tarfile.DIRTYPE, uid=1000, gid=1000),
    ti("./home/user.txt", data=b"owned by 1000\n", uid=1000, gid=1000),
    ti("./etc", tarfile.DIRTYPE),
    ti("./etc/localtime", tarfile.SYMTYPE, linkname="/usr/share/zoneinfo/UTC"),
    ti("./etc/attr.txt", data=b"has xattrs\n", pax_headers={"SCHILY.xattr.user.color": "blue",
                                                              "SCHILY.xattr.trusted.t": "x"}),
    ti("./dev", tarfile.DIRTYPE),
    ti("./dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666),
    ti("./dev/sda", tarfile.BLKTYPE, devmajor=8, devminor=0, mode=0o660),
    ti("./run", tarfile.DIRTYPE), ti("./run/fifo", tarfile.FIFOTYPE),
    ti("./usr/share", tarfile.DIRTYPE),
    ti("./usr/share/big.txt", data=big),
    ti("./usr/bin/tool-link", tarfile.LNKTYPE, linkname="./usr/bin/tool"),
]
if order == "reverse":
    # Children before parents, hardlink still after its target: an equivalent archive in another order.
    ents = [e for e in reversed(ents) if e[0].type != tarfile.LNKTYPE] + [e for e in ents if e[0].type == tarfile.LNKTYPE]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
    for t, d in ents:
        tf.addfile(t, io.BytesIO(d) if t.type == tarfile.REGTYPE else None)
EOF
}

# A small directory tree (no root needed): modes, symlinks (one absolute), a hardlink, a fifo, an xattr.
make_tree() {
	mkdir -p "$1/usr/bin" "$1/etc" "$1/var/empty"
	printf 'hello\n' >"$1/usr/bin/hello"
	chmod 0755 "$1/usr/bin/hello"
	ln "$1/usr/bin/hello" "$1/usr/bin/hello2"
	ln -s /usr/share/zoneinfo/UTC "$1/etc/localtime"
	ln -s hello "$1/usr/bin/hi"
	printf 'x=1\n' >"$1/etc/conf"
	chmod 0600 "$1/etc/conf"
	mkfifo "$1/var/fifo"
	python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.k", b"v1")' "$1/etc/conf"
}

# json_get FILE PATH FIELD[/SUBFIELD]: one field of one entry of `ls --json` output.
json_get() {
	python3 - "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for e in d["entries"]:
    if e["path"] == sys.argv[2]:
        v = e
        for k in sys.argv[3].split("/"):
            v = v[k]
        print(v if not isinstance(v, list) else ",".join(map(str, v)))
        sys.exit(0)
sys.exit("no entry " + sys.argv[2])
EOF
}

# wrap_cpio IMG OUT NAME: the canonical boot module (lib/host/cpio.c cpio_wrap_file's layout).
wrap_cpio() {
	python3 - "$@" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read(); out = bytearray()
def hdr(ino, mode, nlink, size, name):
    global out
    b = name.encode() + b"\0"
    out += b"070701" + b"".join(b"%08X" % v for v in (ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(b), 0)) + b
    out += b"\0" * (-len(out) % 4)
hdr(1, 0o40755, 2, 0, "tardisks"); hdr(2, 0o100444, 1, len(data), "tardisks/" + sys.argv[3])
out += data + b"\0" * (-len(data) % 4); hdr(0, 0, 1, 0, "TRAILER!!!")
open(sys.argv[2], "wb").write(bytes(out))
EOF
}

# no_leftovers DIR: the output directory holds nothing (no image, no temp file).
no_leftovers() {
	if [ -n "$(ls -A "$1")" ]; then
		echo "left behind in $1:"; ls -la "$1"; return 1
	fi
}

case_usage() {
	"$RAMHOST" tardisk --help | grep -q 'tardisk create SRC -o OUT'
	"$RAMHOST" tardisk create --help | grep -q 'verify IMG'
	set +e
	"$RAMHOST" tardisk 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" tardisk create only-src 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" tardisk ls 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" tardisk verify x --sha256 nothex 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" tardisk bogus 2>/dev/null; [ $? -eq 2 ] || exit 1
}

case_from_dir() {
	make_tree src
	mkdir out
	"$RAMHOST" tardisk create src -o out/d.tdk --quiet
	"$RAMHOST" tardisk ls -l out/d.tdk >ls.txt
	cat ls.txt
	grep -Eq '^-rwxr-xr-x 0/0 +6 .* usr/bin/hello$' ls.txt
	grep -Eq '^-rw------- 0/0 +4 .* etc/conf$' ls.txt
	grep -q 'etc/localtime -> /usr/share/zoneinfo/UTC$' ls.txt
	grep -q 'usr/bin/hi -> hello$' ls.txt
	grep -Eq '^prw-r--r-- 0/0 .* var/fifo$' ls.txt
	grep -Eq '^drwxr-xr-x 0/0 .* var/empty$' ls.txt
	"$RAMHOST" tardisk ls --json out/d.tdk >ls.json
	[ "$(json_get ls.json usr/bin/hello inode)" = "$(json_get ls.json usr/bin/hello2 inode)" ]
	[ "$(json_get ls.json usr/bin/hello nlink)" = 2 ]
	[ "$(json_get ls.json etc/conf xattrs/user.k)" = v1 ]
	[ "$("$RAMHOST" tardisk cat out/d.tdk usr/bin/hello2)" = hello ]
	# The owner of the source files (root here, anyone elsewhere) never reaches the image.
	chown -R 1234:1234 src 2>/dev/null || true
	"$RAMHOST" tardisk create src -o out/d2.tdk --quiet
	cmp out/d.tdk out/d2.tdk
}

case_from_tar_keeps_metadata() {
	make_rich_tar rich.tar
	"$RAMHOST" tardisk create rich.tar -o rich.tdk --quiet
	"$RAMHOST" tardisk ls -l rich.tdk >ls.txt
	cat ls.txt
	grep -Eq '^-rw-r--r-- 1000/1000 .* home/user.txt$' ls.txt
	grep -Eq '^drwxr-xr-x 1000/1000 .* home$' ls.txt
	grep -Eq '^crw-rw-rw- 0/0 +1,3 .* dev/null$' ls.txt
	grep -Eq '^brw-rw---- 0/0 +8,0 .* dev/sda$' ls.txt
	grep -Eq '^-rwsr-xr-x 0/0 .* usr/bin/tool$' ls.txt
	grep -Eq '^prw-r--r-- 0/0 .* run/fifo$' ls.txt
	grep -q 'etc/localtime -> /usr/share/zoneinfo/UTC$' ls.txt
	"$RAMHOST" tardisk ls --json rich.tdk >ls.json
	[ "$(json_get ls.json usr/bin/tool inode)" = "$(json_get ls.json usr/bin/tool-link inode)" ]
	[ "$(json_get ls.json usr/bin/tool nlink)" = 2 ]
	[ "$(json_get ls.json dev/null rdev)" = "1,3" ]
	python3 - <<'EOF'
import json
e = [e for e in json.load(open("ls.json"))["entries"] if e["path"] == "etc/attr.txt"][0]
assert e["xattrs"] == {"user.color": "blue", "trusted.t": "x"}, e
EOF
	# The same seen by squashfs-tools-ng and squashfs-tools, independently of our reader.
	rdsquashfs -x /etc/attr.txt rich.tdk | grep -qx 'user.color=blue'
	unsquashfs -lln rich.tdk | grep -Eq '^-rw-r--r-- 1000/1000 .*home/user.txt$'
	unsquashfs -lln rich.tdk | grep -Eq '^crw-rw-rw- 0/0 +1, +3 .*dev/null$'
	rdsquashfs -s /usr/bin/tool-link rich.tdk | grep -q 'Hard link count: 2'
	[ "$("$RAMHOST" tardisk cat rich.tdk usr/bin/tool-link)" = "$(printf '#!/bin/sh\necho tool')" ]
	"$RAMHOST" tardisk cat rich.tdk usr/share/big.txt | cmp - <(python3 -c '
import sys; sys.stdout.buffer.write(b"".join(b"line %06d of a compressible file\n" % i for i in range(20000)))')
	# No SOURCE_DATE_EPOCH: archive mtimes are kept.
	[ "$(json_get ls.json usr/bin/tool mtime)" = 2000000000 ]
}

case_compressed_and_cpio_sources() {
	make_tree src
	tar -C src -cf plain.tar .
	gzip -c plain.tar >s.tar.gz
	zstd -q -c plain.tar >s.tar.zst
	xz -c plain.tar >s.tar.xz
	(cd src && find . | LC_ALL=C sort | cpio --quiet -o -H newc) >s.cpio
	"$RAMHOST" tardisk create src -o ref.tdk --quiet
	"$RAMHOST" tardisk ls ref.tdk >ref.ls
	for s in plain.tar s.tar.gz s.tar.zst s.tar.xz s.cpio; do
		"$RAMHOST" tardisk create "$s" -o "$s.tdk" --quiet
		"$RAMHOST" tardisk ls "$s.tdk" | diff ref.ls -
		[ "$("$RAMHOST" tardisk cat "$s.tdk" usr/bin/hello)" = hello ]
		"$RAMHOST" tardisk ls --json "$s.tdk" >j
		[ "$(json_get j usr/bin/hello inode)" = "$(json_get j usr/bin/hello2 inode)" ]
		"$RAMHOST" tardisk verify "$s.tdk" | grep -q ': ok: '
	done
	# Same entries, same owners (root here), same clamped times: the same image from every source.
	for s in plain.tar s.tar.gz s.tar.zst s.tar.xz s.cpio; do
		"$RAMHOST" tardisk create "$s" -o "$s.c.tdk" --quiet --mtime 1000
	done
	"$RAMHOST" tardisk create src -o dir.c.tdk --quiet --mtime 1000
	for s in s.tar.gz s.tar.zst s.tar.xz; do cmp plain.tar.c.tdk "$s.c.tdk"; done
}

case_deterministic() {
	make_rich_tar a.tar
	make_rich_tar b.tar reverse
	! cmp -s a.tar b.tar || false
	SOURCE_DATE_EPOCH=1700000000 "$RAMHOST" tardisk create a.tar -o 1.tdk --quiet
	sleep 1
	SOURCE_DATE_EPOCH=1700000000 "$RAMHOST" tardisk create a.tar -o 2.tdk --quiet
	SOURCE_DATE_EPOCH=1700000000 "$RAMHOST" tardisk create b.tar -o 3.tdk --quiet
	"$RAMHOST" tardisk create a.tar -o 4.tdk --quiet --mtime 1700000000
	cmp 1.tdk 2.tdk
	cmp 1.tdk 3.tdk
	cmp 1.tdk 4.tdk
	# Clamped: 2000000000 became 1700000000; older times stay.
	"$RAMHOST" tardisk ls --json 1.tdk >j
	[ "$(json_get j usr/bin/tool mtime)" = 1700000000 ]
	[ "$(json_get j etc/attr.txt mtime)" = 1600000000 ]
	# A different epoch gives different bytes (the test can tell).
	SOURCE_DATE_EPOCH=1700000001 "$RAMHOST" tardisk create a.tar -o 5.tdk --quiet
	! cmp -s 1.tdk 5.tdk || false
	# tar2sqfs packs on several threads: the bytes are the same with one job as with four, for files of many
	# blocks and for many fragments
	mkdir jobs && python3 -c '
import random, sys
r = random.Random(7)
open("jobs/big", "wb").write(bytes(r.choice(b"abcdefgh ") for _ in range(3 << 20)))
for i in range(300):
    open("jobs/f%03d" % i, "wb").write(bytes(r.getrandbits(8) for _ in range(r.randrange(1, 5000))))'
	RAMHOST_TAR2SQFS_JOBS=1 "$RAMHOST" tardisk create jobs -o j1.tdk --quiet --mtime 1
	RAMHOST_TAR2SQFS_JOBS=4 "$RAMHOST" tardisk create jobs -o j4.tdk --quiet --mtime 1
	cmp j1.tdk j4.tdk
	expect_fail env RAMHOST_TAR2SQFS_JOBS=many "$RAMHOST" tardisk create jobs -o j5.tdk
	expect_err 'RAMHOST_TAR2SQFS_JOBS'
	[ ! -e j5.tdk ]
	expect_fail env SOURCE_DATE_EPOCH=yesterday "$RAMHOST" tardisk create a.tar -o 6.tdk
	expect_err 'SOURCE_DATE_EPOCH'
	[ ! -e 6.tdk ]
}

case_hostile_fixtures_reproducible() {
	cp "$HOSTILE/make-hostile.py" .
	python3 make-hostile.py
	for f in "$HOSTILE"/*.tar "$HOSTILE"/*.cpio "$HOSTILE"/cases.txt; do
		cmp "$f" "$(basename "$f")"
	done
	[ "$(ls "$HOSTILE"/*.tar "$HOSTILE"/*.cpio | wc -l)" -ge 12 ]
}

case_hostile_refused() {
	local file entry rc n=0
	while IFS=$'\t' read -r file entry; do
		case $file in '#'*|'') continue ;; esac
		mkdir out
		set +e
		"$RAMHOST" tardisk create "$HOSTILE/$file" -o out/img.tdk 2>err
		rc=$?
		set -e
		echo "$file -> exit $rc: $(cat err)"
		[ $rc -eq 1 ] || { echo "$file: exit $rc, want 1"; exit 1; }
		grep -qF -- "entry '$entry" err || { echo "$file: error does not name '$entry'"; exit 1; }
		no_leftovers out
		rm -rf out
		n=$((n + 1))
	done <"$HOSTILE/cases.txt"
	[ $n -ge 12 ]
	# An existing image is left untouched by a refused build.
	mkdir out
	echo old >out/img.tdk
	expect_fail "$RAMHOST" tardisk create "$HOSTILE/dotdot.tar" -o out/img.tdk
	[ "$(cat out/img.tdk)" = old ]
	[ "$(ls -A out)" = img.tdk ]
}

case_truncated_or_garbage_archive() {
	make_rich_tar rich.tar
	mkdir out
	head -c 30000 rich.tar >trunc.tar
	expect_fail "$RAMHOST" tardisk create trunc.tar -o out/x.tdk
	expect_err 'trunc.tar'
	expect_err 'usr/share/big.txt|[Tt]runcated|EOF'
	no_leftovers out
	gzip -c rich.tar | head -c 2000 >trunc.tar.gz
	expect_fail "$RAMHOST" tardisk create trunc.tar.gz -o out/x.tdk
	expect_err 'trunc.tar.gz'
	no_leftovers out
	head -c 5000 /dev/urandom >garbage.bin
	expect_fail "$RAMHOST" tardisk create garbage.bin -o out/x.tdk
	expect_err 'garbage.bin'
	no_leftovers out
	expect_fail "$RAMHOST" tardisk create missing.tar -o out/x.tdk
	expect_err 'missing.tar'
}

case_corrupt_image() {
	make_rich_tar rich.tar
	"$RAMHOST" tardisk create rich.tar -o good.tdk --quiet
	size=$(stat -c %s good.tdk)
	# Truncated to half, and to 50 bytes: ls and verify refuse with a clear message, exit 1.
	head -c $((size / 2)) good.tdk >half.tdk
	head -c 50 good.tdk >tiny.tdk
	for img in half.tdk tiny.tdk; do
		for cmd in ls verify; do
			set +e; "$RAMHOST" tardisk $cmd $img >/dev/null 2>"$T/err"; rc=$?; set -e
			[ $rc -eq 1 ] || { echo "$cmd $img: exit $rc"; exit 1; }
			expect_err "$img: "
		done
	done
	expect_err 'truncated|out of bounds|superblock'
	# Bad magic.
	cp good.tdk magic.tdk
	printf 'XXXX' | dd of=magic.tdk conv=notrunc status=none
	expect_fail "$RAMHOST" tardisk ls magic.tdk
	expect_err 'magic'
	# Smashed data blocks (the big compressible file's blocks sit right after the superblock).
	cp good.tdk data.tdk
	head -c 3000 /dev/zero | tr '\0' '\377' | dd of=data.tdk bs=1 seek=200 conv=notrunc status=none
	set +e; "$RAMHOST" tardisk verify data.tdk 2>"$T/err"; rc=$?; set -e
	[ $rc -eq 1 ] || { echo "verify of a smashed image: exit $rc"; exit 1; }
	expect_err 'data.tdk: '
	# Smashed metadata (inode/directory tables near the end).
	cp good.tdk meta.tdk
	ino=$(od -An -tu8 -j64 -N8 good.tdk | tr -d ' ')
	head -c 200 /dev/zero | tr '\0' '\125' | dd of=meta.tdk bs=1 seek="$ino" conv=notrunc status=none
	for cmd in ls verify; do
		set +e; "$RAMHOST" tardisk $cmd meta.tdk >/dev/null 2>"$T/err"; rc=$?; set -e
		[ $rc -eq 1 ] || { echo "$cmd of smashed metadata: exit $rc"; exit 1; }
	done
	# Random flips all over: never a crash or a hang (exit 0 or 1 only).
	for seed in 1 2 3 4 5 6 7 8; do
		python3 - good.tdk flip.tdk $seed <<'EOF'
import random, sys
b = bytearray(open(sys.argv[1], "rb").read()); r = random.Random(int(sys.argv[3]))
for _ in range(20):
    b[r.randrange(len(b))] ^= 1 << r.randrange(8)
open(sys.argv[2], "wb").write(b)
EOF
		for cmd in ls verify; do
			set +e; timeout 60 "$RAMHOST" tardisk $cmd flip.tdk >/dev/null 2>&1; rc=$?; set -e
			[ $rc -le 1 ] || { echo "seed $seed: $cmd exit $rc"; exit 1; }
		done
	done
}

case_verify_sha256() {
	make_tree src
	"$RAMHOST" tardisk create src -o v.tdk --quiet
	sum=$(sha256sum v.tdk | cut -d' ' -f1)
	"$RAMHOST" tardisk verify v.tdk | grep -q "sha256 $sum"
	"$RAMHOST" tardisk verify v.tdk --sha256 "$sum"
	"$RAMHOST" tardisk verify --json v.tdk >v.json
	python3 -c 'import json,sys; d=json.load(open("v.json")); assert d["ok"] and d["sha256"]==sys.argv[1] and d["compressor"]=="zstd" and d["files"]==2 and d["hardlinks"]==1, d' "$sum"
	bad=$(printf '%064d' 0)
	expect_fail "$RAMHOST" tardisk verify v.tdk --sha256 "$bad"
	expect_err "SHA-256 mismatch: expected $bad, got $sum"
	# Not zstd: a squashfs made by hand with xz is not a tardisk.
	tar -C src -cf s.tar .
	tar2sqfs -q -c xz xz.sqfs <s.tar
	expect_fail "$RAMHOST" tardisk verify xz.sqfs
	expect_err 'compressor is xz'
}

case_cpio_wrapped() {
	make_rich_tar rich.tar
	"$RAMHOST" tardisk create rich.tar -o base.img --quiet
	wrap_cpio base.img base.tdk base.tdk
	head -c 6 base.tdk | grep -q 070701
	"$RAMHOST" tardisk ls base.img >a.ls
	"$RAMHOST" tardisk ls base.tdk >b.ls
	diff a.ls b.ls
	[ "$("$RAMHOST" tardisk cat base.tdk home/user.txt)" = 'owned by 1000' ]
	sum=$(sha256sum base.tdk | cut -d' ' -f1)
	"$RAMHOST" tardisk verify --json base.tdk --sha256 "$sum" >v.json
	python3 -c 'import json; d=json.load(open("v.json")); assert d["cpio_wrapped"] and d["image_size"] > 0 and d["image_offset"] > 0, d'
	# A wrapper whose image is cut short is refused, naming the problem.
	head -c 3000 base.tdk >cut.tdk
	expect_fail "$RAMHOST" tardisk ls cut.tdk
	expect_err 'cut.tdk: cpio wrapper'
}

case_mount_loop() {
	make_rich_tar rich.tar
	"$RAMHOST" tardisk create rich.tar -o m.tdk --quiet
	mkdir mnt
	if ! mount -o loop,ro -t squashfs m.tdk mnt 2>mount.err; then
		echo "FAIL: cannot loop-mount the image (needs root and loop+squashfs support): $(cat mount.err)"
		exit 1
	fi
	rc=0
	{
		cmp mnt/usr/share/big.txt <("$RAMHOST" tardisk cat m.tdk usr/share/big.txt) &&
		[ "$(stat -c '%u:%g %a' mnt/home/user.txt)" = "1000:1000 644" ] &&
		[ "$(stat -c '%i' mnt/usr/bin/tool)" = "$(stat -c '%i' mnt/usr/bin/tool-link)" ] &&
		[ "$(stat -c '%F %t,%T' mnt/dev/null)" = "character special file 1,3" ] &&
		[ "$(readlink mnt/etc/localtime)" = /usr/share/zoneinfo/UTC ] &&
		[ "$(python3 -c 'import os; print(os.getxattr("mnt/etc/attr.txt", "user.color").decode())')" = blue ]
	} || rc=1
	umount mnt
	exit $rc
}

# UTF-8 names (from a directory and from a pax tar) are kept and listed as they are; a name that is not UTF-8
# (a GNU tar written in Latin-1) is refused, the byte shown escaped.
case_utf8_names() {
	mkdir -p src/日本
	echo hi >"src/café"
	echo jp >"src/日本/ファイル"
	"$RAMHOST" tardisk create src -o d.tdk -q
	"$RAMHOST" tardisk ls d.tdk >ls
	grep -qx 'café' ls && grep -qx '日本/ファイル' ls
	[ "$("$RAMHOST" tardisk cat d.tdk 'café')" = hi ]
	python3 - <<'PY'
import io, tarfile
with tarfile.open("u.tar", "w", format=tarfile.PAX_FORMAT) as t:
    ti = tarfile.TarInfo("naïve.txt"); ti.size = 2; t.addfile(ti, io.BytesIO(b"ok"))
with tarfile.open("l.tar", "w", format=tarfile.GNU_FORMAT, encoding="latin-1") as t:
    ti = tarfile.TarInfo("caf\xe9"); ti.size = 2; t.addfile(ti, io.BytesIO(b"no"))
PY
	"$RAMHOST" tardisk create u.tar -o u.tdk -q
	"$RAMHOST" tardisk ls u.tdk | grep -qx 'naïve.txt'
	expect_fail "$RAMHOST" tardisk create l.tar -o l.tdk -q
	expect_err 'l.tar: entry .caf\\xe9.: '
	[ ! -e l.tdk ]
}

t_case tardisk_usage case_usage
t_case tardisk_create_from_dir case_from_dir
t_case tardisk_create_from_tar_keeps_metadata case_from_tar_keeps_metadata
t_case tardisk_create_compressed_and_cpio case_compressed_and_cpio_sources
t_case tardisk_deterministic case_deterministic
t_case tardisk_hostile_fixtures_reproducible case_hostile_fixtures_reproducible
t_case tardisk_hostile_refused case_hostile_refused
t_case tardisk_truncated_archive case_truncated_or_garbage_archive
t_case tardisk_corrupt_image case_corrupt_image
t_case tardisk_verify_sha256 case_verify_sha256
t_case tardisk_cpio_wrapped case_cpio_wrapped
t_case tardisk_mount_loop case_mount_loop
t_case tardisk_utf8_names case_utf8_names
t_exit
