"""test_rescue_matrix.py: issue 12's corruption matrix booted under QEMU TCG, before and after the repair.

For each case a copy of a disk made by `ramhost image disk` (three state generations on its state partition) is
damaged by the same function as in tests/integration/rescue.sh (tests/integration/rescue_damage.sh), booted
alone under each firmware the damage concerns, repaired on the host (`ramhost rescue repair --yes`, the build
output as the media), and booted again:

- before: what the firmware does is checked against what the case says (CASES): "fails" (SeaBIOS: "not a
  bootable disk" on its debug port; OVMF: its shell starts; init's emergency shell; ramhost.efi: no bank left;
  or no ready line in FAIL_WAIT seconds: a hang; a BIOS disk whose console stays silent for SILENT_WAIT seconds,
  where every good BIOS boot shows SYSLINUX's banner within seconds, has hung before any loader), or "ready" where the damage does not stop a boot: gptmbr
  does not check the main GPT header's CRC (only zeroed entries stop it), OVMF falls back to the backup GPT
  (and writes the main back itself), SYSLINUX's boot sector loads a deleted ldlinux.sys by its sector list,
  the BIOS path reads bootcfg.cpio rather than boot.cfg, ramhost.efi falls back to bank 2, init takes the older
  state generation.
  Those cases say which bank or generation the boot came up with; the scan names the damage all the same
  (rescue.sh). Every boot is of a copy: a boot writes to its disk.
- after: the disk boots to the ready line under every firmware of the case. A repaired disk whose bytes equal
  the clean disk's (sha256) is not booted again: the clean disk's own boot under that firmware, checked first,
  stands for it (the same bytes boot the same way); the check's name says which.

The Debian disk of tests/fixtures/grub/debian_disk.sh (GRUB for BIOS and UEFI, no kernel: its menu's one entry
prints "ramhost-test: GRUB of the Debian disk") is broken twice: sector 0's boot code zeroed (SeaBIOS: not
bootable; after `rescue grub` GRUB's menu runs) and /EFI/debian/grubx64.efi deleted (OVMF's shell cannot start
it; after `rescue grub` it starts and GRUB's menu runs). OVMF has no boot entry for it (rescue grub writes no
firmware variable), so its shell is told to start \\EFI\\debian\\grubx64.efi from fs0:.

Two guests run at a time (about 4.5 minutes in all here). Not booted: a fresh or full variable store (the
firmware alone cannot show it: test_rescue.py's rescue ISO writes the entry into OVMF's store; rescue.sh), the
4Kn disk (rescue.sh converts the GPT only; its FAT file systems keep 512-byte sectors, which no 4Kn boot reads),
a full ESP (boots; nothing to repair) and other vendors' folders (byte-identical, rescue.sh)."""
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from qemu import READY_RE, RAMHOST, TOP, Report, Timeout, Vm, demo_copy, media, run, sha256_file  # noqa: E402

DAMAGE = os.path.join(TOP, "tests", "integration", "rescue_damage.sh")
DEBIAN_DISK = os.path.join(TOP, "tests", "fixtures", "grub", "debian_disk.sh")
READY_TIMEOUT = 240
FAIL_WAIT = 45   # a disk that hangs: a good boot is at the ready line in 10-16 s here, 25 s under load
# A BIOS disk whose boot code hangs prints nothing at all; every good BIOS boot prints SYSLINUX's banner on the
# serial console within 1-3 s here (8 s under load). A case expected to hang is called so after this long silent.
SILENT_WAIT = 20
GRUB_MARK = r"ramhost-test: GRUB of the Debian disk"
RECORD = os.environ.get("RAMHOST_MATRIX_RECORD") == "1"   # print what each boot does, check nothing before

# name, damage function, {firmware: expected before}. Expected: "fails" or "ready"; a string after ":" is a
# console pattern the boot must show (the loader's or init's own message).
CASES = [
    ("lba0", "dmg_lba0", {"bios": "fails:SeaBIOS: not a bootable disk", "uefi": "fails:OVMF starts its shell"}),
    ("code", "dmg_code", {"bios": "fails"}),   # SeaBIOS runs the zeroes: a hang
    # gptmbr reads the main GPT without checking its CRC; OVMF reads the backup (and writes the main back itself)
    ("gpt-header", "dmg_gpt_header", {"bios": "ready", "uefi": "ready"}),
    ("gpt-entries", "dmg_gpt_entries", {"bios": "fails", "uefi": "ready"}),
    ("grown", "dmg_grown", {"bios": "ready", "uefi": "ready"}),
    ("both-gpt", "dmg_both_gpt", {"bios": "fails", "uefi": "fails:OVMF starts its shell"}),
    # SYSLINUX's boot sector loads ldlinux.sys by a sector list, which a delete leaves in place
    ("ldlinux", "dmg_ldlinux", {"bios": "ready"}),
    ("esp-boot", "dmg_esp_boot", {"bios": "fails", "uefi": "fails:OVMF starts its shell"}),
    ("dirty", "dmg_dirty", {"bios": "ready", "uefi": "ready"}),
    ("bootx64", "dmg_bootx64", {"uefi": "fails:OVMF starts its shell"}),
    # the BIOS path reads bootcfg.cpio, not boot.cfg; ramhost.efi falls back to bank 2
    ("cfg", "dmg_cfg", {"bios": "ready:bank=1", "uefi": "ready:bank=2"}),
    ("flip1", "dmg_flip1", {"bios": "fails:emergency shell", "uefi": "ready:bank=2"}),
    ("flip-both", "dmg_flip_both", {"bios": "fails:emergency shell", "uefi": "fails:no bank left"}),
    ("state", "dmg_state", {"bios": "ready:state=2"}),   # init takes the older generation
]


def damage(func, img, work):
    env = dict(os.environ, T=work, RAMHOST=RAMHOST, MTOOLS_SKIP_CHECK="1")
    run(["bash", "-c", '. "$1"; %s "$2"' % func, "damage", DAMAGE, img], env=env)


def tail(vm, n=700):
    return vm.buf[-n:].decode("utf-8", "replace")


def boot(name, disk, fw, work, want=READY_RE, limit=READY_TIMEOUT, shell_cmd=None):
    """Boots a copy of disk alone under fw (a boot writes: the host marks its bank good, and OVMF restores a
    damaged main GPT from the backup by itself); returns ("ready"|"fails", detail). want is the pattern of a
    good boot.
    SeaBIOS's debug port goes to a file; with reboot-timeout=0 and -no-reboot QEMU exits when nothing boots.
    OVMF starting its internal shell means no boot option worked (with shell_cmd, that command is typed there
    first and the boot goes on)."""
    log = os.path.join(work, name + ".seabios.log")
    extra = ["-chardev", "file,id=dbg,path=" + log, "-device", "isa-debugcon,iobase=0x402,chardev=dbg",
             "-boot", "reboot-timeout=0"] if fw == "bios" else []
    copy = os.path.join(work, name + ".img")
    subprocess.run(["cp", "--sparse=always", disk, copy], check=True)
    t0 = time.monotonic()
    try:
        return boot_copy(name, copy, fw, log, extra, want, limit, shell_cmd, t0)
    finally:
        os.unlink(copy)


# What stops a boot, as the console shows it: ended at once instead of waiting for the time limit.
STOPS = [
    (r"BdsDxe: starting Boot\d+ \"EFI Internal Shell\"", "OVMF starts its shell (no boot option loads)"),
    (r"ramhost-init: starting emergency shell", "init stops: emergency shell"),
    (r"ramhost\.efi: no bank left to boot", "ramhost.efi: no bank left to boot"),
]


def seabios_log(log):
    if not os.path.exists(log):
        return ""
    with open(log, "rb") as f:
        return f.read().decode("utf-8", "replace")


def seabios_says_not_bootable(log):
    return "Boot failed: not a bootable disk" in seabios_log(log)


def boot_copy(name, disk, fw, log, extra, want, limit, shell_cmd, t0):
    stops = STOPS + ([(r"is not recognized as an internal or external command", "OVMF's shell: %s is not "
                       "recognized (no such file)" % shell_cmd)] if shell_cmd else [])
    rx = "|".join(["(%s)" % want] + ["(%s)" % p for p, _ in stops])
    with Vm(name, media("disk", disk), firmware="uefi" if fw == "uefi" else "bios", extra=extra) as vm:
        try:
            if fw == "bios" and limit == FAIL_WAIT:
                try:
                    vm.expect(r"\S", SILENT_WAIT)
                except Timeout:
                    if vm.proc.poll() is None and not seabios_says_not_bootable(log):
                        return "fails", "no console output within %d s: hung before any loader" % SILENT_WAIT
                    raise   # what SeaBIOS said is read below
            while True:
                m = vm.expect(rx, limit)
                hit = next((i for i, (p, _) in enumerate(stops) if re.search(p.encode(), m.group(0))), None)
                if hit is None:
                    line = m.group(0).decode("utf-8", "replace")
                    return "ready", "%s (%.1f s)" % (line, time.monotonic() - t0)
                if hit == 0 and shell_cmd:   # the shell is where this disk's loader is started by hand
                    vm.expect(r"Shell> ", 60)
                    vm.send(shell_cmd + "\r")
                    continue
                context = vm.buf[max(0, m.start() - 300):m.end()].decode("utf-8", "replace")
                return "fails", "%s: %r" % (stops[hit][1], context)
        except Timeout:
            text = seabios_log(log)
            if fw == "bios" and seabios_says_not_bootable(log):
                return "fails", "SeaBIOS: not a bootable disk"
            return "fails", "no %s within %d s (qemu %s); console: %r; SeaBIOS: %r" % (
                "ready line" if want == READY_RE else repr(want), limit,
                "exited" if vm.proc.poll() is not None else "running", tail(vm, 300), text[-300:])


def as_expected(want, got, detail):
    """want: "fails" or "ready", optionally ":TEXT" that the detail must hold."""
    kind, _, text = want.partition(":")
    return got == kind and text in detail


class Matrix:
    def __init__(self, work, clean, bank):
        self.work = work
        self.clean = clean
        self.bank = bank
        self.clean_sha = sha256_file(clean)
        self.clean_ready = {}   # firmware -> the clean disk booted to ready

    def clean_boot(self, fw):
        return boot("matrix-clean-%s" % fw, self.clean, fw, self.work)

    def ramhost_case(self, case):
        name, func, before = case
        w = tempfile.mkdtemp(prefix=name + ".", dir=self.work)
        disk = os.path.join(w, "disk.img")
        subprocess.run(["cp", "--sparse=always", self.clean, disk], check=True)
        out = []
        try:
            damage(func, disk, w)
            for fw, want in before.items():
                got, detail = boot("matrix-%s-%s-before" % (name, fw), disk, fw, w,
                                   limit=FAIL_WAIT if want.startswith("fails") else READY_TIMEOUT)
                what = "does_not_boot" if want.startswith("fails") else "boots_anyway"
                out.append(("rescue_matrix_%s_%s_%s" % (name, fw, what), RECORD or as_expected(want, got, detail),
                            "expected %s, got %s: %s" % (want, got, detail)))
                if RECORD:
                    print("record: %s %s before: %s (%s)" % (name, fw, got, detail[-300:]))
            p = subprocess.run([RAMHOST, "rescue", "repair", "--yes", "--media", self.bank, "--backup-dir",
                                os.path.join(w, "backups"), disk], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            text = p.stdout.decode("utf-8", "replace")
            out.append(("rescue_matrix_%s_repaired" % name, p.returncode == 0 and "repaired:" in text, text[-800:]))
            same = sha256_file(disk) == self.clean_sha
            for fw in before:
                if same:
                    out.append(("rescue_matrix_%s_%s_boots_after (the clean disk's bytes)" % (name, fw),
                                self.clean_ready.get(fw, False), "the clean disk did not boot under " + fw))
                    continue
                got, detail = boot("matrix-%s-%s-after" % (name, fw), disk, fw, w)
                out.append(("rescue_matrix_%s_%s_boots_after" % (name, fw), got == "ready", detail))
        except RuntimeError as e:
            out.append(("rescue_matrix_%s" % name, False, str(e)))
        finally:
            shutil.rmtree(w, ignore_errors=True)
        return out


    def debian_case(self, fw):
        """The Debian disk: BIOS with sector 0's boot code zeroed, UEFI with grubx64.efi deleted."""
        name = "debian-%s" % fw
        w = tempfile.mkdtemp(prefix=name + ".", dir=self.work)
        disk = os.path.join(w, "disk.img")
        shell = "fs0:\\EFI\\debian\\grubx64.efi" if fw == "uefi" else None
        out = []
        try:
            subprocess.run(["cp", "--sparse=always", self.debian, disk], check=True)
            if fw == "bios":
                with open(disk, "r+b") as f:
                    f.write(bytes(440))
            else:
                esp = [x for x in run(["sgdisk", "-i", "2", disk]).splitlines() if x.startswith("First sector:")]
                run(["mdel", "-i", "%s@@%d" % (disk, int(esp[0].split()[2]) * 512), "::/EFI/debian/grubx64.efi"],
                    env=dict(os.environ, MTOOLS_SKIP_CHECK="1"))
            got, detail = boot("matrix-%s-before" % name, disk, fw, w, want=GRUB_MARK, limit=FAIL_WAIT, shell_cmd=shell)
            if RECORD:
                print("record: %s before: %s (%s)" % (name, got, detail[-300:]))
            out.append(("rescue_matrix_%s_does_not_boot" % name, RECORD or got == "fails",
                        "got %s: %s" % (got, detail)))
            p = subprocess.run([RAMHOST, "rescue", "repair", "--yes", "--backup-dir", os.path.join(w, "backups"), disk],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            text = p.stdout.decode("utf-8", "replace")
            out.append(("rescue_matrix_%s_repaired (rescue grub)" % name,
                        p.returncode == 0 and "repaired:" in text and ". grub " in text, text[-800:]))
            got, detail = boot("matrix-%s-after" % name, disk, fw, w, want=GRUB_MARK, limit=120, shell_cmd=shell)
            out.append(("rescue_matrix_%s_boots_grub_after" % name, got == "ready", detail))
        except RuntimeError as e:
            out.append(("rescue_matrix_%s" % name, False, str(e)))
        finally:
            shutil.rmtree(w, ignore_errors=True)
        return out


def main():
    r = Report()
    work = tempfile.mkdtemp(prefix="ramhost-rescue-matrix.")
    try:
        bank = os.path.join(work, "bank")
        run([RAMHOST, "image", "build", demo_copy(os.path.join(work, "demo")), "-o", bank, "-q"])
        clean = os.path.join(work, "clean.img")
        run([RAMHOST, "image", "disk", "--bootbank", bank, "-o", clean, "-q"])
        env = dict(os.environ, RAMHOST=RAMHOST, MTOOLS_SKIP_CHECK="1")
        run(["bash", "-c", '. "$1"; state_generations "$2" "$3"', "state", DAMAGE, clean, work], env=env)
        mx = Matrix(work, clean, bank)
        mx.debian = os.path.join(work, "debian.img")
        run(["bash", DEBIAN_DISK, "disk", mx.debian])
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            firsts = [pool.submit(mx.clean_boot, fw) for fw in ("bios", "uefi")]
            for fw, f in zip(("bios", "uefi"), firsts):
                got, detail = f.result()
                mx.clean_ready[fw] = got == "ready"
                r.check("rescue_matrix_clean_disk_boots_%s" % fw, got == "ready", detail)
            jobs = [pool.submit(mx.debian_case, fw) for fw in ("bios", "uefi")]
            jobs += [pool.submit(mx.ramhost_case, c) for c in CASES]
            for job in jobs:
                for name, ok, detail in job.result():
                    r.check(name, ok, detail)
    except RuntimeError as e:
        r.check("rescue_matrix_build", False, str(e))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    r.exit()


if __name__ == "__main__":
    main()
