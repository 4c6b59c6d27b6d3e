#!/usr/bin/env bash
# tests/integration/outputs.sh: the output rule (lib/host/outpath.h) in every command that writes one: an empty
# -o, a directory as a file output, an existing output without --force, the output being an input (also through
# a hard link or a symlink); `image build --force` replaces only a bootbank ramhost wrote; and the argument errors
# that are found before any long work and say what was wrong (issue 10, findings 7, 8 and 12).
# The image cases need what image.sh needs (the setup cache's Debian kernel and busybox, init next to $RAMHOST).
. "$(dirname "$0")/../lib.sh"
unset SOURCE_DATE_EPOCH
PROFILE=$TOP/examples/demo/profile

# A small source tree, a tar of another one, a VIB descriptor.
setup() {
	mkdir -p src/etc other/etc
	echo one >src/etc/a
	echo two >other/etc/b
	tar -cf s.tar -C other .
	cat >desc.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<vib version="1.0"><name>hello</name><version>1.0-1</version><vendor>Example</vendor>
  <summary>Says hello</summary><acceptance-level>community</acceptance-level></vib>
XML
}

# No stage of a build ran: the progress lines of image build/iso/disk (vmlinuz, base.tdk ...) are absent.
no_build_started() {
	if grep -q 'ramhost image: vmlinuz' "$T/err"; then
		echo "the build ran before the error:"
		cat "$T/err"
		return 1
	fi
}

# --- finding 8: one rule for -o everywhere ---

case_tardisk_create_own_source() {
	setup
	cp s.tar keep.tar
	ln s.tar hard.tar
	ln -s s.tar soft.tar
	for out in s.tar ./s.tar hard.tar soft.tar; do
		expect_fail "$RAMHOST" tardisk create s.tar -o "$out" --quiet
		expect_err "^ramhost tardisk: $out: is the input s.tar itself"
	done
	cmp s.tar keep.tar
	[ -L soft.tar ]
	[ -z "$(ls -A | grep -v -x -e src -e other -e s.tar -e keep.tar -e hard.tar -e soft.tar -e desc.xml -e err)" ]
}

# an output inside the source directory would be read back as part of it (and the next build would hold it)
case_tardisk_create_inside_source() {
	setup
	mkdir -p src/sub
	ln -s src link
	for out in src/x.tdk src/sub/x.tdk link/x.tdk; do
		expect_fail "$RAMHOST" tardisk create src -o "$out" --quiet
		expect_err "^ramhost tardisk: $out: is inside the input directory src; refusing to write the output there"
	done
	expect_fail "$RAMHOST" tardisk create "$T/src/" -o src/x.tdk --quiet
	expect_err "is inside the input directory"
	[ -z "$(find src -name '*.tdk*')" ]
	"$RAMHOST" tardisk create src -o x.tdk --quiet
}

case_tardisk_create_needs_force() {
	setup
	"$RAMHOST" tardisk create src -o x.tdk --quiet
	cp x.tdk before.tdk
	expect_fail "$RAMHOST" tardisk create s.tar -o x.tdk --quiet
	expect_err '^ramhost tardisk: x.tdk: exists \(use --force to replace it\)$'
	cmp x.tdk before.tdk
	"$RAMHOST" tardisk create s.tar -o x.tdk --force --quiet
	"$RAMHOST" tardisk ls x.tdk | grep -qx etc/b
	if cmp -s x.tdk before.tdk; then echo "output not replaced"; return 1; fi
	"$RAMHOST" tardisk create --help | grep -q -- '--force'
}

case_tardisk_create_bad_outputs() {
	setup
	expect_fail "$RAMHOST" tardisk create src -o "" --quiet
	expect_err '^ramhost tardisk: -o "": the output path is empty$'
	mkdir outdir
	expect_fail "$RAMHOST" tardisk create src -o outdir --quiet
	expect_err '^ramhost tardisk: outdir: is a directory'
	[ -z "$(ls -A outdir)" ]
	expect_fail "$RAMHOST" tardisk create src -o nodir/x.tdk --quiet
	expect_err '^ramhost tardisk: nodir/x.tdk: cannot write into nodir: No such file or directory$'
	ls -a | grep -q 'tmp' && { ls -a; return 1; }
	return 0
}

case_vib_create_needs_force() {
	setup
	"$RAMHOST" vib create --descriptor desc.xml --payload src -o h.vib --quiet
	cp h.vib before.vib
	expect_fail "$RAMHOST" vib create --descriptor desc.xml --payload other -o h.vib --quiet
	expect_err '^ramhost vib create: h.vib: exists \(use --force to replace it\)$'
	cmp h.vib before.vib
	"$RAMHOST" vib create --descriptor desc.xml --payload other -o h.vib --quiet --force
	if cmp -s h.vib before.vib; then echo "output not replaced"; return 1; fi
	# never over an input (checked before "exists", so the same with --force): the descriptor, a payload archive
	cp desc.xml keep.xml
	expect_fail "$RAMHOST" vib create --descriptor desc.xml --payload src -o desc.xml --quiet
	expect_err '^ramhost vib create: desc.xml: is the input desc.xml itself'
	cmp desc.xml keep.xml
	cp s.tar keep.tar
	expect_fail "$RAMHOST" vib create --descriptor desc.xml --payload s.tar -o s.tar --quiet
	expect_err '^ramhost vib create: s.tar: is the input s.tar itself'
	cmp s.tar keep.tar
	expect_fail "$RAMHOST" vib create --descriptor desc.xml --payload src -o "" --quiet
	expect_err '^ramhost vib create: -o "": the output path is empty$'
	expect_fail "$RAMHOST" vib create --descriptor desc.xml --payload src -o src --quiet
	expect_err '^ramhost vib create: src: is a directory'
	"$RAMHOST" vib create --help | grep -q -- '--force'
}

case_vib_extract_never_over_itself() {
	setup
	"$RAMHOST" vib create --descriptor desc.xml --payload src -o h.vib --quiet
	mkdir out
	cp h.vib out/hello.tdk
	expect_fail "$RAMHOST" vib extract out/hello.tdk -o out --force
	expect_err '^ramhost vib extract: out/hello.tdk: is the input out/hello.tdk itself'
	cmp h.vib out/hello.tdk
	[ "$(ls out)" = hello.tdk ] # checked before the first member is written
	echo file >notdir
	expect_fail "$RAMHOST" vib extract h.vib -o notdir
	expect_err '^ramhost vib extract: notdir: exists and is not a directory$'
	expect_fail "$RAMHOST" vib extract h.vib -o ""
	expect_err '^ramhost vib extract: -o "": the output path is empty$'
}

# image iso / disk: the output is checked before the build, and is never the profile itself.
case_image_outputs_checked_first() {
	setup
	mkdir outdir
	expect_fail "$RAMHOST" image iso "$PROFILE" -o outdir --force
	expect_err '^ramhost image iso: outdir: is a directory'
	no_build_started
	expect_fail "$RAMHOST" image iso "$PROFILE" -o ""
	expect_err '^ramhost image iso: -o "": the output path is empty$'
	no_build_started
	expect_fail "$RAMHOST" image disk "$PROFILE" -o outdir --force
	expect_err '^ramhost image disk: outdir: is a directory'
	no_build_started
	cp "$PROFILE" p
	sed -i "s|^tardisk = extras extras|tardisk = extras $TOP/examples/demo/extras|" p
	cp p keep
	expect_fail "$RAMHOST" image iso p -o p --force
	expect_err '^ramhost image iso: p: is the input .*p itself'
	no_build_started
	cmp p keep
	expect_fail "$RAMHOST" image build "$PROFILE" -o ""
	expect_err '^ramhost image build: -o "": the output path is empty$'
	no_build_started
	ls -a | grep -q 'tmp' && { ls -a; return 1; }
	return 0
}

# --- finding 7: image build --force replaces only a bootbank ramhost wrote ---

case_image_build_force_refuses_other_dirs() {
	mkdir home
	echo precious >home/notes.txt
	expect_fail "$RAMHOST" image build "$PROFILE" -o home --force
	expect_err '^ramhost image build: home: not a bootbank ramhost wrote; refusing to replace it even with --force'
	no_build_started
	[ "$(cat home/notes.txt)" = precious ]
	# a directory holding the profile is refused too (it holds an input)
	mkdir prof
	cp "$PROFILE" prof/profile
	sed -i "s|^tardisk = extras extras|tardisk = extras $TOP/examples/demo/extras|" prof/profile
	expect_fail "$RAMHOST" image build prof/profile -o prof --force
	expect_err '^ramhost image build: prof: holds the input .*prof/profile'
	[ -f prof/profile ]
	ls -d ./*.tmp.* 2>/dev/null && return 1
	return 0
}

case_image_build_force_replaces_only_its_bank() {
	"$RAMHOST" image build "$PROFILE" -o bank -q
	cp bank/boot.cfg boot.cfg.first
	echo mine >bank/notes.txt
	expect_fail "$RAMHOST" image build "$PROFILE" -o bank --force -q
	expect_err "^ramhost image build: bank: not a bootbank ramhost wrote; refusing to replace it even with --force \('notes.txt' is not named in its boot.cfg\)"
	[ "$(cat bank/notes.txt)" = mine ]
	rm bank/notes.txt
	"$RAMHOST" image build "$PROFILE" -o bank --force -q
	[ "$(ls bank | tr '\n' ' ')" = "base.tdk boot.cfg bootcfg.cpio drivers.tdk extras.tdk init.cpio rescue.tdk vmlinuz " ]
	ls -d bank.tmp.* bank.old-* 2>/dev/null && return 1
	return 0
}

# --- finding 12: argument errors that say what was wrong, found before the long work ---

case_tardisk_unexpected_argument() {
	setup
	"$RAMHOST" tardisk create src -o x.tdk --quiet
	local rc=0
	"$RAMHOST" tardisk ls x.tdk extra 2>err || rc=$?
	[ $rc -eq 2 ]
	grep -q "^ramhost tardisk: unexpected argument 'extra'$" err
	rc=0
	"$RAMHOST" tardisk verify x.tdk extra 2>err || rc=$?
	[ $rc -eq 2 ]
	grep -q "^ramhost tardisk: unexpected argument 'extra'$" err
	rc=0
	"$RAMHOST" tardisk cat x.tdk etc/a extra 2>err || rc=$?
	[ $rc -eq 2 ]
	grep -q "^ramhost tardisk: unexpected argument 'extra'$" err
	rc=0
	"$RAMHOST" tardisk create src extra -o y.tdk 2>err || rc=$?
	[ $rc -eq 2 ]
	grep -q "^ramhost tardisk: unexpected argument 'extra'$" err
	[ ! -e y.tdk ]
}

case_profile_is_directory() {
	mkdir prof
	expect_fail "$RAMHOST" image check prof
	expect_err '^ramhost image: prof: not a regular file \(directory\)$'
	expect_fail "$RAMHOST" image build prof -o bank
	expect_err '^ramhost image: prof: not a regular file \(directory\)$'
	[ ! -e bank ]
}

case_du_missing_path() {
	local rc=0
	"$RAMHOST" du "$T/nonexistent" >out 2>err || rc=$?
	[ $rc -eq 1 ]
	[ ! -s out ]
	grep -q "^ramhost du: $T/nonexistent: No such file or directory$" err
	rc=0
	"$RAMHOST" du --json "$T/nonexistent" >out 2>err || rc=$?
	[ $rc -eq 1 ]
	[ ! -s out ]
}

# A missing tardisk = source is named with its profile line before the base is built.
case_profile_missing_source_named_early() {
	cp "$PROFILE" p
	sed -i 's|^tardisk = extras extras|tardisk = extras nothere|' p
	local line
	line=$(grep -n '^tardisk = extras nothere' p | cut -d: -f1)
	expect_fail "$RAMHOST" image build p -o bank
	expect_err "^ramhost image build: p:$line: tardisk = $T/nothere: no such file$"
	no_build_started
	[ ! -e bank ]
	ls -d bank.tmp.* 2>/dev/null && return 1
	expect_fail "$RAMHOST" image iso p -o x.iso
	expect_err "^ramhost image iso: p:$line: tardisk = $T/nothere: no such file$"
	no_build_started
	[ ! -e x.iso ]
	sed -i "s|^tardisk = extras nothere|tardisk = extras $TOP/examples/demo/extras\nbase = $T/nobase|; /^base = builtin/d" p
	expect_fail "$RAMHOST" image build p -o bank
	expect_err "^ramhost image build: p:[0-9]+: base = $T/nobase: no such file$"
	[ ! -e bank ]
}

t_case outputs_tardisk_create_own_source case_tardisk_create_own_source
t_case outputs_tardisk_create_needs_force case_tardisk_create_needs_force
t_case outputs_tardisk_create_inside_source case_tardisk_create_inside_source
t_case outputs_tardisk_create_bad_outputs case_tardisk_create_bad_outputs
t_case outputs_vib_create_needs_force case_vib_create_needs_force
t_case outputs_vib_extract_never_over_itself case_vib_extract_never_over_itself
t_case outputs_image_checked_first case_image_outputs_checked_first
t_case outputs_image_build_force_refuses_other_dirs case_image_build_force_refuses_other_dirs
t_case outputs_image_build_force_replaces_only_its_bank case_image_build_force_replaces_only_its_bank
t_case outputs_tardisk_unexpected_argument case_tardisk_unexpected_argument
t_case outputs_profile_is_directory case_profile_is_directory
t_case outputs_du_missing_path case_du_missing_path
t_case outputs_profile_missing_source_named_early case_profile_missing_source_named_early
t_exit
