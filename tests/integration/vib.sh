#!/usr/bin/env bash
# tests/integration/vib.sh: `ramhost vib create|info|verify|extract` end to end: a community VIB from a directory
# and an archive, a signed partner VIB (tests/fixtures/vib/mkca.sh keys made at test time), determinism,
# tampered payloads and descriptors, archives with missing, extra or misordered members, safe extraction, and
# the errors of bad descriptors and options.
. "$(dirname "$0")/../lib.sh"
unset SOURCE_DATE_EPOCH RAMHOST_TRUST RAMHOST_ACCEPTANCE

# A payload tree and a descriptor; $1 = acceptance level (default community).
setup() {
	mkdir -p root/usr/bin root/etc
	printf '#!/bin/sh\necho hello\n' >root/usr/bin/hello
	chmod +x root/usr/bin/hello
	echo 'greeting=hi' >root/etc/hello.conf
	cat >desc.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<vib version="1.0">
  <name>hello</name>
  <version>1.0-1</version>
  <vendor>Example &amp; Co</vendor>
  <summary>Says hello</summary>
  <release-date>2026-11-01T00:00:00Z</release-date>
  <acceptance-level>${1:-community}</acceptance-level>
  <relationships>
    <depends><constraint name="libgreet" relation="&gt;=" version="2.0"/></depends>
    <provides><provide name="greeter" version="1.0"/></provides>
  </relationships>
  <flags><live-install-allowed>true</live-install-allowed><live-remove-allowed>true</live-remove-allowed>
    <stateless-ready>true</stateless-ready></flags>
  <sticky-files><file>/etc/hello.conf</file></sticky-files>
</vib>
XML
}

# Offset of member $2's data in ar archive $1 (python: the reader under test is not used to locate it).
member_offset() {
	python3 - "$1" "$2" <<'PY'
import sys
b = open(sys.argv[1], "rb").read(); pos = 8
while pos < len(b):
    name = b[pos:pos+16].decode().rstrip(); size = int(b[pos+48:pos+58]); data = pos + 60
    if name.startswith("#1/"):
        n = int(name[3:]); name = b[data:data+n].decode(); data += n; size -= n
    name = name.rstrip("/")
    if name == sys.argv[2]: print(data); break
    pos = data + size + ((data + size) & 1)
PY
}

flip_byte() { # file offset
	python3 - "$1" "$2" <<'PY'
import sys
f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); c = f.read(1); f.seek(int(sys.argv[2]))
f.write(bytes([c[0] ^ 1])); f.close()
PY
}

case_community() {
	setup
	"$RAMHOST" vib create --descriptor desc.xml --payload root -o hello.vib >out
	grep -q 'hello.vib: hello 1.0-1, community (unsigned), 1 payload' out
	[ "$(ar t hello.vib | tr '\n' ' ')" = "descriptor.xml sig.pkcs7 hello.tdk " ]
	"$RAMHOST" vib info hello.vib >info
	grep -q '^depends      libgreet >= 2.0$' info
	grep -q '^sticky       /etc/hello.conf$' info
	"$RAMHOST" vib info --json hello.vib >info.json
	python3 - <<'PY'
import json
j = json.load(open("info.json"))
assert j["name"] == "hello" and j["version"] == "1.0-1" and j["vendor"] == "Example & Co", j
assert j["acceptance_level"] == "community" and j["signed"] is False
assert j["depends"] == [{"name": "libgreet", "relation": ">=", "version": "2.0"}]
assert j["provides"][0]["name"] == "greeter" and j["sticky_files"] == ["/etc/hello.conf"]
assert len(j["payloads"]) == 1 and j["payloads"][0]["name"] == "hello" and len(j["payloads"][0]["sha256"]) == 64
PY
	"$RAMHOST" vib verify hello.vib | grep -q 'verified: acceptance level community, 1 payload intact'
	"$RAMHOST" vib verify --json hello.vib | python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["verified"] and j["level"]=="community"'
	# the payload is the tardisk of root/
	"$RAMHOST" vib extract hello.vib -o x >/dev/null
	"$RAMHOST" tardisk cat x/hello.tdk /usr/bin/hello | grep -q 'echo hello'
	"$RAMHOST" tardisk verify x/hello.tdk >/dev/null
	# the extracted descriptor is the one whose hash the payload section names
	[ "$(sha256sum <x/hello.tdk | cut -d' ' -f1)" = "$(python3 -c 'import json; print(json.load(open("info.json"))["payloads"][0]["sha256"])')" ]
}

case_archive_and_names() {
	setup
	tar -C root -czf root.tar.gz .
	"$RAMHOST" vib create --descriptor desc.xml --payload root.tar.gz --payload extra=root -o two.vib --quiet
	[ "$(ar t two.vib | tr '\n' ' ')" = "descriptor.xml sig.pkcs7 hello.tdk extra.tdk " ]
	"$RAMHOST" vib verify two.vib | grep -q '2 payloads intact'
	# a long payload name (BSD ar name) reads back
	"$RAMHOST" vib create --descriptor desc.xml --payload a-rather-long-payload-name=root -o long.vib --quiet
	"$RAMHOST" vib info long.vib | grep -q 'a-rather-long-payload-name.tdk'
	"$RAMHOST" vib verify long.vib >/dev/null
	expect_fail "$RAMHOST" vib create --descriptor desc.xml --payload root --payload root -o dup.vib
	expect_err "payload name 'hello' given twice"
	expect_fail "$RAMHOST" vib create --descriptor desc.xml --payload 'bad name=root' -o bad.vib
	expect_err "'bad name' is not a valid name"
	expect_fail "$RAMHOST" vib create --descriptor desc.xml --payload nothere -o bad.vib
	expect_err "payload hello: .*nothere"
	[ ! -e dup.vib ] && [ ! -e bad.vib ] && [ -z "$(ls -A | grep '\.tmp\.')" ]
}

case_deterministic() {
	setup
	SOURCE_DATE_EPOCH=1700000000 "$RAMHOST" vib create --descriptor desc.xml --payload root -o a.vib --quiet
	touch root/usr/bin/hello
	SOURCE_DATE_EPOCH=1700000000 "$RAMHOST" vib create --descriptor desc.xml --payload root -o b.vib --quiet
	cmp a.vib b.vib
}

case_signed() {
	bash "$FIX/vib/mkca.sh" ca >/dev/null 2>&1
	setup partner
	"$RAMHOST" vib create --descriptor desc.xml --payload root -o p.vib \
		--sign-key ca/test-signer-partner.key --sign-cert ca/test-signer-partner.pem >out
	grep -q 'hello 1.0-1, partner, 1 payload' out
	RAMHOST_TRUST=$PWD/ca/trust "$RAMHOST" vib verify p.vib | grep -q 'verified: acceptance level partner'
	"$RAMHOST" vib verify --trust ca/test-ca-partner.pem p.vib | grep -q 'acceptance level partner'
	"$RAMHOST" vib info --json p.vib | grep -q '"signed":true'
	# a trust store without this CA: refused, exit 1, JSON says why
	mkdir -p empty
	expect_fail env RAMHOST_TRUST=$PWD/empty "$RAMHOST" vib verify p.vib
	RAMHOST_TRUST=$PWD/empty "$RAMHOST" vib verify --json p.vib 2>/dev/null >v.json || true
	grep -q '"verified":false' v.json
	set +e; RAMHOST_TRUST=$PWD/empty "$RAMHOST" vib verify p.vib >/dev/null 2>&1; rc=$?; set -e
	[ $rc -eq 1 ]
	# a rogue signer for the partner level
	"$RAMHOST" vib create --descriptor desc.xml --payload root -o rogue.vib --quiet \
		--sign-key ca/test-signer-rogue.key --sign-cert ca/test-signer-rogue.pem
	expect_fail env RAMHOST_TRUST=$PWD/ca/trust "$RAMHOST" vib verify rogue.vib
	expect_err "rogue.vib: .*does not chain to a partner CA"
	# signing needs a signed level, and a signed level needs a signature
	expect_fail "$RAMHOST" vib create --descriptor desc.xml --payload root -o u.vib
	expect_err "acceptance level partner needs a signature"
	expect_fail "$RAMHOST" vib create --descriptor desc.xml --payload root -o u.vib --sign-key ca/test-signer-partner.key
	expect_err "go together"
	# a tampered descriptor (same length) no longer matches its signature
	cp p.vib t.vib
	python3 - <<'PY'
b = open("t.vib", "rb").read(); b = b.replace(b"Says hello", b"Says HELLO", 1); open("t.vib", "wb").write(b)
PY
	expect_fail env RAMHOST_TRUST=$PWD/ca/trust "$RAMHOST" vib verify t.vib
	expect_err "t.vib: the signature does not verify over descriptor.xml"
}

case_tampered_payload() {
	setup
	"$RAMHOST" vib create --descriptor desc.xml --payload root -o hello.vib --quiet
	off=$(member_offset hello.vib hello.tdk)
	[ -n "$off" ]
	flip_byte hello.vib $((off + 100))
	expect_fail "$RAMHOST" vib verify hello.vib
	expect_err "hello.vib: payload hello: SHA-256 mismatch \(tampered payload\)"
	"$RAMHOST" vib verify --json hello.vib 2>/dev/null >v.json || true
	python3 -c 'import json; j=json.load(open("v.json")); assert not j["verified"] and j["error"]=="EBADMSG", j'
	# info does not verify: it still reads the descriptor
	"$RAMHOST" vib info hello.vib >/dev/null
}

case_bad_archives() {
	setup
	"$RAMHOST" vib create --descriptor desc.xml --payload root -o hello.vib --quiet
	"$RAMHOST" vib extract hello.vib -o m >/dev/null
	# missing payload
	(cd m && ar qcS ../nopay.vib descriptor.xml sig.pkcs7)
	expect_fail "$RAMHOST" vib verify nopay.vib
	expect_err "nopay.vib: a payload missing from the archive"
	# extra member
	echo x >m/evil.sh
	(cd m && ar qcS ../extra.vib descriptor.xml sig.pkcs7 hello.tdk evil.sh)
	expect_fail "$RAMHOST" vib verify extra.vib
	expect_err "member 'evil.sh' is not a payload"
	# wrong order
	(cd m && ar qcS ../order.vib sig.pkcs7 descriptor.xml hello.tdk)
	expect_fail "$RAMHOST" vib info order.vib
	expect_err "first member is 'sig.pkcs7'"
	# truncated
	head -c 2000 hello.vib >trunc.vib
	expect_fail "$RAMHOST" vib verify trunc.vib
	expect_err "trunc.vib: .*past the end"
	# not an archive
	echo 'not a vib at all' >junk.vib
	expect_fail "$RAMHOST" vib info junk.vib
	expect_err "junk.vib: .*bad magic"
	expect_fail "$RAMHOST" vib info nothere.vib
	expect_err "nothere.vib: cannot open: No such file"
	# hostile descriptor inside a VIB
	printf '<?xml version="1.0"?><!DOCTYPE vib [<!ENTITY x SYSTEM "file:///etc/passwd">]><vib version="1.0"><name>&x;</name></vib>' >m/descriptor.xml
	(cd m && rm -f ../xxe.vib && ar qcS ../xxe.vib descriptor.xml sig.pkcs7)
	expect_fail "$RAMHOST" vib info xxe.vib
	expect_err "xxe.vib: descriptor.xml: .*DOCTYPE"
}

case_bad_descriptor() {
	setup
	sed 's|<vendor>.*</vendor>||' desc.xml >novendor.xml
	expect_fail "$RAMHOST" vib create --descriptor novendor.xml --payload root -o x.vib
	expect_err "novendor.xml: descriptor.xml: missing <vendor>"
	sed 's|relation="&gt;="|relation="~"|' desc.xml >badrel.xml
	expect_fail "$RAMHOST" vib create --descriptor badrel.xml --payload root -o x.vib
	expect_err "relation \"~\" is not one of"
	sed 's|<version>1.0-1</version>|<version>v1</version>|' desc.xml >badver.xml
	expect_fail "$RAMHOST" vib create --descriptor badver.xml --payload root -o x.vib
	expect_err "<version>: \"v1\" is not a valid version"
	[ ! -e x.vib ]
}

case_extract_safe() {
	setup
	"$RAMHOST" vib create --descriptor desc.xml --payload root -o hello.vib --quiet
	"$RAMHOST" vib extract hello.vib -o out | grep -q 'extracted descriptor.xml, sig.pkcs7 and 1 payload into out'
	[ -s out/descriptor.xml ] && [ -e out/sig.pkcs7 ] && [ ! -s out/sig.pkcs7 ] && [ -s out/hello.tdk ]
	expect_fail "$RAMHOST" vib extract hello.vib -o out
	expect_err "out/descriptor.xml: exists \(use --force to replace it\)"
	"$RAMHOST" vib extract hello.vib -o out --force >/dev/null
	# never through a symlink, even with --force
	rm out/sig.pkcs7
	ln -s ../victim out/sig.pkcs7
	echo keep >victim
	expect_fail "$RAMHOST" vib extract hello.vib -o out --force
	expect_err "out/sig.pkcs7"
	[ "$(cat victim)" = keep ]
}

case_cli() {
	"$RAMHOST" vib --help | grep -q 'ramhost vib create'
	"$RAMHOST" vib create --help | grep -q -- '--descriptor'
	set +e
	"$RAMHOST" vib 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" vib frobnicate 2>"$T/err"; [ $? -eq 2 ] || exit 1
	"$RAMHOST" vib create -o x.vib 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" vib info 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" vib extract x.vib 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" vib info --trust x.pem x.vib 2>/dev/null; [ $? -eq 2 ] || exit 1
	set -e
	grep -q "unknown command 'frobnicate'" "$T/err"
}

t_case vib_community case_community
t_case vib_archive_and_names case_archive_and_names
t_case vib_deterministic case_deterministic
t_case vib_signed case_signed
t_case vib_tampered_payload case_tampered_payload
t_case vib_bad_archives case_bad_archives
t_case vib_bad_descriptor case_bad_descriptor
t_case vib_extract_safe case_extract_safe
t_case vib_cli case_cli
t_exit
