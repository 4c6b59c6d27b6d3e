#!/usr/bin/env bash
# tests/integration/rescue_boot.sh: what a rescue boot (ramhost.rescue=1|auto) holds back on the booted host, with
# init's rescue mark given through RAMHOST_RESCUE: `ramhost ready` ends its line with mode=rescue and tells no
# server; `ramhost bootbank mark-good` marks nothing and reads no disk. Without the mark both behave as before.
# (The boot itself, the ISO's Rescue entries and init's scan: tests/system/test_rescue.py.)
. "$(dirname "$0")/../lib.sh"

boot_env() {
	printf 'bank=1\nbuild=demo-1.0\ntardisk=a /t/a.tdk /m/a 1\ntardisk=b /t/b.tdk /m/b 1\ninit_ms=5\n' >"$T/boot.env"
	export RAMHOST_BOOTENV=$T/boot.env RAMHOST_STATEENV=$T/no-state.env
}

# a one-shot HTTP server on 127.0.0.1 that appends every request path to $T/hits; its port in $PORT
serve_hits() {
	python3 - "$T/hits" "$T/port" <<-'PY' &
	import http.server, sys
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        with open(sys.argv[1], "a") as f:
	            f.write(self.path + "\n")
	        self.send_response(200)
	        self.end_headers()
	        self.wfile.write(b"ok\n")
	    def log_message(self, *a):
	        pass
	s = http.server.HTTPServer(("127.0.0.1", 0), H)
	open(sys.argv[2] + ".tmp", "w").write(str(s.server_address[1]))
	import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
	s.timeout = 0.2
	while True:
	    s.handle_request()
	PY
	SERVER=$!
	for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
	PORT=$(cat "$T/port")
	: >"$T/hits"
}

ready_in_rescue() {
	boot_env
	trap 'kill $SERVER 2>/dev/null || true' EXIT
	serve_hits
	printf 'console=ttyS0 ramhost.bank=1 ramhost.rescue=1 ramhost.ready.url=http://127.0.0.1:%s/host/m/ready\n' \
		"$PORT" >"$T/cmdline"
	export RAMHOST_PROC_CMDLINE=$T/cmdline
	# the rescue mark as init writes it: the line says mode=rescue, the server hears nothing
	printf 'rescue=1\n' >"$T/rescue"
	RAMHOST_RESCUE=$T/rescue "$RAMHOST" ready >"$T/out"
	cat "$T/out"
	grep -Eq '^ramhost: ready bank=1 tardisks=2 state=none boot_ms=[0-9]+ build=demo-1.0 addr=[^ ]+ mode=rescue$' "$T/out"
	sleep 1
	[ ! -s "$T/hits" ]
	# without the mark (the same kernel command line: only init reads ramhost.rescue): a normal ready line,
	# and the server is told
	RAMHOST_RESCUE=$T/absent "$RAMHOST" ready >"$T/out"
	grep -Eq '^ramhost: ready bank=1 tardisks=2 state=none boot_ms=[0-9]+ build=demo-1.0 addr=[^ ]+$' "$T/out"
	for _ in $(seq 50); do [ -s "$T/hits" ] && break; sleep 0.1; done
	grep -qx '/host/m/ready' "$T/hits"
}

mark_good_in_rescue() {
	# a disk boot's kernel command line whose bank partition is on no disk here: mark-good would fail looking
	# for it; on a rescue boot it looks for nothing
	printf 'ramhost.bank=1 ramhost.bankuuid=0fc63daf-8483-4772-8e79-3d69d8477de4 ramhost.rescue=1\n' >"$T/cmdline"
	export RAMHOST_PROC_CMDLINE=$T/cmdline RAMHOST_DISKS=$T/no-such-disk
	printf 'rescue=auto\n' >"$T/rescue"
	RAMHOST_RESCUE=$T/rescue "$RAMHOST" bootbank mark-good >"$T/out" 2>"$T/err"
	cat "$T/out" "$T/err"
	[ "$(cat "$T/out")" = "ramhost bootbank: rescue boot ($T/rescue): no bank is marked, no disk is read" ]
	[ ! -s "$T/err" ]
	RAMHOST_RESCUE=$T/absent expect_fail "$RAMHOST" bootbank mark-good
	expect_err "ramhost bootbank: mark-good: "
}

help_mentions_rescue() {
	"$RAMHOST" ready --help | grep -q 'mode=rescue'
	"$RAMHOST" bootbank --help 2>&1 | grep -q 'rescue boot'
}

t_case ready_in_rescue ready_in_rescue
t_case mark_good_in_rescue mark_good_in_rescue
t_case help_mentions_rescue help_mentions_rescue
# ramhost.install= on a rescue boot is not acted on: nothing is installed, whatever the command line says.
install_in_rescue() {
	printf 'console=ttyS0 ramhost.rescue=1 ramhost.install=/dev/nonexistent-disk\n' >"$T/cmdline"
	printf 'rescue=1\n' >"$T/rescue"
	RAMHOST_PROC_CMDLINE=$T/cmdline RAMHOST_RESCUE=$T/rescue "$RAMHOST" install --from-cmdline 2>"$T/err"
	grep -q "rescue boot.*ramhost.install= is not acted on" "$T/err"
	# without the mark the same command line is acted on (and fails on the missing disk)
	! RAMHOST_PROC_CMDLINE=$T/cmdline RAMHOST_RESCUE=$T/absent "$RAMHOST" install --from-cmdline 2>"$T/err2" || false
	! grep -q "rescue boot" "$T/err2" || false
}

t_case "install --from-cmdline: nothing on a rescue boot" install_in_rescue
t_exit
