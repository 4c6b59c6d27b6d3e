#!/usr/bin/env bash
# ramdisk/test/qemu-boot.sh: boots the init of this tree for real, without the image builder.
#
# Builds a throwaway bootbank in $OUT (default a temp dir): init.cpio (build/init, busybox, squashfs/loop/overlay
# modules, init.conf), two tardisks (base: busybox + ramhost with its shared libraries, usr-merged; extra: /opt
# and an /etc file on top of the base's), bootcfg.cpio, then boots them under QEMU (TCG) as one concatenated
# initrd and waits for the ready line. Options through the environment:
#   BUILD=build-rd  the build directory holding init and ramhost      KEEP=1      keep $OUT
#   APPEND="..."    extra kernel command line (e.g. ramhost.break)     CORRUPT=1   flip a byte of base.tdk
#   TIMEOUT=300     seconds to wait for the expected line              EXPECT=re   line to wait for
# Exits 0 when the console showed EXPECT (default the ready line). The console log is $OUT/console.log.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/${BUILD:-build}
cache=${RAMHOST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ramhost}
kdir=$cache/kernel
vmlinuz=$(ls "$kdir"/boot/vmlinuz-* | head -n1)
kver=${vmlinuz##*/vmlinuz-}
busybox=$cache/busybox-static/bin/busybox
out=${OUT:-$(mktemp -d /tmp/ramhost-boot.XXXXXX)}
expect=${EXPECT:-'^ramhost: ready bank=1 tardisks=2 state=none boot_ms=[0-9]+ build=qemu-test-1'}
mkdir -p "$out"
cd "$out"
rm -rf initroot base extra mods consroot cfgroot

# The canonical module wrapper comes from lib/cpio.c: a few lines of C calling cpio_wrap_file().
cat >wrap.c <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include "cpio.h"
int main(int argc, char **argv)
{
	struct rh_err err = { 0 };
	struct stat st;
	int in = open(argv[1], O_RDONLY), out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	(void)argc;
	if (in < 0 || out < 0 || fstat(in, &st) < 0)
		return perror(argv[1]), 1;
	if (cpio_wrap_file(out, "tardisks", argv[3], in, (unsigned long long)st.st_size, &err) < 0)
		return fprintf(stderr, "%s\n", err.msg), 1;
	return 0;
}
C
cc -std=c11 -D_GNU_SOURCE -I"$top/lib" -o wrap wrap.c "$top/lib/cpio.c" "$top/lib/sha256.c" "$top/lib/err.c"

# init module
mkdir -p initroot/{bin,dev,proc,sys,run,sysroot,tardisks,etc/ramhost}
cp "$build/init" initroot/init
cp "$busybox" initroot/bin/busybox
ln -s busybox initroot/bin/sh
kmods="kernel/fs/squashfs/squashfs.ko kernel/drivers/block/loop.ko kernel/fs/overlayfs/overlay.ko"
{
	echo "# init.conf for the qemu boot test"
	echo "kver=$kver"
	for m in $kmods; do
		mkdir -p "initroot/lib/modules/$kver/${m%/*}"
		cp "$kdir/lib/modules/$kver/$m" "initroot/lib/modules/$kver/$m"
		echo "kmod=$m"
	done
	echo "ramdisk=root / 33554432 8192"
	echo "ramdisk=etc /etc 8388608 2048"
	echo "ramdisk=var /var 67108864 8192"
	echo "ramdisk=tmp /tmp 67108864 8192"
	echo "ramdisk=run /run 16777216 4096"
	echo "init=/sbin/init"
} >initroot/etc/ramhost/init.conf
(cd initroot && { find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort; } | cpio -o -H newc -R 0:0 --quiet) >init.cpio
# /dev/console must exist before the kernel runs /init: cpio can only take it from a real node, so add it by
# appending a second archive made with mknod (we are root).
mkdir -p consroot/dev && rm -f consroot/dev/console && mknod consroot/dev/console c 5 1
(cd consroot && echo dev/console | cpio -o -H newc -R 0:0 --quiet) >>init.cpio

# base tardisk: busybox + ramhost, usr-merged
mkdir -p base/usr/bin base/usr/sbin base/usr/lib base/usr/lib64 base/etc base/var/log base/root base/home
cp "$busybox" base/usr/bin/busybox
for a in $("$busybox" --list); do [ -e base/usr/bin/$a ] || ln -s busybox base/usr/bin/$a; done
ln -s ../bin/busybox base/usr/sbin/init
cp "$build/ramhost" base/usr/bin/ramhost
for lib in $(ldd "$build/ramhost" | grep -o '/[^ ]*'); do
	case $lib in
	*/ld-linux*) cp -L "$lib" base/usr/lib64/ ;;
	*) mkdir -p base/usr/lib/x86_64-linux-gnu && cp -L "$lib" base/usr/lib/x86_64-linux-gnu/ ;;
	esac
done
ln -s usr/bin base/bin; ln -s usr/sbin base/sbin; ln -s usr/lib base/lib; ln -s usr/lib64 base/lib64
cat >base/etc/inittab <<'TAB'
::sysinit:/usr/bin/ramhost ready
::sysinit:/bin/sh /etc/boot-check.sh
ttyS0::respawn:-/bin/sh
TAB
# prints what the boot built, for whoever reads console.log
cat >base/etc/boot-check.sh <<'CHK'
echo "check: layer=$(cat /etc/layer) hostname=$(cat /etc/hostname) opt=$(cat /opt/extra/hello)"
echo "check: usr/share/extra=$(cat /usr/share/extra/readme) var=$(cat /var/lib/demo/file)"
echo "check: bin -> $(readlink /bin)"
cat /proc/mounts | sed 's/^/check: mount: /'
ramhost df
ramhost df -h
cat /run/ramhost/boot.env | sed 's/^/check: boot.env: /'
echo "check: done"
CHK
echo "root:x:0:0:root:/root:/bin/sh" >base/etc/passwd
echo "base" >base/etc/layer
echo "hostname-from-base" >base/etc/hostname
mkdir -p base/var/lib/demo && echo data >base/var/lib/demo/file
# extra tardisk: later layer wins
mkdir -p extra/opt/extra extra/etc extra/usr/share/extra
echo "hello from extra" >extra/opt/extra/hello
echo "extra" >extra/etc/layer
echo "in usr of extra" >extra/usr/share/extra/readme

for t in base extra; do
	mksquashfs "$t" "$t.sqfs" -all-root -noappend -comp xz -quiet >/dev/null
	mkdir -p mods
	./wrap "$t.sqfs" "mods/$t.tdk" "$t.tdk"
done
if [ "${CORRUPT:-0}" = 1 ]; then
	printf 'X' | dd of=mods/base.tdk bs=1 seek=4096 conv=notrunc status=none
fi
sha() { sha256sum "$1" | cut -d' ' -f1; }
{
	echo "title=qemu boot test"
	echo "build=qemu-test-1"
	echo "kernel=vmlinuz"
	echo "kernelopt=console=ttyS0"
	echo "modules=init.cpio --- base.tdk --- extra.tdk"
	echo "hash.vmlinuz=sha256:$(sha "$vmlinuz")"
	echo "hash.init.cpio=sha256:$(sha init.cpio)"
	# the hash is over the clean module: CORRUPT=1 must be caught by init
	echo "hash.base.tdk=sha256:$(./wrap base.sqfs /dev/stdout base.tdk | sha256sum | cut -d' ' -f1)"
	echo "hash.extra.tdk=sha256:$(sha mods/extra.tdk)"
} >boot.cfg
mkdir -p cfgroot && cp boot.cfg cfgroot/boot.cfg
(cd cfgroot && echo boot.cfg | cpio -o -H newc -R 0:0 --quiet) >bootcfg.cpio

# QEMU 7.2 (Debian 12) takes one -initrd file only: concatenate the modules as a multi-initrd loader would.
rm -f console.log qemu.log
cat init.cpio mods/base.tdk mods/extra.tdk bootcfg.cpio >initrd.img
echo "booting $vmlinuz with init.cpio + base.tdk + extra.tdk + bootcfg.cpio in $out"
qemu-system-x86_64 -accel tcg -m 1024 -display none -monitor none -serial file:console.log -no-reboot \
	-kernel "$vmlinuz" -initrd initrd.img \
	-append "console=ttyS0 panic=-1 ramhost.bank=1 ${APPEND:-}" </dev/null >qemu.log 2>&1 &
qpid=$!
rc=1
for _ in $(seq 1 "${TIMEOUT:-300}"); do
	if grep -Eq "$expect" console.log 2>/dev/null; then rc=0; break; fi
	kill -0 $qpid 2>/dev/null || break
	sleep 1
done
# let the lines after the expected one reach the log
[ $rc = 0 ] && sleep "${SETTLE:-5}"
kill $qpid 2>/dev/null || true
wait $qpid 2>/dev/null || true
cat qemu.log
grep -a -E -A40 'ramhost|Kernel panic' console.log | grep -av '^\[' || true
[ "${KEEP:-0}" = 1 ] || [ -n "${OUT:-}" ] || rm -rf "$out"
exit $rc
