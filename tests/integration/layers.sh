#!/usr/bin/env bash
# tests/integration/layers.sh: the layer order of docs/architecture.md is enforced. The tree as it is passes
# scripts/check-layers.sh; a copy of the sources with one deliberate wrong-way include per rule (a lower layer
# using a higher one, a peer using a peer, a library using PID 1's folder, init using a library with
# dependencies, lib/ using lib/host/) fails the check, and `make` stops on it before compiling anything.
. "$(dirname "$0")/../lib.sh"

# copy_tree_src DIR: the tracked sources and build files of the tree, as they are in the work tree
copy_src() {
	(cd "$TOP" && git ls-files -co --exclude-standard -- Makefile scripts lib cli tests/unit tests/fuzz/*.c \
		tardisk image-builder bootloader ramdisk vib pxe-server recovery | grep -v '^tests/fuzz/corpus/' |
		while read -r f; do [ -f "$f" ] && printf '%s\0' "$f"; done) |
		(cd "$TOP" && xargs -0 cp --parents -t "$1")
}

case_tree_follows_order() {
	bash "$TOP/scripts/check-layers.sh" "$TOP" 2>out
	[ ! -s out ]
	# and the checker has no list of exceptions
	! grep -q 'ALLOW' "$TOP/scripts/check-layers.sh" || false
}

# inject FILE INCLUDE EXPECTED-REGEX: one wrong-way include must be found and named
inject() {
	rm -rf src && mkdir src && copy_src "$T/src"
	sed -i "0,/^#include/s||#include \"$2\"\n#include|" "src/$1"
	expect_fail bash "$TOP/scripts/check-layers.sh" src
	grep -Eq "^check-layers: $1:[0-9]+: includes .*: $3" "$T/err" || { cat "$T/err"; return 1; }
	grep -q '1 wrong-way include' "$T/err" || { cat "$T/err"; return 1; }
}

case_lower_uses_higher() { inject vib/version.c image-builder/profile.h 'vib/ \(layer 2\) may not use image-builder/ \(layer 3\)'; }
case_peer_uses_peer() { inject tardisk/create.c vib/sig.h 'tardisk/ \(layer 2\) may not use vib/ \(layer 2\)'; }
case_pure_uses_host() { inject lib/sha256.c fileio.h 'lib/ \(layer 0\) may not use lib/host/ \(layer 1\)'; }
case_library_uses_cli() { inject ramdisk/state/state_gen.c commands.h 'ramdisk/state/ \(layer 4\) may not use cli/ \(layer 9\)'; }
case_library_uses_init() { inject ramdisk/usage.c ramdisk/init/hook.h 'ramdisk/init/ is a program of its own'; }
case_init_uses_library() { inject ramdisk/init/main.c tardisk/tardisk.h 'ramdisk/init/ may use only lib/, lib/host/'; }

# make stops at the check: nothing is compiled from a tree with a wrong-way include
case_make_stops() {
	rm -rf src && mkdir src && copy_src "$T/src"
	sed -i '0,/^#include/s||#include "image-builder/profile.h"\n#include|' src/vib/version.c
	expect_fail make -C src --no-print-directory "$T/b/ramhost" BUILD="$T/b"
	grep -q 'check-layers: vib/version.c:[0-9]*: includes image-builder/profile.h' "$T/err"
	[ ! -d "$T/b/obj" ]
}

t_case layers_tree_follows_order case_tree_follows_order
t_case layers_lower_uses_higher case_lower_uses_higher
t_case layers_peer_uses_peer case_peer_uses_peer
t_case layers_pure_uses_host case_pure_uses_host
t_case layers_library_uses_cli case_library_uses_cli
t_case layers_library_uses_init case_library_uses_init
t_case layers_init_uses_library case_init_uses_library
t_case layers_make_stops case_make_stops
exit $t_failed
