#!/usr/bin/env bash
# tests/integration/pxe_serve.sh: `ramhost pxe serve` as a process, over loopback (no DHCP: mode = off, ports
# moved): SIGHUP reloads (a bad file keeps the rules in use and says FILE:LINE), `pxe status` lists the hosts
# and their last step, SIGTERM stops cleanly, bad HTTP paths and TFTP requests are refused while the server
# serves on, start-up errors (quick start, a port in use) are clear, and a lease survives kill -9. QEMU boots are tests/system/test_pxe.py.
. "$(dirname "$0")/../lib.sh"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
free_udp_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# write_config RULE: one image, one rule named RULE for every 52:54:00:12:* host.
write_config() {
	cat >"$T/pxe.conf" <<CONF
mode = off
server-ip = 127.0.0.1
http-port = $HTTP
tftp-port = $TFTP
state-dir = $T/state
image web $T/img
rule $1
    match mac 52:54:00:12:*
    image web
    state keep
CONF
}

# start: the server in the background, its stderr in $T/log; waits for its start line.
start() {
	"$RAMHOST" pxe serve "$T/pxe.conf" 2>"$T/log" &
	PID=$!
	for _ in $(seq 1 100); do
		grep -q 'start serving' "$T/log" && return 0
		kill -0 "$PID" 2>/dev/null || { cat "$T/log"; return 1; }
		sleep 0.1
	done
	cat "$T/log"
	return 1
}

# wait_log PATTERN: waits up to 10 s for a log line matching PATTERN.
wait_log() {
	for _ in $(seq 1 100); do
		grep -Eq -- "$1" "$T/log" && return 0
		sleep 0.1
	done
	echo "no log line matches '$1':"
	cat "$T/log"
	return 1
}

setup() {
	pxe_fake_image "$T/img" web
	HTTP=$(free_port)
	TFTP=$(free_udp_port)
	write_config web
	start
	trap 'kill -9 $PID 2>/dev/null || true' EXIT
}

get() { curl -s --path-as-is -o "$T/body" -w '%{http_code}' "http://127.0.0.1:$HTTP/$1"; }

reload_keeps_rules_on_a_bad_file() {
	setup
	[ "$(get host/52-54-00-12-34-56/boot.ipxe)" = 200 ]
	grep -q 'rule web' "$T/body"
	printf 'mode = off\nbogus-key = 1\n' >"$T/pxe.conf"
	kill -HUP "$PID"
	wait_log "reload refused, keeping the rules in use: .*pxe.conf:2: "
	[ "$(get host/52-54-00-12-34-56/boot.ipxe)" = 200 ]
	grep -q 'rule web' "$T/body"
	write_config web2
	kill -HUP "$PID"
	wait_log "reload .*pxe.conf: 1 images, 1 rules"
	[ "$(get host/52-54-00-12-34-56/boot.ipxe)" = 200 ]
	grep -q 'rule web2' "$T/body"
	kill -0 "$PID"
}

status_lists_hosts() {
	setup
	[ "$(get host/52-54-00-12-34-56/boot.ipxe)" = 200 ]
	[ "$(get host/52-54-00-12-34-56/ready)" = 200 ]
	wait_log '52:54:00:12:34:56 ready '
	for _ in $(seq 1 30); do grep -q ready "$T/state/status" 2>/dev/null && break; sleep 0.1; done
	"$RAMHOST" pxe status --state-dir "$T/state" >"$T/out"
	grep -Eq '^52:54:00:12:34:56 +127\.0\.0\.1 +ready ' "$T/out" || { cat "$T/out"; exit 1; }
	"$RAMHOST" pxe status --state-dir "$T/state" --json >"$T/json"
	python3 - "$T/json" <<'PY'
import json, sys
hosts = json.load(open(sys.argv[1]))
h = [x for x in hosts if x["mac"] == "52:54:00:12:34:56"][0]
assert h["step"] == "ready" and h["ip"] == "127.0.0.1", h
PY
}

sigterm_stops_cleanly() {
	setup
	[ "$(get host/52-54-00-12-34-56/boot.cfg)" = 200 ]
	kill -TERM "$PID"
	rc=0
	wait "$PID" || rc=$?
	[ "$rc" = 0 ] || { echo "exit $rc"; cat "$T/log"; exit 1; }
	grep -q 'stop stopping' "$T/log"
	grep -q '52:54:00:12:34:56' "$T/state/status"
	[ -z "$(find "$T/state" -name '*.tmp*')" ]
}

bad_http_paths_refused() {
	setup
	[ "$(get ../../etc/passwd)" = 400 ] || [ "$(get ../../etc/passwd)" = 403 ]
	[ "$(get a/../../etc/passwd)" = 403 ]
	[ "$(get a/zzzz)" = 403 ]
	[ "$(get host/not-a-mac/boot.cfg)" = 403 ]
	[ "$(get host/52-54-00-12-34-56/secret)" = 403 ]
	[ "$(get img/none/ramhost.efi)" = 404 ]
	[ "$(get 'a/%00')" = 400 ]
	[ "$(get "$(printf 'x%.0s' $(seq 1 2000))")" = 400 ]
	[ "$(get img/web/ramhost.efi)" = 200 ]
	cmp "$T/body" "$T/img/ramhost.efi"
	wait_log 'http GET /a/zzzz: 403'
}

bad_tftp_requests_refused() {
	setup
	cd "$T"
	tftp -m binary 127.0.0.1 "$TFTP" -c get ../etc/passwd got1 2>&1 | tee "$T/t1" || true
	tftp -m binary 127.0.0.1 "$TFTP" -c get /etc/passwd got2 2>&1 | tee "$T/t2" || true
	echo hi >up
	tftp -m binary 127.0.0.1 "$TFTP" -c put up img/web/x 2>&1 | tee "$T/t3" || true
	grep -qi 'error' "$T/t1" && grep -qi 'error' "$T/t2" && grep -qi 'error' "$T/t3"
	[ ! -s got1 ] && [ ! -s got2 ]
	wait_log 'tftp-refused file=\.\./etc/passwd'
	wait_log 'tftp-refused .*write'
	tftp -m binary 127.0.0.1 "$TFTP" -c get img/web/ramhost.efi got3
	cmp got3 "$T/img/ramhost.efi"
}

startup_errors_are_clear() {
	pxe_fake_image "$T/img" web
	expect_fail "$RAMHOST" pxe serve --interface rh-no-such-if --image "$T/img" --range 10.0.0.10-10.0.0.20 \
		--state-dir "$T/s1"
	expect_err 'rh-no-such-if'
	expect_fail "$RAMHOST" pxe serve --interface lo --image "$T/nope" --proxy --state-dir "$T/s2"
	expect_err "$T/nope"
	expect_fail "$RAMHOST" pxe status --state-dir "$T/s3"
	expect_err "no server has run with state directory $T/s3"
	rc=0
	"$RAMHOST" pxe serve --interface lo --image "$T/img" --proxy --range 10.0.0.10-10.0.0.20 2>"$T/err" || rc=$?
	[ "$rc" = 2 ]
	HTTP=$(free_port)
	TFTP=$(free_udp_port)
	write_config web
	start
	trap 'kill -9 $PID 2>/dev/null || true' EXIT
	TFTP=$(free_udp_port)
	sed -i "s/^tftp-port = .*/tftp-port = $TFTP/" "$T/pxe.conf"
	expect_fail "$RAMHOST" pxe serve "$T/pxe.conf"
	expect_err "HTTP: cannot listen on 0\.0\.0\.0:$HTTP \(in use"
	kill -0 "$PID"
}

# A DHCP client over loopback (ciaddr 127.0.0.1, so the server answers by unicast on port P+1, the test setting
# of a moved dhcp-port): prints the address offered, then ACKed, to MAC.
dhcp_client() {
	python3 - "$1" "$2" <<'PY'
import socket, struct, sys
port, mac = int(sys.argv[1]), bytes.fromhex(sys.argv[2].replace(":", ""))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port + 1))
s.settimeout(5)
def packet(kind, extra=b""):
    head = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, 0x1234, 0, 0, socket.inet_aton("127.0.0.1"),
                       b"\0" * 4, b"\0" * 4, b"\0" * 4, mac + b"\0" * 10, b"", b"")
    return head + b"\x63\x82\x53\x63" + bytes([53, 1, kind]) + extra + b"\xff"
def ask(kind, extra=b""):
    s.sendto(packet(kind, extra), ("127.0.0.1", port))
    while True:
        data, _ = s.recvfrom(2048)
        if data[4:8] == b"\x00\x00\x12\x34":
            return socket.inet_ntoa(data[16:20])
offered = ask(1)
acked = ask(3, bytes([50, 4]) + socket.inet_aton(offered) + bytes([54, 4]) + socket.inet_aton("127.0.0.1"))
print(offered, acked)
PY
}

lease_survives_kill9() {
	pxe_fake_image "$T/img" web
	HTTP=$(free_port)
	TFTP=$(free_udp_port)
	DHCP=$(free_udp_port)
	write_config web
	sed -i "s/^mode = off/mode = full\ninterface = lo\nrange = 127.0.0.100-127.0.0.150\ndhcp-port = $DHCP/" "$T/pxe.conf"
	start
	trap 'kill -9 $PID 2>/dev/null || true' EXIT
	dhcp_client "$DHCP" 52:54:00:12:00:01 >"$T/a1"
	dhcp_client "$DHCP" 52:54:00:12:00:02 >"$T/b1"
	read -r off1 ack1 <"$T/a1"
	[ "$off1" = "$ack1" ] && [ "$ack1" != "$(cut -d' ' -f2 "$T/b1")" ]
	kill -9 "$PID"
	wait "$PID" 2>/dev/null || true
	grep -q "^lease $ack1 52:54:00:12:00:01 " "$T/state/leases"
	start
	# a new host first: were the leases forgotten, it would get the first host's address
	dhcp_client "$DHCP" 52:54:00:12:00:03 >"$T/c2"
	dhcp_client "$DHCP" 52:54:00:12:00:01 >"$T/a2"
	[ "$(cat "$T/a2")" = "$ack1 $ack1" ] || { cat "$T/a1" "$T/a2" "$T/log"; exit 1; }
	[ "$(cut -d' ' -f2 "$T/c2")" != "$ack1" ]
	[ -z "$(find "$T/state" -name '*.tmp*' -o -name '.leases*')" ]
}

# The quick start (no configuration file) serves the image to every host; in a namespace of its own, since it
# uses the standard DHCP and TFTP ports.
quick_start_serves() {
	pxe_fake_image "$T/img" web
	NS=rhpxe-$$-$RANDOM
	ip netns add "$NS"
	trap 'kill -9 $PID 2>/dev/null || true; ip netns del "$NS" 2>/dev/null || true' EXIT
	ip -n "$NS" link set lo up
	ip netns exec "$NS" "$RAMHOST" pxe serve --interface lo --image "$T/img" --range 127.0.0.100-127.0.0.150 \
		--http-port 8080 --state-dir "$T/state" 2>"$T/log" &
	PID=$!
	wait_log 'start serving 1 images, 1 rules; DHCP full, TFTP port 69, HTTP port 8080'
	ip netns exec "$NS" curl -s -o "$T/body" http://127.0.0.1:8080/host/52-54-00-ab-cd-ef/boot.ipxe
	grep -q 'booting image web' "$T/body"
	(cd "$T" && ip netns exec "$NS" tftp -m binary 127.0.0.1 -c get img/web/ramhost.efi got)
	cmp "$T/got" "$T/img/ramhost.efi"
	kill -TERM "$PID"
	wait "$PID"
}

t_case pxe_serve_reload_keeps_rules_on_a_bad_file reload_keeps_rules_on_a_bad_file
t_case pxe_serve_status_lists_hosts status_lists_hosts
t_case pxe_serve_sigterm_stops_cleanly sigterm_stops_cleanly
t_case pxe_serve_bad_http_paths_refused bad_http_paths_refused
t_case pxe_serve_bad_tftp_requests_refused bad_tftp_requests_refused
t_case pxe_serve_startup_errors_are_clear startup_errors_are_clear
t_case pxe_serve_lease_survives_kill9 lease_survives_kill9
t_case pxe_serve_quick_start_serves quick_start_serves
t_exit
