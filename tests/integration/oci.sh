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
	umoci repack --refresh-bundle --image "$T/img:t" "$T/b"
	rm "$T/b/rootfs/etc/gone"
	umoci repack --refresh-bundle --image "$T/img:t" "$T/b"
	mkdir -p "$T/l3/opq"
	echo up >"$T/l3/opq/up"
	touch "$T/l3/opq/.wh..wh..opq"
	tar -C "$T/l3" -cf "$T/l3.tar" opq
	umoci raw add-layer --image "$T/img:t" "$T/l3.tar"
	rm -rf "$T/b"
	# three layers, the second with umoci's whiteout (repack without --refresh-bundle would diff against the
	# empty image again and write one layer with everything)
	[ "$(layer_list "$T/img" | tr '\n' ' ')" = "1 2 3 " ]
	layer_list "$T/img" 2 | grep -qx 'etc/.wh.gone'
}

# layer_list LAYOUT [N]: the layer numbers of LAYOUT's first image, or the names in its layer N.
layer_list() {
	python3 - "$@" <<'PY'
import json, subprocess, sys
d = sys.argv[1]
blob = lambda dg: d + "/blobs/sha256/" + dg.split(":")[1]
m = json.load(open(blob(json.load(open(d + "/index.json"))["manifests"][0]["digest"])))
if len(sys.argv) == 2:
    print("\n".join(str(i + 1) for i in range(len(m["layers"]))))
else:
    out = subprocess.run(["tar", "-taf", blob(m["layers"][int(sys.argv[2]) - 1]["digest"])], capture_output=True,
                         text=True, check=True).stdout
    print("\n".join(n.rstrip("/").removeprefix("./") for n in out.split()))
PY
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
	hostile '{"damage":"flip-config","layers":'"$L"'}' 'the config: blob sha256:[0-9a-f]{64} has SHA-256 [0-9a-f]{64} \(tampered'
	hostile '{"damage":"flip-manifest","layers":'"$L"'}' 'the manifest: blob sha256:[0-9a-f]{64} has SHA-256 [0-9a-f]{64} \(tampered'
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

# The layer media types: tar, tar+gzip and tar+zstd in one image, a whiteout in the zstd one; and a hard link
# to a file of a lower layer, which shares the file's inode in the tardisk.
case_media_types_and_links() {
	python3 "$MK" "$T/z" '{"compress":["none","gzip","zstd"],"layers":[[["d","a"],["f","a/x","X"],["f","a/gone","G"]],[["h","a/x2","a/x"],["f","a/y","Y"]],[["f","a/.wh.gone",""],["f","a/z","Z"]]]}'
	"$RAMHOST" tardisk create "oci:$T/z" -o "$T/z.tdk"
	[ "$("$RAMHOST" tardisk ls "$T/z.tdk" | tr '\n' ' ')" = "a a/x a/x2 a/y a/z " ]
	[ "$("$RAMHOST" tardisk cat "$T/z.tdk" a/z)" = Z ] && [ "$("$RAMHOST" tardisk cat "$T/z.tdk" a/x2)" = X ]
	"$RAMHOST" tardisk ls --json "$T/z.tdk" | python3 -c '
import json, sys
e = {x["path"]: x for x in json.load(sys.stdin)["entries"]}
assert e["a/x"]["inode"] == e["a/x2"]["inode"] and e["a/x"]["nlink"] == 2, e'
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

# The layers of a host image for the profile cases: what the ramhost layer looks for (systemd, udevd,
# networkd's unit; empty files: it is built, not booted) and an init through two symlinks (/sbin -> usr/sbin,
# init -> ../lib/systemd/systemd); then etc/gone and opq/low to remove.
HOST_LAYER='[["d","usr"],["d","usr/lib"],["d","usr/lib/systemd"],["x","usr/lib/systemd/systemd","sd"],["x","usr/lib/systemd/systemd-udevd","u"],["d","usr/lib/systemd/system"],["f","usr/lib/systemd/system/systemd-networkd.service","[Unit]"],["d","usr/sbin"],["l","usr/sbin/init","../lib/systemd/systemd"],["l","sbin","usr/sbin"],["d","etc"],["f","etc/gone","g"],["f","etc/keep","k"],["d","opq"],["f","opq/low","l"],["d","rm"],["f","rm/x","x"],["f","top","t"]]'

# mount_layers BANK N DIR: the base modules of BANK (base.tdk, base-2.tdk, ... N of them) unwrapped, loop-mounted
# and laid over each other by the kernel's overlayfs at DIR, as init lays tardisks; run inside `unshare -m`.
mount_layers() {
	local lower="" i name
	for i in $(seq 1 "$2"); do
		name=base.tdk
		[ "$i" = 1 ] || name=base-$i.tdk
		mkdir -p "$T/unwrap$i" "$T/m$i"
		(cd "$T/unwrap$i" && cpio -id --quiet <"$1/$name")
		mount -t squashfs -o loop,ro "$T/unwrap$i/tardisks/$name" "$T/m$i"
		lower=$T/m$i${lower:+:$lower}
	done
	mkdir -p "$3"
	mount -t overlay -o "ro,lowerdir=$lower" overlay "$3"
}

# oci-layers = split: one tardisk per layer. The kernel's overlayfs over the layer modules shows the tree that
# the one-tardisk import gives (names, types, modes, owners, times, data), with a whiteout of a file, of a
# directory, of a top-level file, an opaque directory and a hard link across layers; init's copies and the
# ramhost layer see the same (the init check passes through the layers' symlinks). The layer tardisks are cached
# by layer key: a second image that shares the lowest layer gets the same module (the same SHA-256 in both
# boot.cfg files), made once and taken from the cache, and a rebuild takes every layer from it.
case_split_layers() {
	private_cache
	python3 "$MK" "$T/a" '{"tag":"v1","layers":['"$HOST_LAYER"',[["f","etc/.wh.gone",""],["f","etc/hostname","a\n"],["f","opq/.wh..wh..opq",""],["f","opq/up","u"],["f",".wh.rm",""],["h","etc/keep2","etc/keep"]],[["f",".wh.top",""],["d","newdir"],["f","newdir/f","n"]]]}'
	python3 "$MK" "$T/b" '{"tag":"v1","layers":['"$HOST_LAYER"',[["f","etc/hostname","b\n"]]]}'
	printf 'name = a\nversion = 1\nkernel = debian\nbase = oci:a:v1\ndrivers = none\noci-layers = split\n' >"$T/pa"
	printf 'name = b\nversion = 1\nkernel = debian\nbase = oci:b:v1\ndrivers = none\noci-layers = split\n' >"$T/pb"
	"$RAMHOST" image build "$T/pa" -o "$T/ba" >"$T/outa" 2>&1
	grep -q '^modules=init.cpio --- base.tdk --- base-2.tdk --- base-3.tdk --- ramhost.tdk' "$T/ba/boot.cfg"
	grep -q 'base layers .*3 layers, 0 from the layer cache' "$T/outa"
	"$RAMHOST" tardisk create "oci:$T/a:v1" -o "$T/merged.tdk"
	unsquashfs -q -n -d "$T/x" "$T/merged.tdk"
	unshare -m bash -c "T='$T'; $(declare -f mount_layers); set -e
		mount_layers '$T/ba' 3 '$T/ov'
		diff -r '$T/ov' '$T/x'
		diff <(cd '$T/ov' && find . -printf '%p %y %m %U %G %T@\n' | sort) <(cd '$T/x' && find . -printf '%p %y %m %U %G %T@\n' | sort)
		[ ! -e '$T/ov/etc/gone' ] && [ ! -e '$T/ov/rm' ] && [ ! -e '$T/ov/top' ] && [ \"\$(ls -A '$T/ov/opq')\" = up ]"
	"$RAMHOST" image build "$T/pb" -o "$T/bb" >"$T/outb" 2>&1
	grep -q 'base layers .*2 layers, 1 from the layer cache' "$T/outb"
	grep -Eq '^base\.tdk +layer 1 of 2, cached' <(sed 's/^ramhost image: //' "$T/outb")
	sa=$(grep '^hash\.base\.tdk=' "$T/ba/boot.cfg")
	[ -n "$sa" ] && [ "$sa" = "$(grep '^hash\.base\.tdk=' "$T/bb/boot.cfg")" ]
	cmp "$T/ba/base.tdk" "$T/bb/base.tdk"
	[ "$(sha256sum <"$T/ba/base-2.tdk")" != "$(sha256sum <"$T/bb/base-2.tdk")" ]
	[ "$(ls "$T/cache/oci-layers" | grep -c '\.tdk$')" = 4 ]   # a: 3 layers, b: its own second one
	"$RAMHOST" image build "$T/pa" -o "$T/ba2" >"$T/outa2" 2>&1
	grep -q 'base layers .*3 layers, 3 from the layer cache' "$T/outa2"
	for f in base.tdk base-2.tdk base-3.tdk; do cmp "$T/ba/$f" "$T/ba2/$f"; done
	# why the layers are base-N.tdk: SYSLINUX would look base.2.tdk up on a FAT bootbank as BASE.TDK (base.tdk's
	# 8.3 name); such a name is refused when the bootbank is written, naming both, and nothing is left
	printf 'name = d\nversion = 1\nkernel = debian\nbase = oci:b:v1\ndrivers = none\ntardisk = base.x b\n' >"$T/pd"
	expect_fail "$RAMHOST" image build "$T/pd" -o "$T/bd"
	expect_err "base\.x\.tdk: SYSLINUX looks this name up on a FAT bootbank as the 8.3 name BASE\.TDK, which is base\.tdk's"
	[ ! -e "$T/bd" ]
	printf 'name = c\nversion = 1\nkernel = debian\nbase = builtin:minimal\noci-layers = split\n' >"$T/pc"
	expect_fail "$RAMHOST" image build "$T/pc" -o "$T/bc"
	expect_err "oci-layers is only for a container image base"
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
t_case oci_media_types_and_links case_media_types_and_links
t_case oci_whiteout_order case_whiteout_order
t_case oci_profile_base case_profile_base
t_case oci_vib_payload case_vib_payload
t_case oci_split_layers case_split_layers
exit $t_failed
