"""tftp.py: TFTP throughput for `make bench`: a 64 MiB file at blksize 1468 from `ramhost pxe serve`, tftp-hpa
(in.tftpd) and dnsmasq, at windowsize 1, 16 and 64 where the server accepts it (RFC 7440: tftp-hpa and dnsmasq
do not, and their OACK says so), over loopback and through a 25 ms round trip (bench/tftp_relay.py holds every
packet 12.5 ms each way: this kernel has no netem). The client is bench/tftp_client.py; every transfer's bytes
are checked against the file's SHA-256.

A window of one block over 25 ms is one round trip per 1468 bytes (~19 minutes for 64 MiB), so the 25 ms rows
measure a prefix of the file: the first 2 MiB at window 1, 16 MiB at window 16, all 64 MiB at window 64; every
server of a row is measured the same way, and the table says which prefix. Everything runs in a network
namespace created here (port 69 free for dnsmasq, which cannot move it) and removed on the way out.

Prints the table and `bench: tftp-... VALUE MiB/s` lines; needs root (ip netns).
"""
import hashlib
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tftp_client  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RAMHOST = os.environ.get("RAMHOST", os.path.join(TOP, "build", "ramhost"))
SIZE = 64 << 20
BLKSIZE = 1468
MIB = float(1 << 20)
INSIDE = "RAMHOST_BENCH_TFTP_NETNS"
PORTS = {"ramhost": 7069, "tftp-hpa": 6969, "dnsmasq": 69}
RELAY_OFFSET = 1000
ROWS = [("loopback", 1, SIZE), ("loopback", 16, SIZE), ("loopback", 64, SIZE),
        ("25 ms", 1, 2 << 20), ("25 ms", 16, 16 << 20), ("25 ms", 64, SIZE)]


def report(name, value, unit):
    print("bench: %-34s %10s %s" % (name, value, unit), flush=True)


# ---- outside: the namespace ----

def outside():
    ns = "rhbench-tftp-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
        env = dict(os.environ, **{INSIDE: ns})
        return subprocess.run(["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__)],
                              env=env).returncode
    finally:
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
        for pid in pids:    # only processes of the namespace this bench made
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", ns], check=False)


# ---- inside: servers ----

def probe(port, deadline=10.0):
    """Waits until something answers a TFTP request on port; True when it did."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    end = time.monotonic() + deadline
    try:
        while time.monotonic() < end:
            s.sendto(struct.pack("!H", 1) + b"ready-probe\0octet\0", ("127.0.0.1", port))
            try:
                s.recvfrom(1024)
                return True
            except socket.timeout:
                pass
        return False
    finally:
        s.close()


def write_image(img, data, digest):
    """The image directory of `ramhost image pxe` by hand: image.conf, a boot.cfg naming the file, a/HEX."""
    os.makedirs(os.path.join(img, "a"))
    with open(os.path.join(img, "a", digest), "wb") as f:
        f.write(data)
    with open(os.path.join(img, "image.conf"), "w") as f:
        f.write("name=bench\nbuild=bench\nserver-cert-sha256=none\n")
    with open(os.path.join(img, "boot.cfg"), "w") as f:
        f.write("title=TFTP bench\nbuild=bench\nkernel=bench.bin\nkernelopt=\nmodules=\n"
                "hash.bench.bin=sha256:%s\n" % digest)
    with open(os.path.join(img, "ramhost.efi"), "wb") as f:
        f.write(b"MZ placeholder: the bench fetches only a/HEX\n")
    for root, dirs, files in os.walk(img):
        os.chmod(root, 0o755)
        for n in files:
            os.chmod(os.path.join(root, n), 0o644)


def start_ramhost(work, img, log):
    if not os.access(RAMHOST, os.X_OK):
        return None, "ramhost pxe serve: not built (%s missing)" % RAMHOST
    probe_run = subprocess.run([RAMHOST, "pxe", "serve", "--help"], capture_output=True, text=True)
    if "unknown command" in probe_run.stderr:
        return None, "ramhost pxe serve: not built"
    conf = os.path.join(work, "pxe.conf")
    state = os.path.join(work, "state")
    os.makedirs(state)
    with open(conf, "w") as f:
        f.write("mode = off\ninterface = lo\nserver-ip = 127.0.0.1\ntftp-port = %d\nhttp-port = 18080\n"
                "state-dir = %s\nimage bench %s\n" % (PORTS["ramhost"], state, img))
    return subprocess.Popen([RAMHOST, "pxe", "serve", conf], stdout=log, stderr=log), None


def start_tftp_hpa(work, img, log):
    # "-a 127.0.0.1:PORT" fails here: tftp-hpa resolves it with AI_ADDRCONFIG, which ignores loopback, and the
    # namespace has nothing else; any address of the namespace is only 127.0.0.1 anyway
    return subprocess.Popen(["in.tftpd", "-L", "-4", "-s", img, "-a", ":%d" % PORTS["tftp-hpa"]],
                            stdout=log, stderr=log), None


def start_dnsmasq(work, img, log):
    return subprocess.Popen(["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--enable-tftp",
                             "--tftp-root=%s" % img, "--listen-address=127.0.0.1", "--bind-interfaces",
                             "--user=root", "--group=root", "--pid-file=", "--log-facility=-"],
                            stdout=log, stderr=log), None


STARTERS = [("ramhost", start_ramhost), ("tftp-hpa", start_tftp_hpa), ("dnsmasq", start_dnsmasq)]


# ---- inside: the measurements ----

def measure(port, name, window, limit, want):
    """One transfer: (MiB/s, seconds) or a short text saying why not."""
    try:
        r = tftp_client.get("127.0.0.1", port, name, BLKSIZE, window, None if limit >= SIZE else limit,
                            timeout=5.0)
    except tftp_client.NoWindowsize:
        return "no windowsize"
    except (tftp_client.TftpError, OSError) as e:
        return "failed: %s" % e
    if r["bytes"] != min(limit, SIZE) or r["sha256"] != want:
        return "WRONG BYTES (%d)" % r["bytes"]
    return (r["bytes"] / r["seconds"] / MIB, r["seconds"])


def cell(v):
    if not isinstance(v, tuple):
        return v
    return ("%7.3f" if v[0] < 1 else "%7.2f") % v[0] + " MiB/s %6.2f s" % v[1]


def print_table(results, names):
    print("\nTFTP: 64 MiB file, blksize 1468; MiB/s and seconds of the measured bytes", flush=True)
    head = "%-9s %-6s %-8s" % ("path", "window", "measured") + "".join(" %-24s" % n for n in names)
    print(head)
    print("-" * len(head))
    for path, window, limit in ROWS:
        line = "%-9s %-6d %-8s" % (path, window, "%d MiB" % (limit >> 20))
        print(line + "".join(" %-24s" % cell(results.get((n, path, window), "-")) for n in names), flush=True)


def run_rows(servers, digests, results):
    for path, window, limit in ROWS:
        for n, port in servers:
            if path != "loopback":
                port += RELAY_OFFSET
            if window > 1 and results.get((n, "loopback", 16)) == "no windowsize":
                results[(n, path, window)] = "no windowsize"
                continue
            v = measure(port, "a/" + digests[SIZE], window, limit, digests[min(limit, SIZE)])
            results[(n, path, window)] = v
            if isinstance(v, tuple):
                report("tftp-%s-%s-w%d" % (n, "lo" if path == "loopback" else "25ms", window),
                       "%.3f" % v[0], "MiB/s")


def summary(results):
    hpa = results.get(("tftp-hpa", "25 ms", 1))
    ours = [v for (n, p, w), v in results.items() if n == "ramhost" and p == "25 ms" and isinstance(v, tuple)]
    if isinstance(hpa, tuple) and ours:
        best = max(v[0] for v in ours)
        report("tftp-25ms-ramhost-vs-tftp-hpa", "%.1f" % (best / hpa[0]), "x (goal >= 10)")


def inside():
    work = tempfile.mkdtemp(prefix="ramhost-bench-tftp.")
    os.chmod(work, 0o755)
    img = os.path.join(work, "img")
    data = os.urandom(SIZE)
    digests = {n: hashlib.sha256(data[:n]).hexdigest() for n in set(min(r[2], SIZE) for r in ROWS)}
    write_image(img, data, digests[SIZE])
    del data
    procs, servers, results = [], [], {}
    names = [n for n, _ in STARTERS]
    try:
        for n, start in STARTERS:
            log = open(os.path.join(work, n + ".log"), "w")
            p, why = start(work, img, log)
            if p is None:
                print("bench/tftp.py: %s" % why, flush=True)
                results.update({(n, path, w): "not built" for path, w, _ in ROWS})
                continue
            procs.append(p)
            if not probe(PORTS[n]):
                log.flush()
                with open(log.name) as f:
                    print("bench/tftp.py: %s did not start: %s" % (n, f.read().strip()[-500:]), flush=True)
                results.update({(n, path, w): "did not start" for path, w, _ in ROWS})
                continue
            r = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "tftp_relay.py"),
                                  str(PORTS[n] + RELAY_OFFSET), str(PORTS[n]), "12.5"], stdout=subprocess.PIPE)
            procs.append(r)
            r.stdout.readline()
            servers.append((n, PORTS[n]))
        run_rows(servers, digests, results)
        summary(results)
        print_table(results, names)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["rm", "-rf", work], check=False)
    return 0


def main():
    if os.geteuid() != 0:
        print("bench/tftp.py: needs root (ip netns)", file=sys.stderr)
        return 1
    if os.environ.get(INSIDE):
        return inside()
    return outside()


if __name__ == "__main__":
    sys.exit(main())
