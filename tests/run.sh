#!/usr/bin/env bash
# tests/run.sh: runs every test tier and prints one summary line "N passed, N failed".
#   unit        build/unit/test_*         (and the same under ASan+UBSan: build/unit-asan/test_*)
#   fuzz        build/fuzz/fuzz_*         a bounded libFuzzer run (20,000 inputs or 30 s) over tests/fuzz/corpus/NAME
#   integration tests/integration/*.sh
#   system      tests/system/test_*.py    QEMU (TCG) boots
# Every test prints "PASS name" / "FAIL name" lines; this script counts them, and lists the ten slowest tests
# and the time of each tier before the summary. RAMHOST_TESTS=unit,fuzz,... limits the tiers; a tier that crashes
# without printing its lines counts as one failure.
# Tests of a tier run RAMHOST_JOBS at a time (default 2, one per core of the CI machine; 1 runs them one by one):
# every test keeps its files in its own temporary directory, its network in namespaces named after its PID, and
# shares only caches that are written by rename. Each test's output is printed whole when it ends. The slowest
# tests start first (SLOW_FIRST), so that the tier does not end with one long test running alone.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export TOP=$top RAMHOST=${RAMHOST:-$top/${BUILD:-build}/ramhost}
tiers=${RAMHOST_TESTS:-unit,fuzz,integration,system}
pass=0
fail=0

times=$(mktemp)

jobs_max=${RAMHOST_JOBS:-2}
declare -A job_label job_log
running=0

# start_one LABEL TIMEOUT CMD...: starts CMD in the background (once a slot is free), its output in its own log
start_one() {
	local label=$1 limit=$2 l
	shift 2
	while [ "$running" -ge "$jobs_max" ]; do
		reap_one
	done
	l=$(mktemp)
	echo "$(date +%s)" >"$l.t0"
	timeout --kill-after=10 "$limit" "$@" >"$l" 2>&1 &
	job_label[$!]=$label
	job_log[$!]=$l
	running=$((running + 1))
}

# reap_one: waits for one test to end, prints its output and counts its PASS/FAIL lines
reap_one() {
	local pid rc label l p f
	wait -n -p pid
	rc=$?
	label=${job_label[$pid]}
	l=${job_log[$pid]}
	unset "job_label[$pid]" "job_log[$pid]"
	running=$((running - 1))
	echo "$(($(date +%s) - $(cat "$l.t0"))) $label" >>"$times"
	echo "== $label"
	cat "$l"
	p=$(grep -c '^PASS ' "$l")
	f=$(grep -c '^FAIL ' "$l")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $label (exit $rc without a FAIL line)"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	rm -f "$l" "$l.t0"
}

# drain: waits for every running test (the end of a tier)
drain() {
	while [ "$running" -gt 0 ]; do
		reap_one
	done
}

# slow_first FILE...: the files in the order to start them: those named in SLOW_FIRST first, in its order
SLOW_FIRST="test_state test_rescue_matrix test_efi_loader test_debian test_boot_matrix test_pxe test_bootbank_update
	test_rescue test_install test_vib_live test_bios_iso test_efi_net rescue debootstrap rescue_grub image pxe_serve
	test_rsa_verify test_rescue_ops test_tftp_server test_vib_fetch test_rescue_engine"
slow_first() {
	local name f
	for name in $SLOW_FIRST; do
		for f in "$@"; do
			[ "$(basename "${f%.*}")" = "$name" ] && echo "$f"
		done
	done
	for f in "$@"; do
		case " $(echo $SLOW_FIRST) " in *" $(basename "${f%.*}") "*) ;; *) echo "$f" ;; esac
	done
}

has() { case ",$tiers," in *",$1,"*) return 0 ;; esac; return 1; }

# tier_done NAME START: notes how long tier NAME took since START (date +%s), for the summary
tier_times=""
tier_done() {
	tier_times="$tier_times $1 $(($(date +%s) - $2)) s,"
}

tier_t0=$(date +%s)
if has unit; then
	# the sanitizer builds first: they are the slower of each pair
	for t in $(slow_first ${BUILD:-build}/unit-asan/test_* ${BUILD:-build}/unit/test_*); do
		[ -x "$t" ] && start_one "$t" 300 "$t"
	done
	drain
	tier_done unit "$tier_t0"
fi
tier_t0=$(date +%s)
if has fuzz; then
	for f in ${BUILD:-build}/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=${f##*/fuzz_}
		mkdir -p "${BUILD:-build}/fuzz-artifacts"
		# the corpus is copied to a scratch directory: libFuzzer adds the inputs it finds to it
		start_one "$f" 300 bash -c "work=\$(mktemp -d) && trap 'rm -rf \"\$work\"' EXIT && \
			{ [ ! -d tests/fuzz/corpus/$name ] || cp -r tests/fuzz/corpus/$name/. \"\$work\"/; } && \
			'$f' -artifact_prefix='${BUILD:-build}/fuzz-artifacts/$name-' -runs=${RAMHOST_FUZZ_RUNS:-20000} \
			-max_total_time=${RAMHOST_FUZZ_SECONDS:-30} -max_len=65536 \"\$work\" \
			&& echo 'PASS fuzz_$name' || { echo 'FAIL fuzz_$name'; exit 1; }"
	done
	drain
	tier_done fuzz "$tier_t0"
fi
tier_t0=$(date +%s)
if has integration; then
	for t in $(slow_first tests/integration/*.sh); do
		[ -f "$t" ] && start_one "$t" 900 bash "$t"
	done
	drain
	tier_done integration "$tier_t0"
fi
tier_t0=$(date +%s)
if has system; then
	for t in $(slow_first tests/system/test_*.py); do
		[ -f "$t" ] && start_one "$t" 1500 python3 "$t"
	done
	drain
	tier_done system "$tier_t0"
fi
echo "== the ten slowest (seconds)"
sort -rn "$times" | head -n 10
echo "== time per tier:${tier_times%,}"
rm -f "$times"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
