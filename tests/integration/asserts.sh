#!/usr/bin/env bash
# tests/integration/asserts.sh: the shell tests' assertions can fail. Under t_case's `set -e` a `! cmd` line is
# exempt from errexit (bash(1): "the shell does not exit if ... the command's return status is being inverted
# with !"), so it must read `! cmd || false`. scripts/check-test-asserts.sh finds the ones that do not: the tree
# has none; a test file with one is named; and the pitfall itself is shown (a case whose `! true` goes on).
. "$(dirname "$0")/../lib.sh"

case_tree_clean() {
	bash "$TOP/scripts/check-test-asserts.sh" "$TOP/tests" 2>err
	[ ! -s err ]
}

case_offender_named() {
	mkdir -p t
	printf 'f() {\n\t! grep -q x y\n\techo more\n}\ng() {\n\t! grep -q x y || false\n}\n' >t/a.sh
	expect_fail bash "$TOP/scripts/check-test-asserts.sh" "$T/t"
	expect_err "t/a.sh:2:"
	if grep -q "a.sh:6" "$T/err"; then
		echo "the '|| false' form was reported"
		return 1
	fi
}

case_pitfall_is_real() {
	# `! true` in the middle of a set -e function goes on; `! true || false` stops it
	bash -c 'set -e; f() { ! true; echo went-on; }; f' >out1
	grep -q went-on out1
	if bash -c 'set -e; f() { ! true || false; echo went-on; }; f' >out2; then
		echo "'! true || false' did not stop the function"
		return 1
	fi
	! grep -q went-on out2 || false
}

t_case asserts_tree_clean case_tree_clean
t_case asserts_offender_named case_offender_named
t_case asserts_pitfall_is_real case_pitfall_is_real
t_exit
