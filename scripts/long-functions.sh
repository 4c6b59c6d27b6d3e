#!/usr/bin/env bash
# scripts/long-functions.sh [MIN] [FILES...]: the functions of MIN (default 80) lines or more, longest first, as
# "LINES FILE:LINE NAME". Without FILES: every C file git tracks outside tests/. Uses universal-ctags.
set -euo pipefail
min=${1:-80}
shift || true
cd "$(dirname "$0")/.."
files=("$@")
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(git ls-files '*.c' | grep -v '^tests/')
ctags --c-kinds=f --fields=+ne -o - "${files[@]}" 2>/dev/null |
	awk -F'\t' -v min="$min" '{
		line = ""; end = "";
		for (i = 4; i <= NF; i++) {
			if ($i ~ /^line:/) line = substr($i, 6);
			if ($i ~ /^end:/) end = substr($i, 5);
		}
		if (line != "" && end != "" && end - line + 1 >= min) printf "%d %s:%d %s\n", end - line + 1, $2, line, $1;
	}' | sort -rn
