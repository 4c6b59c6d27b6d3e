#!/usr/bin/env bash
# scripts/compare-builds.sh OLD NEW: do two revisions of the builder write the same bytes?
#
# Builds both revisions in their own worktrees, then has each one build the demo ISO, the demo disk image and an
# unsigned VIB from the same inputs: SOURCE_DATE_EPOCH fixed, and the binaries the images carry (the static init,
# ramhost.efi, the ramhost shipped in the base) taken from OLD's build for both, so that only the builder differs.
# Prints one line per artifact with both SHA-256s and exits 1 when any differs. Used to prove that a refactor
# changes no output (docs/architecture.md). Needs what `make` needs; takes a few minutes.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OLD-REV NEW-REV" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ramhost-compare.XXXXXX")
cleanup() {
	for d in "$work"/tree-*; do [ -d "$d" ] && git -C "$top" worktree remove --force "$d" >/dev/null 2>&1; done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

build_tree() { # REV NAME
	git -C "$top" worktree add --detach "$work/tree-$2" "$1" >/dev/null 2>&1
	make -C "$work/tree-$2" -j"$(nproc)" --no-print-directory build/ramhost build/init build/ramhost.efi \
		>"$work/$2.make.log" 2>&1 || { cat "$work/$2.make.log" >&2; exit 1; }
}

vib_inputs() { # DIR
	mkdir -p "$1/pay/usr/bin"
	printf '#!/bin/sh\necho hello\n' >"$1/pay/usr/bin/hello"
	chmod 755 "$1/pay/usr/bin/hello"
	cat >"$1/desc.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<vib version="1.0">
  <name>hello</name>
  <version>1.0-1</version>
  <vendor>Example</vendor>
  <summary>Says hello</summary>
  <release-date>2026-11-01T00:00:00Z</release-date>
  <acceptance-level>community</acceptance-level>
  <flags><live-install-allowed>true</live-install-allowed><live-remove-allowed>true</live-remove-allowed></flags>
</vib>
XML
}

artifacts() { # NAME
	local t=$work/tree-$1 o=$work/out-$1
	mkdir -p "$o"
	vib_inputs "$o"
	(
		export SOURCE_DATE_EPOCH=1700000000 TMPDIR=$work
		export RAMHOST_INIT=$work/tree-old/build/init RAMHOST_EFI=$work/tree-old/build/ramhost.efi
		export RAMHOST_SELF=$work/tree-old/build/ramhost
		"$t/build/ramhost" image iso "$t/examples/demo/profile" -o "$o/demo.iso" -q
		"$t/build/ramhost" image disk "$t/examples/demo/profile" -o "$o/demo.img" -q
		"$t/build/ramhost" vib create --descriptor "$o/desc.xml" --payload "$o/pay" -o "$o/hello.vib" --quiet
	) >"$work/$1.build.log" 2>&1 || { cat "$work/$1.build.log" >&2; exit 1; }
}

build_tree "$1" old
build_tree "$2" new
artifacts old
artifacts new
status=0
for f in demo.iso demo.img hello.vib; do
	a=$(sha256sum <"$work/out-old/$f" | cut -c1-64)
	b=$(sha256sum <"$work/out-new/$f" | cut -c1-64)
	same=identical
	[ "$a" = "$b" ] || { same=DIFFERENT; status=1; }
	printf '%-10s %s %s  %s\n' "$f" "$a" "$b" "$same"
done
exit $status
