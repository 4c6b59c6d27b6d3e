#!/usr/bin/env bash
# tests/integration/oci.sh: `ramhost tardisk create oci:PATH[:TAG]` (tardisk/oci/): an image made at test time
# by umoci (three layers: a whiteout, an opaque directory, a hard link) gives the tree `umoci unpack` gives, from
# the layout directory and from an OCI archive of it, the same bytes twice; a docker save archive and a
# multi-platform index are read; and every hostile layout is refused naming what was wrong, with no output
# and no scratch directory left (tests/fixtures/oci/mkimage.py writes them).
. "$(dirname "$0")/../lib.sh"
MK=$FIX/oci/mkimage.py
export SOURCE_DATE_EPOCH=1700000000

# The umoci image at $T/img:t: layer 1 etc/{keep,gone,keep-link (hard link)}, opq/low, sbin/init; layer 2
# removes etc/gone (umoci writes .wh.gone); layer 3 (hand-made tar) makes opq opaque and adds opq/up.
umoci_image() {
	umoci init --layout "$T/img"
	umoci new --image "$T/img:t"
	umoci unpack --image "$T/img:t" "$T/b" >/dev/null
	mkdir -p "$T/b/rootfs/etc" "$T/b/rootfs/opq" "$T/b/rootfs/sbin"
	echo one >"$T/b/rootfs/etc/keep"
	echo gone >"$T/b/rootfs/etc/gone"
	echo low >"$T/b/rootfs/opq/low"
	printf '#!/bin/sh\n' >"$T/b/rootfs/sbin/init"
	chmod 0755 "$T/b/rootfs/sbin/init"
	ln "$T/b/rootfs/etc/keep" "$T/b/rootfs/etc/keep-link"
	umoci repack --image "$T/img:t" "$T/b"
	rm "$T/b/rootfs/etc/gone"
	umoci repack --image "$T/img:t" "$T/b"
	mkdir -p "$T/l3/opq"
	echo up >"$T/l3/opq/up"
	touch "$T/l3/opq/.wh..wh..opq"
	tar -C "$T/l3" -cf "$T/l3.tar" opq
	umoci raw add-layer --image "$T/img:t" "$T/l3.tar"
	rm -rf "$T/b"
}

case_umoci_layers() {
	umoci_image
	"$RAMHOST" tardisk create "oci:$T/img:t" -o "$T/a.tdk"
	unsquashfs -q -n -d "$T/x" "$T/a.tdk"
	umoci unpack --image "$T/img:t" "$T/ref" >/dev/null
	diff -r "$T/ref/rootfs" "$T/x"
	[ ! -e "$T/x/etc/gone" ]
	[ "$(ls -A "$T/x/opq")" = up ]
	[ "$(stat -c %i "$T/x/etc/keep")" = "$(stat -c %i "$T/x/etc/keep-link")" ]
	# an OCI archive of the same layout, and a second build: the same bytes
	tar -C "$T/img" -cf "$T/img.tar" .
	"$RAMHOST" tardisk create "oci:$T/img.tar:t" -o "$T/b.tdk"
	"$RAMHOST" tardisk create "oci:$T/img:t" -o "$T/c.tdk"
	cmp "$T/a.tdk" "$T/b.tdk"
	cmp "$T/a.tdk" "$T/c.tdk"
	expect_fail "$RAMHOST" tardisk create "oci:$T/img:nosuch" -o "$T/d.tdk"
	expect_err "index.json has no image tagged nosuch for linux/amd64; it has: tag t$"
}

case_docker_save_and_platforms() {
	python3 "$MK" "$T/d.tar" '{"format":"docker","tag":"v2","layers":[[["d","etc"],["f","etc/a","A"],["f","etc/b","B"]],[["f","etc/.wh.a",""],["f","etc/z","Z"]]]}'
	"$RAMHOST" tardisk create "oci:$T/d.tar:v2" -o "$T/d.tdk"
	[ "$("$RAMHOST" tardisk ls "$T/d.tdk" | tr '\n' ' ')" = "etc etc/b etc/z " ]
	"$RAMHOST" tardisk create "oci:$T/d.tar" -o "$T/d2.tdk"   # the only image: no tag needed
	cmp "$T/d.tdk" "$T/d2.tdk"
	python3 "$MK" "$T/m" '{"platforms":["arm64","amd64"],"gzip":true,"layers":[[["f","hello","hi"]]]}'
	"$RAMHOST" tardisk create "oci:$T/m:t" -o "$T/m.tdk"
	[ "$("$RAMHOST" tardisk cat "$T/m.tdk" hello)" = hi ]
	python3 "$MK" "$T/arm" '{"platforms":["arm64"],"layers":[[["f","hello","hi"]]]}'
	expect_fail "$RAMHOST" tardisk create "oci:$T/arm:t" -o "$T/arm.tdk"
	expect_err "the image index has no image for linux/amd64; it has: linux/arm64"
}

# hostile PLAN PATTERN [OPTIONS]: the layout refused with PATTERN; no output, nothing left in $TMPDIR.
hostile() {
	local dir=$T/h$RANDOM
	python3 "$MK" "$dir" "$1"
	mkdir -p "$T/tmp"
	TMPDIR=$T/tmp expect_fail "$RAMHOST" tardisk create "oci:$dir" -o "$T/out.tdk" ${3:-}
	expect_err "$2"
	[ ! -e "$T/out.tdk" ] && [ -z "$(ls -A "$T/tmp")" ] && [ -z "$(ls -A "$T" | grep '^\.out')" ]
}

case_hostile_blobs() {
	L='[[["f","a","A"]]]'
	hostile '{"damage":"flip-layer","layers":'"$L"'}' 'layer 1: blob sha256:[0-9a-f]{64} has SHA-256 [0-9a-f]{64} \(tampered'
	hostile '{"damage":"drop-layer","layers":'"$L"'}' 'layer 1 names blob sha256:[0-9a-f]{64}, which the image does not have'
	hostile '{"damage":"size-layer","layers":'"$L"'}' 'layer 1: blob sha256:[0-9a-f]{64} is [0-9]+ bytes, the descriptor says'
	hostile '{"damage":"huge-config","layers":'"$L"'}' 'the config: sha256:[0-9a-f]{64} is [0-9]+ bytes, more than the limit of 4194304'
	hostile '{"layers":[[["big","big",2000000]]]}' "over the limit of 1000000" "--max-size 1000000"
}

case_hostile_entries() {
	hostile '{"layers":[[["f","../escape","x"]]]}' "entry '../escape': the path"
	hostile '{"layers":[[["f","/abs","x"]]]}' "entry '/abs': the path"
	hostile '{"layers":[[["l","link","/etc"]],[["f","link/passwd","x"]]]}' "layer 2: entry 'link/passwd' is below 'link', which is a symlink"
	hostile '{"layers":[[["l","link","/etc"]],[["f","link/.wh.passwd",""]]]}' "layer 2: entry 'link/.wh.passwd' is below 'link', which is a symlink"
	hostile '{"layers":[[["f","a","A"]],[["f",".wh.a",""]],[["h","b","a"]]]}' "layer 3: entry 'b' is a hard link to 'a', which no layer has"
	hostile '{"layers":[[["d","d"],["f","d/.wh..wh.plnk",""]]]}' "entry 'd/.wh..wh.plnk' is not a whiteout this reader knows"
	hostile '{"layers":[[["f",".wh..",""]]]}' "entry '.wh..' is not a whiteout this reader knows"
}

# Whiteouts apply to lower layers only, whatever the order inside their own layer.
case_whiteout_order() {
	python3 "$MK" "$T/w" '{"layers":[[["d","d"],["f","d/old","o"],["f","x","lower"]],[["f","x","upper"],["f",".wh.x",""],["d","d"],["f","d/new","n"],["f","d/.wh..wh..opq",""]]]}'
	"$RAMHOST" tardisk create "oci:$T/w" -o "$T/w.tdk"
	[ "$("$RAMHOST" tardisk ls "$T/w.tdk" | tr '\n' ' ')" = "d d/new x " ]
	[ "$("$RAMHOST" tardisk cat "$T/w.tdk" x)" = upper ]
}

# base = oci:PATH:TAG in a profile: base.tdk is the image applied, and the ramhost layer goes over it. The image
# here has what that layer looks for (systemd, udevd, networkd's unit; empty files: it is built, not booted) and
# an init through two symlinks (/sbin -> usr/sbin, init -> ../lib/systemd/systemd). An image without an init is
# refused before the ramhost layer, saying what to add; a missing image before the build starts.
case_profile_base() {
	private_cache
	python3 "$MK" "$T/img" '{"tag":"v1","layers":[[["d","usr"],["d","usr/lib"],["d","usr/lib/systemd"],["x","usr/lib/systemd/systemd","sd"],["x","usr/lib/systemd/systemd-udevd","u"],["d","usr/lib/systemd/system"],["f","usr/lib/systemd/system/systemd-networkd.service","[Unit]"],["d","usr/sbin"],["l","usr/sbin/init","../lib/systemd/systemd"],["l","sbin","usr/sbin"],["d","etc"],["f","etc/gone","g"]],[["f","etc/.wh.gone",""],["f","etc/hostname","oci\n"]]]}'
	printf 'name = ocihost\nversion = 1\nkernel = debian\nbase = oci:img:v1\ndrivers = none\n' >"$T/profile"
	"$RAMHOST" image build "$T/profile" -o "$T/bank" -q
	[ -f "$T/bank/base.tdk" ] && [ -f "$T/bank/ramhost.tdk" ]
	"$RAMHOST" tardisk ls "$T/bank/base.tdk" >"$T/ls"
	grep -qx 'etc/hostname' "$T/ls" && ! grep -q 'etc/gone' "$T/ls"
	"$RAMHOST" tardisk ls "$T/bank/ramhost.tdk" | grep -qx 'usr/bin/ramhost'
	grep -q '^modules=.*base.tdk --- ramhost.tdk' "$T/bank/boot.cfg"
	python3 "$MK" "$T/noinit" '{"layers":[[["f","hello","hi"]]]}'
	printf 'name = x\nversion = 1\nkernel = debian\nbase = oci:noinit\ndrivers = none\n' >"$T/p2"
	expect_fail "$RAMHOST" image build "$T/p2" -o "$T/bank2" -q
	expect_err "oci:$T/noinit: the image has no /sbin/init, so it cannot boot as a host: add an init"
	[ ! -e "$T/bank2" ]
	printf 'name = x\nversion = 1\nkernel = debian\nbase = oci:missing:v1\n' >"$T/p3"
	expect_fail "$RAMHOST" image build "$T/p3" -o "$T/bank3" -q
	expect_err "missing"
}

# vib create --payload NAME=oci:PATH[:TAG]: the payload tardisk is the image applied, as tardisk create makes it.
case_vib_payload() {
	python3 "$MK" "$T/img" '{"layers":[[["d","opt"],["f","opt/a","A"],["f","opt/b","B"]],[["f","opt/.wh.a",""]]]}'
	printf '<?xml version="1.0"?>\n<vib version="1.0"><name>ociapp</name><version>1.0-1</version><vendor>t</vendor><acceptance-level>community</acceptance-level></vib>\n' >"$T/d.xml"
	"$RAMHOST" vib create --descriptor "$T/d.xml" --payload "app=oci:$T/img:t" -o "$T/o.vib" -q
	"$RAMHOST" vib verify "$T/o.vib" --json | grep -q '"verified":true'
	"$RAMHOST" vib extract "$T/o.vib" -o "$T/x"
	"$RAMHOST" tardisk create "oci:$T/img:t" -o "$T/app.tdk"
	cmp "$T/x/app.tdk" "$T/app.tdk"
	[ "$("$RAMHOST" tardisk ls "$T/x/app.tdk" | tr '\n' ' ')" = "opt opt/b " ]
}

t_case oci_umoci_layers case_umoci_layers
t_case oci_docker_save_and_platforms case_docker_save_and_platforms
t_case oci_hostile_blobs case_hostile_blobs
t_case oci_hostile_entries case_hostile_entries
t_case oci_whiteout_order case_whiteout_order
t_case oci_profile_base case_profile_base
t_case oci_vib_payload case_vib_payload
exit $t_failed
