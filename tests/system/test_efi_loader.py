"""test_efi_loader.py: ramhost.efi's behaviour under OVMF (QEMU TCG) on the product's disk image
(`ramhost image disk`), whose banks' boot.cfg each case rewrites with mtools. The boot matrix (every medium and
firmware) is tests/system/test_boot_matrix.py.

Cases: the disk boots the preferred bank with its bankuuid, and shows no Install entry (even with an
installopt= in its boot.cfg; `i` is refused); the kernel options edited at the menu reach
/proc/cmdline; `r` + `y` reverts to the other bank and makes it preferred on disk; a corrupted module is named
with both hashes and the other bank boots; a bank left UPGRADING is marked DIRTY before its kernel starts, and
the next boot marks it INVALID and comes up on the other bank."""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from qemu import init_problems, READY_RE, RAMHOST, TOP, Report, Timeout, Vm, gpt_partitions, media, run  # noqa: E402

PROFILE = os.path.join(TOP, "examples", "demo", "profile")
EFI = os.environ.get("RAMHOST_EFI") or os.path.join(os.path.dirname(RAMHOST), "ramhost.efi")
BOOT_TIMEOUT = 300


def set_keys(text, **keys):
    """boot.cfg text with key=value lines replaced (or appended)."""
    for k, v in keys.items():
        line = "%s=%s" % (k, v)
        if re.search(r"^%s=" % k, text, re.M):
            text = re.sub(r"^%s=.*$" % k, line, text, flags=re.M)
        else:
            text += line + "\n"
    return text


def build_disk(work, bank_dir, cfg1, cfg2):
    """The product's own disk image (`ramhost image disk`), with boot.cfg texts cfg1 / cfg2 put into its banks
    (p2 bootbank, p3 altbootbank) with mtools, as a host tool rewriting a bank would."""
    disk = os.path.join(work, "disk.img")
    if os.path.exists(disk):
        os.unlink(disk)
    run([RAMHOST, "image", "disk", "--bootbank", bank_dir, "-o", disk, "-q"])
    parts = gpt_partitions(disk)
    for n, cfg in ((2, cfg1), (3, cfg2)):
        path = os.path.join(work, "boot.cfg.%d" % n)
        with open(path, "w") as f:
            f.write(cfg)
        run(["mcopy", "-o", "-i", "%s@@%d" % (disk, parts[n]["first"]), path, "::/boot.cfg"])
    return disk, parts


def bank_file(disk, parts, n, name):
    """The bytes of file name on partition n of the disk image."""
    return subprocess.run(["mtype", "-i", "%s@@%d" % (disk, parts[n]["first"]), "::/" + name],
                          stdout=subprocess.PIPE, check=True).stdout


def newc_bootcfg(text):
    """The bootcfg.cpio the host writes for boot.cfg text (lib/host/cpio.c: cpio_add_buf("boot.cfg", 0444) +
    cpio_finish): the loader must write the same bytes."""
    def entry(ino, mode, name, data):
        hdr = "070701" + "".join("%08X" % v for v in (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0))
        b = hdr.encode() + name.encode() + b"\0"
        b += b"\0" * (-len(b) % 4) + data
        return b + b"\0" * (-len(b) % 4)
    return entry(1, 0o100444, "boot.cfg", text) + entry(0, 0, "TRAILER!!!", b"")


def boot_to_ready(r, name, vm, want_bank):
    m = vm.expect(READY_RE, BOOT_TIMEOUT)
    r.check(name + "_ready", m.group(1) == str(want_bank).encode(), m.group(0).decode())
    vm.shell()
    return vm.sh("cat /proc/cmdline")[1]


def main():
    r = Report()
    work = tempfile.mkdtemp(prefix="ramhost-efi-test.")
    try:
        bank = os.path.join(work, "bank")
        run([RAMHOST, "image", "build", PROFILE, "-o", bank])
        with open(os.path.join(bank, "boot.cfg")) as f:
            cfg = f.read()
        r.check("efi_loader_built", os.path.isfile(EFI), EFI)

        # 1. Both banks valid, bank 1 preferred; stop the countdown, edit the options, Enter. A disk never shows the
        #    Install entry (only an ISO's /install/menu.cfg gives one; an installopt= in boot.cfg does not), and
        #    `i` does nothing there.
        disk, parts = build_disk(work, bank, set_keys(cfg, updated=2, installopt="ramhost.install=auto"),
                                 set_keys(cfg, updated=1))
        with Vm("efi-disk-edit", media("disk", disk), firmware="uefi") as vm:
            vm.expect(r"booting bank 1 in \d+ s", 120)
            vm.send(" ")
            vm.expect(r"countdown stopped", 30)
            vm.send("i")
            vm.expect(r"no Install to disk entry: this medium is not an installable ISO", 30)
            r.check("efi_disk_no_install_entry", vm.seen(r"ramhost.efi: Enter: boot   Up/Down/1/2: select   e: edit")
                    and not vm.seen(r"Install to disk:|i: install"), vm.buf[-2500:].decode("utf-8", "replace"))
            vm.send("e")
            vm.expect(r"options: [^\r\n]*loglevel=4", 30)
            vm.send(" rh.edited=yes\r")
            m = vm.expect(r"loaded and verified (\d+) MiB in (\d+) ms", 120)
            vm.expect(r"ramhost.efi: booting bank 1 \(demo-1.0\) from disk", 10)
            cmdline = boot_to_ready(r, "efi_disk_edit", vm, 1)
            # a normal UEFI boot: init reports no problem (efivarfs loads here; nothing is "skipped")
            r.check("efi_disk_no_init_problem", not init_problems(vm.buf), "\n".join(init_problems(vm.buf)))
            r.check("efi_disk_edit_cmdline", "rh.edited=yes" in cmdline and "ramhost.bank=1" in cmdline and
                    "ramhost.bankuuid=%s" % parts[2]["guid"] in cmdline, cmdline)
            if m:  # not a check: the figure for the notes
                print("figure: load+verify %s MiB in %s ms" % (m.group(1).decode(), m.group(2).decode()))

        # 2. Revert: r, y -> bank 2 boots and is written preferred (updated = bank 1's + 1).
        disk, parts = build_disk(work, bank, set_keys(cfg, updated=2), set_keys(cfg, updated=1))
        with Vm("efi-disk-revert", media("disk", disk), firmware="uefi") as vm:
            vm.expect(r"booting bank 1 in \d+ s", 120)
            vm.send("r")
            vm.expect(r"revert to bank 2 and make it the default\? \(y/n\)", 30)
            vm.send("y")
            cmdline = boot_to_ready(r, "efi_disk_revert", vm, 2)
            r.check("efi_disk_revert_cmdline", "ramhost.bankuuid=%s" % parts[3]["guid"] in cmdline, cmdline)
        text = bank_file(disk, parts, 3, "boot.cfg").decode()
        r.check("efi_disk_revert_written", re.search(r"^updated=3$", text, re.M) is not None, text)
        cpio = bank_file(disk, parts, 3, "bootcfg.cpio")
        r.check("efi_disk_revert_bootcfg_cpio", cpio == newc_bootcfg(text.encode()), repr(cpio[:240]))

        # 3. A corrupted module in bank 1: named with both hashes, bank 2 boots.
        disk, parts = build_disk(work, bank, set_keys(cfg, updated=2, timeout=0), set_keys(cfg, updated=1))
        off = parts[2]["first"]
        bad = os.path.join(work, "extras.tdk")
        with open(os.path.join(bank, "extras.tdk"), "rb") as f:
            data = bytearray(f.read())
        data[len(data) // 2] ^= 0xff
        with open(bad, "wb") as f:
            f.write(data)
        run(["mcopy", "-o", "-i", "%s@@%d" % (disk, off), bad, "::/extras.tdk"])
        want = re.search(r"^hash.extras.tdk=sha256:([0-9a-f]{64})", cfg, re.M).group(1)
        with Vm("efi-disk-corrupt", media("disk", disk), firmware="uefi") as vm:
            vm.expect(r"extras.tdk: SHA-256 mismatch", 180)
            m = vm.expect(r"expected ([0-9a-f]{64})\s+ramhost.efi:\s+actual\s+([0-9a-f]{64})", 10)
            r.check("efi_corrupt_named_with_hashes", m.group(1).decode() == want and
                    m.group(2).decode() == hashlib.sha256(data).hexdigest(), m.group(0).decode())
            vm.expect(r"trying the fallback: bank 2", 10)
            boot_to_ready(r, "efi_corrupt_fallback", vm, 2)

        # 4. Bank 1 UPGRADING: marked DIRTY before its kernel starts; the boot "fails" (we stop the VM); the next
        #    boot marks it INVALID and comes up on bank 2.
        disk, parts = build_disk(work, bank, set_keys(cfg, updated=2, timeout=0, bootstate=1),
                                 set_keys(cfg, updated=1))
        with Vm("efi-disk-upgrading", media("disk", disk), firmware="uefi") as vm:
            vm.expect(r"bank 1: bootstate UPGRADING -> DIRTY", 180)
            vm.expect(r"booting bank 1", 30)
        text = bank_file(disk, parts, 2, "boot.cfg").decode()
        r.check("efi_upgrading_marked_dirty", re.search(r"^bootstate=2$", text, re.M) is not None, text)
        with Vm("efi-disk-dirty", media("disk", disk), firmware="uefi") as vm:
            vm.expect(r"bank 1: bootstate DIRTY -> INVALID", 180)
            boot_to_ready(r, "efi_dirty_other_bank", vm, 2)
        text = bank_file(disk, parts, 2, "boot.cfg").decode()
        r.check("efi_dirty_marked_invalid", re.search(r"^bootstate=3$", text, re.M) is not None, text)

        # 5. Bank 1 UPGRADING that does reach ready: the loader marks it DIRTY, the booted host marks it VALID.
        disk, parts = build_disk(work, bank, set_keys(cfg, updated=2, timeout=0, bootstate=1),
                                 set_keys(cfg, updated=1))
        with Vm("efi-disk-upgrade-good", media("disk", disk), firmware="uefi") as vm:
            vm.expect(r"bank 1: bootstate UPGRADING -> DIRTY", 180)
            boot_to_ready(r, "efi_upgraded_bank", vm, 1)
            r.check("efi_upgraded_bank_mark_good_ran", vm.seen(r"ramhost bootbank: /dev/vda2: marked good"),
                    vm.buf[-1500:].decode("utf-8", "replace"))
        text = bank_file(disk, parts, 2, "boot.cfg").decode()
        r.check("efi_upgraded_bank_marked_valid", re.search(r"^bootstate=0$", text, re.M) is not None, text)
        # 6. A module missing from bank 1: named, and bank 2 boots.
        disk, parts = build_disk(work, bank, set_keys(cfg, updated=2, timeout=0), set_keys(cfg, updated=1))
        run(["mdel", "-i", "%s@@%d" % (disk, parts[2]["first"]), "::/extras.tdk"])
        with Vm("efi-disk-missing", media("disk", disk), firmware="uefi") as vm:
            vm.expect(r"extras\.tdk: missing from bank 1", 180)
            vm.expect(r"trying the fallback: bank 2", 10)
            boot_to_ready(r, "efi_missing_module_fallback", vm, 2)

        # 7. Both banks corrupted: each failure is shown, and with no bank left the menu waits on screen: no kernel,
        #    no return to the firmware (which would retry or reset), however long it is left.
        disk, parts = build_disk(work, bank, set_keys(cfg, updated=2, timeout=0), set_keys(cfg, updated=1))
        for n in (2, 3):
            run(["mcopy", "-o", "-i", "%s@@%d" % (disk, parts[n]["first"]), bad, "::/extras.tdk"])
        with Vm("efi-disk-no-bank", media("disk", disk), firmware="uefi") as vm:
            vm.expect(r"no bank left to boot: the menu waits", 240)
            try:
                vm.expect(r"BdsDxe: (loading|starting)|Linux version|ramhost: ready|EFI stub", 30)
                waited = False
            except Timeout:
                waited = True
            r.check("efi_no_bank_left_menu_waits", waited and vm.proc.poll() is None and
                    len(re.findall(rb"extras\.tdk: SHA-256 mismatch", vm.buf)) == 2,
                    vm.buf[-1200:].decode("utf-8", "replace"))
    except (Timeout, RuntimeError) as e:
        r.check("efi_loader_test", False, str(e))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    r.exit()


if __name__ == "__main__":
    main()
