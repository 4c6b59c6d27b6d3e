#!/usr/bin/env bash
# tests/integration/rescue_grub.sh: `ramhost rescue grub` and `rescue fix-mbr --generic` on a Debian disk made
# here by debootstrap (tests/fixtures/grub/debian_disk.sh: GPT with a BIOS boot partition, an ESP holding
# /EFI/debian/grubx64.efi and a foreign /EFI/Microsoft/Boot/bootmgfw.efi, an ext4 root with GRUB installed for
# BIOS by its own grub-install). Cases: the healthy disk scans clean and lists its systems; sector 0's boot code
# zeroed -> the scan names the installation and `rescue grub` -> the installation's own grub-install and
# update-grub in a chroot of a staged copy put GRUB back, nothing outside the plan changes, the ESP (so
# EFI/Microsoft) is byte-identical, `rescue undo` gives the damaged bytes back; grubx64.efi deleted -> the UEFI
# half puts it back without mounting the ESP; fix-mbr --generic refuses GRUB's code without --force, and rescue grub then refuses gptmbr's without it;
# a disk without Linux is refused. No case leaves a loop device or a mount behind.
# The debootstrap tree is cached (RAMHOST_CACHE/debootstrap-grub); when it cannot be made (no mirror) every case
# FAILS: this test never skips. Needs root, debootstrap, sgdisk, mtools, dosfstools, e2fsprogs, losetup, python3.
. "$(dirname "$0")/../lib.sh"

SHARED=$(mktemp -d "${TMPDIR:-/tmp}/ramhost-rescue-grub.XXXXXX")
trap 'rm -rf "$SHARED"' EXIT
export MTOOLS_SKIP_CHECK=1
DISK=$SHARED/debian.img
ESP_START=0 ESP_SECTORS=0 ROOT_START=0   # p2 and p3, in sectors

if bash "$FIX/grub/debian_disk.sh" disk "$DISK" >"$SHARED/fixture.log" 2>&1; then
	part() { sgdisk -i "$1" "$DISK" | awk -v k="$2" '$0 ~ "^" k " sector:" {print $3}'; }
	ESP_START=$(part 2 First)
	ESP_SECTORS=$(($(part 2 Last) - ESP_START + 1))
	ROOT_START=$(part 3 First)
else
	rm -f "$DISK"
fi

need_disk() {
	if [ ! -f "$DISK" ]; then
		echo "the Debian disk could not be made (tests/fixtures/grub/debian_disk.sh):"
		cat "$SHARED/fixture.log"
		return 1
	fi
	cp --sparse=always "$DISK" "$T/d.img"
	private_tmp
}

esp() { echo "$T/d.img@@$((ESP_START * 512))"; }

# nothing_left: no loop device on a file of this case and no mount below it (rescue's work directories are
# under $T/tmp: private_tmp), whatever other tests attach meanwhile.
private_tmp() { mkdir -p "$T/tmp" && export TMPDIR=$T/tmp; }
nothing_left() {
	if losetup -a | grep -F "$T/"; then
		echo "a loop device was left"
		return 1
	fi
	if grep -F "$T/" /proc/mounts; then
		echo "a mount was left"
		return 1
	fi
}

# scan: the JSON report into $T/scan.json (exit 3: problems found, which the checks look at).
scan() {
	local rc=0
	"$RAMHOST" rescue scan --json "$T/d.img" >"$T/scan.json" || rc=$?
	[ $rc = 0 ] || [ $rc = 3 ]
}

# check PYTHON-EXPR...: each holds for the scan's disk d, p (code -> problem) and o (the other systems, "kind
# where" strings).
check() {
	python3 - "$T/scan.json" "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))["disks"][0]
p = {x["code"]: x for x in d["problems"]}
o = ["%s %s" % (x["kind"], x["where"]) for x in d["others"]]
for e in sys.argv[2:]:
    if not eval(e):
        print("check failed:", e)
        print(json.dumps(d["problems"], indent=1), o)
        sys.exit(1)
EOF
}

# outside PLAN BEFORE AFTER: every byte that differs lies inside an extent of the plan (the JSON the repair
# printed before writing: the CLI's "repaired:" line is cut out of it).
outside() {
	python3 - "$@" <<'EOF'
import json, re, sys
text = re.sub(r"(?<=\})[^{}\n]*: repaired: [^\n]*\n", "", open(sys.argv[1]).read())
ext = sorted((e["offset"], e["offset"] + e["length"]) for p in json.loads(text)["plans"]
             for s in p["steps"] for e in s["extents"])
chunk = 1 << 20
with open(sys.argv[2], "rb") as fa, open(sys.argv[3], "rb") as fb:
    off = 0
    while True:
        x, y = bytearray(fa.read(chunk)), bytearray(fb.read(chunk))
        if not x and not y:
            break
        if x != y:
            for s, e in ext:
                if e > off and s < off + len(x):
                    a, b = max(s, off) - off, min(e, off + len(x)) - off
                    x[a:b] = y[a:b]
            if x != y:
                i = next(i for i in range(len(x)) if x[i] != y[i])
                sys.exit("a byte outside the plan changed at offset %d" % (off + i))
        off += len(x)
EOF
}

# same_esp A B: the ESP partitions of two images are byte for byte the same.
same_esp() {
	cmp <(dd if="$1" bs=512 skip=$ESP_START count=$ESP_SECTORS status=none) \
		<(dd if="$2" bs=512 skip=$ESP_START count=$ESP_SECTORS status=none)
}

healthy() {
	need_disk
	scan
	check "d['problems'] == []" "not d['ramhost']" "d['mbr']['code'] == 'grub'" \
		"'grub MBR' in o" "'grub p2 (ESP) /EFI/debian' in o" "'windows p2 (ESP) /EFI/Microsoft' in o" \
		"'linux p3' in o"
}

# The MBR's boot code zeroed: BIOS cannot start GRUB. rescue grub puts it back through Debian's grub-install.
mbr_zeroed() {
	need_disk
	dd if=/dev/zero of="$T/d.img" bs=440 count=1 conv=notrunc status=none
	cp --sparse=always "$T/d.img" "$T/damaged.img"
	scan
	check "'linux-loader-missing' in p" "p['linux-loader-missing']['op'] == 'grub'" \
		"p['linux-loader-missing']['arg'] == '3'" "'Debian' in p['linux-loader-missing']['what']" \
		"d['mbr']['code'] == 'zeros'"
	"$RAMHOST" rescue grub --yes --json --backup-dir "$T/b" "$T/d.img" >"$T/plan.json"
	nothing_left
	scan
	check "d['problems'] == []" "d['mbr']['code'] == 'grub'"
	outside "$T/plan.json" "$T/damaged.img" "$T/d.img"
	# update-grub's menu (serial, the test entry) is there
	debugfs -R "cat /boot/grub/grub.cfg" "$T/d.img?offset=$((ROOT_START * 512))" 2>/dev/null >"$T/grub.cfg"
	grep -q "^menuentry 'ramhost-test'" "$T/grub.cfg"
	grep -q "^terminal_output serial console" "$T/grub.cfg"
	# the disk signature and the partition table of sector 0 are the damaged disk's
	cmp <(dd if="$T/d.img" bs=1 skip=440 count=72 status=none) \
		<(dd if="$T/damaged.img" bs=1 skip=440 count=72 status=none)
	same_esp "$T/d.img" "$DISK"
	mcopy -i "$(esp)" ::/EFI/Microsoft/Boot/bootmgfw.efi "$T/ms.efi"
	mcopy -i "$SHARED/debian.img@@$((ESP_START * 512))" ::/EFI/Microsoft/Boot/bootmgfw.efi "$T/ms0.efi"
	cmp "$T/ms.efi" "$T/ms0.efi"
	"$RAMHOST" rescue undo --backup-dir "$T/b" "$T/d.img"
	cmp "$T/d.img" "$T/damaged.img"
}

# /EFI/debian/grubx64.efi deleted: the UEFI half's grub-install writes into a stand-in for the ESP (a tmpfs whose
# source is the ESP's device: no vfat needed, which this machine's kernel lacks) and its files go onto the
# copy's ESP with mtools: GRUB's loader is back, the Microsoft loader byte-identical, nothing outside the plan
# changed, and undo gives the damaged bytes back.
grubx64_deleted() {
	need_disk
	mdel -i "$(esp)" ::/EFI/debian/grubx64.efi
	cp --sparse=always "$T/d.img" "$T/damaged.img"
	scan
	check "'linux-loader-missing' in p" "'ESP holds no GRUB loader' in p['linux-loader-missing']['what']"
	"$RAMHOST" rescue grub --yes --json --backup-dir "$T/b" "$T/d.img" >"$T/plan.json"
	nothing_left
	scan
	check "d['problems'] == []" "'grub p2 (ESP) /EFI/debian' in o"
	outside "$T/plan.json" "$T/damaged.img" "$T/d.img"
	mcopy -i "$(esp)" ::/EFI/debian/grubx64.efi "$T/grubx64.efi"
	[ "$(head -c 2 "$T/grubx64.efi")" = MZ ]
	mcopy -i "$(esp)" ::/EFI/Microsoft/Boot/bootmgfw.efi "$T/ms.efi"
	mcopy -i "$T/damaged.img@@$((ESP_START * 512))" ::/EFI/Microsoft/Boot/bootmgfw.efi "$T/ms0.efi"
	cmp "$T/ms.efi" "$T/ms0.efi"
	dd if="$T/d.img" of="$T/esp.img" bs=512 skip=$ESP_START count=$ESP_SECTORS status=none
	fsck.fat -n "$T/esp.img"
	"$RAMHOST" rescue undo --backup-dir "$T/b" "$T/d.img"
	cmp "$T/d.img" "$T/damaged.img"
}

# fix-mbr --generic keeps GRUB's code unless forced; then rescue grub keeps gptmbr's unless forced.
foreign_code() {
	need_disk
	cp --sparse=always "$T/d.img" "$T/before.img"
	expect_fail "$RAMHOST" rescue fix-mbr --generic --yes --backup-dir "$T/b" "$T/d.img"
	expect_err "d.img: sector 0 holds grub boot code, another system's loader; it is kept \(give --force"
	cmp "$T/d.img" "$T/before.img"
	"$RAMHOST" rescue fix-mbr --generic --yes --force --backup-dir "$T/b" "$T/d.img" >/dev/null
	scan
	check "d['mbr']['code'] == 'gptmbr'" "'linux-loader-missing' in p"
	refused "sector 0 holds gptmbr boot code, another system's loader; rescue grub keeps it \(give --force"
	"$RAMHOST" rescue grub --yes --force --backup-dir "$T/b2" "$T/d.img" >/dev/null
	nothing_left
	scan
	check "d['problems'] == []" "d['mbr']['code'] == 'grub'"
}

# refused PATTERN [ARGS]: rescue grub (with ARGS) on $T/d.img fails with PATTERN, leaves no loop device or mount
# and writes nothing.
refused() {
	local want=$1
	shift
	cp --sparse=always "$T/d.img" "$T/damaged.img"
	expect_fail "$RAMHOST" rescue grub --yes --backup-dir "$T/b" "$@" "$T/d.img"
	expect_err "$want"
	nothing_left
	cmp "$T/d.img" "$T/damaged.img"
}

# put_update_grub SCRIPT: the Debian root's /usr/sbin/update-grub replaced by SCRIPT (debugfs, no mount).
put_update_grub() {
	local root="$T/d.img?offset=$((ROOT_START * 512))"
	printf 'rm /usr/sbin/update-grub\ncd /usr/sbin\nwrite %s update-grub\nsif update-grub mode 0100755\n' \
		"$1" >"$T/cmds"
	debugfs -w -f "$T/cmds" "$root" >/dev/null 2>&1
	debugfs -R "cat /usr/sbin/update-grub" "$root" 2>/dev/null | cmp - "$1"
}

# An update-grub that writes where GRUB has no business (the ESP, sector 0's partition table): the diff of the
# staged copy shows it, and the repair is refused with the places, nothing written.
overreach() {
	need_disk
	dd if=/dev/zero of="$T/d.img" bs=440 count=1 conv=notrunc status=none
	cat >"$T/evil" <<'SH'
#!/bin/sh
dev=$(awk '$2 == "/" {print $1}' /proc/self/mounts | tail -n 1)
printf evil | dd of="${dev%p3}p2" bs=1 seek=1048576 conv=notrunc 2>/dev/null
printf evil | dd of="${dev%p3}" bs=1 seek=450 conv=notrunc 2>/dev/null
exit 0
SH
	put_update_grub "$T/evil"
	local mbr="bytes 450-453 \(sector 0 outside the boot code: the disk signature or partition table\)"
	local esp="bytes $(((ESP_START + 2048) * 512))-$(((ESP_START + 2049) * 512 - 1)) \(p2 EFI system partition\)"
	refused "changed what rescue grub must not: $mbr, $esp; nothing is written"
}

# The chroot's /dev holds the staged copy's loop device and partitions and the null-like devices, no disk of
# the machine (an update-grub that lists it and fails: its error output is in the refusal).
private_dev() {
	need_disk
	dd if=/dev/zero of="$T/d.img" bs=440 count=1 conv=notrunc status=none
	printf '#!/bin/sh\necho "devices:" $(ls /dev) >&2\nexit 1\n' >"$T/list"
	put_update_grub "$T/list"
	refused "update-grub in a chroot: .*devices: full (loop[0-9]+) \1p1 \1p2 \1p3 (mapper )?null random urandom zero\$"
}

# SIGTERM while the installation's update-grub runs: the tool is stopped, the disk is unchanged, and no loop
# device, process, mount or temporary is left (the mounts were in ramhost's own mount namespace, detached by the
# clean-up; the loop device detaches itself once they are gone).
killed() {
	local pid i
	need_disk
	dd if=/dev/zero of="$T/d.img" bs=440 count=1 conv=notrunc status=none
	printf '#!/bin/sh\nexec sleep 37.%s\n' "$$" >"$T/slow"
	put_update_grub "$T/slow"
	cp --sparse=always "$T/d.img" "$T/damaged.img"
	"$RAMHOST" rescue grub --yes --backup-dir "$T/b" "$T/d.img" >"$T/out" 2>&1 &
	pid=$!
	for i in $(seq 100); do
		pgrep -f "sleep 37.$$" >/dev/null && break
		sleep 0.1
	done
	pgrep -f "sleep 37.$$" >/dev/null
	kill -TERM "$pid"
	if wait "$pid"; then
		echo "rescue grub was not stopped"
		return 1
	fi
	for i in $(seq 50); do
		! pgrep -f "sleep 37.$$" >/dev/null && ! losetup -a | grep -qF "$T/" && break
		sleep 0.1
	done
	if pgrep -f "sleep 37.$$"; then
		echo "the installation's update-grub is still running"
		return 1
	fi
	nothing_left
	cmp "$T/d.img" "$T/damaged.img"
	[ -z "$(ls -A "$T/tmp")" ] || { echo "left in TMPDIR:"; ls -A "$T/tmp"; return 1; }
	[ ! -d "$T/b" ] || [ -z "$(find "$T/b" -type f)" ]
}

# A disk with no Linux installation: refused, nothing staged or mounted.
no_linux() {
	private_tmp
	truncate -s 64M "$T/d.img"
	sgdisk -n1:0:0 -t1:8300 "$T/d.img" >/dev/null
	refused "d.img: no Linux installation found"
}

t_case rescue-grub-healthy healthy
t_case rescue-grub-mbr-zeroed mbr_zeroed
t_case rescue-grub-grubx64-deleted grubx64_deleted
t_case rescue-grub-fix-mbr-generic foreign_code
t_case rescue-grub-overreach overreach
t_case rescue-grub-private-dev private_dev
t_case rescue-grub-killed killed
t_case rescue-grub-no-linux no_linux
t_exit
