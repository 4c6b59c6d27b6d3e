#!/usr/bin/env bash
# tests/integration/hostile_depot.sh: depots and depot servers that misbehave (issue 10, findings 3, 4 and 10).
#   - an index that declares a huge size, a size no VIB with its payloads can have, a size of 0, or more than
#     the free space, served with an endless body: refused before the download (RAMHOST_VIB_MAX_SIZE, the
#     payload bound, statvfs), and a body longer than the declared size stops at it; nothing is left behind;
#   - a server that trickles one byte every 0.5 s: `depot ls` ends at the deadline (RAMHOST_FETCH_TIMEOUT) or
#     at the minimum rate (RAMHOST_FETCH_MIN_RATE over RAMHOST_FETCH_RATE_WINDOW), naming the URL;
#   - file names that cannot travel through an index and a URL are refused by `depot create`, naming the file,
#     and names with '#', spaces, '%' or UTF-8 are percent-encoded in URLs and fetched over HTTP.
# The servers are python on 127.0.0.1, on a port they pick; each case takes a few seconds at most.
. "$(dirname "$0")/../lib.sh"
unset SOURCE_DATE_EPOCH RAMHOST_TRUST RAMHOST_ACCEPTANCE RAMHOST_FETCH_TIMEOUT RAMHOST_FETCH_MIN_RATE \
	RAMHOST_FETCH_RATE_WINDOW RAMHOST_VIB_MAX_SIZE

# mkvib NAME FILE: a community VIB NAME 1.0 with one payload, written to FILE.
mkvib() {
	mkdir -p "src/$1/usr/bin" "$(dirname "$2")"
	echo "$1" >"src/$1/usr/bin/$1"
	cat >"$1.xml" <<XML
<vib version="1.0"><name>$1</name><version>1.0</version><vendor>Test</vendor><summary>$1</summary>
<acceptance-level>community</acceptance-level><relationships></relationships></vib>
XML
	"$RAMHOST" vib create -q --descriptor "$1.xml" --payload "$1=src/$1" -o "$2"
}

# profile NAME URL VIB: an image profile that takes VIB from the depot at URL.
profile() {
	printf 'name = %s\nversion = 1\nkernel = debian\nbase = builtin:minimal\ntimeout = 0\n' "$1"
	printf 'depot = %s\nacceptance = community\nvib = %s\n' "$2" "$3"
}

# serve MODE DIR: starts tests' python server (below) on 127.0.0.1; sets $url and $srv. MODE: files (DIR as
# it is), endless (a *.vib is an endless body of zeros, at most 32 MiB, without Content-Length), slow (every
# response trickles one byte every 0.5 s).
serve() {
	cat >srv.py <<'PY'
import os, sys, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
mode, root, portfile, log = sys.argv[1:5]
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def note(self, status, sent):
        with open(log, "a") as f: f.write("GET %s status=%d bytes=%d\n" % (self.path, status, sent))
    def do_GET(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        full = os.path.join(root, path.lstrip("/"))
        sent = 0
        try:
            if mode == "endless" and path.endswith(".vib"):
                self.send_response(200); self.send_header("Connection", "close"); self.end_headers()
                while sent < 32 << 20:
                    self.wfile.write(b"\0" * 65536); sent += 65536
                return
            if not os.path.isfile(full):
                self.send_error(404); self.note(404, 0); return
            data = open(full, "rb").read()
            self.send_response(200); self.send_header("Content-Length", str(len(data))); self.end_headers()
            if mode == "slow":
                for b in data:
                    self.wfile.write(bytes([b])); self.wfile.flush(); sent += 1; time.sleep(0.5)
            else:
                self.wfile.write(data); sent = len(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            if sent or mode != "files": self.note(200, sent)
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
s.daemon_threads = True
open(portfile + ".tmp", "w").write(str(s.server_address[1])); os.rename(portfile + ".tmp", portfile)
s.serve_forever()
PY
	python3 srv.py "$1" "$2" port srv.log &
	srv=$!
	trap 'kill $srv 2>/dev/null; true' EXIT
	for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
	url="http://127.0.0.1:$(cat port)"
	: >>srv.log
}

# index_set PATH ATTR VALUE [PAYLOAD-SIZE]: rewrites depot/index.xml: the vib-entry PATH's attribute ATTR (and
# the size of its payload).
index_set() {
	python3 - "$@" <<'PY'
import sys, xml.etree.ElementTree as ET
path, attr, value = sys.argv[1:4]
t = ET.parse("depot/index.xml")
for e in t.getroot().iter("vib-entry"):
    if e.get("path") == path:
        e.set(attr, value)
        if len(sys.argv) > 4:
            e.find("vib/payloads/payload").set("size", sys.argv[4])
t.write("depot/index.xml", encoding="UTF-8", xml_declaration=True)
PY
}

# build_fails PATTERN: `image build` of h.profile fails with PATTERN, leaves no bank and nothing in $TMPDIR.
build_fails() {
	expect_fail env TMPDIR="$T/tmp" "$RAMHOST" image build -q h.profile -o bank
	expect_err "$1"
	[ ! -e bank ]
	[ -z "$(ls -A "$T/tmp")" ] || { echo "left behind in TMPDIR:"; find "$T/tmp"; return 1; }
}

# endless_depot: depot/ with hello 1.0 served by an endless server at $url; h.profile takes hello from it; $u
# is hello's URL, $real its size.
endless_depot() {
	mkvib hello depot/vibs/hello-1.0.vib
	"$RAMHOST" depot create -q depot
	real=$(stat -c %s depot/vibs/hello-1.0.vib)
	serve endless depot
	mkdir tmp
	profile h "$url/" hello >h.profile
	u="$url/vibs/hello-1.0.vib"
}

# refused SIZE PAYLOAD-SIZE PATTERN: with the index saying SIZE (and PAYLOAD-SIZE for hello's payload, unless
# empty), the build fails with "$u: PATTERN" before hello is requested.
refused() {
	endless_depot
	index_set vibs/hello-1.0.vib size "$1" $2
	build_fails "$u: $3"
	! grep -q 'hello-1.0.vib' srv.log || false
}

# Finding 3: the index's size is untrusted; an endless body never writes more than a VIB can be.
# 10 GiB declared, payloads of 4 KiB: over the default limit of 4 GiB, refused before any request.
case_size_over_limit() {
	refused 10737418240 "" "the depot index says 10737418240 bytes, more than the largest VIB allowed \(4294967296 bytes, RAMHOST_VIB_MAX_SIZE\)"
}

# Under the limit, but more than a VIB with a 4 KiB payload can be.
case_size_over_payloads() {
	refused 1073741824 "" "the depot index says 1073741824 bytes, more than a VIB with its 1 payloads can be \(at most [0-9]+\)"
}

# The limit is configurable: 1 MiB refuses a declared 2 MiB that the payload bound allows; a bad value is named.
case_size_limit_env() {
	RAMHOST_VIB_MAX_SIZE=1M refused 2097152 "" "the depot index says 2097152 bytes, more than the largest VIB allowed \(1048576 bytes, RAMHOST_VIB_MAX_SIZE\)"
	RAMHOST_VIB_MAX_SIZE=lots build_fails "RAMHOST_VIB_MAX_SIZE='lots': expected a number"
}

# A declared size of 0 meant "no limit" to the download.
case_size_zero() {
	refused 0 "" "the depot index says 0 bytes, less than any VIB"
}

# 1 PiB declared with a 1 PiB payload, under a raised limit: more than the free space of the download dir.
case_size_over_free_space() {
	RAMHOST_VIB_MAX_SIZE=2048T refused 1125899906842624 1125899906842600 "1125899906842624 bytes to download, only [0-9]+ free in $T/tmp/"
}

# A plausible size, an endless body: the download stops at the declared size.
case_endless_body() {
	endless_depot
	index_set vibs/hello-1.0.vib size "$real"
	build_fails "$u: larger than the limit of $real bytes"
	grep -q 'GET /vibs/hello-1.0.vib' srv.log
}

# slow_depot: depot/ with hello served one byte every 0.5 s at $url; $start is now.
slow_depot() {
	mkvib hello depot/vibs/hello-1.0.vib
	"$RAMHOST" depot create -q depot
	serve slow depot
	start=$(date +%s)
}

# Finding 4: a server trickling a byte every 0.5 s ends at the deadline ...
case_slow_deadline() {
	slow_depot
	expect_fail env RAMHOST_FETCH_TIMEOUT=2 RAMHOST_FETCH_MIN_RATE=0 timeout 20 "$RAMHOST" depot ls "$url/"
	expect_err "^ramhost depot ls: $url/index.xml: transfer took longer than 2 s \([0-9]+ bytes received; the limit is RAMHOST_FETCH_TIMEOUT\)$"
	[ $(($(date +%s) - start)) -le 10 ]
}

# ... or at the minimum average rate,
case_slow_min_rate() {
	slow_depot
	expect_fail env RAMHOST_FETCH_MIN_RATE=100 RAMHOST_FETCH_RATE_WINDOW=2 timeout 20 "$RAMHOST" depot ls "$url/"
	expect_err "^ramhost depot ls: $url/index.xml: transfer too slow: [0-9]+ bytes in the last 2 s, less than 100 bytes/s \(the limit is RAMHOST_FETCH_MIN_RATE\)$"
	[ $(($(date +%s) - start)) -le 10 ]
}

# ... and a value that is not a number is refused, naming the variable.
case_fetch_env_invalid() {
	slow_depot
	for v in RAMHOST_FETCH_TIMEOUT=soon RAMHOST_FETCH_MIN_RATE=-1 RAMHOST_FETCH_RATE_WINDOW=0; do
		expect_fail env "$v" timeout 20 "$RAMHOST" depot ls "$url/"
		expect_err "^ramhost depot ls: ${v%%=*}="
	done
	[ $(($(date +%s) - start)) -le 10 ]
}

# Strict limits do not fail a transfer that is merely fast.
case_fast_server() {
	mkvib hello depot/vibs/hello-1.0.vib
	"$RAMHOST" depot create -q depot
	serve files depot
	RAMHOST_FETCH_MIN_RATE=1K RAMHOST_FETCH_RATE_WINDOW=3 RAMHOST_FETCH_TIMEOUT=10 "$RAMHOST" depot ls "$url/" >ls.txt
	grep -q '^1 VIBs, 0 image profiles$' ls.txt
}

# Finding 10: a .vib whose name cannot travel through the index or a URL is refused by `depot create`, by
# name (shown percent-encoded), and the index stays as it was.
bad_name() { # FILE SHOWN WHY
	mkvib hello depot/vibs/hello-1.0.vib
	"$RAMHOST" depot create -q depot
	cp depot/index.xml good.xml
	mkvib other "depot/$1"
	expect_fail "$RAMHOST" depot create -q depot
	expect_err "^ramhost depot create: depot: cannot index '$2' \(shown percent-encoded\): the path $3"
	cmp depot/index.xml good.xml
}
case_name_newline() { bad_name $'x/a\nb.vib' 'x/a%0Ab.vib' 'has a line break \(at byte 3\); rename it$'; }
case_name_backslash() { bad_name 'x/a\b.vib' 'x/a%5Cb.vib' 'has a backslash \(at byte 3\)'; }
case_name_escape() { bad_name $'x/\e[31mred.vib' 'x/%1B%5B31mred.vib' 'has a control character \(at byte 2\)'; }
case_name_latin1() { bad_name $'x/caf\xe9.vib' 'x/caf%E9.vib' 'has a byte that is not UTF-8 \(at byte 5\)'; }
case_name_dir_tab() { bad_name $'x/d\tir/h.vib' 'x/d%09ir/h.vib' 'has a control character \(at byte 3\)'; }

# A depot image profile named after a file name the index cannot carry, or a description it cannot carry.
case_profile_file_name() {
	mkvib hello depot/vibs/hello-1.0.vib
	mkdir depot/profiles
	printf 'vib = hello\n' >'depot/profiles/a b.profile'
	expect_fail "$RAMHOST" depot create -q depot
	expect_err "depot/profiles/a%20b.profile \(shown percent-encoded\): the profile's name comes from the file name, which has one of"
	[ ! -e depot/index.xml ]
}

case_profile_description() {
	mkvib hello depot/vibs/hello-1.0.vib
	mkdir depot/profiles
	printf 'name = x\ndescription = a\001b\nvib = hello\n' >depot/profiles/x.profile
	expect_fail "$RAMHOST" depot create -q depot
	expect_err "x.profile:2: bad description: it has a control character"
	[ ! -e depot/index.xml ]
	printf 'name = x\ndescription = C:\\\\ stays\nvib = hello\n' >depot/profiles/x.profile
	"$RAMHOST" depot create -q depot
	# the description holds two backslashes; text output shows each doubled (ramhost(1), OUTPUT)
	"$RAMHOST" depot ls depot | grep -qxF 'profile x (acceptance partner): hello - C:\\\\ stays'
}

# Names with '#', a space, '%' and UTF-8 are percent-encoded and fetched over HTTP. The file on the server
# differs from the index in its last byte, so the build stops right after the download, with the hash.
http_name() { # FILE ENCODED
	mkvib hello "depot/$1"
	"$RAMHOST" depot create -q depot
	printf 'X' | dd of="depot/$1" bs=1 seek=$(($(stat -c %s "depot/$1") - 1)) conv=notrunc 2>/dev/null
	python3 "$FIX/vib/httpd.py" depot --port 0 --port-file port --log http.log >/dev/null 2>&1 &
	pid=$!
	trap 'kill $pid 2>/dev/null; true' EXIT
	for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
	mkdir tmp
	profile h "http://127.0.0.1:$(cat port)/" hello >h.profile
	build_fails ": SHA-256 [0-9a-f]{64}, the depot index says [0-9a-f]{64}"
	grep -q "^GET /$2 range=- status=200" http.log || { cat http.log; exit 1; }
}
case_http_hash() { http_name 'vibs/hello#1.vib' 'vibs/hello%231.vib'; }
case_http_space() { http_name 'vibs/with space.vib' 'vibs/with%20space.vib'; }
case_http_percent() { http_name 'vibs/100%.vib' 'vibs/100%25.vib'; }
case_http_utf8() { http_name $'vibs/caf\xc3\xa9.vib' 'vibs/caf%C3%A9.vib'; }

t_case size_over_limit case_size_over_limit
t_case size_over_payloads case_size_over_payloads
t_case size_limit_env case_size_limit_env
t_case size_zero case_size_zero
t_case size_over_free_space case_size_over_free_space
t_case endless_body case_endless_body
t_case slow_deadline case_slow_deadline
t_case slow_min_rate case_slow_min_rate
t_case fetch_env_invalid case_fetch_env_invalid
t_case fast_server case_fast_server
t_case name_newline case_name_newline
t_case name_backslash case_name_backslash
t_case name_escape case_name_escape
t_case name_latin1 case_name_latin1
t_case name_dir_tab case_name_dir_tab
t_case profile_file_name case_profile_file_name
t_case profile_description case_profile_description
t_case http_hash case_http_hash
t_case http_space case_http_space
t_case http_percent case_http_percent
t_case http_utf8 case_http_utf8
t_exit
