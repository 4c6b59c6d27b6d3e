#!/usr/bin/env bash
# tests/integration/bench_refs.sh: every name a benchmark takes from the system tests' modules exists
# (scripts/check-bench-refs.py), so that a test refactor cannot break `make bench`, which make check does not run;
# and the checker names a benchmark that uses a missing helper, either way it is imported.
. "$(dirname "$0")/../lib.sh"

case_benches_clean() {
	python3 "$TOP/scripts/check-bench-refs.py" 2>err
	[ ! -s err ]
}

case_missing_name_found() {
	printf 'import test_vib_live as t\nfrom qemu import Vm, no_such_helper\nprint(t.FIX, t.PROFILE_DIR)\n' >b.py
	expect_fail python3 "$TOP/scripts/check-bench-refs.py" "$T/b.py"
	expect_err "b.py:2: qemu.no_such_helper"
	expect_err "b.py:3: test_vib_live.PROFILE_DIR"
	if grep -q "test_vib_live.FIX\|qemu.Vm" "$T/err"; then
		echo "a name that exists was reported"
		return 1
	fi
}

t_case bench_refs_clean case_benches_clean
t_case bench_refs_missing_name_found case_missing_name_found
t_exit
