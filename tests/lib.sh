# tests/lib.sh: helpers for the shell integration tests, sourced by tests/integration/*.sh.
#
# Each test file runs its cases with `t_case NAME FUNCTION`: the function runs in a subshell, in a fresh temporary
# directory ($T) that is removed afterwards, with `set -e`; a non-zero exit is a failure. Every case prints one
# line "PASS name" or "FAIL name", which tests/run.sh counts.
#   $RAMHOST  absolute path of the ramhost binary under test (build/ramhost)
#   $TOP      the repository's top directory; $FIX the fixtures directory
set -u
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
RAMHOST=${RAMHOST:-$TOP/build/ramhost}
FIX=$TOP/tests/fixtures
t_failed=0

t_case() {
	local name=$1 fn=$2 dir log rc
	dir=$(mktemp -d "${TMPDIR:-/tmp}/ramhost-test.XXXXXX")
	log=$dir.log
	( set -e; cd "$dir"; T=$dir; "$fn" ) >"$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "PASS $name"
	else
		echo "FAIL $name (exit $rc)"
		sed 's/^/    /' "$log" | tail -n 40
		t_failed=1
	fi
	rm -rf "$dir" "$log"
}

# expect_fail CMD...: CMD must exit non-zero; its stderr is kept in $T/err for the checks that follow.
expect_fail() {
	if "$@" 2>"$T/err"; then
		echo "expected failure, but it succeeded: $*"
		return 1
	fi
	return 0
}

# expect_err PATTERN: the last expect_fail's stderr matches the extended regex PATTERN.
expect_err() {
	if ! grep -Eq -- "$1" "$T/err"; then
		echo "error output does not match '$1':"
		cat "$T/err"
		return 1
	fi
}

# The real cache (scripts/setup.sh's downloads: the kernel, busybox), as ramhost finds it.
REAL_CACHE=${RAMHOST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ramhost}

# private_cache [NAME...]: $T/cache becomes RAMHOST_CACHE, borrowing only the real cache's kernel and busybox
# (setup's downloads) and the entries NAME... (e.g. drivers), so that a build makes its tardisks itself instead
# of copying them from the real cache.
private_cache() {
	local real=$REAL_CACHE f n
	mkdir -p "$T/cache"
	for f in "$real"/kernel "$real"/kernel-* "$real"/busybox-static; do
		[ -e "$f" ] && ln -s "$f" "$T/cache/"
	done
	for n in "$@"; do
		[ -e "$real/$n" ] && ln -s "$real/$n" "$T/cache/"
	done
	export RAMHOST_CACHE=$T/cache
}

# pxe_fake_image DIR NAME: an image directory as `ramhost image pxe` writes it (image.conf, boot.cfg, a/HEX for
# every file boot.cfg names, ramhost.efi), with tiny text files for the kernel and init module: for the PXE
# server's tests that serve files and scripts without booting them.
pxe_fake_image() {
	local dir=$1 name=$2 hk hm
	mkdir -p "$dir/a"
	printf 'kernel of %s\n' "$name" >"$dir/.k"
	printf 'init module of %s\n' "$name" >"$dir/.m"
	hk=$(sha256sum <"$dir/.k" | cut -d' ' -f1)
	hm=$(sha256sum <"$dir/.m" | cut -d' ' -f1)
	mv "$dir/.k" "$dir/a/$hk"
	mv "$dir/.m" "$dir/a/$hm"
	printf 'name=%s\nbuild=1.0\nserver-cert-sha256=none\n' "$name" >"$dir/image.conf"
	printf 'title=%s\nkernel=vmlinuz\nmodules=init.cpio\nkernelopt=console=ttyS0\nhash.vmlinuz=sha256:%s\nhash.init.cpio=sha256:%s\n' \
		"$name" "$hk" "$hm" >"$dir/boot.cfg"
	printf 'efi\n' >"$dir/ramhost.efi"
}

t_exit() { exit $t_failed; }
