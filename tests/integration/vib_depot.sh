#!/usr/bin/env bash
# tests/integration/vib_depot.sh: `ramhost depot create|ls` (directory, file:// and http:// from
# tests/fixtures/vib/httpd.py on 127.0.0.1; signed VIBs checked with --trust-dir; duplicates and bad profiles
# refused) and image profiles with VIBs: `image build` resolves against the depot (unmet dependency, conflict,
# level below policy and payload name clashes refused with the chain, before anything is built), adds each
# payload as PAYLOAD.tdk after the profile's tardisks and vibs.cpio last (database, sticky.list, acceptance,
# trust store, image level); a rebuild takes the payload modules from the cache; `image check` prints the keys.
# The image cases need what image.sh needs (setup cache, static init next to $RAMHOST).
. "$(dirname "$0")/../lib.sh"
unset SOURCE_DATE_EPOCH RAMHOST_TRUST RAMHOST_ACCEPTANCE

# mkvib NAME VERSION LEVEL RELATIONSHIPS [SIGNER] [PAYLOAD-NAME]: depot/vibs/NAME-VERSION.vib with
# usr/bin/NAME printing "NAME VERSION" and sticky /etc/NAME.conf.
mkvib() {
	local name=$1 ver=$2 level=$3 rels=$4 signer=${5:-} pname=${6:-$1} depot=${DEPOT:-depot}
	mkdir -p "src/$name-$ver/usr/bin" "src/$name-$ver/etc" "$depot/vibs"
	printf '#!/bin/sh\necho %s %s\n' "$name" "$ver" >"src/$name-$ver/usr/bin/$name"
	chmod +x "src/$name-$ver/usr/bin/$name"
	echo "$name=1" >"src/$name-$ver/etc/$name.conf"
	cat >"$name-$ver.xml" <<XML
<vib version="1.0"><name>$name</name><version>$ver</version><vendor>Test</vendor><summary>$name</summary>
<acceptance-level>$level</acceptance-level><relationships>$rels</relationships>
<sticky-files><file>/etc/$name.conf</file></sticky-files></vib>
XML
	if [ -n "$signer" ]; then
		"$RAMHOST" vib create -q --descriptor "$name-$ver.xml" --payload "$pname=src/$name-$ver" \
			-o "$depot/vibs/$name-$ver.vib" --sign-key "ca/test-signer-$signer.key" \
			--sign-cert "ca/test-signer-$signer.pem"
	else
		"$RAMHOST" vib create -q --descriptor "$name-$ver.xml" --payload "$pname=src/$name-$ver" \
			-o "$depot/vibs/$name-$ver.vib"
	fi
}

dep() { # name [op version]
	if [ $# -eq 1 ]; then echo "<constraint name=\"$1\"/>"; else echo "<constraint name=\"$1\" relation=\"$2\" version=\"$3\"/>"; fi
}

standard_depot() {
	mkvib libgreet 1.5-1 community ""
	mkvib libgreet 2.0-1 community ""
	mkvib hello 1.0-1 community "<depends>$(dep libgreet '&gt;=' 2.0)</depends>"
	mkvib oldhello 0.9 community "<conflicts>$(dep hello)</conflicts>"
	mkdir -p depot/profiles
	printf 'name = web\ndescription = web servers\nacceptance = community\nvib = hello\n' >depot/profiles/web.profile
	"$RAMHOST" depot create -q depot
}

base_profile() { # NAME: a profile without VIB keys
	printf 'name = %s\nversion = 1\nkernel = debian\nbase = builtin:minimal\ntimeout = 0\n' "$1"
}

case_depot_create_ls() {
	standard_depot
	[ -s depot/index.xml ]
	"$RAMHOST" depot ls depot >ls.txt
	cat ls.txt
	grep -Eq '^hello +1.0-1 +community +[0-9]+ +vibs/hello-1.0-1.vib$' ls.txt
	grep -q '^profile web (acceptance community): hello - web servers$' ls.txt
	grep -q '^4 VIBs, 1 image profiles$' ls.txt
	"$RAMHOST" depot ls "file://$T/depot" --json >ls.json
	python3 - ls.json <<'PY'
import json, sys, hashlib
d = json.load(open(sys.argv[1]))
v = {(x["name"], x["version"]): x for x in d["vibs"]}
h = v[("hello", "1.0-1")]
assert h["depends"] == ["libgreet >= 2.0"], h
assert h["level"] == "community" and h["verified"] is False
data = open("depot/" + h["path"], "rb").read()
assert h["size"] == len(data) and h["sha256"] == hashlib.sha256(data).hexdigest()
assert v[("oldhello", "0.9")]["conflicts"] == ["hello"]
assert d["profiles"] == [{"name": "web", "acceptance": "community", "description": "web servers", "vibs": ["hello"]}]
PY
	# the same VIB twice, a bad profile, no index: refused by name
	cp depot/vibs/hello-1.0-1.vib depot/vibs/copy.vib
	expect_fail "$RAMHOST" depot create -q depot
	expect_err 'hello 1.0-1 is also .*/vibs/(copy|hello-1.0-1).vib'
	rm depot/vibs/copy.vib
	printf 'vib = hello\ncolour = red\n' >depot/profiles/bad.profile
	expect_fail "$RAMHOST" depot create -q depot
	expect_err 'profiles/bad.profile:2: unknown key .colour.'
	expect_fail "$RAMHOST" depot ls nosuch
	expect_err 'nosuch/index.xml: no depot index'
	rc=0; "$RAMHOST" depot create 2>/dev/null || rc=$?; [ $rc -eq 2 ]
	"$RAMHOST" depot --help | grep -q 'depot create DIR'
}

case_depot_signed() {
	bash "$FIX/vib/mkca.sh" ca >/dev/null 2>&1
	mkvib signed 1.0 partner "" partner
	"$RAMHOST" depot create -q depot --trust-dir ca/trust --json >out.json
	python3 -c 'import json,sys; v=json.load(open("out.json"))["vibs"][0]; assert v["level"]=="partner" and v["verified"], v'
	# a rogue signer is refused when the signatures are checked, and only then
	mkvib rogue 1.0 partner "" rogue
	"$RAMHOST" depot create -q depot
	expect_fail "$RAMHOST" depot create -q depot --trust-dir ca/trust
	expect_err 'rogue-1.0.vib'
}

# logged PATTERN: the server's request log gets a matching line (it is written after the response, so wait).
logged() {
	for _ in $(seq 50); do grep -Eq -- "$1" http.log && return 0; sleep 0.1; done
	echo "no request matching '$1' in the server log:"; cat http.log; return 1
}

case_depot_http() {
	standard_depot
	python3 "$FIX/vib/httpd.py" depot --port 0 --port-file port --log http.log >/dev/null 2>&1 &
	pid=$!
	trap 'kill $pid 2>/dev/null; true' EXIT
	for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
	"$RAMHOST" depot ls "http://127.0.0.1:$(cat port)/" >ls.txt
	grep -q '^4 VIBs, 1 image profiles$' ls.txt
	logged 'GET /index.xml' 
	expect_fail "$RAMHOST" depot ls "http://127.0.0.1:$(cat port)/nosuch"
	expect_err '404'
	# an image build fetches the VIBs from the server and checks them against the index before building:
	# libgreet arrives intact, hello was replaced on the server after the index was made
	cp depot/vibs/oldhello-0.9.vib depot/vibs/hello-1.0-1.vib
	{ base_profile h; echo "depot = http://127.0.0.1:$(cat port)/"; echo 'acceptance = community';
	  echo 'vib = hello'; } >h.profile
	expect_fail "$RAMHOST" image build -q h.profile -o bank
	expect_err 'hello-1.0-1.vib: .* bytes, the depot index says|hello-1.0-1.vib: SHA-256 .*, the depot index says'
	logged 'GET /vibs/libgreet-2.0-1.vib .*status=200'
	logged 'GET /vibs/hello-1.0-1.vib' 
	[ ! -e bank ]
}

# Refusals come from the resolution, before the base is built: each takes well under a second.
case_image_refusals() {
	standard_depot
	mkvib tool 1.0 community "" "" libgreet
	"$RAMHOST" depot create -q depot
	# unmet: a second depot has libgreet 1.5-1 only
	DEPOT=old mkvib libgreet 1.5-1 community ""
	DEPOT=old mkvib hello 1.0-1 community "<depends>$(dep libgreet '&gt;=' 2.0)</depends>"
	"$RAMHOST" depot create -q old
	{ base_profile r0; echo 'depot = old'; echo 'acceptance = community'; echo 'vib = hello'; } >r0.profile
	expect_fail "$RAMHOST" image build -q r0.profile -o b0
	expect_err "image profile 'r0' \(acceptance community, from the profile\): libgreet >= 2.0 needed by hello 1.0-1 <- request 'hello': the candidates have only libgreet 1.5-1"
	[ ! -e b0 ]
	# a request pins what a dependency would need newer
	{ base_profile r1; echo 'depot = depot'; echo 'acceptance = community'; echo 'vib = hello'; echo 'vib = libgreet<<2.0'; } >r1.profile
	expect_fail "$RAMHOST" image build -q r1.profile -o b1
	expect_err "libgreet 2.0-1 cannot join the set: libgreet 1.5-1 is already there \(libgreet 1.5-1 <- request 'libgreet << 2.0'\), needed by hello 1.0-1 <- request 'hello'"
	[ ! -e b1 ]
	{ base_profile r2; echo 'depot = depot'; echo 'acceptance = community'; echo 'vib = hello'; echo 'vib = oldhello'; } >r2.profile
	expect_fail "$RAMHOST" image build -q r2.profile -o b2
	expect_err 'oldhello 0.9 .*conflicts with hello'
	{ base_profile r3; echo 'depot = depot'; echo 'vib = hello'; } >r3.profile
	expect_fail "$RAMHOST" image build -q r3.profile -o b3
	expect_err 'is community, below the acceptance level partner'
	{ base_profile r4; echo 'depot = depot'; echo 'acceptance = community'; echo 'vib = nosuch>=1'; } >r4.profile
	expect_fail "$RAMHOST" image build -q r4.profile -o b4
	expect_err "nosuch >= 1 needed by request 'nosuch >= 1': no candidate"
	{ base_profile r5; echo 'depot = depot'; echo 'image-profile = nosuch'; } >r5.profile
	expect_fail "$RAMHOST" image build -q r5.profile -o b5
	expect_err "image-profile 'nosuch': no depot of the profile has it"
	{ base_profile r6; echo 'vib = hello'; } >r6.profile
	expect_fail "$RAMHOST" image check r6.profile
	expect_err "r6.profile:6: vib needs at least one 'depot = URL\|DIR'"
	{ base_profile r7; echo 'depot = depot'; echo 'acceptance = gold'; } >r7.profile
	expect_fail "$RAMHOST" image check r7.profile
	expect_err 'r7.profile:7: acceptance .gold.'
	{ base_profile r8; echo 'depot = depot'; echo 'vib = he llo'; } >r8.profile
	expect_fail "$RAMHOST" image check r8.profile
	expect_err 'r8.profile:7: vib .he llo.'
}

case_image_build() {
	export RAMHOST_CACHE=${RAMHOST_CACHE:-$HOME/.cache/ramhost}
	bash "$FIX/vib/mkca.sh" ca >/dev/null 2>&1
	standard_depot
	mkvib extra 1.0 partner "<depends>$(dep greeter)</depends>" partner
	mkvib greet-impl 1.0 partner "<provides><provide name=\"greeter\" version=\"1.0\"/></provides>" partner
	"$RAMHOST" depot create -q depot
	mkdir -p t1/usr/share/t1 && echo t1 >t1/usr/share/t1/x
	{ base_profile v; echo 'tardisk = t1 t1'; echo 'depot = depot'; echo 'image-profile = web';
	  echo 'vib = extra'; echo 'acceptance = community'; echo 'trust = ca/trust'; } >v.profile
	"$RAMHOST" image check v.profile >check.txt
	grep -qx "depot=$T/depot" check.txt
	grep -qx 'vib=extra' check.txt
	grep -qx 'image-profile=web' check.txt
	grep -qx 'acceptance=community' check.txt
	grep -qx "trust=$T/ca/trust" check.txt
	"$RAMHOST" image build v.profile -o bank 2>build.log
	cat build.log
	grep -q 'vib            greet-impl 1.0 (partner), 1 payloads' build.log
	grep -q 'vibs.cpio      4 VIBs, image level community, policy community (the profile), trust store' build.log
	# payloads after the profile's tardisks, in dependency order; vibs.cpio last
	mods=$(sed -n 's/^modules=//p' bank/boot.cfg)
	echo "$mods"
	case "$mods" in
	"init.cpio --- base.tdk --- rescue.tdk --- t1.tdk --- "*" --- vibs.cpio") ;;
	*) echo "unexpected modules: $mods"; exit 1 ;;
	esac
	python3 - "$mods" <<'PY'
import sys
m = sys.argv[1].split(" --- ")
assert m.index("libgreet.tdk") < m.index("hello.tdk") and m.index("greet-impl.tdk") < m.index("extra.tdk"), m
assert len(m) == 9, m
PY
	# every module matches boot.cfg's hash; a payload module is the VIB's tardisk, canonically wrapped
	for f in $(echo "$mods" | sed 's/ --- / /g'); do
		want=$(sed -n "s/^hash\.$f=sha256://p" bank/boot.cfg)
		[ "$(sha256sum "bank/$f" | cut -d' ' -f1)" = "$want" ]
	done
	mkdir x && (cd x && cpio -id --quiet <../bank/hello.tdk)
	"$RAMHOST" vib extract depot/vibs/hello-1.0-1.vib -o ex >/dev/null
	cmp x/tardisks/hello.tdk ex/hello.tdk
	mkdir v && (cd v && cpio -id --quiet <../bank/vibs.cpio)
	ls v/vibs
	cmp v/vibs/hello.xml ex/descriptor.xml
	[ "$(cat v/vibs/hello.level)" = community ] && [ "$(cat v/vibs/extra.level)" = partner ]
	[ -s v/vibs/extra.sig ] && [ ! -s v/vibs/hello.sig ]
	[ "$(cat v/vibs/acceptance)" = community ] && [ "$(cat v/vibs/image-level)" = community ]
	cmp v/vibs/trust/partner/ca.pem ca/trust/partner/ca.pem
	grep -qx /etc/hello.conf v/vibs/sticky.list && grep -qx /etc/greet-impl.conf v/vibs/sticky.list
	[ ! -e v/vibs/oldhello.xml ] && [ ! -e v/vibs/libgreet-1.5-1.xml ]
	# a rebuild takes the unchanged payload modules from the cache; one changed VIB is wrapped anew
	extra1=$(sha256sum bank/extra.tdk | cut -d' ' -f1)
	cp bank/libgreet.tdk libgreet1.tdk
	# a damaged cache entry is noticed (the module's hash is kept beside it) and wrapped anew
	lg=
	for f in "$RAMHOST_CACHE"/vib-modules/*-libgreet.tdk; do cmp -s "$f" libgreet1.tdk && lg=$f; done
	[ -n "$lg" ]
	chmod u+w "$lg" && printf 'X' | dd of="$lg" bs=1 seek=200 conv=notrunc 2>/dev/null
	! cmp -s "$lg" libgreet1.tdk || false
	echo changed >src/extra-1.0/usr/bin/extra && rm depot/vibs/extra-1.0.vib
	"$RAMHOST" vib create -q --descriptor extra-1.0.xml --payload extra=src/extra-1.0 -o depot/vibs/extra-1.0.vib \
		--sign-key ca/test-signer-partner.key --sign-cert ca/test-signer-partner.pem
	"$RAMHOST" depot create -q depot
	"$RAMHOST" image build v.profile -o bank --force 2>build2.log
	grep -q 'hello 1.0-1 (community), 1 payloads (cached)' build2.log
	grep 'vib            extra 1.0' build2.log | grep -vq cached
	grep 'vib            libgreet 2.0-1' build2.log | grep -vq cached
	cmp bank/libgreet.tdk libgreet1.tdk
	cmp "$lg" libgreet1.tdk
	# entries are written through private temporaries: none is left in the cache
	[ -z "$(ls -A "$RAMHOST_CACHE"/vib-modules | grep -v -e '\.tdk$' -e '\.tdk\.sha256$')" ]
	[ "$(sha256sum bank/extra.tdk | cut -d' ' -f1)" != "$extra1" ]
	# a signature the trust store does not know fails the build, naming the VIB
	mkvib rogue 1.0 partner "" rogue
	"$RAMHOST" depot create -q depot
	{ base_profile w; echo 'depot = depot'; echo 'vib = rogue'; echo 'trust = ca/trust'; } >w.profile
	expect_fail "$RAMHOST" image build -q w.profile -o bank3
	expect_err 'rogue-1.0.vib'
	[ ! -e bank3 ]
	# two VIBs with the same payload name
	mkvib tool 1.0 community "" "" hello
	"$RAMHOST" depot create -q depot
	{ base_profile y; echo 'depot = depot'; echo 'acceptance = community'; echo 'vib = hello'; echo 'vib = tool'; } >y.profile
	expect_fail "$RAMHOST" image build -q y.profile -o bank4
	expect_err "payload 'hello' is also a payload of VIB"
}

t_case depot_create_ls case_depot_create_ls
t_case depot_signed case_depot_signed
t_case depot_http case_depot_http
t_case image_vib_refusals case_image_refusals
t_case image_vib_build case_image_build
t_exit
