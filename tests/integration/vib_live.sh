#!/usr/bin/env bash
# tests/integration/vib_live.sh: the parts of `ramhost vib install | remove | update | list` that run on a build
# host without root and without touching it: usage and --help, `vib list` of an empty and a missing database,
# dry-run installs (checked, nothing mounted, no download left behind) of a file and from a depot (with a
# dependency), and the refusals that come before any change: RAM margin, a missing dependency, a VIB that does
# not allow a live install, --no-sig-check on a partner host, removing a VIB that is not installed. The live
# steps themselves (mounts, overlays, the bootbank) are tested in QEMU by tests/system/test_vib_live.py.
. "$(dirname "$0")/../lib.sh"
export OPENSSL_CONF=/dev/null
CA=$(mktemp -d "${TMPDIR:-/tmp}/ramhost-viblive-ca.XXXXXX")
trap 'rm -rf "$CA"' EXIT
bash "$FIX/vib/mkca.sh" "$CA" >/dev/null
export RAMHOST_TRUST=$CA/trust
unset RAMHOST_ACCEPTANCE RAMHOST_MIN_FREE

# mkvib NAME VERSION OUT [DEPENDS] [LIVE]: a partner-signed VIB with /usr/bin/NAME
mkvib() {
	local rel=""
	[ -n "${4:-}" ] && rel="<relationships><depends><constraint name=\"$4\" relation=\">=\" version=\"1.0\"/></depends></relationships>"
	mkdir -p "pay-$1/usr/bin"
	printf '#!/bin/sh\necho %s\n' "$1" >"pay-$1/usr/bin/$1"
	chmod +x "pay-$1/usr/bin/$1"
	cat >"$1.xml" <<EOF
<vib version="1.0">
  <name>$1</name>
  <version>$2</version>
  <vendor>ramhost test</vendor>
  <summary>test</summary>
  <description>A test VIB.</description>
  <release-date>2026-11-01T00:00:00Z</release-date>
  <acceptance-level>partner</acceptance-level>
  $rel
  <flags><live-install-allowed>${5:-true}</live-install-allowed><live-remove-allowed>true</live-remove-allowed><stateless-ready>true</stateless-ready></flags>
</vib>
EOF
	"$RAMHOST" vib create --descriptor "$1.xml" --payload "pay-$1" -o "$3" --quiet \
		--sign-key "$CA/test-signer-partner.key" --sign-cert "$CA/test-signer-partner.pem"
}

case_usage() {
	"$RAMHOST" vib install --help | grep -q -- '--reboot-required'
	"$RAMHOST" vib list --help | grep -q -- '--depot URL|DIR'
	set +e
	"$RAMHOST" vib install 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" vib remove a b 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" vib update 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" vib install --bogus x 2>/dev/null; [ $? -eq 2 ] || exit 1
	set -e
}

case_list() {
	mkdir db
	RAMHOST_VIBDB=$T/db "$RAMHOST" vib list | grep -q '^no VIBs installed$'
	[ "$(RAMHOST_VIBDB=$T/db "$RAMHOST" vib list --json)" = "[]" ]
	[ "$(RAMHOST_VIBDB=$T/missing "$RAMHOST" vib list --json)" = "[]" ]
}

case_dry_run_file() {
	mkvib hello 1.0-1 hello.vib
	mkdir db tmp
	out=$(TMPDIR=$T/tmp RAMHOST_VIBDB=$T/db "$RAMHOST" vib install --dry-run --json "$T/hello.vib" 2>err)
	echo "$out" | grep -q '"action":"installed","name":"hello","version":"1.0-1","level":"partner","dry_run":true,"live":false,"bank":false'
	grep -q 'dry run: hello 1.0-1 (partner) fits; nothing changed' err
	[ -z "$(ls tmp)" ] && [ -z "$(ls db)" ]
	TMPDIR=$T/tmp RAMHOST_VIBDB=$T/db "$RAMHOST" vib install --dry-run "file://$T/hello.vib" 2>/dev/null |
		grep -q '^would be hello 1.0-1 (partner)$'
	[ -z "$(ls tmp)" ]
}

case_refusals() {
	mkvib greet 1.0-1 greet.vib libgreet
	mkvib staged 1.0-1 staged.vib "" false
	mkvib hello 1.0-1 hello.vib
	mkdir db
	export RAMHOST_VIBDB=$T/db
	expect_fail "$RAMHOST" vib install --dry-run greet.vib
	expect_err 'greet 1.0-1 depends on libgreet >= 1.0'
	expect_fail "$RAMHOST" vib install --dry-run staged.vib
	expect_err 'staged does not allow a live install \(live-install-allowed=false\): use --reboot-required'
	RAMHOST_MIN_FREE=100000G expect_fail "$RAMHOST" vib install --dry-run hello.vib
	expect_err 'hello: needs 0 MiB of RAM; [0-9]+ MiB available, and 102400000 MiB must stay free'
	# a value that is not a size is refused, naming the variable (it used to read as 0: no margin at all)
	RAMHOST_MIN_FREE=lots expect_fail "$RAMHOST" vib install --dry-run hello.vib
	expect_err "RAMHOST_MIN_FREE='lots': expected a number \(suffix K, M, G or T allowed\)"
	expect_fail "$RAMHOST" vib install --dry-run --no-sig-check hello.vib
	expect_err 'signatures can only be skipped on a community host'
	echo community >acc
	RAMHOST_ACCEPTANCE=$T/acc "$RAMHOST" vib install --dry-run --no-sig-check hello.vib >/dev/null 2>&1
	expect_fail "$RAMHOST" vib remove --dry-run hello
	expect_err 'hello is not installed'
	expect_fail "$RAMHOST" vib install --dry-run missing.vib
	expect_err 'missing.vib'
}

case_dry_run_depot() {
	mkdir depot db tmp
	mkvib libgreet 1.0-1 depot/libgreet.vib
	mkvib greet 1.0-1 depot/greet-1.vib libgreet
	mkvib greet 2.0-1 depot/greet-2.vib libgreet
	"$RAMHOST" depot create depot --quiet
	out=$(TMPDIR=$T/tmp RAMHOST_VIBDB=$T/db "$RAMHOST" vib install --dry-run --json --depot depot greet 2>err)
	echo "$out" | grep -q '^\[{"action":"installed","name":"libgreet","version":"1.0-1".*},{"action":"installed","name":"greet","version":"2.0-1"'
	out=$(TMPDIR=$T/tmp RAMHOST_VIBDB=$T/db "$RAMHOST" vib install --dry-run --depot depot greet=1.0-1 2>err)
	echo "$out" | grep -q '^would be greet 1.0-1'
	[ -z "$(ls tmp)" ] && [ -z "$(ls db)" ]
	RAMHOST_VIBDB=$T/db "$RAMHOST" vib update --dry-run --depot depot | grep -q '^nothing to do'
	expect_fail env RAMHOST_VIBDB="$T/db" "$RAMHOST" vib install --dry-run --depot depot nosuch
	expect_err 'nosuch'
}

t_case vib_live_usage case_usage
t_case vib_live_list case_list
t_case vib_live_dry_run_file case_dry_run_file
t_case vib_live_refusals case_refusals
t_case vib_live_dry_run_depot case_dry_run_depot
t_exit
