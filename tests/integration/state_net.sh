#!/usr/bin/env bash
# tests/integration/state_net.sh: the state of a diskless host (docs/state.md "Diskless hosts"): `state save` on a
# host booted with ramhost.state.url uploads the new generation with HTTP PUT and the token header to a fake
# server (python3 http.server on 127.0.0.1, an ephemeral port, started and killed by each case) that answers
# 201, 403, 413, 500 or 200; `state boot` restores from the net store where init puts the server's state module,
# with the same console lines as from a disk (restored, fallback, damaged, empty). The kernel command line is
# handed in through RAMHOST_PROC_CMDLINE, the host's root with --root. The host name option is unit-tested
# (tests/unit/test_netboot.c): init applies it, and init runs only as PID 1.
. "$(dirname "$0")/../lib.sh"

MAC=52-54-00-12-34-56
TOKEN=0123456789abcdef.525400123456-feedfacefeedface

# The fake server: PUT /host/$MAC/state with the right token stores the body as state-NNNNNNNN.rhs (N from its
# footer) in $T/srv when $T/mode says 201; the answer's status comes from $T/mode. Every PUT is logged to
# $T/puts as "STATUS LENGTH". Its port is written to $T/port once it listens.
start_server() {
	mkdir -p "$T/srv"
	echo "${1:-201}" >"$T/mode"
	python3 - "$T" "$MAC" "$TOKEN" >"$T/server.log" 2>&1 <<-'PY' &
	import http.server, os, struct, sys, time
	top, mac, token = sys.argv[1], sys.argv[2], sys.argv[3]
	answers = {201: "stored", 200: "ok", 403: "wrong token for " + mac, 413: "upload larger than the limit of 1 MiB",
	           500: "internal error: disk on fire"}
	class H(http.server.BaseHTTPRequestHandler):
	    protocol_version = "HTTP/1.1"      # answers the client's "Expect: 100-continue"
	    def handle_expect_100(self):         # mode 1413: refuse before the body, as a server checking the size
	        if int(open(os.path.join(top, "mode")).read()) != 1413:
	            return super().handle_expect_100()
	        with open(os.path.join(top, "puts"), "a") as f:
	            f.write("413 early\n")
	        data = b"upload of %s bytes is over the limit\n" % self.headers.get("Content-Length", "?").encode()
	        self.send_response(413)
	        self.send_header("Content-Length", str(len(data)))
	        self.send_header("Connection", "close")
	        self.end_headers()
	        self.wfile.write(data)
	        self.close_connection = True
	        return False
	    def do_PUT(self):
	        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
	        status = int(open(os.path.join(top, "mode")).read())
	        if status == 0:                    # hang: take the body, never answer
	            open(os.path.join(top, "hung"), "w").close()
	            time.sleep(120)
	        if self.path != "/host/%s/state" % mac or self.headers.get("X-Ramhost-Token") != token:
	            status = 403
	        text = answers[status]
	        if status == 201:
	            gen = struct.unpack("<Q", body[-80 + 16:-80 + 24])[0]
	            with open(os.path.join(top, "srv", "state-%08d.rhs" % gen), "wb") as f:
	                f.write(body)
	            text = "stored generation %d" % gen
	        with open(os.path.join(top, "puts"), "a") as f:
	            f.write("%d %d\n" % (status, len(body)))
	        data = (text + "\nsecond line not shown\n").encode()
	        self.send_response(status)
	        self.send_header("Content-Length", str(len(data)))
	        self.send_header("Connection", "close")
	        self.end_headers()
	        self.wfile.write(data)
	        self.close_connection = True
	    def log_message(self, *a):
	        pass
	s = http.server.HTTPServer(("127.0.0.1", 0), H)
	open(os.path.join(top, "port.tmp"), "w").write(str(s.server_address[1]))
	os.rename(os.path.join(top, "port.tmp"), os.path.join(top, "port"))
	s.serve_forever()
	PY
	echo $! >"$T/server.pid"
	trap 'kill "$(cat "$T/server.pid")" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
	for _ in $(seq 200); do [ -s "$T/port" ] && break; sleep 0.05; done
	PORT=$(cat "$T/port")
	URL=http://127.0.0.1:$PORT/host/$MAC/state
	echo "console=ttyS0 ramhost.net=1 ramhost.hostname=node1 ramhost.state.url=$URL ramhost.state.token=${2:-$TOKEN}" \
		>"$T/cmdline"
	export RAMHOST_PROC_CMDLINE=$T/cmdline
}

# A root with sticky files (as tests/integration/state.sh's, smaller): 3 files.
make_root() {
	local r=$1
	mkdir -p "$r/etc/ssh" "$r/var/lib/app" "$r/run/ramhost"
	echo host1 >"$r/etc/hostname" && chmod 1644 "$r/etc/hostname"
	echo key >"$r/etc/ssh/ssh_host_ed25519_key" && chmod 600 "$r/etc/ssh/ssh_host_ed25519_key"
	echo data >"$r/var/lib/app/db"
	printf '/etc/ssh/ssh_host_*\n/var/lib/app/db\n' >"$r/run/ramhost/sticky.list"
}

# Nothing but the newest known generation in the host's net store: no temporary file, in any case.
net_store_is() {
	[ "$(ls -A "$T/root/run/ramhost/state-net" | tr '\n' ' ')" = "$1" ] ||
		{ echo "net store: $(ls -A "$T/root/run/ramhost/state-net")"; exit 1; }
}

save_uploads_generation() {
	start_server 201
	make_root "$T/root"
	"$RAMHOST" state save --root "$T/root" | tee "$T/out"
	grep -Eq "^ramhost state: saved generation 1 \(3 files, [0-9]+ bytes\) to server 127.0.0.1:$PORT\$" "$T/out"
	[ "$(cat "$T/puts")" = "201 $(stat -c %s "$T/srv/state-00000001.rhs")" ]
	net_store_is "state-00000001.rhs "
	cmp "$T/srv/state-00000001.rhs" "$T/root/run/ramhost/state-net/state-00000001.rhs"
	# what the server got is a whole, valid generation: it lists as ok and restores the files
	"$RAMHOST" state list --store "$T/srv" | grep -Eq '^1 +[0-9T:Z-]+ +3 +[0-9]+ +ok$'
	mkdir "$T/new"
	"$RAMHOST" state restore --generation 1 --store "$T/srv" --root "$T/new" >/dev/null
	cmp "$T/root/etc/ssh/ssh_host_ed25519_key" "$T/new/etc/ssh/ssh_host_ed25519_key"
	[ "$(stat -c %a "$T/new/etc/hostname")" = 1644 ]
	# --if-changed compares with what the server has: no upload when nothing changed
	"$RAMHOST" state save --if-changed --root "$T/root" | tee "$T/out"
	[ "$(cat "$T/out")" = "ramhost state: nothing changed since generation 1" ]
	[ "$(wc -l <"$T/puts")" = 1 ]
	echo more >>"$T/root/var/lib/app/db"
	"$RAMHOST" state save --if-changed --json --root "$T/root" |
		python3 -c "import json,sys; j=json.load(sys.stdin); assert j['generation']==2 and j['written'] and j['path']=='$URL', j"
	[ "$(wc -l <"$T/puts")" = 2 ] && [ -f "$T/srv/state-00000002.rhs" ]
	net_store_is "state-00000002.rhs "
	# list says where the store is and shows the generation this host knows
	"$RAMHOST" state list --root "$T/root" | tee "$T/list"
	grep -q "^the store is on server 127.0.0.1:$PORT; " "$T/list"
	grep -Eq '^2 +[0-9T:Z-]+ +3 +[0-9]+ +ok$' "$T/list"
	"$RAMHOST" state list --json --root "$T/root" | python3 -c "import json,sys; j=json.load(sys.stdin); assert j['server']=='$URL', j"
}

# refused STATUS PATTERN: the save fails naming the server's answer, nothing is kept, no temporary file stays.
refused() {
	start_server "$1" "${3:-$TOKEN}"
	make_root "$T/root"
	expect_fail "$RAMHOST" state save --root "$T/root"
	cat "$T/err"
	expect_err "^ramhost state save: generation 1 not saved on server 127.0.0.1:$PORT: $URL: $2\$"
	net_store_is ""
	[ -z "$(ls -A "$T/srv")" ]
	"$RAMHOST" state save --root "$T/root" >/dev/null 2>&1 || [ $? -eq 1 ]
}
save_refused_403() { refused 403 "HTTP status 403: wrong token for $MAC"; }
save_wrong_token() { refused 201 "HTTP status 403: wrong token for $MAC" "0123.bad-token"; }
save_refused_413() { refused 413 "HTTP status 413: upload larger than the limit of 1 MiB"; }
save_refused_500() { refused 500 "HTTP status 500: internal error: disk on fire"; }
# A server that refuses on the headers alone (Expect: 100-continue answered with 413): the body is never sent.
save_refused_early() {
	start_server 1413
	make_root "$T/root"
	head -c 2000000 /dev/urandom >"$T/root/var/lib/app/db"   # over the client's 1 MiB: it asks before sending
	expect_fail "$RAMHOST" state save --root "$T/root"
	cat "$T/err"
	expect_err "^ramhost state save: generation 1 not saved on server 127.0.0.1:$PORT: $URL: HTTP status 413: upload of [0-9]+ bytes is over the limit\$"
	[ "$(cat "$T/puts")" = "413 early" ]
	net_store_is ""
}
save_not_201() { refused 200 "HTTP status 200: ok \(expected 201 Created\)"; }

save_server_down() {
	start_server 201
	kill "$(cat "$T/server.pid")"
	wait "$(cat "$T/server.pid")" 2>/dev/null || true
	make_root "$T/root"
	expect_fail "$RAMHOST" state save --root "$T/root"
	expect_err "^ramhost state save: generation 1 not saved on server 127.0.0.1:$PORT: $URL: cannot connect"
	net_store_is ""
	# a malformed URL or a URL without a token is a clear failure of the save
	echo "ramhost.state.url=ftp://x/y ramhost.state.token=t" >"$T/cmdline"
	expect_fail "$RAMHOST" state save --root "$T/root"
	expect_err "'ramhost.state.url=ftp://x/y' is not an http://SERVER:PORT/PATH URL"
	echo "ramhost.state.url=$URL" >"$T/cmdline"
	expect_fail "$RAMHOST" state save --root "$T/root"
	expect_err "ramhost.state.url= without ramhost.state.token="
}

# A save stopped by SIGTERM while it waits for the server (a shutdown) leaves no temporary file either.
save_interrupted() {
	start_server 0
	make_root "$T/root"
	"$RAMHOST" state save --root "$T/root" >"$T/out" 2>&1 &
	pid=$!
	for _ in $(seq 400); do [ -e "$T/hung" ] && break; sleep 0.05; done
	[ -e "$T/hung" ]
	ls -A "$T/root/run/ramhost/state-net" | grep -q '^\.state-00000001\.rhs\.tmp$'
	kill -TERM "$pid"
	wait "$pid" || true
	net_store_is ""
}

# The server's state module as init hands it on: the generation files in ROOT/run/ramhost/state-net.
boot_restores_from_module() {
	start_server 201
	make_root "$T/root"
	"$RAMHOST" state save --root "$T/root" >/dev/null
	mkdir -p "$T/new/run/ramhost/state-net"
	cp "$T/srv/state-00000001.rhs" "$T/new/run/ramhost/state-net/"
	"$RAMHOST" state boot --root "$T/new" >"$T/out"
	[ "$(cat "$T/out")" = "ramhost-state: restored generation 1 (3 files) from server 127.0.0.1:$PORT" ] || { cat "$T/out"; exit 1; }
	cmp "$T/root/var/lib/app/db" "$T/new/var/lib/app/db"
	grep -qx generation=1 "$T/new/run/ramhost/state.env"
	grep -qx "device=server 127.0.0.1:$PORT" "$T/new/run/ramhost/state.env"
	grep -qx source=net "$T/new/run/ramhost/state.env"
	printf 'bank=1\n' >"$T/boot.env"
	RAMHOST_BOOTENV=$T/boot.env RAMHOST_STATEENV=$T/new/run/ramhost/state.env "$RAMHOST" ready | grep -q ' state=1@net '
	# the hourly save of the booted host uploads nothing until something changes, then generation 2
	mkdir -p "$T/new/run/ramhost" && cp "$T/root/run/ramhost/sticky.list" "$T/new/run/ramhost/"
	"$RAMHOST" state save --if-changed --root "$T/new" | grep -qx 'ramhost state: nothing changed since generation 1'
	[ "$(wc -l <"$T/puts")" = 1 ]
	echo new >"$T/new/etc/ssh/ssh_host_rsa_key"
	"$RAMHOST" state save --if-changed --root "$T/new" | grep -q "^ramhost state: saved generation 2 (4 files, "
	# the module unpacked by cpio as the server makes it (state/state-NNNNNNNN.rhs)
	mkdir "$T/initramfs" && (cd "$T/srv" && mkdir state && cp state-00000002.rhs state/ &&
		echo state/state-00000002.rhs | cpio -o -H newc --quiet >"$T/state.cpio")
	(cd "$T/initramfs" && cpio -id --quiet <"$T/state.cpio")
	mkdir -p "$T/new2/run/ramhost/state-net"
	cp "$T/initramfs/state/state-00000002.rhs" "$T/new2/run/ramhost/state-net/"
	"$RAMHOST" state boot --root "$T/new2" | grep -qx "ramhost-state: restored generation 2 (4 files) from server 127.0.0.1:$PORT"
	[ "$(cat "$T/new2/etc/ssh/ssh_host_rsa_key")" = new ]
}

# Damaged generations from the module: the same lines as on a disk; a boot with a URL but no module is empty.
boot_damaged_and_empty() {
	start_server 201
	make_root "$T/root"
	"$RAMHOST" state save --root "$T/root" >/dev/null
	echo two >>"$T/root/var/lib/app/db"
	"$RAMHOST" state save --root "$T/root" >/dev/null
	net=$T/new/run/ramhost/state-net
	mkdir -p "$net"
	cp "$T/srv/state-00000001.rhs" "$T/srv/state-00000002.rhs" "$net/"
	python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//3]^=0x10; open(p,'wb').write(b)" "$net/state-00000002.rhs"
	"$RAMHOST" state boot --root "$T/new" >"$T/out"
	cat "$T/out"
	grep -Eq "^ramhost-state: generation 2 is damaged \(.+\); restored generation 1 \(3 files\) from server 127.0.0.1:$PORT\$" "$T/out"
	[ "$(cat "$T/new/var/lib/app/db")" = data ]
	# only a damaged one
	rm "$net/state-00000001.rhs"
	mkdir -p "$T/new2/run/ramhost"
	cp -r "$net" "$T/new2/run/ramhost/"
	"$RAMHOST" state boot --root "$T/new2" >"$T/out"
	grep -Eq "^ramhost-state: generation 2 is damaged \(.+\); no valid generation on server 127.0.0.1:$PORT: booting with the image defaults\$" "$T/out"
	grep -qx generation=none "$T/new2/run/ramhost/state.env"
	# the next save never reuses the damaged one's number
	cp "$T/root/run/ramhost/sticky.list" "$T/new2/run/ramhost/"
	echo k >"$T/new2/var/lib/app/db" && mkdir -p "$T/new2/etc"
	"$RAMHOST" state save --root "$T/new2" | grep -q '^ramhost state: saved generation 3 '
	# a URL and no module (no generation on the server yet): the net store is made, empty
	mkdir "$T/new3"
	[ "$("$RAMHOST" state boot --root "$T/new3")" = "ramhost-state: no saved state on server 127.0.0.1:$PORT: booting with the image defaults" ]
	[ -d "$T/new3/run/ramhost/state-net" ]
	# a disk host (no URL, no net store) still looks for its partition
	echo "console=ttyS0 ramhost.bank=1" >"$T/cmdline"
	mkdir "$T/new4"
	[ "$("$RAMHOST" state boot --root "$T/new4")" = "ramhost-state: no state partition: booting with the image defaults (state is not persistent)" ]
}

t_case save_uploads_generation save_uploads_generation
t_case save_refused_403 save_refused_403
t_case save_wrong_token save_wrong_token
t_case save_refused_413 save_refused_413
t_case save_refused_500 save_refused_500
t_case save_not_201 save_not_201
t_case save_refused_early save_refused_early
t_case save_server_down save_server_down
t_case save_interrupted save_interrupted
t_case boot_restores_from_module boot_restores_from_module
t_case boot_damaged_and_empty boot_damaged_and_empty
t_exit
