#!/usr/bin/env bash
# tests/integration/pxe_image.sh: `ramhost image pxe PROFILE -o DIR` on the demo profile: the image directory's
# layout (image.conf, boot.cfg, a/HEX, ramhost.efi and nothing else), every a/HEX hashing to its name and to its
# boot.cfg line, exactly one RHNETKEY record in ramhost.efi, --sign-cert embedding the modulus `openssl x509
# -modulus` prints and the certificate's DER SHA-256 (also in image.conf), --secure-boot-key/cert giving a loader
# `sbverify` accepts, --force replacing an image directory (and nothing else), refusals (EC and 1024-bit keys,
# an existing directory, a loader without a record) that write nothing, and SIGTERM during the build leaving no
# DIR and no temporary. Two builds are shared by the cases (one plain, one --force'd over a copy of it with every
# option). Needs what image.sh needs (the setup cache, the static init), openssl and sbsigntool.
. "$(dirname "$0")/../lib.sh"

PROFILE=$TOP/examples/demo/profile
SNAKEOIL_KEY=/usr/share/ovmf/PkKek-1-snakeoil.key
SNAKEOIL_CERT=/usr/share/ovmf/PkKek-1-snakeoil.pem
SHARED=$(mktemp -d "${TMPDIR:-/tmp}/ramhost-pxe-image-test.XXXXXX")
trap 'rm -rf "$SHARED"' EXIT
export SOURCE_DATE_EPOCH=1700000000

# netkey FILE: prints "count N" (how many times the magic occurs) and, when exactly once, the record's fields
# (ok=1 when version and CRC check out): "ok V mlen M exp E cert HEX modulus HEX".
netkey() {
	python3 - "$1" <<'PY'
import struct, sys, zlib
b = open(sys.argv[1], 'rb').read()
n = b.count(b'RHNETKEY')
print('count', n)
if n == 1:
    o = b.index(b'RHNETKEY')
    r = b[o:o + 568]
    ver, mlen, exp = struct.unpack_from('<III', r, 8)
    ok = int(len(r) == 568 and ver == 1 and struct.unpack_from('<I', r, 564)[0] == zlib.crc32(r[:564]) and mlen <= 512)
    print('ok', ok, 'mlen', mlen, 'exp', exp, 'cert', r[20:52].hex(), 'modulus', r[52:52 + mlen].hex())
PY
}

# The loader: build/ramhost.efi when it carries its one valid record (the loader's network mode); until then a
# stand-in: a copy with the record appended (the rodata copy of the magic defused), which is all image pxe reads.
EFI=${RAMHOST_EFI:-$(dirname "$RAMHOST")/ramhost.efi}
if ! netkey "$EFI" | grep -q '^ok 1 '; then
	python3 - "$EFI" "$SHARED/stand-in.efi" <<'PY'
import struct, sys, zlib
b = open(sys.argv[1], 'rb').read().replace(b'RHNETKEY', b'RHNETKEX')
r = bytearray(568)
r[0:8] = b'RHNETKEY'
struct.pack_into('<III', r, 8, 1, 0, 0)
struct.pack_into('<I', r, 564, zlib.crc32(bytes(r[:564])))
open(sys.argv[2], 'wb').write(b + bytes(r))
PY
	EFI=$SHARED/stand-in.efi
fi
export RAMHOST_EFI=$EFI

# The server's signing certificates, made now: RSA 2048 (good), EC P-256 and RSA 1024 (refused).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$SHARED/srv.key" -out "$SHARED/srv.crt" -subj /CN=pxe-sign \
	-days 30 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$SHARED/ec.key" -out "$SHARED/ec.crt" \
	-subj /CN=ec -days 30 2>/dev/null
openssl req -x509 -newkey rsa:1024 -nodes -keyout "$SHARED/small.key" -out "$SHARED/small.crt" -subj /CN=small \
	-days 30 2>/dev/null
openssl pkey -in "$SNAKEOIL_KEY" -passin pass:snakeoil -out "$SHARED/sb.key"

# Two image directories shared by the read-only cases: IMG plain; SIGNED --force'd over a copy of IMG with every
# option.
IMG=$SHARED/img
SIGNED=$SHARED/signed
"$RAMHOST" image pxe "$PROFILE" -o "$IMG" 2>"$SHARED/img.err" || cat "$SHARED/img.err"
cp -a "$IMG" "$SIGNED"
"$RAMHOST" image pxe "$PROFILE" -o "$SIGNED" --force --name web --sign-cert "$SHARED/srv.crt" \
	--secure-boot-key "$SHARED/sb.key" --secure-boot-cert "$SNAKEOIL_CERT" --json >"$SHARED/signed.json" \
	2>"$SHARED/signed.err" || cat "$SHARED/signed.err"

# no_output DIR: neither DIR nor a temporary beside it (DIR.tmp.*).
no_output() {
	[ ! -e "$1" ] || { echo "$1 was written"; return 1; }
	if ls -d "$1".tmp.* 2>/dev/null; then
		echo "a temporary was left beside $1"
		return 1
	fi
}

help_and_usage() {
	"$RAMHOST" image --help | grep -q 'pxe PROFILE -o DIR'
	"$RAMHOST" image pxe --help | grep -q -- '--secure-boot-cert CERT'
	local rc
	rc=0; "$RAMHOST" image pxe "$PROFILE" 2>err || rc=$?; [ $rc -eq 2 ]                  # no -o
	rc=0; "$RAMHOST" image pxe -o x 2>err || rc=$?; [ $rc -eq 2 ]                        # no profile
	rc=0; "$RAMHOST" image pxe "$PROFILE" -o x --secure-boot-key k 2>err || rc=$?; [ $rc -eq 2 ]
	grep -q -- '--secure-boot-key and --secure-boot-cert go together' err
	rc=0; "$RAMHOST" image pxe "$PROFILE" -o x --sign-key k 2>err || rc=$?; [ $rc -eq 2 ] # iso's option
	rc=0; "$RAMHOST" image pxe "$PROFILE" -o x --bootbank b 2>err || rc=$?; [ $rc -eq 2 ]
	rc=0; "$RAMHOST" image iso "$PROFILE" -o x --name n 2>err || rc=$?; [ $rc -eq 2 ]     # pxe's option
	no_output x
}

layout() {
	[ "$(cd "$IMG" && ls -A | tr '\n' ' ')" = "a boot.cfg image.conf ramhost.efi " ]
	[ "$(cat "$IMG/image.conf")" = "$(printf 'name=demo\nbuild=demo-1.0\nserver-cert-sha256=none')" ]
	grep -qx 'kernel=vmlinuz' "$IMG/boot.cfg"
	grep -qx 'modules=init.cpio --- base.tdk --- rescue.tdk --- drivers.tdk --- extras.tdk' "$IMG/boot.cfg"
	grep -qx 'build=demo-1.0' "$IMG/boot.cfg"
	[ "$(ls "$IMG/a" | wc -l)" -eq 6 ]
	[ "$(stat -c %s "$EFI")" = "$(stat -c %s "$IMG/ramhost.efi")" ] # the record rewritten in place
	[ -z "$(ls -d "$IMG".tmp.* "$SIGNED".tmp.* 2>/dev/null)" ]
}

# Every a/HEX hashes to HEX, and the a/ names are exactly the hashes boot.cfg gives (one per kernel and module).
artifacts_match_bootcfg() {
	local f
	for f in "$IMG"/a/*; do
		[ "$(sha256sum "$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || { echo "$f: hash differs"; return 1; }
		[ -f "$f" ] && [ ! -L "$f" ]
	done
	sed -n 's/^hash\.[^=]*=sha256://p' "$IMG/boot.cfg" | sort >want
	ls "$IMG/a" | sort >got
	diff want got
	[ "$(wc -l <want)" -eq 6 ]
}

# The same inputs and SOURCE_DATE_EPOCH give the same boot.cfg and artifacts (the second build replaced a copy).
# The same profile gives the same boot.cfg and artifacts, but for the kernel: --secure-boot-key signs it.
deterministic() {
	local k1 k2
	k1=$(sed -n 's/^hash\.vmlinuz=sha256://p' "$IMG/boot.cfg")
	k2=$(sed -n 's/^hash\.vmlinuz=sha256://p' "$SIGNED/boot.cfg")
	[ -n "$k1" ] && [ "$k1" != "$k2" ]
	diff <(grep -v '^hash\.vmlinuz=' "$IMG/boot.cfg") <(grep -v '^hash\.vmlinuz=' "$SIGNED/boot.cfg")
	diff <(cd "$IMG/a" && ls | grep -vx "$k1") <(cd "$SIGNED/a" && ls | grep -vx "$k2")
}

one_netkey_record_no_key() {
	netkey "$IMG/ramhost.efi" >rec
	grep -qx 'count 1' rec
	grep -q '^ok 1 mlen 0 exp 0 ' rec
}

sign_cert_embedded() {
	local mod cert
	netkey "$SIGNED/ramhost.efi" >rec
	grep -qx 'count 1' rec
	grep -q '^ok 1 mlen 256 exp 65537 ' rec
	mod=$(openssl x509 -in "$SHARED/srv.crt" -noout -modulus | sed 's/^Modulus=//' | tr 'A-F' 'a-f')
	[ "$(sed -n 's/^ok .* modulus //p' rec)" = "$mod" ]
	cert=$(openssl x509 -in "$SHARED/srv.crt" -outform DER | sha256sum | cut -d' ' -f1)
	[ "$(sed -n 's/^ok .* cert \([0-9a-f]*\) .*/\1/p' rec)" = "$cert" ]
	[ "$(cat "$SIGNED/image.conf")" = "$(printf 'name=web\nbuild=demo-1.0\nserver-cert-sha256=%s' "$cert")" ]
}

secure_boot_signed() {
	sbverify --cert "$SNAKEOIL_CERT" "$SIGNED/ramhost.efi" 2>&1 | grep -q 'Signature verification OK'
	! sbverify --list "$IMG/ramhost.efi" 2>/dev/null | grep -q 'signature 1' || false
	# the kernel too: ramhost.efi starts it through LoadImage, which Secure Boot checks
	k=$(sed -n 's/^hash\.vmlinuz=sha256://p' "$SIGNED/boot.cfg")
	sbverify --cert "$SNAKEOIL_CERT" "$SIGNED/a/$k" 2>&1 | grep -q 'Signature verification OK'
}

# --json names every file written with its size and SHA-256, as they are on disk.
json_output() {
	python3 - "$SIGNED" "$SHARED/signed.json" <<'PY'
import hashlib, json, os, sys
d, j = sys.argv[1], json.load(open(sys.argv[2]))
assert j['name'] == 'web' and j['build'] == 'demo-1.0' and j['secure_boot'] is True, j
assert j['server_key_bits'] == 2048 and len(j['server_cert_sha256']) == 64
on_disk = sorted(['image.conf', 'boot.cfg', 'ramhost.efi'] + ['a/' + n for n in os.listdir(d + '/a')])
assert sorted(f['path'] for f in j['files']) == on_disk, j['files']
for f in j['files']:
    data = open(d + '/' + f['path'], 'rb').read()
    assert f['size'] == len(data) and f['sha256'] == hashlib.sha256(data).hexdigest(), f
assert sorted(f['name'] for f in j['files'] if 'name' in f) == ['base.tdk', 'drivers.tdk', 'extras.tdk', 'init.cpio', 'rescue.tdk', 'vmlinuz']
assert [f['kind'] for f in j['files'] if f.get('name') == 'vmlinuz'] == ['kernel']
PY
}

ec_cert_refused() {
	expect_fail "$RAMHOST" image pxe "$PROFILE" -o out --sign-cert "$SHARED/ec.crt"
	expect_err 'ec.crt: the certificate.s key is EC, not RSA'
	no_output out
}

small_rsa_refused() {
	expect_fail "$RAMHOST" image pxe "$PROFILE" -o out --sign-cert "$SHARED/small.crt"
	expect_err 'small.crt: the certificate.s RSA key has 1024 bits; the loader takes 2048 to 4096'
	no_output out
	expect_fail "$RAMHOST" image pxe "$PROFILE" -o out --sign-cert "$SHARED/srv.key"
	expect_err 'srv.key: not a PEM certificate'
	no_output out
}

bad_name_refused() {
	expect_fail "$RAMHOST" image pxe "$PROFILE" -o out --name ../up
	expect_err "--name '../up' is not a valid image name"
	no_output out
}

# A loader without a record (an older ramhost.efi) or with the magic twice is refused before the build.
loader_without_record_refused() {
	python3 -c "import sys; b=open(sys.argv[1],'rb').read(); open('none.efi','wb').write(b.replace(b'RHNETKEY', b'RHNETKEX'))" "$EFI"
	expect_fail "$RAMHOST" image pxe "$PROFILE" -o out --efi none.efi
	expect_err 'none.efi: no server-key record \(RHNETKEY\) in this loader'
	no_output out
	cat "$EFI" "$EFI" >two.efi
	expect_fail "$RAMHOST" image pxe "$PROFILE" -o out --efi two.efi
	expect_err 'two.efi: the magic RHNETKEY occurs more than once'
	no_output out
}

existing_dir_refused() {
	cp -a "$IMG" old
	expect_fail "$RAMHOST" image pxe "$PROFILE" -o old
	expect_err 'old: exists and is not empty \(use --force'
	diff -r "$IMG" old
	mkdir busy && echo keep >busy/notes.txt
	expect_fail "$RAMHOST" image pxe "$PROFILE" -o busy
	expect_err 'busy: exists and is not empty'
	[ "$(ls -A busy)" = notes.txt ]
	no_output gone
	[ -z "$(ls -d old.tmp.* busy.tmp.* 2>/dev/null)" ]
}

# --force replaces only an image directory ramhost wrote: not a home directory, not a bootbank, not an image
# directory someone added a file to.
force_over_other_dir_refused() {
	mkdir home && echo keep >home/notes.txt
	expect_fail "$RAMHOST" image pxe "$PROFILE" -o home --force
	expect_err "home: not an image directory ramhost wrote; refusing to replace it even with --force \('notes.txt'"
	cp -a "$IMG" added && echo x >added/a/README
	expect_fail "$RAMHOST" image pxe "$PROFILE" -o added --force
	expect_err "added: not an image directory ramhost wrote.*'a/README'"
	mkdir bank && cp "$IMG/boot.cfg" bank/
	expect_fail "$RAMHOST" image pxe "$PROFILE" -o bank --force
	expect_err "bank: not an image directory ramhost wrote.*no readable image.conf"
	[ "$(cat home/notes.txt)" = keep ] && [ -f added/a/README ] && [ "$(ls bank)" = boot.cfg ]
	[ -z "$(ls -d home.tmp.* added.tmp.* bank.tmp.* 2>/dev/null)" ]
}

# SIGTERM while the bootbank is being built (a stand-in `ldd` that hangs, first in PATH: the built-in base runs
# it): ramhost dies of the signal, no DIR, no DIR.tmp.*, nothing in TMPDIR, and the stand-in is gone.
interrupted_leaves_nothing() {
	mkdir -p bin tmp
	printf '#!/bin/sh\necho $$ >"%s/tool.pid.new" && mv "%s/tool.pid.new" "%s/tool.pid"\nexec sleep 600\n' \
		"$T" "$T" "$T" >bin/ldd
	chmod +x bin/ldd
	trap 'if [ -s "$T/tool.pid" ]; then kill -KILL "$(cat "$T/tool.pid")" 2>/dev/null || true; fi' EXIT
	env --default-signal PATH="$T/bin:$PATH" TMPDIR="$T/tmp" "$RAMHOST" image pxe "$PROFILE" -o out -q 2>err &
	local pid=$! rc=0 i
	for i in $(seq 1 400); do
		[ -s tool.pid ] && break
		sleep 0.05
	done
	[ -s tool.pid ]
	ls -d out.tmp.* >/dev/null # the build was under way
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ] || { echo "exit status $rc, expected 143"; cat err; return 1; }
	no_output out
	[ -z "$(ls -A tmp)" ] || { echo "left in TMPDIR: $(ls -A tmp)"; return 1; }
	! kill -0 "$(cat tool.pid)" 2>/dev/null || false
}

t_case pxe-image-help-and-usage help_and_usage
t_case pxe-image-layout layout
t_case pxe-image-artifacts-match-bootcfg artifacts_match_bootcfg
t_case pxe-image-deterministic deterministic
t_case pxe-image-one-netkey-record one_netkey_record_no_key
t_case pxe-image-sign-cert-embedded sign_cert_embedded
t_case pxe-image-secure-boot-signed secure_boot_signed
t_case pxe-image-json json_output
t_case pxe-image-ec-cert-refused ec_cert_refused
t_case pxe-image-small-rsa-refused small_rsa_refused
t_case pxe-image-bad-name-refused bad_name_refused
t_case pxe-image-loader-without-record-refused loader_without_record_refused
t_case pxe-image-existing-dir-refused existing_dir_refused
t_case pxe-image-force-over-other-dir-refused force_over_other_dir_refused
t_case pxe-image-interrupted-leaves-nothing interrupted_leaves_nothing
t_exit
