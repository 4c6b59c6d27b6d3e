#!/usr/bin/env bash
# tests/integration/interrupt.sh: what a command leaves behind when it is stopped or cannot write.
#  - SIGINT/SIGTERM/SIGHUP during `tardisk create`, `vib create`, `image build` (drivers.tdk packed in a child
#    process alongside the base) and `image iso`: the command dies of the signal
#    (exit status 128+N), its temporaries (beside the output and in $TMPDIR) are gone, the old output is
#    unchanged, and the tool it was running (a stand-in first in PATH that hangs) does not outlive it;
#  - stdout on a full disk (>/dev/full): every command fails with "writing standard output";
#  - the drivers' child process of `image build` fails: the build fails with its message and writes nothing;
#  - a fifo given as an input file is refused at once, by name, instead of blocking (each under `timeout 10`).
# Needs tar2sqfs; the image iso case also needs what image.sh needs (the setup cache, xorriso, isolinux).
. "$(dirname "$0")/../lib.sh"

PROFILE=$TOP/examples/demo/profile
export MTOOLS_SKIP_CHECK=1
SHARED=$(mktemp -d "${TMPDIR:-/tmp}/ramhost-interrupt-test.XXXXXX")
trap 'rm -rf "$SHARED"' EXIT

# ---- helpers ----

# fake_tool NAME: a stand-in for the tool NAME, first in PATH, that records its pid in $T/tool.pid (written
# whole, by a rename) and hangs until it is killed; $2 = "ignore-term" makes it ignore SIGTERM as well.
fake_tool() {
	mkdir -p "$T/bin"
	{
		echo '#!/bin/sh'
		[ "${2:-}" = ignore-term ] && echo "trap '' TERM"
		echo "echo \$\$ >'$T/tool.pid.new' && mv '$T/tool.pid.new' '$T/tool.pid'"
		echo 'exec sleep 600'
	} >"$T/bin/$1"
	chmod +x "$T/bin/$1"
}

# The stand-in is killed whatever happens (the old binary leaves it running).
kill_tool() {
	if [ -s "$T/tool.pid" ]; then
		kill -KILL "$(cat "$T/tool.pid")" 2>/dev/null || true
	fi
}

# wait_file PATH: polls until PATH exists (at most 20 s).
wait_file() {
	local i
	for i in $(seq 1 400); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for $1"
	return 1
}

# interrupt SIG STATUS CMD...: runs CMD in the background with every signal at its default action (a script's
# background job would ignore SIGINT), with the stand-in tool first in PATH and $T/tmp as TMPDIR; once the tool
# runs, sends SIG to ramhost alone; checks the exit status is STATUS (tool_gone checks the tool is gone).
interrupt() {
	local sig=$1 want=$2 pid rc=0
	shift 2
	mkdir -p "$T/tmp"
	env --default-signal PATH="$T/bin:$PATH" TMPDIR="$T/tmp" "$@" >/dev/null 2>"$T/err" &
	pid=$!
	wait_file "$T/tool.pid"
	kill -"$sig" "$pid"
	wait "$pid" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "exit status $rc, expected $want (killed by SIG$sig)"
		cat "$T/err"
		return 1
	fi
}

tool_gone() {
	if kill -0 "$(cat "$T/tool.pid")" 2>/dev/null; then
		echo "the tool ramhost ran outlived it"
		return 1
	fi
}

# no_leftovers DIR PATTERN: nothing in DIR matches the glob PATTERN, and $T/tmp is empty.
no_leftovers() {
	local left
	left=$(cd "$1" && find . -maxdepth 1 -name "$2" | head -n 5)
	if [ -n "$left" ]; then
		echo "left beside the output: $left"
		return 1
	fi
	left=$(ls -A "$T/tmp")
	if [ -n "$left" ]; then
		echo "left in TMPDIR: $left"
		return 1
	fi
}

src_tree() {
	mkdir -p src/etc
	echo hello >src/etc/hello.conf
	head -c 1048576 /dev/urandom >src/etc/blob
}

vib_desc() {
	cat >desc.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<vib version="1.0">
  <name>stopped</name>
  <version>2.0-1</version>
  <vendor>Interrupt test</vendor>
  <summary>Built only to be interrupted</summary>
  <release-date>2026-12-01T00:00:00Z</release-date>
  <acceptance-level>community</acceptance-level>
</vib>
XML
}

# ---- 5: an interrupted command leaves nothing behind ----

tardisk_create_sigint() {
	trap kill_tool EXIT
	src_tree
	fake_tool tar2sqfs
	echo old >out.tdk
	interrupt INT 130 "$RAMHOST" tardisk create src -o out.tdk --force
	no_leftovers . '.out.tdk.tmp*'
	tool_gone
	[ "$(cat out.tdk)" = old ]
}

tardisk_create_sigterm() {
	trap kill_tool EXIT
	src_tree
	fake_tool tar2sqfs
	mkdir -p sub
	interrupt TERM 143 "$RAMHOST" tardisk create src -o sub/new.tdk
	no_leftovers sub '.new.tdk.tmp*'
	tool_gone
	[ ! -e sub/new.tdk ]
}

tardisk_create_sighup() {
	trap kill_tool EXIT
	src_tree
	fake_tool tar2sqfs
	interrupt HUP 129 "$RAMHOST" tardisk create src -o out.tdk
	no_leftovers . '.out.tdk.tmp*'
	tool_gone
	[ ! -e out.tdk ]
}

# A tool that ignores SIGTERM is killed (SIGKILL after its grace time) before the temporaries go.
tardisk_create_tool_ignores_term() {
	trap kill_tool EXIT
	src_tree
	fake_tool tar2sqfs ignore-term
	interrupt INT 130 "$RAMHOST" tardisk create src -o out.tdk
	no_leftovers . '.out.tdk.tmp*'
	tool_gone
}

vib_create_sigint() {
	trap kill_tool EXIT
	src_tree
	vib_desc
	fake_tool tar2sqfs
	echo old >hello.vib
	interrupt INT 130 "$RAMHOST" vib create --descriptor desc.xml --payload src -o hello.vib --force
	no_leftovers . 'hello.vib.tmp*'
	tool_gone
	[ "$(cat hello.vib)" = old ]
}

# The bootbank the image iso cases start from (built once, a few seconds).
shared_bank() {
	if [ ! -d "$SHARED/bank" ]; then
		"$RAMHOST" image build "$PROFILE" -o "$SHARED/bank.new" -q
		mv "$SHARED/bank.new" "$SHARED/bank"
	fi
}

# SIGINT while drivers.tdk is packed alongside the base: both tar2sqfs (the hanging stand-in, one started by the
# drivers' child process, one by ramhost for base.tdk) are stopped, the child too, and nothing is left.
image_build_sigint_drivers_job() {
	private_cache   # no drivers entry: the build packs drivers.tdk in its child process
	mkdir -p "$T/bin"
	printf '#!/bin/sh\necho $$ $PPID >>"%s/tools"\n[ "$(wc -l <"%s/tools")" -lt 2 ] || touch "%s/tool.pid"\nexec sleep 600\n' \
		"$T" "$T" "$T" >"$T/bin/tar2sqfs"
	chmod +x "$T/bin/tar2sqfs"
	trap 'kill -KILL $(cut -d" " -f1 "$T/tools") 2>/dev/null || true' EXIT
	interrupt INT 130 "$RAMHOST" image build "$PROFILE" -o bank -q
	[ ! -e bank ]
	no_leftovers . 'bank*'
	local p i
	for p in $(cat "$T/tools"); do   # each tar2sqfs, and the process that started it: ramhost and its child
		# the child's tar2sqfs dies of the signal to its group; once its parent is gone it stays a zombie
		# until init reaps it, which kill -0 cannot tell from a live process
		for i in $(seq 1 20); do
			[ -e "/proc/$p" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$p/stat" 2>/dev/null || break
			sleep 0.1
		done
		if [ -e "/proc/$p" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$p/stat" 2>/dev/null; then
			echo "process $p outlived ramhost: $(cat "/proc/$p/stat" 2>/dev/null)"
			return 1
		fi
	done
	[ "$(wc -l <"$T/tools")" -eq 2 ]
	[ "$(cut -d" " -f2 "$T/tools" | sort -u | wc -l)" -eq 2 ]   # started by two processes
}

# The drivers' child process fails (its tar2sqfs does): the build fails with the child's message, writes no
# bootbank and leaves nothing.
image_build_drivers_job_fails() {
	private_cache   # no drivers entry: the build packs drivers.tdk in its child process
	mkdir -p "$T/bin" "$T/tmp"
	printf '#!/bin/sh\ncase "$*" in *drivers.img*) cat >/dev/null; echo "no room for drivers" >&2; exit 3;; esac\nexec %s "$@"\n' \
		"$(command -v tar2sqfs)" >"$T/bin/tar2sqfs"
	chmod +x "$T/bin/tar2sqfs"
	expect_fail env PATH="$T/bin:$PATH" TMPDIR="$T/tmp" "$RAMHOST" image build "$PROFILE" -o bank -q
	expect_err 'drivers\.img: tar2sqfs failed \(exit 3\): no room for drivers$'
	[ ! -e bank ]
	no_leftovers . 'bank*'
}

image_iso_sigterm() {
	trap kill_tool EXIT
	shared_bank
	fake_tool xorriso
	echo old >out.iso
	interrupt TERM 143 "$RAMHOST" image iso --bootbank "$SHARED/bank" -o out.iso -q --force
	no_leftovers . 'out.iso.*'
	tool_gone
	[ "$(cat out.iso)" = old ]
}

# ---- 9: a write error on stdout is a failure ----

# full CMD...: CMD with stdout on /dev/full exits 1 and says so.
full() {
	local rc=0
	"$@" >/dev/full 2>"$T/err" || rc=$?
	if [ "$rc" -ne 1 ]; then
		echo "exit status $rc with stdout on /dev/full: $*"
		cat "$T/err"
		return 1
	fi
	grep -qx 'ramhost: writing standard output: No space left on device' "$T/err" || {
		cat "$T/err"
		return 1
	}
}

shared_fixtures() {
	if [ ! -e "$SHARED/fix.ok" ]; then
		(
			cd "$SHARED"
			mkdir -p src/etc depot
			echo hello >src/etc/hello.conf
			"$RAMHOST" tardisk create src -o a.tdk -q
			T=$SHARED vib_desc
			"$RAMHOST" vib create --descriptor desc.xml --payload src -o depot/hello.vib --quiet
			"$RAMHOST" depot create -q depot
		) && touch "$SHARED/fix.ok"
	fi
}

stdout_full_tardisk_ls() { shared_fixtures; full "$RAMHOST" tardisk ls "$SHARED/a.tdk"; }
stdout_full_tardisk_verify() { shared_fixtures; full "$RAMHOST" tardisk verify "$SHARED/a.tdk"; }
stdout_full_vib_info() { shared_fixtures; full "$RAMHOST" vib info "$SHARED/depot/hello.vib"; }
stdout_full_depot_ls() { shared_fixtures; full "$RAMHOST" depot ls "$SHARED/depot"; }
stdout_full_image_check() { full "$RAMHOST" image check "$PROFILE"; }
stdout_full_du() { shared_fixtures; full "$RAMHOST" du "$SHARED/src"; }
stdout_full_version() { full "$RAMHOST" --version; }

# A command that failed by itself keeps its own status (2: usage) and still reports the write error.
stdout_full_keeps_failure() {
	local rc=0
	"$RAMHOST" tardisk ls >/dev/full 2>"$T/err" || rc=$?
	[ "$rc" -eq 2 ]
}

# ---- 13: a fifo as an input is refused, not read forever ----

# fifo_refused NAME CMD...: CMD (given the fifo NAME) fails within 10 s and names NAME as a fifo.
fifo_refused() {
	local name=$1 rc=0
	shift
	timeout 10 "$@" 2>"$T/err" >/dev/null || rc=$?
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
		echo "exit status $rc (124: still blocked after 10 s): $*"
		return 1
	fi
	grep -q -- "$name: not a regular file (fifo)" "$T/err" || {
		cat "$T/err"
		return 1
	}
}

fifo_tardisk_ls() { mkfifo f.tdk; fifo_refused f.tdk "$RAMHOST" tardisk ls f.tdk; }
fifo_tardisk_verify() { mkfifo f.tdk; fifo_refused f.tdk "$RAMHOST" tardisk verify f.tdk; }
fifo_tardisk_create_source() {
	mkfifo s.tar
	fifo_refused s.tar "$RAMHOST" tardisk create s.tar -o out.tdk
	[ ! -e out.tdk ]
}
fifo_vib_info() { mkfifo f.vib; fifo_refused f.vib "$RAMHOST" vib info f.vib; }
fifo_vib_descriptor() {
	mkdir -p src
	mkfifo desc.xml
	fifo_refused desc.xml "$RAMHOST" vib create --descriptor desc.xml --payload src -o out.vib
}
fifo_image_profile() { mkfifo p.profile; fifo_refused p.profile "$RAMHOST" image check p.profile; }

fifo_image_iso_module() {
	shared_bank
	cp -r "$SHARED/bank" bank
	rm bank/extras.tdk
	mkfifo bank/extras.tdk
	fifo_refused extras.tdk "$RAMHOST" image iso --bootbank bank -o f.iso -q
	[ ! -e f.iso ]
}

t_case tardisk_create_sigint tardisk_create_sigint
t_case tardisk_create_sigterm tardisk_create_sigterm
t_case tardisk_create_sighup tardisk_create_sighup
t_case tardisk_create_tool_ignores_term tardisk_create_tool_ignores_term
t_case vib_create_sigint vib_create_sigint
t_case image_iso_sigterm image_iso_sigterm
t_case image_build_sigint_drivers_job image_build_sigint_drivers_job
t_case image_build_drivers_job_fails image_build_drivers_job_fails
t_case stdout_full_tardisk_ls stdout_full_tardisk_ls
t_case stdout_full_tardisk_verify stdout_full_tardisk_verify
t_case stdout_full_vib_info stdout_full_vib_info
t_case stdout_full_depot_ls stdout_full_depot_ls
t_case stdout_full_image_check stdout_full_image_check
t_case stdout_full_du stdout_full_du
t_case stdout_full_version stdout_full_version
t_case stdout_full_keeps_failure stdout_full_keeps_failure
t_case fifo_tardisk_ls fifo_tardisk_ls
t_case fifo_tardisk_verify fifo_tardisk_verify
t_case fifo_tardisk_create_source fifo_tardisk_create_source
t_case fifo_vib_info fifo_vib_info
t_case fifo_vib_descriptor fifo_vib_descriptor
t_case fifo_image_profile fifo_image_profile
t_case fifo_image_iso_module fifo_image_iso_module
t_exit
