#!/usr/bin/env bash
# tests/integration/state.sh: `ramhost state` on temporary roots and stores: what is sticky (sticky bit, pattern
# lists, symlinks by pattern, deletions of sticky defaults), what a generation keeps (content, mode, owner,
# mtime, xattrs), keep-N, --dry-run, --if-changed, diff, restore, boot with damaged generations, a full store
# (a tiny tmpfs), hostile archives, and the state partition found on a GPT loop device. Runs itself in a
# private mount namespace (needs root) for its tmpfs and loop mounts.
if [ -z "${RAMHOST_TEST_NS:-}" ]; then
	exec unshare -m --propagation private env RAMHOST_TEST_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"

mnt() {
	mkdir -p "$3"
	mount -t "$1" -o "$2" "ramhost-test" "$3"
	echo "$3" >>"$T/.mounts"
}
cleanup() {
	[ -f "$T/.mounts" ] && tac "$T/.mounts" | while read -r m; do umount -l "$m" 2>/dev/null || true; done
	[ -f "$T/.loops" ] && while read -r l; do losetup -d "$l" 2>/dev/null || true; done <"$T/.loops"
	return 0
}

# setxattr FILE NAME VALUE (no attr package needed)
setxattr() { python3 -c "import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())" "$@"; }
getxattr() { python3 -c "import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2]).decode())" "$@"; }

# A root with: a file with the sticky bit, files matched by sticky.list and by a sticky.d list, a symlink by
# pattern, a directory pattern, files that are not sticky, and excluded trees that hold sticky-looking files.
make_root() {
	local r=$1
	mkdir -p "$r"/etc/ssh "$r"/root/.ssh "$r"/var/lib/app "$r"/run/ramhost "$r"/usr/lib/ramhost/sticky.d "$r"/tmp "$r"/usr/bin
	echo host1 >"$r/etc/hostname"
	chmod 1644 "$r/etc/hostname"
	echo key >"$r/etc/ssh/ssh_host_ed25519_key"
	chmod 600 "$r/etc/ssh/ssh_host_ed25519_key"
	echo cfg >"$r/etc/ssh/sshd_config"                  # not sticky
	echo authorized >"$r/root/.ssh/authorized_keys"     # below a directory pattern
	echo data >"$r/var/lib/app/db"
	ln -s /usr/share/zoneinfo/UTC "$r/etc/localtime"
	ln -s hostname "$r/etc/not-sticky-link"
	printf '# profile patterns\n/etc/ssh/ssh_host_*\n/root/.ssh\n/etc/localtime\n' >"$r/run/ramhost/sticky.list"
	echo /var/lib/app/db >"$r/usr/lib/ramhost/sticky.d/app.list"
	echo t >"$r/tmp/sticky-in-tmp" && chmod 1644 "$r/tmp/sticky-in-tmp"     # /tmp is never saved
	echo u >"$r/usr/bin/tool" && chmod 1755 "$r/usr/bin/tool"               # /usr is read-only: never saved
}

save_list_show() {
	make_root "$T/root"
	mkdir "$T/store"
	"$RAMHOST" state save --root "$T/root" --store "$T/store" | tee "$T/out"
	grep -Eq "^ramhost state: saved generation 1 \(5 files, [0-9]+ bytes\) to $T/store/state-00000001.rhs\$" "$T/out"
	[ "$(ls -A "$T/store")" = "state-00000001.rhs" ]
	"$RAMHOST" state list --store "$T/store" | tee "$T/list"
	grep -Eq '^1 +[0-9T:Z-]+ +5 +[0-9]+ +ok$' "$T/list"
	"$RAMHOST" state show --store "$T/store" | tee "$T/show"
	[ "$(awk '$1 ~ /^[fld]$/ {print $1, $2, $NF}' "$T/show")" = "f 1644 /etc/hostname
l 0777 /etc/localtime
f 0600 /etc/ssh/ssh_host_ed25519_key
f 0644 /root/.ssh/authorized_keys
f 0644 /var/lib/app/db" ]
	"$RAMHOST" state show --json --generation 1 --store "$T/store" |
		python3 -c "import json,sys; j=json.load(sys.stdin); assert j['generation']==1 and len(j['entries'])==5, j"
	"$RAMHOST" state list --json --store "$T/store" |
		python3 -c "import json,sys; j=json.load(sys.stdin); g=j['generations']; assert len(g)==1 and g[0]['valid'] and g[0]['files']==5, j"
}

# Everything a generation keeps comes back on a fresh root: content, mode with the sticky bit, owner, mtime
# (nanoseconds), xattrs (user.* on tmpfs), symlink targets.
restore_keeps_metadata() {
	trap cleanup EXIT
	mnt tmpfs size=8m "$T/root"
	mnt tmpfs size=8m "$T/new"
	make_root "$T/root"
	chown 1234:5678 "$T/root/var/lib/app/db"
	TZ=UTC touch -d '2021-02-03 04:05:06.123456789' "$T/root/var/lib/app/db"
	setxattr "$T/root/etc/hostname" user.origin "built by test"
	setxattr "$T/root/etc/hostname" user.second ""
	printf 'bin\0ary\n' >"$T/root/root/.ssh/binary" && chmod 4755 "$T/root/root/.ssh/binary"
	mkdir "$T/store"
	"$RAMHOST" state save --root "$T/root" --store "$T/store"
	"$RAMHOST" state restore --generation 1 --root "$T/new" --store "$T/store" | tee "$T/out"
	grep -q "^ramhost state: restored generation 1 (6 files) to $T/new\$" "$T/out"
	for f in etc/hostname etc/ssh/ssh_host_ed25519_key root/.ssh/authorized_keys root/.ssh/binary var/lib/app/db; do
		cmp "$T/root/$f" "$T/new/$f"
		[ "$(stat -c '%a %u %g %y' "$T/root/$f")" = "$(stat -c '%a %u %g %y' "$T/new/$f")" ] ||
			{ echo "$f: $(stat -c '%a %u %g %y' "$T/root/$f") vs $(stat -c '%a %u %g %y' "$T/new/$f")"; exit 1; }
	done
	[ "$(stat -c %a "$T/new/etc/hostname")" = 1644 ]
	[ "$(stat -c %a "$T/new/root/.ssh/binary")" = 4755 ]
	[ "$(stat -c '%u:%g %.9Y' "$T/new/var/lib/app/db")" = "1234:5678 1612325106.123456789" ]
	[ "$(getxattr "$T/new/etc/hostname" user.origin)" = "built by test" ]
	[ "$(readlink "$T/new/etc/localtime")" = /usr/share/zoneinfo/UTC ]
	[ ! -e "$T/new/etc/ssh/sshd_config" ] && [ ! -e "$T/new/tmp/sticky-in-tmp" ] && [ ! -e "$T/new/usr/bin/tool" ]
	# the restored root is the saved one: a diff against it is empty (with the same pattern lists, which init
	# puts in /run and the tardisks in /usr, neither of them saved)
	mkdir -p "$T/new/run" "$T/new/usr"
	cp -a "$T/root/run/ramhost" "$T/new/run/"
	cp -a "$T/root/usr/lib" "$T/new/usr/"
	"$RAMHOST" state diff --root "$T/new" --store "$T/store" >"$T/diff"
	[ ! -s "$T/diff" ] || { cat "$T/diff"; exit 1; }
	# an xattr change alone is a change
	setxattr "$T/new/etc/hostname" user.origin "changed"
	[ "$("$RAMHOST" state diff --root "$T/new" --store "$T/store")" = "M /etc/hostname" ]
}

# A sticky default of a tardisk that the user deleted is saved as a deletion and deleted again on restore.
deletions_of_defaults() {
	make_root "$T/root"
	mkdir -p "$T/root/run/ramhost/tardisks/base/etc/ssh" "$T/new/etc/ssh"
	echo default >"$T/root/run/ramhost/tardisks/base/etc/ssh/ssh_host_rsa_key"     # sticky by pattern
	echo default >"$T/root/run/ramhost/tardisks/base/etc/issue" && chmod 1644 "$T/root/run/ramhost/tardisks/base/etc/issue"
	echo default >"$T/root/run/ramhost/tardisks/base/etc/motd"                     # not sticky
	cp -p "$T/root/run/ramhost/tardisks/base/etc/issue" "$T/root/etc/issue"        # still there: no deletion
	mkdir "$T/store"
	"$RAMHOST" state save --root "$T/root" --store "$T/store"
	"$RAMHOST" state show --store "$T/store" | grep -E '^d ' >"$T/dels"
	[ "$(awk '{print $NF}' "$T/dels")" = "/etc/ssh/ssh_host_rsa_key" ] || { cat "$T/dels"; exit 1; }
	# the new host has the image default again; restoring deletes it, and leaves non-sticky files alone
	echo default >"$T/new/etc/ssh/ssh_host_rsa_key"
	echo mine >"$T/new/etc/motd"
	"$RAMHOST" state restore --generation 1 --root "$T/new" --store "$T/store"
	[ ! -e "$T/new/etc/ssh/ssh_host_rsa_key" ] && [ -f "$T/new/etc/motd" ] && [ -f "$T/new/etc/ssh/ssh_host_ed25519_key" ]
	# deleting a saved sticky default later shows in diff as D
	rm "$T/root/etc/issue"
	[ "$("$RAMHOST" state diff --root "$T/root" --store "$T/store")" = "D /etc/issue" ]
}

# With boot.env, only the writable ramdisks are walked (not /tmp, /run), and never across into another mount.
boot_env_trees() {
	make_root "$T/root"
	mkdir -p "$T/root/home/u" "$T/root/srv"
	echo h >"$T/root/home/u/file" && chmod 1600 "$T/root/home/u/file"
	cat >"$T/root/run/ramhost/boot.env" <<-ENV
	bank=1
	ramdisk=root / 33554432 8192
	ramdisk=etc /etc 8388608 2048
	ramdisk=tmp /tmp 8388608 2048
	ramdisk=run /run 8388608 2048
	ENV
	mkdir "$T/store"
	"$RAMHOST" state save --dry-run --root "$T/root" --store "$T/store" | tee "$T/out"
	grep -q '^  f /home/u/file$' "$T/out"
	grep -q '^  f /var/lib/app/db$' "$T/out"
	grep -q '^  f /etc/hostname$' "$T/out"
	! grep -q 'sticky-in-tmp\|/usr/bin/tool' "$T/out" || false
	# an /etc that is its own ramdisk is walked once, as its own tree
	[ "$(grep -c '^  f /etc/hostname$' "$T/out")" = 1 ]
}

keep_n_pruning() {
	make_root "$T/root"
	mkdir "$T/store"
	for i in 1 2 3 4; do
		echo "$i" >>"$T/root/etc/hostname"
		"$RAMHOST" state save --root "$T/root" --store "$T/store" >/dev/null
	done
	[ "$(ls "$T/store" | tr '\n' ' ')" = "state-00000002.rhs state-00000003.rhs state-00000004.rhs " ]
	"$RAMHOST" state save --keep 1 --root "$T/root" --store "$T/store" >/dev/null
	[ "$(ls -A "$T/store")" = "state-00000005.rhs" ]
	# numbers are never reused: after a gap the next one is the highest + 1
	"$RAMHOST" state save --keep 2 --json --root "$T/root" --store "$T/store" |
		python3 -c "import json,sys; j=json.load(sys.stdin); assert j['generation']==6 and j['written'] and j['pruned']==0, j"
	[ "$(ls -A "$T/store" | tr '\n' ' ')" = "state-00000005.rhs state-00000006.rhs " ]
	# stale temporaries of a cut-off save are ignored by readers and removed by the next save
	echo junk >"$T/store/.state-00000007.rhs.tmp"
	"$RAMHOST" state list --store "$T/store" | grep -c ' ok$' | grep -qx 2
	"$RAMHOST" state save --root "$T/root" --store "$T/store" >/dev/null
	[ "$(ls -A "$T/store" | tr '\n' ' ')" = "state-00000005.rhs state-00000006.rhs state-00000007.rhs " ]
}

dry_run_writes_nothing() {
	make_root "$T/root"
	mkdir "$T/store"
	"$RAMHOST" state save --root "$T/root" --store "$T/store" >/dev/null
	before=$(ls -lA --time-style=full-iso "$T/store"; sha256sum "$T/store"/*)
	echo changed >>"$T/root/etc/hostname"
	"$RAMHOST" state save --dry-run --root "$T/root" --store "$T/store" | tee "$T/out"
	grep -q "^ramhost state: would save generation 2 (5 files, [0-9]* bytes of content, 0 deletions) to $T/store/state-00000002.rhs\$" "$T/out"
	[ "$before" = "$(ls -lA --time-style=full-iso "$T/store"; sha256sum "$T/store"/*)" ]
}

if_changed() {
	make_root "$T/root"
	mkdir "$T/store"
	# no generation yet: --if-changed saves
	"$RAMHOST" state save --if-changed --root "$T/root" --store "$T/store" | grep -q 'saved generation 1 '
	"$RAMHOST" state save --if-changed --root "$T/root" --store "$T/store" | tee "$T/out"
	[ "$(cat "$T/out")" = "ramhost state: nothing changed since generation 1" ]
	[ "$(ls -A "$T/store")" = "state-00000001.rhs" ]
	# a non-sticky change is no change
	echo x >"$T/root/etc/ssh/sshd_config"
	"$RAMHOST" state save --if-changed --root "$T/root" --store "$T/store" | grep -q 'nothing changed'
	# content, mode, owner, mtime, a new file and a deletion each are
	n=1
	for change in "echo more >>$T/root/etc/hostname" "chmod 1600 $T/root/etc/hostname" \
		"chown 7 $T/root/var/lib/app/db" "touch -d 2020-01-01 $T/root/var/lib/app/db" \
		"echo k >$T/root/etc/ssh/ssh_host_new" "rm $T/root/root/.ssh/authorized_keys" \
		"ln -sf /usr/share/zoneinfo/CET $T/root/etc/localtime"; do
		eval "$change"
		n=$((n + 1))
		"$RAMHOST" state save --if-changed --root "$T/root" --store "$T/store" | grep -q "saved generation $n " ||
			{ echo "not seen as a change: $change"; exit 1; }
	done
}

diff_lines() {
	make_root "$T/root"
	mkdir "$T/store"
	"$RAMHOST" state save --root "$T/root" --store "$T/store" >/dev/null
	echo new >>"$T/root/etc/hostname"
	rm "$T/root/var/lib/app/db"
	echo k >"$T/root/etc/ssh/ssh_host_rsa_key"
	"$RAMHOST" state diff --root "$T/root" --store "$T/store" >"$T/out"
	[ "$(cat "$T/out")" = "M /etc/hostname
A /etc/ssh/ssh_host_rsa_key
D /var/lib/app/db" ] || { cat "$T/out"; exit 1; }
	"$RAMHOST" state diff --json --generation 1 --root "$T/root" --store "$T/store" |
		python3 -c "import json,sys; j=json.load(sys.stdin); assert [c['op'] for c in j['changes']]==['M','A','D'], j"
	# no generation at all: everything is new
	mkdir "$T/empty"
	[ "$("$RAMHOST" state diff --root "$T/root" --store "$T/empty" | grep -c '^A ')" = 5 ]
}

# two generations; the newest is damaged in the way $1 says; boot must restore generation 1
boot_fallback() {
	make_root "$T/root"
	mkdir "$T/store" "$T/new"
	"$RAMHOST" state save --root "$T/root" --store "$T/store" >/dev/null
	echo second >>"$T/root/etc/hostname"
	"$RAMHOST" state save --root "$T/root" --store "$T/store" >/dev/null
	g2=$T/store/state-00000002.rhs
	case $1 in
	truncate) truncate -s $(($(stat -c %s "$g2") / 2)) "$g2" ;;
	flip) python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//3]^=0x10; open(p,'wb').write(b)" "$g2" ;;
	esac
	"$RAMHOST" state boot --root "$T/new" --store "$T/store" >"$T/out"
	cat "$T/out"
	[ "$(wc -l <"$T/out")" = 1 ]
	grep -Eq "^ramhost-state: generation 2 is damaged \(.+\); restored generation 1 \(5 files\) from $T/store\$" "$T/out"
	[ "$(cat "$T/new/etc/hostname")" = host1 ]
	grep -qx generation=1 "$T/new/run/ramhost/state.env"
	grep -qx "store=$T/store" "$T/new/run/ramhost/state.env"
	"$RAMHOST" state list --store "$T/store" | grep -q '^2 .*damaged: '
	# restoring the damaged one by number fails and changes nothing
	before=$(find "$T/new" -printf '%p %s %m %T@\n' | sort; cat "$T/new/etc/hostname")
	expect_fail "$RAMHOST" state restore --generation 2 --root "$T/new" --store "$T/store"
	expect_err "state-00000002.rhs"
	[ "$before" = "$(find "$T/new" -printf '%p %s %m %T@\n' | sort; cat "$T/new/etc/hostname")" ]
	# the ready line reports the restored generation
	printf 'bank=1\nbuild=t\n' >"$T/boot.env"
	RAMHOST_BOOTENV=$T/boot.env RAMHOST_STATEENV=$T/new/run/ramhost/state.env "$RAMHOST" ready | grep -q ' state=1 '
}
boot_fallback_truncated() { boot_fallback truncate; }
boot_fallback_bitflip() { boot_fallback flip; }

boot_newest_and_defaults() {
	make_root "$T/root"
	mkdir "$T/store" "$T/new" "$T/empty" "$T/new2"
	"$RAMHOST" state save --root "$T/root" --store "$T/store" >/dev/null
	[ "$("$RAMHOST" state boot --root "$T/new" --store "$T/store")" = "ramhost-state: restored generation 1 (5 files) from $T/store" ]
	[ "$("$RAMHOST" state boot --root "$T/new2" --store "$T/empty")" = "ramhost-state: no saved state on $T/empty: booting with the image defaults" ]
	grep -qx generation=none "$T/new2/run/ramhost/state.env"
	printf 'bank=1\n' >"$T/boot.env"
	RAMHOST_BOOTENV=$T/boot.env RAMHOST_STATEENV=$T/new2/run/ramhost/state.env "$RAMHOST" ready | grep -q ' state=none '
	# no partition: a command line without ramhost.bankuuid (an ISO boot)
	echo "console=ttyS0 ramhost.bank=1" >"$T/cmdline"
	RAMHOST_PROC_CMDLINE=$T/cmdline "$RAMHOST" state boot --root "$T/new2" >"$T/out"
	[ "$(cat "$T/out")" = "ramhost-state: no state partition: booting with the image defaults (state is not persistent)" ]
	grep -qx generation=none "$T/new2/run/ramhost/state.env"
}

# A store too small for the next generation: the save fails naming the file, no temp is left, and the
# existing generation is byte-identical.
full_store_enospc() {
	trap cleanup EXIT
	make_root "$T/root"
	head -c 300000 /dev/urandom >"$T/root/var/lib/app/db"      # incompressible
	mnt tmpfs size=512k "$T/store"
	"$RAMHOST" state save --root "$T/root" --store "$T/store" >/dev/null
	sum=$(sha256sum "$T/store/state-00000001.rhs")
	head -c 300000 /dev/urandom >"$T/root/var/lib/app/db"
	expect_fail "$RAMHOST" state save --root "$T/root" --store "$T/store"
	cat "$T/err"
	expect_err "^ramhost state save: $T/store/.state-00000002.rhs.tmp: cannot write: No space left on device\$"
	[ "$(ls -A "$T/store")" = "state-00000001.rhs" ]
	[ "$sum" = "$(sha256sum "$T/store/state-00000001.rhs")" ]
	"$RAMHOST" state list --store "$T/store" | grep -q '^1 .* ok$'
	# a full ramdisk while restoring is a clear error too, and the store is untouched
	mnt tmpfs size=64k "$T/small"
	expect_fail "$RAMHOST" state restore --generation 1 --root "$T/small" --store "$T/store"
	expect_err "No space left on device"
	[ "$sum" = "$(sha256sum "$T/store/state-00000001.rhs")" ]
}

# craft_gen OUT MANIFEST_TEXT MEMBERS...: a generation file built by hand (python tarfile + zstd + footer), so
# that hostile member names reach the reader. MEMBERS are NAME=CONTENT for files, NAME@TARGET for symlinks; the
# footer names generation $GEN (default 1).
craft_gen() {
	python3 - "$@" <<-'PY'
	import hashlib, io, os, struct, subprocess, sys, tarfile, zlib
	out, manifest, members = sys.argv[1], sys.argv[2].encode(), sys.argv[3:]
	buf = io.BytesIO()
	with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
	    def add(name, data=b"", link=None):
	        ti = tarfile.TarInfo(name)
	        if link is not None:
	            ti.type, ti.linkname = tarfile.SYMTYPE, link
	        else:
	            ti.size = len(data)
	        t.addfile(ti, io.BytesIO(data))
	    add("MANIFEST", manifest)
	    for m in members:
	        if "@" in m:
	            n, l = m.split("@", 1); add(n, link=l)
	        else:
	            n, d = m.split("=", 1); add(n, d.encode())
	payload = subprocess.run(["zstd", "-q", "-c"], input=buf.getvalue(), stdout=subprocess.PIPE, check=True).stdout
	foot = b"RHSTFOOT" + struct.pack("<IIQQ", 1, 80, int(os.environ.get("GEN", "1")), len(payload)) + hashlib.sha256(payload).digest() + struct.pack("<qI", 0, 0)
	foot += struct.pack("<I", zlib.crc32(foot))
	open(out, "wb").write(payload + foot)
	PY
}

hostile_archives() {
	mkdir -p "$T/store" "$T/root/etc" "$T/outside"
	sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
	head="ramhost-state 1
generation 1
created 0
hostname evil"
	# 1. a member named ../x (the manifest cannot even name it, so it names /x)
	craft_gen "$T/store/state-00000001.rhs" "$head
f 0644 0 0 0.000000000 4 $(sha evil) - /x
end 1
" "../x=evil"
	expect_fail "$RAMHOST" state restore --generation 1 --root "$T/root" --store "$T/store"
	expect_err "member '../x': not a clean relative path"
	[ ! -e "$T/x" ] && [ ! -e "$T/root/x" ]
	# 2. an absolute member name
	craft_gen "$T/store/state-00000001.rhs" "$head
f 0644 0 0 0.000000000 4 $(sha evil) - $T/outside/abs
end 1
" "$T/outside/abs=evil"
	expect_fail "$RAMHOST" state restore --generation 1 --root "$T/root" --store "$T/store"
	expect_err "absolute or empty name refused|state save never writes"
	[ ! -e "$T/outside/abs" ]
	# 3. a symlink to outside, then a file through it
	craft_gen "$T/store/state-00000001.rhs" "$head
l 0777 0 0 0.000000000 ${#T}0 $(sha "$T/outside") - /etc/link
f 0644 0 0 0.000000000 4 $(sha evil) - /etc/link/file
end 2
" "etc/link@$T/outside" "etc/link/file=evil"
	expect_fail "$RAMHOST" state restore --generation 1 --root "$T/root" --store "$T/store"
	expect_err "MANIFEST"
	[ ! -e "$T/outside/file" ] && [ ! -e "$T/root/etc/link" ]
	# 4. a consistent generation whose path leads through a symlink already on the host: refused before writing
	ln -s "$T/outside" "$T/root/etc/hostlink"
	craft_gen "$T/store/state-00000001.rhs" "$head
f 0644 0 0 0.000000000 4 $(sha good) - /etc/aaa
f 0644 0 0 0.000000000 4 $(sha evil) - /etc/hostlink/file
end 2
" "etc/aaa=good" "etc/hostlink/file=evil"
	expect_fail "$RAMHOST" state restore --generation 1 --root "$T/root" --store "$T/store"
	expect_err "is a symlink or not a directory: refusing"
	[ ! -e "$T/outside/file" ] && [ ! -e "$T/root/etc/aaa" ]
	# 5. a member that is not in the manifest; 6. content that does not match its hash
	craft_gen "$T/store/state-00000001.rhs" "$head
end 0
" "etc/extra=x"
	expect_fail "$RAMHOST" state restore --generation 1 --root "$T/root" --store "$T/store"
	expect_err "member 'etc/extra' is not in the MANIFEST"
	craft_gen "$T/store/state-00000001.rhs" "$head
f 0644 0 0 0.000000000 4 $(sha good) - /etc/aaa
end 1
" "etc/aaa=evil"
	expect_fail "$RAMHOST" state restore --generation 1 --root "$T/root" --store "$T/store"
	expect_err "SHA-256 does not match the MANIFEST"
	[ ! -e "$T/root/etc/aaa" ]
	# and boot treats all of these as damaged, restoring nothing
	"$RAMHOST" state boot --root "$T/root" --store "$T/store" | grep -q '^ramhost-state: generation 1 is damaged'
	grep -qx generation=none "$T/root/run/ramhost/state.env"
}

# A consistent generation (right CRC, SHA-256 and member hashes) naming paths that `state save` could never
# have written (below /run /usr /proc /dev ...): restore refuses it before writing anything, and boot treats it
# as damaged and falls back to the older, good generation (issue 10, finding 14).
never_saved_paths() {
	mkdir -p "$T/store" "$T/root/etc" "$T/root/dev"
	echo disk >"$T/root/dev/sda"
	sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
	craft_gen "$T/store/state-00000001.rhs" "ramhost-state 1
generation 1
created 0
hostname good
f 0644 0 0 0.000000000 4 $(sha good) - /etc/motd
end 1
" "etc/motd=good"
	for p in /run/ramhost/boot.env /usr/bin/evil /proc/x /dev/sda /opt/x /tmp/x /sys/kernel/x; do
		GEN=2 craft_gen "$T/store/state-00000002.rhs" "ramhost-state 1
generation 2
created 0
hostname evil
f 0644 0 0 0.000000000 4 $(sha evil) - /etc/motd
f 0755 0 0 0.000000000 4 $(sha evil) - $p
end 2
" "etc/motd=evil" "${p#/}=evil"
		expect_fail "$RAMHOST" state restore --generation 2 --root "$T/root" --store "$T/store"
		expect_err "MANIFEST: line 6: $p: below a directory that state save never writes"
		[ ! -e "$T/root/etc/motd" ] && [ ! -e "$T/root$p" ] || [ "$p" = /dev/sda ]
		[ "$(cat "$T/root/dev/sda")" = disk ]
	done
	"$RAMHOST" state boot --root "$T/root" --store "$T/store" >"$T/out"
	grep -q '^ramhost-state: generation 2 is damaged' "$T/out"
	[ "$(cat "$T/root/etc/motd")" = good ] && [ ! -e "$T/root/sys/kernel/x" ]
	[ "$(cat "$T/root/dev/sda")" = disk ]
}

# attach: $T/disk.img as a loop device with partition nodes ($loop); kernels that do not scan GPT (and hosts
# without udev) get them from partx.
attach() {
	loop=$(losetup -f --show -P "$T/disk.img")
	echo "$loop" >>"$T/.loops"
	[ -b "${loop}p3" ] || partx -a "$loop" 2>/dev/null || partx -u "$loop"
	for i in $(seq 50); do [ -b "${loop}p3" ] && break; sleep 0.1; done
}

# The state partition found from ramhost.bankuuid on a GPT loop device, mounted (ext4) and used by boot.
boot_partition() {
	trap cleanup EXIT
	truncate -s 64M "$T/disk.img"
	bank=6c0a2f5e-2b1d-4c8e-9a51-0d6b7c1e2f30
	sfdisk -q "$T/disk.img" <<-EOF
	label: gpt
	size=8M, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system"
	size=8M, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name="bootbank", uuid=$bank
	size=8M, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name="altbootbank"
	type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="state"
	EOF
	attach
	mkfs.ext4 -q -L RHSTATE "${loop}p4"
	echo "console=ttyS0 ramhost.bank=1 ramhost.bankuuid=$bank" >"$T/cmdline"
	export RAMHOST_PROC_CMDLINE=$T/cmdline RAMHOST_DISKS=$loop
	make_root "$T/root"
	mkdir "$T/new"
	"$RAMHOST" state boot --root "$T/new" | tee "$T/out"
	echo "$T/new/run/ramhost/state" >>"$T/.mounts"
	[ "$(cat "$T/out")" = "ramhost-state: no saved state on ${loop}p4: booting with the image defaults" ]
	grep -qx "device=${loop}p4" "$T/new/run/ramhost/state.env"
	grep -q " $T/new/run/ramhost/state ext4 " /proc/mounts
	"$RAMHOST" state save --root "$T/root" --store "$T/new/run/ramhost/state" >/dev/null
	umount "$T/new/run/ramhost/state"
	mkdir "$T/new2"
	"$RAMHOST" state boot --root "$T/new2" | tee "$T/out"
	echo "$T/new2/run/ramhost/state" >>"$T/.mounts"
	[ "$(cat "$T/out")" = "ramhost-state: restored generation 1 (5 files) from ${loop}p4" ]
	cmp "$T/root/etc/hostname" "$T/new2/etc/hostname"
	# a disk without a state partition
	umount "$T/new2/run/ramhost/state"
	sfdisk -q --delete "$T/disk.img" 4
	losetup -d "$loop"
	attach
	RAMHOST_DISKS=$loop "$RAMHOST" state boot --root "$T/new2" >"$T/out" 2>"$T/err"
	[ "$(cat "$T/out")" = "ramhost-state: no state partition: booting with the image defaults (state is not persistent)" ]
	grep -q "has no GPT partition named 'state'" "$T/err"
}

usage_and_exit_codes() {
	"$RAMHOST" state --help | grep -q 'ramhost state save'
	for s in save list show diff restore boot; do
		"$RAMHOST" state "$s" --help | grep -q "^Usage: ramhost state $s"
	done
	expect_fail "$RAMHOST" state
	"$RAMHOST" state >/dev/null 2>&1 || [ $? -eq 2 ]
	"$RAMHOST" state restore --store "$T" >/dev/null 2>&1 || [ $? -eq 2 ]
	"$RAMHOST" state frobnicate >/dev/null 2>&1 || [ $? -eq 2 ]
	"$RAMHOST" state list --dry-run >/dev/null 2>&1 || [ $? -eq 2 ]
	"$RAMHOST" state save --keep 0 >/dev/null 2>&1 || [ $? -eq 2 ]
	"$RAMHOST" state save --generation x >/dev/null 2>&1 || [ $? -eq 2 ]
	# a store that does not exist is a failure (1) that names it
	expect_fail "$RAMHOST" state save --root "$T" --store "$T/nope"
	expect_err "$T/nope: cannot open the state store"
	"$RAMHOST" state save --root "$T" --store "$T/nope" >/dev/null 2>&1 || [ $? -eq 1 ]
	# a bad pattern list names its file and line
	mkdir -p "$T/r/run/ramhost" "$T/s"
	printf '/ok\nrelative\n' >"$T/r/run/ramhost/sticky.list"
	expect_fail "$RAMHOST" state save --root "$T/r" --store "$T/s"
	expect_err "sticky.list: line 2: pattern 'relative' is not absolute"
}

t_case save_list_show save_list_show
t_case restore_keeps_metadata restore_keeps_metadata
t_case deletions_of_defaults deletions_of_defaults
t_case boot_env_trees boot_env_trees
t_case keep_n_pruning keep_n_pruning
t_case dry_run_writes_nothing dry_run_writes_nothing
t_case if_changed if_changed
t_case diff_lines diff_lines
t_case boot_fallback_truncated boot_fallback_truncated
t_case boot_fallback_bitflip boot_fallback_bitflip
t_case boot_newest_and_defaults boot_newest_and_defaults
t_case full_store_enospc full_store_enospc
t_case hostile_archives hostile_archives
t_case never_saved_paths never_saved_paths
t_case boot_partition boot_partition
t_case usage_and_exit_codes usage_and_exit_codes
t_exit
