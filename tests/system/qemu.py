"""qemu.py: drives a QEMU guest through its serial console, for the system tests and the benchmarks.

A Vm starts qemu-system-x86_64 under TCG (KVM hangs on these machines) with the serial port on a pipe, keeps
everything the guest prints in a log file, and offers expect(regex) and sh(command) on the guest's root shell.
Only the standard library is used, so the tests run wherever python3 does.
"""
import os
import re
import select
import subprocess
import sys
import tempfile
import time

TOP = os.environ.get("TOP") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RAMHOST = os.environ.get("RAMHOST") or os.path.join(TOP, "build", "ramhost")
LOGDIR = os.path.join(TOP, "build", "test-logs")
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
# Secure Boot: the firmware build that enforces it, and variables with Debian's snakeoil key enrolled as PK, KEK
# and db; the matching test key signs our loader and kernel.
OVMF_CODE_SB = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
OVMF_VARS_SB = "/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd"
SNAKEOIL_KEY = "/usr/share/ovmf/PkKek-1-snakeoil.key"
SNAKEOIL_CERT = "/usr/share/ovmf/PkKek-1-snakeoil.pem"
READY_RE = r"ramhost: ready bank=(\S+) tardisks=(\d+) state=(\S+) boot_ms=(\d+) build=(\S+)"
# init's line once it removed the initramfs's own files after the root switch (group 1: MiB freed)
FREED_RE = r"ramhost-init: initramfs freed: \d+ entries, ([0-9.]+) MiB"
# the whole ready line, with its addresses (group 6): "none", or IFACE:ADDR/PREFIX joined by ','
READY_ADDR_RE = READY_RE + r" addr=(\S+?)(?: mode=\S+)?\r?\n"
# What init says instead of running `ramhost state boot` on a boot with nowhere to look for state (a CD, an ISO)
NO_STATE_SOURCE = (rb"no saved state to look for \(no ramhost\.bankuuid= or ramhost\.state\.url= on the kernel "
                   rb"command line\): booting with the image defaults \(state is not persistent\)")
# What init says on a normal boot (ramdisk/init/main.c); any other "ramhost-init:" line is a problem it reported
# (a module that failed, a file it could not read, something ignored) and fails the tests that look.
INIT_INFO_RE = re.compile(rb"ramhost-init: (?:\d+ kernel modules loaded(?: from the drivers tardisk)?|"
                          rb"\d+ kernel modules for disks left for when one is needed \(/run/ramhost/ondemand-modules\)|"
                          rb"tardisk \S+ verified \([0-9.]+ MiB\)|\d+ ramdisks mounted|"
                          rb"tardisk \S+ mounted read-only on /dev/loop\d+|system view:[ a-z0-9()_.-]*|"
                          rb"switching root to \S+ \(bank \d, init \d+ ms(?:, network boot)?\)|"
                          rb"initramfs freed: \d+ entries, [0-9.]+ MiB \(the tardisks stay\)|"
                          rb"state from the server: .*|hostname \S+ \(ramhost\.hostname\)|" + NO_STATE_SOURCE + rb")")


def init_problems(buf):
    """The lines of a console log (bytes) where init reported a problem: every "ramhost-init:" line that is not
    one of the informational lines of a normal boot."""
    out = []
    for line in buf.splitlines():
        at = line.find(b"ramhost-init:")
        if at >= 0 and not INIT_INFO_RE.fullmatch(line[at:].rstrip(b"\r ")):
            out.append(line[at:].decode("utf-8", "replace"))
    return out


class Timeout(Exception):
    pass


class Console:
    """A child process whose output is read as a console: everything it prints is kept (and logged), expect()
    waits for a regex in what has not been consumed yet. Vm is the QEMU guest; the harness self-test
    (tests/system/test_harness.py) drives a plain process."""

    def _attach(self, name, args, echo=False):
        os.makedirs(LOGDIR, exist_ok=True)
        self.name = name
        self.echo = echo  # also copy the console to our stdout as it arrives (make demo)
        self.log_path = os.path.join(LOGDIR, name + ".log")
        self.log = open(self.log_path, "wb")
        self.buf = b""
        self.pos = 0  # expect() searches from here on
        self.started = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        os.set_blocking(self.proc.stdout.fileno(), False)

    def _pump(self, deadline):
        """Reads what the guest printed until deadline (monotonic seconds). Returns False once qemu exited."""
        fd = self.proc.stdout.fileno()
        left = deadline - time.monotonic()
        if left <= 0:
            return True
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                return True
            if not data:
                return False
            self.buf += data
            self.log.write(data)
            self.log.flush()
            if self.echo:
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
        return self.proc.poll() is None or bool(ready)

    def _line_ended(self, end):
        """True when the console line holding offset end has ended (a CR or LF arrived at or after it)."""
        return self.buf.find(b"\n", end) >= 0 or self.buf.find(b"\r", end) >= 0

    def expect(self, pattern, timeout):
        """Waits until regex pattern appears in output not yet consumed; returns the match and consumes up to
        its end. Raises Timeout (with the log's tail) if it does not come in time or qemu exits.
        A pattern that captures fields is only taken once the line it ends on is complete: output arrives in
        pieces, and a field at the end of a line ("build=(\\S+)") would otherwise match a line cut mid-read
        ("build=d" of "build=debian-12.0"). Prompts (no groups) match as soon as they appear."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf, self.pos)
            if m and (not rx.groups or self._line_ended(m.end())):
                self.pos = m.end()
                return m
            if time.monotonic() >= deadline or not self._pump(deadline):
                m = rx.search(self.buf, self.pos)
                if m:
                    self.pos = m.end()
                    return m
                tail = self.buf[-1500:].decode("utf-8", "replace")
                raise Timeout("no %r within %ss (qemu %s); console tail:\n%s" % (
                    pattern, timeout, "running" if self.proc.poll() is None else "exited", tail))

    def seen(self, pattern):
        """True when pattern appears anywhere in the output so far (consumed or not)."""
        return re.search(pattern.encode(), self.buf) is not None

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def shell(self, timeout=60):
        """Waits for the guest's shell prompt and widens its terminal, so typed commands never wrap."""
        self.expect(r"# ", timeout)
        self.sh("stty columns 4000 2>/dev/null; true")

    def sh(self, command, timeout=60):
        """Runs command in the guest's shell; returns (exit status, output). The end marker is built from
        pieces that only the shell joins, so the echo of the typed line never matches it."""
        self.sync = getattr(self, "sync", 0) + 1
        tag = "RH%d" % self.sync
        self.send("%s; echo \"@@%s\"\"-rc=$?@@\"\n" % (command, tag))
        m = self.expect(r"@@%s-rc=(\d+)@@" % tag, timeout)
        out = self.buf[:m.start()].decode("utf-8", "replace")
        # the output starts after the echoed command line
        start = out.rfind("\"-rc=$?@@\"")
        out = out[start + len("\"-rc=$?@@\""):] if start >= 0 else out
        return int(m.group(1)), out.replace("\r\n", "\n").strip("\n")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()
        if getattr(self, "tmp", None):
            subprocess.run(["rm", "-rf", self.tmp])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Vm(Console):
    """One guest. media: list of extra qemu arguments (e.g. ["-cdrom", iso]). The console log is written to
    build/test-logs/NAME.log as it arrives, so a failing test leaves the whole console behind. net=True gives the
    guest a virtio NIC on QEMU user-mode networking (guest 10.0.2.15/24; the host's loopback is 10.0.2.2).
    vars_file: OVMF's variable store kept in that file across boots (made fresh when it does not exist)."""

    def __init__(self, name, media, mem=1024, firmware="bios", extra=(), echo=False, net=False, vars_file=None,
                 nic="virtio-net-pci", dhcp_hostname=None):
        self.tmp = tempfile.mkdtemp(prefix="ramhost-vm.")
        args = ["qemu-system-x86_64", "-accel", "tcg", "-m", str(mem), "-smp", "1",
                "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot"]
        # net: QEMU's user network on one NIC of model nic (virtio-net-pci, e1000, ...); else no NIC at all.
        # dhcp_hostname: the host name QEMU's DHCP server gives the guest (option 12)
        user = "user,id=net0" + (",hostname=%s" % dhcp_hostname if dhcp_hostname else "")
        args += (["-netdev", user, "-device", "%s,netdev=net0" % nic] if net else ["-net", "none"])
        if firmware in ("uefi", "uefi-sb"):
            code, varsrc = (OVMF_CODE, OVMF_VARS) if firmware == "uefi" else (OVMF_CODE_SB, OVMF_VARS_SB)
            vars_copy = vars_file or os.path.join(self.tmp, "vars.fd")
            if not vars_file or not os.path.exists(vars_file):   # a fresh store; vars_file: kept across boots
                with open(varsrc, "rb") as src, open(vars_copy, "wb") as dst:
                    dst.write(src.read())
            if firmware == "uefi-sb":  # the Secure Boot build keeps its variables in SMM
                args += ["-machine", "q35,smm=on", "-global", "driver=cfi.pflash01,property=secure,value=on"]
            args += ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + code,
                     "-drive", "if=pflash,format=raw,unit=1,file=" + vars_copy]
        args += list(media) + list(extra)
        self._attach(name, args, echo)



class Report:
    """Prints one PASS/FAIL line per check, as tests/run.sh counts them; exit() returns the status."""

    def __init__(self):
        self.failed = 0

    def check(self, name, ok, detail=""):
        print("%s %s%s" % ("PASS" if ok else "FAIL", name, "" if ok or not detail else ": " + detail))
        sys.stdout.flush()
        if not ok:
            self.failed += 1
        return ok

    def exit(self):
        sys.exit(1 if self.failed else 0)


# A guest shell command printing the KiB of free pages on the page allocator's per-CPU lists (/proc/zoneinfo
# "count:"), which MemFree and MemAvailable leave out (bench/boot.py, bench/debian_race.py)
PCP_KB_CMD = "awk '$1 == \"count:\" {s += $2} END {print s * 4}' /proc/zoneinfo"

DEMO_DIR = os.path.join(TOP, "examples", "demo")


def demo_copy(dst):
    """Copies the demo profile's folder to dst with `timeout = 0`: its loaders boot at once instead of waiting 3 s
    at their prompt or menu, 2-3 s less per boot under TCG. For the tests that do not look at the menu;
    test_efi_loader, test_install and test_rescue boot the demo profile as it is. Returns the profile's path."""
    import shutil
    shutil.copytree(DEMO_DIR, dst)
    path = os.path.join(dst, "profile")
    with open(path) as f:
        text = f.read()
    fast = re.sub(r"(?m)^timeout = \d+$", "timeout = 0", text)
    if fast == text:
        raise RuntimeError("%s: no `timeout = N` line to set to 0" % os.path.join(DEMO_DIR, "profile"))
    with open(path, "w") as f:
        f.write(fast)
    return path


def sha256_file(path):
    """The SHA-256 of a file, as hex."""
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run(cmd, **kw):
    """Runs a host command, raising with its output when it fails."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s" % (" ".join(cmd), p.returncode, p.stdout.decode()))
    return p.stdout.decode()


# How each medium is attached: a CD, a USB stick (xHCI + usb-storage), a virtio disk.
def media(kind, path):
    if kind == "cd":
        return ["-drive", "file=%s,format=raw,media=cdrom,if=none,id=cd0,readonly=on" % path,
                "-device", "ide-cd,drive=cd0,bootindex=0"]
    if kind == "usb":
        return ["-drive", "file=%s,format=raw,if=none,id=usb0" % path, "-device", "qemu-xhci",
                "-device", "usb-storage,drive=usb0,bootindex=0"]
    if kind == "disk":
        return ["-drive", "file=%s,format=raw,if=none,id=hd0" % path, "-device", "virtio-blk-pci,drive=hd0,bootindex=0"]
    raise ValueError(kind)


def gpt_partitions(path):
    """The GPT partitions of a disk image file: number -> dict(name, first, last (bytes), guid (lowercase))."""
    import struct
    import uuid
    with open(path, "rb") as f:
        f.seek(512)
        hdr = f.read(92)
        if hdr[:8] != b"EFI PART":
            raise ValueError("%s: no GPT header" % path)
        entries_lba, count, size = struct.unpack_from("<QII", hdr, 72)
        f.seek(entries_lba * 512)
        table = f.read(count * size)
    parts = {}
    for i in range(count):
        e = table[i * size:(i + 1) * size]
        if e[:16] == bytes(16):
            continue
        first, last = struct.unpack_from("<QQ", e, 32)
        name = e[56:128].decode("utf-16-le").rstrip("\0")
        parts[i + 1] = {"name": name, "first": first * 512, "last": (last + 1) * 512 - 1,
                        "guid": str(uuid.UUID(bytes_le=e[16:32]))}
    return parts
