#!/usr/bin/env bash
# tests/run.sh: runs every test tier and prints one summary line "N passed, N failed".
#   unit        build/unit/test_*         (and the same under ASan+UBSan: build/unit-asan/test_*)
#   fuzz        build/fuzz/fuzz_*         a bounded libFuzzer run (20,000 inputs or 30 s) over tests/fuzz/corpus/NAME
#   integration tests/integration/*.sh
#   system      tests/system/test_*.py    QEMU (TCG) boots
# Every test prints "PASS name" / "FAIL name" lines; this script counts them, and lists the ten slowest tests
# and the time of each tier before the summary. RAMHOST_TESTS=unit,fuzz,... limits the tiers; a tier that crashes without printing its
# lines counts as one failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export TOP=$top RAMHOST=${RAMHOST:-$top/${BUILD:-build}/ramhost}
tiers=${RAMHOST_TESTS:-unit,fuzz,integration,system}
pass=0
fail=0
log=$(mktemp)
times=$(mktemp)

# run_one LABEL TIMEOUT CMD...: runs CMD, echoes its output, counts PASS/FAIL lines.
run_one() {
	local label=$1 limit=$2 rc p f t0
	shift 2
	echo "== $label"
	t0=$(date +%s)
	timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
	rc=$?
	echo "$(($(date +%s) - t0)) $label" >>"$times"
	cat "$log"
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $label (exit $rc without a FAIL line)"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
}

has() { case ",$tiers," in *",$1,"*) return 0 ;; esac; return 1; }

# tier_done NAME START: notes how long tier NAME took since START (date +%s), for the summary
tier_times=""
tier_done() {
	tier_times="$tier_times $1 $(($(date +%s) - $2)) s,"
}

tier_t0=$(date +%s)
if has unit; then
	for t in ${BUILD:-build}/unit/test_* ${BUILD:-build}/unit-asan/test_*; do
		[ -x "$t" ] && run_one "$t" 300 "$t"
	done
	tier_done unit "$tier_t0"
fi
tier_t0=$(date +%s)
if has fuzz; then
	for f in ${BUILD:-build}/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=${f##*/fuzz_}
		corpus=tests/fuzz/corpus/$name
		work=$(mktemp -d)
		[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
		mkdir -p "${BUILD:-build}/fuzz-artifacts"
		run_one "$f" 300 bash -c "'$f' -artifact_prefix='${BUILD:-build}/fuzz-artifacts/$name-' -runs=${RAMHOST_FUZZ_RUNS:-20000} -max_total_time=${RAMHOST_FUZZ_SECONDS:-30} \
			-max_len=65536 '$work' \
			&& echo 'PASS fuzz_$name' || { echo 'FAIL fuzz_$name'; exit 1; }"
		rm -rf "$work"
	done
	tier_done fuzz "$tier_t0"
fi
tier_t0=$(date +%s)
if has integration; then
	for t in tests/integration/*.sh; do
		[ -f "$t" ] && run_one "$t" 900 bash "$t"
	done
	tier_done integration "$tier_t0"
fi
tier_t0=$(date +%s)
if has system; then
	for t in tests/system/test_*.py; do
		[ -f "$t" ] && run_one "$t" 1500 python3 "$t"
	done
	tier_done system "$tier_t0"
fi
echo "== the ten slowest (seconds)"
sort -rn "$times" | head -n 10
echo "== time per tier:${tier_times%,}"
rm -f "$log" "$times"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
