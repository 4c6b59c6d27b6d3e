"""pxe_fleet.py: the fleet benchmark of `make bench` (issue 11): N simulated PXE hosts (no VMs) boot at once
against a server in a network namespace, N = 50, 200, 1000 (RAMHOST_FLEET_N="50 200" to change).

Each host (bench/pxe_client.py, one asyncio process) does what a BIOS PXE ROM and iPXE do: DHCP DORA from its own
MAC, TFTP of the boot file the offer names (ipxe/undionly.kpxe, ~70 KB), then HTTP GET of the demo image's kernel
and modules (~43 MB) by their content address a/HEX. Measured: wall time until every host is done, failures
(and why), server CPU seconds and peak RSS (from /proc of the server's processes), HTTP throughput.

Servers, side by side in one run:
  - dnsmasq (DHCP + TFTP, --enable-tftp) + nginx (HTTP, worker_processes 2 = auto on this machine): the peers;
  - `ramhost pxe serve CONFIG` (one process), when the ramhost binary has it; else a "not built" line.
Both serve the same paths (ipxe/undionly.kpxe, a/HEX), from the same files.

The lab: the server on the bridge (10.77.0.1/16), the clients in a namespace on a veth (10.77.0.2), their DHCP
socket in a third namespace without an IPv4 address so DHCP leaves from 0.0.0.0 as a ROM's does.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "system"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from boot import sha  # noqa: E402
from netlab import Lab  # noqa: E402
from qemu import RAMHOST, TOP, run  # noqa: E402

CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pxe_client.py")
PROFILE = os.path.join(TOP, "examples", "demo", "profile")
BOOT_FILE = "ipxe/undionly.kpxe"
IPXE_DIR = "/usr/lib/ipxe"
# dnsmasq at its fastest: without its ping check of each address (3 s per offer, one at a time: 1000 hosts took
# 95 s with 551 failures); RAMHOST_FLEET_DNSMASQ="" measures the default.
PEER_DHCP_OPTS = os.environ.get("RAMHOST_FLEET_DNSMASQ", "--no-ping").split()
RANGE = ("10.77.1.1", "10.77.8.254")  # 2,046 addresses on 10.77.0.0/16


def report(name, value, unit):
    print("bench: %-44s %10s %s" % (name, value, unit), flush=True)


def artifacts_of(bootcfg_path):
    """[(a/HEX, NAME)] of the kernel and every module boot.cfg names, in boot order."""
    with open(bootcfg_path) as f:
        text = f.read()
    kv = dict(re.findall(r"^([^=\n]+)=(.*)$", text, re.M))
    names = [kv["kernel"]] + [m.strip() for m in kv["modules"].split("---") if m.strip()]
    return [("a/" + kv["hash." + n].split(":", 1)[1], n) for n in names]


def peer_tree(work):
    """The demo bootbank laid out in the served namespace: www/a/HEX (hard links), www/ipxe/undionly.kpxe."""
    bank = os.path.join(work, "bank")
    run([RAMHOST, "image", "build", PROFILE, "-o", bank])
    www = os.path.join(work, "www")
    os.makedirs(os.path.join(www, "a"))
    os.makedirs(os.path.join(www, "ipxe"))
    for path, name in artifacts_of(os.path.join(bank, "boot.cfg")):
        src = os.path.join(bank, name)
        if sha(src) != path[2:]:
            raise RuntimeError("%s: hash differs from boot.cfg" % src)
        os.link(src, os.path.join(www, path))
    shutil.copy(os.path.join(IPXE_DIR, "undionly.kpxe"), os.path.join(www, BOOT_FILE))
    return www, [(p, os.path.getsize(os.path.join(www, p))) for p, _ in artifacts_of(os.path.join(bank, "boot.cfg"))]


def ramhost_pxe_built():
    p = subprocess.run([RAMHOST, "pxe", "serve", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    q = subprocess.run([RAMHOST, "image", "pxe", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return not any(re.search(rb"unknown command", x.stdout) for x in (p, q))


def start_peers(lab, www, tag):
    dns = lab.dnsmasq("fleet-dnsmasq-" + tag, "--dhcp-range=%s,%s,255.255.0.0,1h" % RANGE,
                      "--dhcp-lease-max=10000", *PEER_DHCP_OPTS, "--dhcp-boot=%s,,%s" % (BOOT_FILE, lab.ip),
                      "--enable-tftp", "--tftp-root=" + www, "--tftp-max=5000")
    web = lab.nginx("fleet-nginx-" + tag, www, workers=2)
    return [dns, web]


def start_ramhost(lab, work, tag):
    """`ramhost image pxe` of the demo profile, a config with one rule for the fleet's MACs, `pxe serve`."""
    img = os.path.join(work, "img")  # built once, served at every N
    if not os.path.isdir(img):
        run([RAMHOST, "image", "pxe", PROFILE, "-o", img])
    state = lab.mkdtemp("ramhost-state-" + tag)
    conf = os.path.join(state, "pxe.conf")
    # tftp-max-clients: every host of the 1000 may be in TFTP at once (default 256); dropped if refused
    for limit in ("tftp-max-clients = 4096\n", ""):
        with open(conf, "w") as f:
            f.write("mode = full\ninterface = br0\nserver-ip = %s\nrange = %s-%s\nlease-file = %s/leases\n"
                    "state-dir = %s\nhttp-port = 8080\nipxe-dir = %s\n%s\nimage demo %s\n\n"
                    "rule fleet\n    match mac 52:54:01:*\n    image demo\n    state none\n" % (
                        lab.ip, RANGE[0], RANGE[1], state, state, IPXE_DIR, limit, img))
        srv = lab.spawn("fleet-ramhost-%s%s" % (tag, "" if limit else "-nolimit"), [RAMHOST, "pxe", "serve", conf])
        try:
            lab.wait_tcp(lab.ip, 8080)
            break
        except RuntimeError:
            srv.stop()
            if not limit or "tftp-max-clients" not in srv.text():
                raise RuntimeError("ramhost pxe serve did not start: %s" % srv.text()[-500:])
    paths = [(p, os.path.getsize(os.path.join(img, p))) for p, _ in artifacts_of(os.path.join(img, "boot.cfg"))]
    return [srv], paths


def usage(procs):
    cpu, rss = 0.0, 0
    for p in procs:
        c, r = p.usage()
        cpu += c
        rss += r
    return cpu, rss


def fleet(lab, clients, dhcpc, n, paths, procs):
    """Runs the clients against the started servers; returns the summary dict."""
    boot_size = os.path.getsize(os.path.join(IPXE_DIR, "undionly.kpxe"))
    cpu0, _ = usage(procs)
    args = [sys.executable, CLIENT, "--n", str(n), "--dhcp-ns", dhcpc.ns, "--bind", clients.ip,
            "--boot-file", BOOT_FILE, "--boot-size", str(boot_size), "--http-server", lab.ip]
    for p, size in paths:
        args += ["--path", "%s:%d" % (p, size)]
    t0 = time.monotonic()
    rc, out = lab.run(args, ns=clients.ns, timeout=900, check=False)
    wall_outer = time.monotonic() - t0
    cpu1, rss = usage(procs)
    alive = all(p.alive() for p in procs)
    try:
        res = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError("fleet client failed (%d): %s" % (rc, out[-2000:]))
    hosts = res["hosts"]
    failed = [h for h in hosts if "failed" in h]
    http_start = min((h["tftp"] for h in hosts if "http" in h), default=0)
    http_end = max((h["http"] for h in hosts if "http" in h), default=0)
    http_bytes = sum(h.get("http_bytes", 0) for h in hosts)
    return {
        "n": n, "wall": res["wall"], "wall_outer": wall_outer, "failed": len(failed),
        "why": sorted({"%s: %s" % (h["failed"], h["why"][:160]) for h in failed})[:5],
        "dhcp_done": max((h["dhcp"] for h in hosts if "dhcp" in h), default=0),
        "tftp_done": max((h["tftp"] for h in hosts if "tftp" in h), default=0),
        "dhcp_retrans": sum(h.get("dhcp_retrans", 0) for h in hosts),
        "dhcp_restarts": sum(h.get("dhcp_restarts", 0) for h in hosts),
        "tftp_retrans": sum(h.get("tftp_retrans", 0) for h in hosts),
        "tftp_retries": sum(len(h.get("tftp_errors", [])) for h in hosts),
        "http_mbps": http_bytes / 1e6 / (http_end - http_start) if http_end > http_start else 0,
        "cpu": cpu1 - cpu0, "rss_kib": rss, "client_cpu": res.get("client_cpu", 0), "server_alive": alive,
    }


def one_setup(name, ns_list, start):
    """Runs every N against one kind of server (started afresh per N); returns {n: summary}."""
    out = {}
    for n in ns_list:
        with Lab(subnet="10.77.0", prefix_len=16, ra=False) as lab:
            clients = lab.add_host("cl", 2)
            dhcpc = lab.add_host("dc", None)
            procs, paths = start(lab, n)
            r = fleet(lab, clients, dhcpc, n, paths, procs)
            out[n] = r
            report("fleet %s N=%d wall" % (name, n), "%.2f" % r["wall"], "s")
            report("fleet %s N=%d failures" % (name, n), r["failed"], "hosts" + (
                " (%s)" % "; ".join(r["why"]) if r["why"] else ""))
            report("fleet %s N=%d server CPU" % (name, n), "%.2f" % r["cpu"], "s")
            report("fleet %s N=%d server peak RSS" % (name, n), "%.1f" % (r["rss_kib"] / 1024), "MiB")
            report("fleet %s N=%d HTTP throughput" % (name, n), "%.0f" % r["http_mbps"], "MB/s")
    return out


def table(results, ns_list):
    cols = [k for k in results]
    print("\nfleet benchmark: N hosts DHCP + TFTP %s + HTTP of the demo artifacts, all powered on at once" %
          BOOT_FILE)
    head = "%-6s %-26s" % ("N", "") + "".join("%22s" % c for c in cols)
    print(head)
    rows = [("wall time (s)", "wall", "%.2f"), ("failures", "failed", "%d"), ("DHCP all done (s)", "dhcp_done",
            "%.2f"), ("TFTP all done (s)", "tftp_done", "%.2f"), ("DHCP retransmissions", "dhcp_retrans", "%d"),
            ("DHCP restarts (NAK, no ACK)", "dhcp_restarts", "%d"),
            ("TFTP retransmissions", "tftp_retrans", "%d"), ("TFTP transfers retried", "tftp_retries", "%d"),
            ("server CPU (s)", "cpu", "%.2f"),
            ("server peak RSS (MiB)", "rss_kib", "%.1f"), ("HTTP throughput (MB/s)", "http_mbps", "%.0f"),
            ("client CPU (s)", "client_cpu", "%.1f")]
    for n in ns_list:
        for label, key, fmt in rows:
            cells = []
            for c in cols:
                r = results[c]
                if not isinstance(r, dict):
                    cells.append("%22s" % r)
                    continue
                v = r[n][key]
                cells.append("%22s" % (fmt % (v / 1024 if key == "rss_kib" else v)))
            print("%-6s %-26s%s" % (n, label, "".join(cells)))
        print()
    sys.stdout.flush()


def main():
    ns_list = [int(x) for x in os.environ.get("RAMHOST_FLEET_N", "50 200 1000").split()]
    work = tempfile.mkdtemp(prefix="ramhost-fleet.")
    try:
        www, peer_paths = peer_tree(work)
        results = {}
        results["dnsmasq+nginx"] = one_setup(
            "dnsmasq+nginx", ns_list, lambda lab, n: (start_peers(lab, www, str(n)), peer_paths))
        if ramhost_pxe_built():
            try:
                results["ramhost pxe serve"] = one_setup(
                    "ramhost", ns_list, lambda lab, n: start_ramhost(lab, work, str(n)))
            except Exception as e:  # noqa: BLE001 - the baseline still gets printed
                report("fleet ramhost", "FAILED", str(e).splitlines()[0][:200])
                results["ramhost pxe serve"] = "failed"
        else:
            report("fleet ramhost pxe serve", "not built", "(ramhost has no `pxe serve` / `image pxe` yet)")
            results["ramhost pxe serve"] = "not built"
        table(results, ns_list)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
