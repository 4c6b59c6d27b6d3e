#!/usr/bin/env bash
# scripts/check-test-asserts.sh [DIR]: finds assertions in the shell tests (DIR, default tests/) that can never
# fail a case. Under `set -e` (tests/lib.sh's t_case), a line `! cmd` is exempt from errexit: when cmd succeeds
# the case goes on. Such a line must be written `! cmd || false` (the `false` is then a command errexit sees),
# or be part of an && / || list that decides. Prints each offending FILE:LINE and exits 1 when there is one.
set -u
dir=${1:-$(cd "$(dirname "$0")/.." && pwd)/tests}
bad=$(grep -rnE --include='*.sh' '^[[:space:]]*! ' "$dir" | grep -vE '(\|\||&&)' )
if [ -n "$bad" ]; then
	printf '%s\n' "$bad" | sed 's/^/check-test-asserts: a "! cmd" line that never fails the case (write "! cmd || false"): /' >&2
	exit 1
fi
exit 0
