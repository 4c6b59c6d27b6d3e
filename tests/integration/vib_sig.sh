#!/usr/bin/env bash
# tests/integration/vib_sig.sh: signed VIBs end to end through `ramhost vib create` and `ramhost vib verify`,
# with throwaway CAs from tests/fixtures/vib/mkca.sh: a good VIB per level, a chain with an intermediate, a
# tampered payload, a tampered descriptor, a wrong CA (and the same VIB with --trust), an expired signer, a
# level the signer cannot prove, an empty signature, a signed community VIB, the host policy
# (RAMHOST_ACCEPTANCE, through a dry-run `vib install --depot`), and signatures exchanged with `openssl cms`
# both ways. Each error text is checked.
. "$(dirname "$0")/../lib.sh"
export OPENSSL_CONF=/dev/null
CA=$(mktemp -d "${TMPDIR:-/tmp}/ramhost-vibsig-ca.XXXXXX")
trap 'rm -rf "$CA"' EXIT
bash "$FIX/vib/mkca.sh" "$CA"
export RAMHOST_TRUST=$CA/trust
unset RAMHOST_ACCEPTANCE

# desc LEVEL [NAME]: a descriptor at LEVEL into d.xml
desc() {
	cat >d.xml <<EOF
<vib version="1.0">
  <name>${2:-hello}</name>
  <version>1.0-1</version>
  <vendor>ramhost test</vendor>
  <summary>says hello</summary>
  <description>A test VIB.</description>
  <release-date>2026-11-01T00:00:00Z</release-date>
  <acceptance-level>$1</acceptance-level>
  <flags><live-install-allowed>true</live-install-allowed><live-remove-allowed>true</live-remove-allowed><stateless-ready>true</stateless-ready></flags>
</vib>
EOF
}

# mkvib LEVEL SIGNER OUT: a VIB at LEVEL signed by test-SIGNER (or unsigned when SIGNER is -)
mkvib() {
	mkdir -p pay/bin
	printf '#!/bin/sh\necho hello\n' >pay/bin/hello
	chmod +x pay/bin/hello
	desc "$1"
	if [ "$2" = - ]; then
		"$RAMHOST" vib create --descriptor d.xml --payload pay -o "$3" --quiet
	else
		"$RAMHOST" vib create --descriptor d.xml --payload pay -o "$3" --quiet \
			--sign-key "$CA/test-$2.key" --sign-cert "$CA/test-$2.pem"
	fi
}

# armember VIB NAME OUT: copies member NAME of the ar archive VIB to OUT
# arput VIB NAME FILE: replaces member NAME's data with FILE's (the ar headers are kept, sizes rewritten)
# arflip VIB NAME OLD NEW: replaces the first OLD by NEW inside member NAME
ar_py() {
	python3 - "$@" <<'PY'
import sys
op, vib, name = sys.argv[1:4]
data = open(vib, "rb").read()
assert data[:8] == b"!<arch>\n"
pos, out, found = 8, [data[:8]], None
while pos < len(data):
    hdr = data[pos:pos + 60]
    size = int(hdr[48:58].decode().strip())
    body = data[pos + 60:pos + 60 + size]
    mname = hdr[:16].decode().rstrip(" ").rstrip("/")
    if mname == name:
        found = body
        if op == "put":
            body = open(sys.argv[4], "rb").read()
        elif op == "flip":
            old, new = sys.argv[4].encode(), sys.argv[5].encode()
            assert old in body, "bytes to flip not found"
            body = body.replace(old, new, 1)
        hdr = hdr[:48] + str(len(body)).ljust(10).encode() + hdr[58:]
    out += [hdr, body, b"\n" if len(body) % 2 else b""]
    pos += 60 + size + (size % 2)
assert found is not None, "no member " + name
if op == "get":
    open(sys.argv[4], "wb").write(found)
else:
    open(vib, "wb").write(b"".join(out))
PY
}

case_levels() {
	for level in certified accepted partner; do
		mkvib "$level" "signer-$level" "h-$level.vib"
		"$RAMHOST" vib verify "h-$level.vib" >out
		grep -q "verified: acceptance level $level" out
		"$RAMHOST" vib verify "h-$level.vib" --json | grep -q "\"level\":\"$level\""
	done
	mkvib partner signer-chain chain.vib
	"$RAMHOST" vib verify chain.vib | grep -q "acceptance level partner"
	mkvib community - c.vib
	"$RAMHOST" vib verify c.vib | grep -q "acceptance level community"
}

case_tampered_payload() {
	mkvib partner signer-partner h.vib
	ar_py get h.vib hello.tdk t.tdk
	python3 -c 'import sys; b = bytearray(open("t.tdk","rb").read()); b[len(b)//2] ^= 1; open("t.tdk","wb").write(b)'
	ar_py put h.vib hello.tdk t.tdk
	expect_fail "$RAMHOST" vib verify h.vib
	expect_err 'h.vib: payload hello: SHA-256 mismatch \(tampered payload\)'
}

case_tampered_descriptor() {
	mkvib partner signer-partner h.vib
	ar_py flip h.vib descriptor.xml "says hello" "says HELLO"
	expect_fail "$RAMHOST" vib verify h.vib
	expect_err 'h.vib: the signature does not verify over descriptor.xml \(tampered\?\)'
	# a descriptor that claims a higher level than the one it was signed at is a tampered descriptor too
	mkvib partner signer-partner h2.vib
	ar_py flip h2.vib descriptor.xml "<acceptance-level>partner<" "<acceptance-level>accepted<"
	expect_fail "$RAMHOST" vib verify h2.vib
	expect_err 'the signature does not verify over descriptor.xml' 
}

case_wrong_ca() {
	mkvib partner signer-rogue r.vib
	expect_fail "$RAMHOST" vib verify r.vib
	expect_err 'signer "/O=ramhost test/CN=test signer-rogue" does not chain to a partner CA of the trust store'
	expect_fail "$RAMHOST" vib verify r.vib --json
	# --trust adds a CA for the level the VIB claims
	"$RAMHOST" vib verify r.vib --trust "$CA/test-ca-rogue.pem" | grep -q "acceptance level partner"
	# a --trust file that is missing, or holds no certificate, is named with the reason (issue 10, finding 12)
	expect_fail "$RAMHOST" vib verify r.vib --trust "$T/missing.pem"
	expect_err "^ramhost vib verify: .*--trust: $T/missing.pem: cannot open: No such file or directory"
	echo "not a certificate" >"$T/junk.pem"
	expect_fail "$RAMHOST" vib verify r.vib --trust "$T/junk.pem"
	expect_err "--trust: $T/junk.pem: no PEM certificate in the file"
	# so is a missing signing key or certificate
	expect_fail "$RAMHOST" vib create --descriptor d.xml --payload pay -o x.vib --quiet \
		--sign-key "$T/none.key" --sign-cert "$CA/test-signer-partner.pem"
	expect_err "signing key: $T/none.key: cannot open: No such file or directory"
	expect_fail "$RAMHOST" vib create --descriptor d.xml --payload pay -o x.vib --quiet \
		--sign-key "$CA/test-signer-partner.key" --sign-cert "$T/none.pem"
	expect_err "signing certificate: $T/none.pem: cannot open: No such file or directory"
	[ ! -e x.vib ]
	# a partner signer cannot prove certified
	mkvib certified signer-partner p.vib
	expect_fail "$RAMHOST" vib verify p.vib
	expect_err 'does not chain to a certified CA'
	# no trust store at all
	expect_fail env RAMHOST_TRUST="$T/none" "$RAMHOST" vib verify p.vib
	expect_err 'no certified CA in the trust store'
}

case_expired() {
	mkvib partner signer-expired e.vib
	expect_fail "$RAMHOST" vib verify e.vib
	expect_err 'e.vib: signer "[^"]*signer-expired[^"]*": certificate "[^"]*signer-expired[^"]*" has expired'
	mkvib partner signer-future f.vib
	expect_fail "$RAMHOST" vib verify f.vib
	expect_err 'is not valid yet'
	mkvib partner signer-email m.vib
	expect_fail "$RAMHOST" vib verify m.vib
	expect_err 'its extended key usage does not allow code signing'
}

case_empty_and_community_sig() {
	mkvib partner signer-partner h.vib
	: >empty
	ar_py put h.vib sig.pkcs7 empty
	expect_fail "$RAMHOST" vib verify h.vib
	expect_err 'the VIB claims the partner level but sig.pkcs7 is empty'
	mkvib community - c.vib
	echo junk >sig
	ar_py put c.vib sig.pkcs7 sig
	expect_fail "$RAMHOST" vib verify c.vib
	expect_err 'a community VIB must not carry a signature'
	mkvib partner signer-partner g.vib
	echo 'not CMS' >sig
	ar_py put g.vib sig.pkcs7 sig
	expect_fail "$RAMHOST" vib verify g.vib
	expect_err 'sig.pkcs7 is not a detached CMS signature'
}

# The host policy: vib verify proves a level, RAMHOST_ACCEPTANCE names the file with what the host accepts.
# `vib verify` does not apply the policy, `vib install` does: a dry-run install from a depot is refused by the
# resolver before anything is fetched or mounted (run in a private mount namespace all the same).
case_policy() {
	mkvib partner signer-partner h.vib
	mkdir depot
	cp h.vib depot/
	"$RAMHOST" depot create depot >/dev/null
	ns=
	if unshare -m true 2>/dev/null; then ns="unshare -m"; fi
	echo certified >acc
	expect_fail env RAMHOST_ACCEPTANCE="$T/acc" RAMHOST_VIBDB="$T/db" $ns "$RAMHOST" vib install --dry-run \
		--depot depot hello
	expect_err 'hello 1.0-1 is partner, below the acceptance level certified'
	echo partner >acc
	RAMHOST_ACCEPTANCE=$T/acc "$RAMHOST" vib verify h.vib | grep -q "acceptance level partner"
	echo bogus >acc
	expect_fail env RAMHOST_ACCEPTANCE="$T/acc" RAMHOST_VIBDB="$T/db" $ns "$RAMHOST" vib install --dry-run \
		--depot depot hello
	expect_err "$T/acc: unknown acceptance level \"bogus\""
	expect_fail env RAMHOST_ACCEPTANCE="$T/missing" RAMHOST_VIBDB="$T/db" $ns "$RAMHOST" vib install --dry-run \
		--depot depot hello
	expect_err "$T/missing \(RAMHOST_ACCEPTANCE\): no such file"
}

# sig.pkcs7 is plain CMS: openssl verifies ours, and ours verifies openssl's.
case_openssl_interop() {
	mkvib accepted signer-accepted h.vib
	ar_py get h.vib descriptor.xml desc.xml
	ar_py get h.vib sig.pkcs7 sig.der
	openssl cms -verify -inform DER -in sig.der -content desc.xml -binary -purpose any \
		-CAfile "$CA/trust/accepted/ca.pem" -out /dev/null
	openssl cms -sign -binary -outform DER -nosmimecap -in desc.xml -out sig2.der \
		-signer "$CA/test-signer-accepted.pem" -inkey "$CA/test-signer-accepted.key"
	ar_py put h.vib sig.pkcs7 sig2.der
	"$RAMHOST" vib verify h.vib | grep -q "acceptance level accepted"
}

t_case vib_sig_levels case_levels
t_case vib_sig_tampered_payload case_tampered_payload
t_case vib_sig_tampered_descriptor case_tampered_descriptor
t_case vib_sig_wrong_ca case_wrong_ca
t_case vib_sig_expired case_expired
t_case vib_sig_empty_and_community case_empty_and_community_sig
t_case vib_sig_policy case_policy
t_case vib_sig_openssl_interop case_openssl_interop
t_exit
