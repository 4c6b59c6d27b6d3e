"""netlab.py: a private network for QEMU guests and servers, for the PXE system tests and the fleet benchmark.

A Lab is a network namespace (rhlab-PID-N) holding a bridge (br0, 10.77.0.1/24 by default), tap devices on the
bridge for guests, and veth pairs to further namespaces that play other hosts on the same segment (a DHCP server
beside ours, an artifact server). Processes started through the lab run inside a namespace with their output in
build/test-logs/NAME.log; guests are diskless QEMU machines (TCG) on a tap, their serial console read the way
qemu.py reads it (expect / sh).

Nothing leaves the namespaces: no default route, no link to the host's interfaces. Everything is removed when
the `with` block ends, also on an exception, SIGTERM (tests/run.sh's timeout) or Ctrl-C: processes killed and
reaped, namespaces (and with them taps, veths and the bridge) deleted, temporary directories removed. A lab
left behind by a run that was killed with SIGKILL is removed by the next lab whose creator finds its PID gone.

    with Lab() as lab:
        dns = lab.dnsmasq("--dhcp-range=10.77.0.100,10.77.0.199,1h", ...)
        web = lab.http_server(directory)
        with lab.guest("pxe-bios") as vm:
            vm.expect(READY_RE, 300)
"""
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu import LOGDIR, OVMF_CODE, OVMF_CODE_SB, OVMF_VARS, OVMF_VARS_SB, Console  # noqa: E402

PREFIX = "rhlab-"
_seq = itertools.count(1)


def sh(*args, check=True):
    """Runs a host command (ip, sysctl ...); raises with its output when it fails."""
    p = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(args), p.returncode, p.stdout.decode().strip()))
    return p.stdout.decode()


def remove_stale_labs():
    """Deletes rhlab-PID-N namespaces whose creating process no longer exists (a run killed with SIGKILL)."""
    for line in sh("ip", "netns", "list", check=False).splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.match(r"^%s(\d+)-\d+(-\w+)?$" % PREFIX, name)
        if m and not os.path.exists("/proc/%s" % m.group(1)):
            delete_netns(name)


def delete_netns(name):
    """Kills whatever still runs in namespace name, then deletes it (and with it its interfaces)."""
    for pid in sh("ip", "netns", "pids", name, check=False).split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError):
            pass
    sh("ip", "netns", "del", name, check=False)


class Proc:
    """A process started inside a namespace, its stdout and stderr in LOGDIR/NAME.log. Its own session, so that
    stop() reaches its children too (nginx workers)."""

    def __init__(self, name, ns, args, env=None, cwd=None):
        os.makedirs(LOGDIR, exist_ok=True)
        self.name = name
        self.ns = ns
        self.args = list(args)
        self.log_path = os.path.join(LOGDIR, name + ".log")
        self.log = open(self.log_path, "wb")
        self.popen = subprocess.Popen(["ip", "netns", "exec", ns] + self.args, stdin=subprocess.DEVNULL,
                                      stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
                                      env=env, cwd=cwd)
        self.pid = self.popen.pid  # ip netns exec execs the command: the same PID

    def alive(self):
        return self.popen.poll() is None

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout, start=0):
        """Waits until regex pattern appears in the log (from offset start); returns the match. Raises
        RuntimeError with the log's tail when it does not come in time or the process exits first."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            m = rx.search(text, start)
            if m:
                return m
            if not self.alive() or time.monotonic() >= deadline:
                raise RuntimeError("%s: no %r within %ss (%s); log tail:\n%s" % (
                    self.name, pattern, timeout, "running" if self.alive() else
                    "exited %s" % self.popen.returncode, text[-1500:]))
            time.sleep(0.1)

    def signal(self, sig):
        if self.alive():
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, timeout=10):
        """SIGTERM to the process group, SIGKILL after timeout; reaps it. Returns the exit status."""
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
        self.signal(signal.SIGKILL)  # any child left in the group
        rc = self.popen.wait()
        self.log.close()
        return rc

    def kill9(self):
        """SIGKILL (a crash, a power cut); reaps it."""
        self.signal(signal.SIGKILL)
        rc = self.popen.wait()
        self.log.close()
        return rc

    def tree_pids(self):
        """This process and its descendants (nginx master and workers)."""
        pids, frontier = [], [self.pid]
        while frontier:
            pid = frontier.pop()
            pids.append(pid)
            try:
                with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                    frontier += [int(x) for x in f.read().split()]
            except OSError:
                pass
        return pids

    def usage(self):
        """(CPU seconds user+system, peak RSS in KiB) summed over the process tree, read from /proc while it
        runs (VmHWM of each process)."""
        tick = os.sysconf("SC_CLK_TCK")
        cpu, hwm = 0.0, 0
        for pid in self.tree_pids():
            try:
                with open("/proc/%d/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                cpu += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
                with open("/proc/%d/status" % pid) as f:
                    m = re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M)
                hwm += int(m.group(1)) if m else 0
            except OSError:
                pass
        return cpu, hwm


class Guest(Console):
    """A diskless QEMU guest (TCG) whose NIC sits on a tap of the lab's bridge; serial console on stdio, read as
    qemu.Vm reads it (expect, sh, seen), logged to LOGDIR/NAME.log.
    firmware: bios (SeaBIOS; the NIC's option ROM is QEMU's iPXE unless romfile says otherwise), uefi, uefi-sb
    (OVMF; with romfile="" the firmware's own network stack does PXE / HTTP Boot, with nic=virtio-net-pci, as
    OVMF has no e1000 driver of its own). On SeaBIOS, sercon=True (default) copies the screen to the serial
    console, so iPXE's messages and a script's `echo` can be waited for."""

    def __init__(self, lab, name, tap, mac, firmware="bios", nic="e1000", romfile=None, mem=1024, extra=(),
                 echo=False, sercon=True):
        self.tmp = tempfile.mkdtemp(prefix="ramhost-vm.")
        self.mac = mac
        self.tap = tap
        args = ["ip", "netns", "exec", lab.ns, "qemu-system-x86_64", "-accel", "tcg", "-m", str(mem),
                "-smp", "1", "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot"]
        dev = "%s,mac=%s,netdev=n0,bootindex=0" % (nic, mac)
        if romfile is not None:
            dev += ",romfile=" + romfile
        args += ["-netdev", "tap,id=n0,ifname=%s,script=no,downscript=no" % tap, "-device", dev]
        if firmware in ("uefi", "uefi-sb"):
            code, varsrc = (OVMF_CODE, OVMF_VARS) if firmware == "uefi" else (OVMF_CODE_SB, OVMF_VARS_SB)
            vars_copy = os.path.join(self.tmp, "vars.fd")
            shutil.copyfile(varsrc, vars_copy)
            if firmware == "uefi-sb":
                args += ["-machine", "q35,smm=on", "-global", "driver=cfi.pflash01,property=secure,value=on"]
            args += ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + code,
                     "-drive", "if=pflash,format=raw,unit=1,file=" + vars_copy]
        elif firmware != "bios":
            raise ValueError("firmware %r" % firmware)
        elif sercon:
            # SeaBIOS's serial console: what the BIOS and option ROMs print through int 10h (QEMU's iPXE ROM: its
            # banner, DHCP, `echo` of a script) reaches the serial port too; without it only the screen has it.
            port = os.path.join(self.tmp, "sercon-port")
            with open(port, "wb") as f:
                f.write(b"\xf8\x03")  # 0x3f8, COM1, as a little-endian integer
            args += ["-fw_cfg", "name=etc/sercon-port,file=" + port]
        args += list(extra)
        self._attach(name, args, echo)
        lab._guests.append(self)

    def wait_exit(self, timeout):
        """Pumps the console until QEMU exits (a reboot or poweroff with -no-reboot); True when it did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._pump(deadline):
            pass
        try:
            self.proc.wait(max(1, deadline - time.monotonic()))
            return True
        except subprocess.TimeoutExpired:
            return False


class Lab:
    """The namespace, its bridge, taps, extra hosts and processes. Use as a context manager."""

    def __init__(self, subnet="10.77.0", prefix_len=24, name=None, ra=True):
        self.subnet = subnet
        self.prefix_len = prefix_len
        self.ip = subnet + ".1"  # the bridge's address: our server, or the peers' in the validation
        self.ns = name or "%s%d-%d" % (PREFIX, os.getpid(), next(_seq))
        self.hosts = []          # extra namespaces (veth peers)
        self._procs = []
        self._guests = []
        self._taps = 0
        self._macs = 0
        self._old_term = None
        self.tmp = None
        self.closed = True
        self.ra = ra

    # --- setup and teardown -------------------------------------------------------------------------------
    def __enter__(self):
        remove_stale_labs()
        self._catch_sigterm()
        try:
            self.tmp = tempfile.mkdtemp(prefix="ramhost-lab.")
            self.closed = False
            sh("ip", "netns", "add", self.ns)
            self.ipn("link", "set", "lo", "up")
            self.ipn("link", "add", "br0", "type", "bridge", "forward_delay", "0", "stp_state", "0")
            self.ipn("addr", "add", "%s/%d" % (self.ip, self.prefix_len), "dev", "br0")
            self.ipn("link", "set", "br0", "up")
            self._quiet_ipv6(self.ns)
            if self.ra:
                self._start_ra()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _catch_sigterm(self):
        """SIGTERM becomes SystemExit in the main thread, so every `with` block's cleanup runs."""
        def on_term(signum, frame):
            raise SystemExit("netlab: SIGTERM, cleaning up")
        try:
            self._old_term = signal.signal(signal.SIGTERM, on_term)
        except ValueError:  # not the main thread: the creator handles signals
            self._old_term = None

    def close(self):
        """Removes everything: guests, processes, namespaces, temporary files. Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        for g in self._guests:
            try:
                g.close()
            except Exception:  # noqa: BLE001 - keep cleaning up
                pass
        for p in reversed(self._procs):
            try:
                p.stop(timeout=3)
            except Exception:  # noqa: BLE001
                pass
        for ns in [h.ns for h in self.hosts] + [self.ns]:
            delete_netns(ns)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self._old_term is not None:
            signal.signal(signal.SIGTERM, self._old_term)
            self._old_term = None

    @staticmethod
    def _quiet_ipv6(ns):
        """No IPv6 router solicitations or DAD in the logs and captures."""
        sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
           "net.ipv6.conf.default.disable_ipv6=1", check=False)

    def _start_ra(self):
        """IPv6 on the bridge only (a fixed link-local address, no DAD) and the router advertisement answer."""
        sh("ip", "netns", "exec", self.ns, "sysctl", "-q", "-w", "net.ipv6.conf.br0.disable_ipv6=0",
           "net.ipv6.conf.br0.accept_dad=0", "net.ipv6.conf.br0.accept_ra=0", "net.ipv6.conf.br0.autoconf=0")
        self.ipn("-6", "addr", "flush", "dev", "br0")
        self.ipn("-6", "addr", "add", "fe80::1/64", "dev", "br0", "nodad")
        p = self.spawn("%s-ra" % self.ns, [sys.executable, os.path.abspath(__file__), "ra", "br0"])
        p.wait_log(r"answering router solicitations", 20)

    # --- network pieces -----------------------------------------------------------------------------------
    def ipn(self, *args):
        """ip -n NS ARGS (inside the lab's namespace)."""
        return sh("ip", "-n", self.ns, *args)

    def addr(self, n):
        """The address n on the lab's subnet (addr(1) is the bridge)."""
        return "%s.%d" % (self.subnet, n)

    def new_tap(self):
        """A tap on the bridge, for one guest. Returns its name."""
        name = "tap%d" % self._taps
        self._taps += 1
        self.ipn("tuntap", "add", "dev", name, "mode", "tap")
        self.ipn("link", "set", name, "master", "br0")
        self.ipn("link", "set", name, "up")
        return name

    def new_mac(self):
        self._macs += 1
        return "52:54:00:77:%02x:%02x" % (self._macs >> 8, self._macs & 0xFF)

    def add_host(self, tag, host_no):
        """Another host on the segment: a namespace NS-TAG with eth0 (address subnet.host_no) on a veth whose
        other end is on the bridge. Returns an object with .ns and .ip. host_no None: eth0 has no IPv4 address
        (what it sends to 255.255.255.255 leaves from 0.0.0.0, like a PXE ROM's DHCP), and accepts packets
        from any source (rp_filter off)."""
        host = type("Host", (), {})()
        host.ns = "%s-%s" % (self.ns, tag)
        host.ip = self.addr(host_no) if host_no is not None else None
        sh("ip", "netns", "add", host.ns)
        self.hosts.append(host)
        peer = "v%s" % tag[:12]
        self.ipn("link", "add", peer, "type", "veth", "peer", "name", "eth0", "netns", host.ns)
        self.ipn("link", "set", peer, "master", "br0")
        self.ipn("link", "set", peer, "up")
        sh("ip", "-n", host.ns, "link", "set", "lo", "up")
        if host.ip:
            sh("ip", "-n", host.ns, "addr", "add", "%s/%d" % (host.ip, self.prefix_len), "dev", "eth0")
        else:
            sh("ip", "netns", "exec", host.ns, "sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=0",
               "net.ipv4.conf.eth0.rp_filter=0")
        sh("ip", "-n", host.ns, "link", "set", "eth0", "up")
        self._quiet_ipv6(host.ns)
        return host

    # --- processes ----------------------------------------------------------------------------------------
    def spawn(self, name, args, ns=None, env=None, cwd=None):
        """Starts args inside namespace ns (default: the lab's); stopped at exit. Returns a Proc."""
        p = Proc(name, ns or self.ns, args, env=env, cwd=cwd)
        self._procs.append(p)
        return p

    def run(self, args, ns=None, timeout=60, check=True):
        """Runs args inside a namespace to completion; returns (exit status, output)."""
        p = subprocess.run(["ip", "netns", "exec", ns or self.ns] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        out = p.stdout.decode("utf-8", "replace")
        if check and p.returncode != 0:
            raise RuntimeError("%s failed (%d): %s" % (" ".join(args), p.returncode, out[-1500:]))
        return p.returncode, out

    def wait_tcp(self, ip, port, timeout=20, ns=None):
        """Waits until a TCP connect to ip:port succeeds from inside the namespace."""
        code = ("import socket,sys,time\nd=time.monotonic()+%f\nwhile True:\n try:\n  socket.create_connection("
                "(%r,%d),1).close(); sys.exit(0)\n except OSError:\n  if time.monotonic()>d: sys.exit(1)\n"
                "  time.sleep(0.05)\n" % (timeout, ip, port))
        rc, _ = self.run([sys.executable, "-c", code], ns=ns, timeout=timeout + 10, check=False)
        if rc != 0:
            raise RuntimeError("nothing listens on %s:%d after %ss" % (ip, port, timeout))

    def mkdtemp(self, tag):
        return tempfile.mkdtemp(prefix=tag + ".", dir=self.tmp)

    def dnsmasq(self, name, *options, ns=None, interface="br0"):
        """dnsmasq in the foreground, no DNS (port 0), no configuration file but options, its lease file and
        log in the lab; returns the Proc once it has said it started."""
        work = self.mkdtemp("dnsmasq")
        args = ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0", "--log-facility=-",
                "--interface=" + interface, "--bind-interfaces", "--user=root", "--group=root",
                "--dhcp-leasefile=" + os.path.join(work, "leases"), "--pid-file=" + os.path.join(work, "pid"),
                "--dhcp-authoritative"] + list(options)
        p = self.spawn(name, args, ns=ns)
        p.wait_log(r"started, version", 20)
        return p

    def http_server(self, name, directory, port=8080, ns=None, ip=None):
        """python3 -m http.server on ip:port (default the bridge's address), serving directory."""
        ip = ip or self.ip
        p = self.spawn(name, [sys.executable, "-m", "http.server", "--bind", ip, "--directory", directory,
                              str(port)], ns=ns)
        self.wait_tcp(ip, port, ns=ns)
        return p

    def nginx(self, name, root, port=8080, ns=None, ip=None, workers=1, extra_http="", access_log=None):
        """nginx serving root (static files, sendfile, keep-alive) on ip:port with its own configuration and
        prefix in the lab's temporary directory (nothing under /etc or /var is used). access_log: a file for
        one line per request (default: none)."""
        ip = ip or self.ip
        prefix = self.mkdtemp("nginx")
        for d in ("tmp", "logs"):
            os.makedirs(os.path.join(prefix, d))
        conf = os.path.join(prefix, "nginx.conf")
        t = os.path.join(prefix, "tmp")
        with open(conf, "w") as f:
            f.write("""daemon off;
user root;
worker_processes %d;
error_log %s/logs/error.log warn;
pid %s/nginx.pid;
events { worker_connections 8192; }
http {
    access_log %s;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path %s/body;
    proxy_temp_path %s/proxy;
    fastcgi_temp_path %s/fastcgi;
    uwsgi_temp_path %s/uwsgi;
    scgi_temp_path %s/scgi;
    %s
    server {
        listen %s:%d reuseport;
        root %s;
        location / { }
        # an image directory's artifacts by the names boot.cfg and the iPXE scripts use: a/HEX/NAME is a/HEX
        # (the configuration docs/pxe.md gives for an external artifact server)
        location ~ "^/a/([0-9a-f]{64})/[^/]+$" { default_type application/efi; try_files /a/$1 =404; }
    }
}
""" % (workers, prefix, prefix, access_log or "off", t, t, t, t, t, extra_http, ip, port, root))
        p = self.spawn(name, ["nginx", "-p", prefix, "-c", conf, "-e", os.path.join(prefix, "logs", "error.log")],
                       ns=ns)
        self.wait_tcp(ip, port, ns=ns)
        return p

    # --- guests -------------------------------------------------------------------------------------------
    def guest(self, name, mac=None, **kw):
        """A diskless guest on a new tap (see Guest). Use as a context manager or close() it; the lab closes it
        at exit in any case."""
        return Guest(self, name, self.new_tap(), mac or self.new_mac(), **kw)


def ra_responder(ifname):
    """Answers IPv6 router solicitations on ifname with a Router Advertisement that offers nothing (router
    lifetime 0, no prefix, no M/O flags). iPXE configures IPv6 alongside DHCPv4 and, on a segment without an
    IPv6 router, waits about 16 s for an advertisement before it goes on; this answer ends that wait at once.
    Runs until killed (the lab starts it as a process)."""
    import socket
    import struct
    idx = socket.if_nametoindex(ifname)
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, socket.inet_pton(socket.AF_INET6, "ff02::2") +
                 struct.pack("@I", idx))
    s.bind(("fe80::1", 0, 0, idx))
    # type 134, code 0, checksum (the kernel fills it in), hop limit 64, flags 0, lifetime 0, reachable, retrans
    ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 0, 0, 0)
    print("netlab ra: answering router solicitations on %s" % ifname, flush=True)
    while True:
        data, src = s.recvfrom(1500)
        if data[:1] == b"\x85":  # 133: router solicitation
            s.sendto(ra, ("ff02::1", 0, 0, idx))
            print("netlab ra: advertisement for %s" % src[0], flush=True)


def ipxe_script(base_url, bank_dir, extra_opts="", echo="ramhost-lab: iPXE script running"):
    """A hand-written iPXE script booting the bootbank in bank_dir as the BIOS path does (syslinux_cfg.c): the
    kernel with boot.cfg's kernelopt + ramhost.bank=1, every module of boot.cfg and bootcfg.cpio as initrds.
    On UEFI (${platform} efi) the kernel's EFI stub loads the initrds itself, and only those its command line
    names with initrd=NAME (Debian's ipxe.efi of 2019 does not hand them over otherwise: "VFS: Unable to mount
    root fs"), so the script adds them there."""
    cfg = {}
    with open(os.path.join(bank_dir, "boot.cfg")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            cfg[k] = v
    modules = [m.strip() for m in cfg["modules"].split("---") if m.strip()] + ["bootcfg.cpio"]
    opts = " ".join(x for x in (cfg.get("kernelopt", ""), "ramhost.bank=1", extra_opts) if x)
    efi_opts = " ".join("initrd=%s" % m for m in modules)
    lines = ["#!ipxe", "echo %s" % echo, "set extra", "iseq ${platform} efi && set extra %s ||" % efi_opts,
             "kernel %s/%s %s ${extra}" % (base_url, cfg["kernel"], opts)]
    lines += ["initrd %s/%s" % (base_url, m) for m in modules]
    lines += ["boot"]
    return "\n".join(lines) + "\n"


def demo_peers(firmware="bios"):
    """Validation without our server: dnsmasq (DHCP, and TFTP of Debian's ipxe.efi for UEFI PXE clients) and
    python's http.server boot the demo bootbank through QEMU's iPXE ROM (bios), or OVMF's own PXE client gets
    an address and its boot file (uefi). Prints timings."""
    from qemu import READY_RE, RAMHOST, TOP, run
    with Lab() as lab:
        bank = os.path.join(lab.tmp, "www")
        run([RAMHOST, "image", "build", os.path.join(TOP, "examples", "demo", "profile"), "-o", bank])
        with open(os.path.join(bank, "boot.ipxe"), "w") as f:
            f.write(ipxe_script("http://%s:8080" % lab.ip, bank))
        lab.dnsmasq("netlab-dnsmasq", "--dhcp-range=%s,%s,1h" % (lab.addr(100), lab.addr(199)), "--log-dhcp",
                    "--enable-tftp", "--tftp-root=/usr/lib/ipxe", "--dhcp-match=set:ipxe,175",
                    "--dhcp-boot=tag:ipxe,http://%s:8080/boot.ipxe" % lab.ip, "--dhcp-boot=tag:!ipxe,ipxe.efi",
                    *os.environ.get("NETLAB_DNSMASQ_EXTRA", "").split())
        lab.http_server("netlab-http", bank)
        kw = {"nic": "virtio-net-pci", "romfile": ""}
        if firmware == "bios":
            kw = {"nic": os.environ.get("NETLAB_NIC", "e1000")}
        with lab.guest("netlab-%s" % firmware, firmware=firmware, **kw) as vm:
            if firmware != "bios":
                m = vm.expect(r"Station IP address is (\S+)", 180)
                print("uefi: OVMF PXE got %s after %.1f s" % (m.group(1).decode(), time.monotonic() - vm.started),
                      flush=True)
                vm.expect(r"NBP filesize is (\d+)", 60)
                print("uefi: NBP size known after %.1f s" % (time.monotonic() - vm.started), flush=True)
            m = vm.expect(r"ramhost-lab: iPXE script running", 180)
            t_script = time.monotonic() - vm.started
            print("%s: iPXE echo on serial after %.1f s" % (firmware, t_script), flush=True)
            m = vm.expect(READY_RE, 600)
            print("%s: %s after %.1f s" % (firmware, m.group(0).decode(), time.monotonic() - vm.started), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["ra"]:
        ra_responder(sys.argv[2])
    else:
        demo_peers(sys.argv[1] if len(sys.argv) > 1 else "bios")
