"""test_pxe.py: network boot with `ramhost pxe serve` (issue 11, "Proof in make check" 1 to 7 and the nginx
artifact server), diskless QEMU guests (TCG) in network namespaces made by tests/system/netlab.py.

Labs (each a namespace with a bridge; nothing leaves it):
  A  ramhost in full DHCP mode with rules:
       1/5  guest "web" (SeaBIOS + QEMU's iPXE ROM): ready; /proc/cmdline has the rule's options and hostname;
       5    guest "b" gets the other image (build=demo-2.0) and hostname; an unknown MAC gets the
            "no rule matches" script, its `echo` seen on the serial console (SeaBIOS sercon);
       2    OVMF's own PXE client (romfile=""): ramhost.efi in network mode boots to ready; the server's TFTP
            log line shows a windowsize above 1 negotiated (OVMF asks blksize 1468 windowsize 4);
       3    UEFI HTTP Boot (OVMF, its PXE off through fw_cfg): the offer to the HTTPClient carries the URL of
            img/demo/ramhost.efi (rule `match arch efi-http`), the loader fetches boot.cfg and the modules over
            HTTP to ready; the server logs the loader, bootcfg, artifact and ready steps for the MAC;
       6    diskless state: a sticky file, `ramhost state save`, reboot: it is back (ready says state=N); PUTs
            with a wrong, missing or other host's token, a damaged and an oversized body are refused and the
            stored generations are unchanged; kill -9 of the server during an upload loses nothing stored.
  B  4: ramhost in proxy mode beside dnsmasq (another namespace) that gives the addresses, no boot options.
  C  ramhost for DHCP, TFTP, scripts and state, `artifact-url` pointing at nginx (another namespace) serving
     the image directory: the guest boots, and its artifacts come from nginx.
  D  7: Secure Boot (OVMF secboot build, snakeoil keys enrolled): images signed with the snakeoil key, server
     key A generated here. A server with sign-key A refuses to load an image whose loader trusts B (naming both
     SHA-256s); over OVMF's PXE the loader trusting A boots to ready with "signature verified"; a loader that
     trusts B (its image.conf edited to name A, so that the server loads it: see scenario_secure_boot) refuses
     the boot.cfg A signed with the "bad signature ... not booting it" line and boots nothing.
The image directories are built once; independent guests boot two at a time. Until `ramhost pxe serve` exists
the file prints one FAIL line saying so.
"""
import concurrent.futures
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlab import Lab  # noqa: E402
from qemu import READY_RE, RAMHOST, SNAKEOIL_CERT, SNAKEOIL_KEY, TOP, Report, run  # noqa: E402

PROFILE = os.path.join(TOP, "examples", "demo", "profile")
EXTRAS = os.path.join(TOP, "examples", "demo", "extras")
BOOT = 300                       # seconds to the ready line, TCG
STATE_MAX = 16 << 20             # state-max-size of lab A
NO_RULE_RE = r"(?i)no rule match[^\r\n]*"
# a boot that cannot reach ready: fail at once rather than at the timeout
GAVE_UP_RE = (r"No bootable device|BdsDxe: failed to load[^\r\n]*|Kernel panic[^\r\n]*|(?i:no rule match)[^\r\n]*"
              r"|Nothing to boot[^\r\n]*|network boot failed[^\r\n]*")
MAC_WEB, MAC_B, MAC_UNKNOWN = "52:54:00:77:01:01", "52:54:00:77:05:02", "52:54:00:99:00:01"
MAC_STATE, MAC_STATE_OTHER, MAC_EFI = "52:54:00:77:06:01", "52:54:00:77:06:02", "52:54:00:77:02:01"
MAC_PROXY, MAC_NGINX = "52:54:00:77:04:01", "52:54:00:77:07:01"
MAC_HTTP, MAC_SB, MAC_SB_BAD = "52:54:00:77:03:01", "52:54:00:77:08:01", "52:54:00:77:08:02"
# OVMF without its PXE and IPv6 (fw_cfg knobs, as test_efi_net.py): UEFI HTTPv4 Boot is the only boot option
HTTP_BOOT_ONLY = ["-fw_cfg", "name=opt/org.tianocore/IPv4PXESupport,string=no",
                  "-fw_cfg", "name=opt/org.tianocore/IPv6PXESupport,string=no",
                  "-fw_cfg", "name=opt/org.tianocore/IPv6Support,string=no"]


class Checks(Report):
    """Report with a lock: scenarios run in two threads."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()

    def check(self, name, ok, detail=""):
        with self.lock:
            return super().check(name, ok, detail)


def hyph(mac):
    return mac.replace(":", "-").lower()


def plain(mac):
    return mac.replace(":", "").lower()


def pxe_built():
    for cmd in (["pxe", "serve", "--help"], ["image", "pxe", "--help"]):
        p = subprocess.run([RAMHOST] + cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if re.search(rb"unknown command", p.stdout):
            return False
    return True


def build_images(work):
    """Two image directories: demo (build=demo-1.0) and demo2, the same profile at version 2.0."""
    demo = os.path.join(work, "img-demo")
    run([RAMHOST, "image", "pxe", PROFILE, "-o", demo])
    prof2 = os.path.join(work, "profile2")
    with open(PROFILE) as f:
        text = f.read()
    text = re.sub(r"^version = .*$", "version = 2.0", text, flags=re.M)
    text = re.sub(r"^tardisk = extras extras$", "tardisk = extras " + EXTRAS, text, flags=re.M)
    with open(prof2, "w") as f:
        f.write(text)
    demo2 = os.path.join(work, "img-demo2")
    run([RAMHOST, "image", "pxe", prof2, "-o", demo2])
    return demo, demo2


def write_conf(lab, name, settings, body):
    """Writes a config (settings dict + rules text) in a new state directory; returns (config path, state dir)."""
    state = lab.mkdtemp("state-" + name)
    conf = os.path.join(state, "pxe.conf")
    base = {"interface": "br0", "server-ip": lab.ip, "state-dir": state, "lease-file": state + "/leases",
            "http-port": "8080", "ipxe-dir": "/usr/lib/ipxe"}
    base.update(settings)
    with open(conf, "w") as f:
        f.write("".join("%s = %s\n" % kv for kv in base.items()) + "\n" + body)
    return conf, state


def serve(lab, name, settings, body):
    """Writes a config (write_conf) and starts `ramhost pxe serve` in the lab; returns (proc, config path,
    state dir)."""
    conf, state = write_conf(lab, name, settings, body)
    p = start_server(lab, name, conf)
    return p, conf, state


def start_server(lab, name, conf):
    p = lab.spawn("pxe-serve-%s-%d" % (name, int(time.monotonic() * 1000) % 100000), [RAMHOST, "pxe", "serve", conf])
    lab.wait_tcp(lab.ip, 8080)
    return p


def boot_ready(r, lab, name, mac, prefix, **kw):
    """Boots a guest with mac; returns (guest, ready match) with its shell ready, or (guest, None) after a
    FAIL line."""
    vm = lab.guest(name, mac=mac, **kw)
    try:
        m = vm.expect(r"(?:%s)|(%s)" % (READY_RE, GAVE_UP_RE), BOOT)
        if m.group(6):
            raise RuntimeError("the guest gave up: %s; its loader said: %r" % (
                m.group(6).decode("utf-8", "replace"), re.findall(rb"ramhost\.efi: [^\r\n]*", vm.buf)[-4:]))
        vm.shell()
        return vm, m
    except Exception as e:  # noqa: BLE001 - one FAIL line, the other scenarios go on
        r.check(prefix + "_ready", False, str(e)[-1500:])
        return vm, None


# --- lab A ---------------------------------------------------------------------------------------------------

def lab_a_rules(demo, demo2):
    return """image demo %s
image demo2 %s

rule web
    match mac %s
    image demo
    kernelopt rhtest.rule=web
    hostname web-{mac}

rule two
    match mac %s
    image demo2
    kernelopt rhtest.rule=two
    hostname two-{mac-}

rule efi
    match mac %s
    match arch efi-x64
    image demo
    kernelopt rhtest.rule=efi
    hostname efi-{mac}

rule http
    match mac %s
    match arch efi-http
    image demo
    kernelopt rhtest.rule=http
    hostname http-{mac}

rule keep
    match mac 52:54:00:77:06:*
    image demo
    kernelopt rhtest.rule=keep
    hostname st-{mac}
    state keep
""" % (demo, demo2, MAC_WEB, MAC_B, MAC_EFI, MAC_HTTP)


def cmdline_has(r, prefix, vm, want):
    rc, out = vm.sh("cat /proc/cmdline")
    missing = [w for w in want if w not in out.split()]
    r.check(prefix + "_cmdline", rc == 0 and not missing, "missing %s in %r" % (missing, out))
    return out


def scenario_rule(r, lab, name, mac, prefix, build, want):
    """1 and 5: a SeaBIOS guest with QEMU's iPXE ROM, full DHCP, reaches ready with the image (build) and the
    kernel options (want) its rule gives; the hostname is the rule's."""
    vm, m = boot_ready(r, lab, name, mac, prefix)
    with vm:
        if not m:
            return
        r.check(prefix + "_image", m.group(5) == build.encode(), m.group(0).decode())
        cmdline_has(r, prefix, vm, want)
        host = [w.split("=", 1)[1] for w in want if w.startswith("ramhost.hostname=")][0]
        rc, out = vm.sh("hostname")
        r.check(prefix + "_hostname", out.strip().endswith(host), out)


def scenario_web(r, lab):
    scenario_rule(r, lab, "pxe-web", MAC_WEB, "pxe_bios_ipxe", "demo-1.0",
                  ["rhtest.rule=web", "ramhost.hostname=web-" + plain(MAC_WEB), "ramhost.net=1"])


def scenario_two(r, lab):
    scenario_rule(r, lab, "pxe-two", MAC_B, "pxe_rule_two", "demo-2.0",
                  ["rhtest.rule=two", "ramhost.hostname=two-" + hyph(MAC_B)])


def scenario_unknown(r, lab):
    """5: an unknown MAC gets the "no rule matches" script, its message on the console, never ready."""
    with lab.guest("pxe-unknown", mac=MAC_UNKNOWN) as vm:
        try:
            m = vm.expect(NO_RULE_RE, 120)
            r.check("pxe_unknown_mac_no_rule_message", True, m.group(0).decode())
        except Exception as e:  # noqa: BLE001
            r.check("pxe_unknown_mac_no_rule_message", False, str(e)[-1500:])
        r.check("pxe_unknown_mac_not_booted", not vm.seen(r"ramhost: ready"))


def scenario_efi(r, lab, server):
    """2: OVMF's own PXE client, TFTP with a window, ramhost.efi in network mode to ready."""
    vm, m = boot_ready(r, lab, "pxe-efi", MAC_EFI, "pxe_ovmf_pxe", firmware="uefi", nic="virtio-net-pci",
                       romfile="")
    with vm:
        if not m:
            return
        r.check("pxe_ovmf_pxe_ready", m.group(5) == b"demo-1.0", m.group(0).decode())
        cmdline_has(r, "pxe_ovmf_pxe", vm, ["rhtest.rule=efi", "ramhost.hostname=efi-" + plain(MAC_EFI)])
    lines = [ln for ln in server.text().splitlines() if MAC_EFI in ln.lower() and "tftp" in ln.lower()]
    wins = [int(w) for ln in lines for w in re.findall(r"window(?:size)?[= ](\d+)", ln)]
    r.check("pxe_ovmf_tftp_windowsize", any(w > 1 for w in wins), "server TFTP lines: %r" % lines[-5:])


def scenario_http(r, lab, server):
    """3: UEFI HTTP Boot (OVMF's PXE off): our DHCP answers the HTTPClient request with the URL of
    img/demo/ramhost.efi; the loader fetches boot.cfg and the modules over HTTP to ready."""
    vm, m = boot_ready(r, lab, "pxe-http", MAC_HTTP, "pxe_ovmf_http", firmware="uefi", nic="virtio-net-pci",
                       romfile="", extra=HTTP_BOOT_ONLY)
    with vm:
        if not m:
            return
        r.check("pxe_ovmf_http_ready", m.group(5) == b"demo-1.0", m.group(0).decode())
        r.check("pxe_ovmf_http_loader_over_http",
                vm.seen(r"network boot: MAC %s, server http://%s:8080/" % (hyph(MAC_HTTP), re.escape(lab.ip)))
                and vm.seen(r"booting \(demo-1\.0\) from network \(HTTP\)"),
                "console: %r" % re.findall(rb"ramhost\.efi: [^\r\n]*", vm.buf)[:6])
        cmdline_has(r, "pxe_ovmf_http", vm, ["rhtest.rule=http", "ramhost.hostname=http-" + plain(MAC_HTTP)])
    # the server's log, one line per step: the offer carries the URL (the rule matched arch efi-http), then the
    # firmware's GETs of the loader, the host's boot.cfg and the artifacts, then the host's ready report (sent
    # in the background by the booted host: waited for)
    try:
        server.wait_log(r"%s ready http GET " % MAC_HTTP, 60)
    except RuntimeError:
        pass  # the check below says what is missing
    text = "\n".join(ln for ln in server.text().splitlines() if MAC_HTTP in ln.lower())
    steps = {"dhcp_url": r"dhcp-offer \S+ image=demo rule=http file=http://%s:8080/img/demo/ramhost\.efi" % lab.ip,
             "loader": r"loader http GET /img/demo/ramhost\.efi 200 ",
             "bootcfg": r"bootcfg http GET /host/%s/boot\.cfg 200 " % hyph(MAC_HTTP),
             "artifact": r"artifact http GET /a/[0-9a-f]{64}/vmlinuz 200 ",
             "ready": r"ready http GET /host/%s/ready 200" % hyph(MAC_HTTP)}
    for step, rx in steps.items():
        r.check("pxe_ovmf_http_server_" + step, re.search(rx, text) is not None,
                "no %r in the server's lines for %s: %r" % (rx, MAC_HTTP, text.splitlines()[-6:]))


def generations(state_dir, mac):
    """{file name: sha256} of the host's stored generations."""
    out = {}
    for d in glob.glob(os.path.join(state_dir, "hosts", "*")):
        if re.sub(r"[^0-9a-f]", "", os.path.basename(d).lower()) != plain(mac):
            continue
        for f in glob.glob(os.path.join(d, "state-*.rhs")):
            with open(f, "rb") as fh:
                out[os.path.basename(f)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def put_state(lab, mac, body_path, token, timeout=60):
    """PUT host/MAC/state from inside the lab; returns the HTTP status as text ("000": no answer)."""
    args = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "--max-time", str(timeout),
            "--data-binary", "@" + body_path, "http://%s:8080/host/%s/state" % (lab.ip, hyph(mac))]
    if token is not None:
        args += ["-H", "X-Ramhost-Token: " + token]
    _, out = lab.run(args, check=False, timeout=timeout + 10)
    return out.strip()[-3:]


def scenario_state(r, lab, ctx):
    """6: a sticky file saved to the server comes back after a reboot; bad uploads are refused."""
    # virtio-net: the demo's init loads virtio_net, so the booted host has its network (e1000 is not in init)
    vm, m = boot_ready(r, lab, "pxe-state-1", MAC_STATE, "pxe_state_first_boot", nic="virtio-net-pci")
    with vm:
        if not m:
            return
        r.check("pxe_state_first_boot_defaults", m.group(3) == b"none@net", m.group(0).decode())
        out = cmdline_has(r, "pxe_state", vm, ["rhtest.rule=keep", "ramhost.hostname=st-" + plain(MAC_STATE)])
        tok = re.search(r"ramhost\.state\.token=(\S+)", out)
        url = re.search(r"ramhost\.state\.url=(\S+)", out)
        r.check("pxe_state_url_and_token", bool(tok and url) and hyph(MAC_STATE) in url.group(1), out)
        rc, out = vm.sh("echo pxe-sticky-1 > /etc/motd && ramhost state save", 180)
        g = re.search(r"saved generation (\d+)", out)
        r.check("pxe_state_save", rc == 0 and bool(g), out)
        gens = generations(ctx["state"], MAC_STATE)
        r.check("pxe_state_stored_on_server", len(gens) >= 1, "%r" % gens)
        vm.send("reboot\n")
        r.check("pxe_state_clean_reboot", vm.wait_exit(120))
    if not (g and tok):
        return
    vm, m = boot_ready(r, lab, "pxe-state-2", MAC_STATE, "pxe_state_second_boot", nic="virtio-net-pci")
    with vm:
        if not m:
            return
        # the newest generation on the server: the one saved, or a later one from the shutdown save
        newest = max([int(re.search(r"(\d+)", n).group(1)) for n in generations(ctx["state"], MAC_STATE)] or [0])
        r.check("pxe_state_restored_ready_line", m.group(3) == b"%d@net" % newest and newest >= int(g.group(1)),
                "%s (saved %s, newest on the server %d)" % (m.group(0).decode(), g.group(1), newest))
        rc, out = vm.sh("cat /etc/motd")
        r.check("pxe_state_sticky_file_back", out.strip().endswith("pxe-sticky-1"), out)
    ctx["token"] = tok.group(1)
    refusals(r, lab, ctx)


def refusals(r, lab, ctx):
    """Bad uploads to host/MAC/state: each refused, the stored generations unchanged."""
    state, token = ctx["state"], ctx["token"]
    before = generations(state, MAC_STATE)
    newest = sorted(before)[-1]
    src = glob.glob(os.path.join(state, "hosts", "*", newest))
    src = [s for s in src if re.sub(r"[^0-9a-f]", "", s.split("/")[-2].lower()) == plain(MAC_STATE)][0]
    good = os.path.join(lab.tmp, "good.rhs")
    shutil.copyfile(src, good)
    ctx["good"] = good
    damaged = os.path.join(lab.tmp, "damaged.rhs")
    with open(good, "rb") as f:
        data = bytearray(f.read())
    data[len(data) // 2] ^= 0xFF
    with open(damaged, "wb") as f:
        f.write(data)
    big = os.path.join(lab.tmp, "big.rhs")
    with open(big, "wb") as f:
        f.write(os.urandom(STATE_MAX + (1 << 20)))
    # another host's token: the one its boot script carries
    _, script = lab.run(["curl", "-s", "http://%s:8080/host/%s/boot.ipxe" % (lab.ip, hyph(MAC_STATE_OTHER))],
                        check=False)
    other = re.search(r"ramhost\.state\.token=(\S+)", script)
    bad_tok = token[:-1] + ("0" if token[-1] != "0" else "1")
    cases = [("wrong_token", good, bad_tok), ("missing_token", good, None), ("damaged_upload", damaged, token),
             ("oversized_upload", big, token)]
    if other:
        cases.append(("other_hosts_token", good, other.group(1)))
    else:
        r.check("pxe_state_other_host_token_found", False, "no token in host/%s/boot.ipxe: %r" % (
            hyph(MAC_STATE_OTHER), script[-500:]))
    for name, body, t in cases:
        code = put_state(lab, MAC_STATE, body, t)
        r.check("pxe_state_refused_" + name, code == "000" or code[:1] == "4",
                "HTTP %s" % code)
        r.check("pxe_state_unchanged_after_" + name, generations(state, MAC_STATE) == before)
    r.check("pxe_state_server_alive_after_refusals", ctx["server"].alive())


SLOW_PUT = r"""
import socket, sys, time
body = open(sys.argv[1], "rb").read()
s = socket.create_connection((sys.argv[2], 8080))
s.sendall(("PUT /host/%s/state HTTP/1.1\r\nHost: x\r\nX-Ramhost-Token: %s\r\nContent-Length: %d\r\n\r\n"
           % (sys.argv[3], sys.argv[4], len(body))).encode())
s.sendall(body[:len(body) // 2])
print("half sent", flush=True)
time.sleep(60)
"""


def kill9_during_upload(r, lab, ctx, conf):
    """6: kill -9 of the server in the middle of an upload; the stored generations are intact after, and the
    restarted server serves the newest one."""
    if "good" not in ctx:
        r.check("pxe_state_kill9_during_upload", False, "the state scenario did not get that far")
        return
    before = generations(ctx["state"], MAC_STATE)
    up = lab.spawn("pxe-slow-put", [sys.executable, "-c", SLOW_PUT, ctx["good"], lab.ip, hyph(MAC_STATE),
                                    ctx["token"]])
    up.wait_log(r"half sent", 30)
    time.sleep(0.5)
    ctx["server"].kill9()
    up.stop()
    r.check("pxe_state_kill9_generations_intact", generations(ctx["state"], MAC_STATE) == before,
            "%r vs %r" % (generations(ctx["state"], MAC_STATE), before))
    srv = start_server(lab, "A-restarted", conf)
    n = int(re.search(r"(\d+)", sorted(before)[-1]).group(1))
    _, code = lab.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://%s:8080/host/%s/state/%d.cpio"
                       % (lab.ip, hyph(MAC_STATE), n)], check=False)
    r.check("pxe_state_served_after_restart", code.strip() == "200", "HTTP %s" % code)
    srv.stop()


# --- labs B, C and D --------------------------------------------------------------------------------------------

def scenario_proxy(r, lab, demo):
    """4: dnsmasq (another host) gives the address, ramhost in proxy mode the boot information."""
    dh = lab.add_host("dh", 2)
    dns = lab.dnsmasq("pxe-proxy-dnsmasq", "--dhcp-range=%s,%s,1h" % (lab.addr(100), lab.addr(150)),
                      "--log-dhcp", "--no-ping", ns=dh.ns, interface="eth0")
    serve(lab, "B", {"mode": "proxy"}, "image demo %s\n\nrule all\n    match mac 52:54:00:*\n    image demo\n"
          "    kernelopt rhtest.rule=proxy\n    hostname px-{mac}\n" % demo)
    vm, m = boot_ready(r, lab, "pxe-proxy", MAC_PROXY, "pxe_proxy")
    with vm:
        if not m:
            return
        cmdline_has(r, "pxe_proxy", vm, ["rhtest.rule=proxy", "ramhost.hostname=px-" + plain(MAC_PROXY)])
    acks = re.findall(r"DHCPACK\(eth0\) (10\.77\.0\.\d+) %s" % MAC_PROXY, dns.text())
    r.check("pxe_proxy_address_from_dnsmasq", bool(acks), dns.text()[-800:])


def scenario_nginx(r, lab, demo):
    """ramhost does DHCP, TFTP, scripts and state; the artifacts come from nginx (artifact-url)."""
    web = lab.add_host("web", 3)
    log = os.path.join(lab.tmp, "nginx-access.log")
    lab.nginx("pxe-nginx", demo, ns=web.ns, ip=web.ip, access_log=log)
    srv, _, _ = serve(lab, "C", {"mode": "full", "range": "%s-%s" % (lab.addr(100), lab.addr(150)),
                                 "artifact-url": "http://%s:8080/" % web.ip},
                      "image demo %s\n\nrule all\n    match mac 52:54:00:*\n    image demo\n"
                      "    kernelopt rhtest.rule=nginx\n" % demo)
    vm, m = boot_ready(r, lab, "pxe-nginx-guest", MAC_NGINX, "pxe_artifact_url")
    with vm:
        if not m:
            return
        cmdline_has(r, "pxe_artifact_url", vm, ["rhtest.rule=nginx"])
    with open(log) as f:
        gets = [ln for ln in f if re.search(r'"GET /a/[0-9a-f]{64}\S* HTTP/1\.[01]" 200 ', ln)]
    r.check("pxe_artifacts_from_nginx", len(gets) >= 4, "%d artifact GETs in nginx's log" % len(gets))
    own = [ln for ln in srv.text().splitlines() if MAC_NGINX in ln.lower() and " artifact" in ln]
    r.check("pxe_artifacts_not_from_ramhost", not own, "%r" % own[:3])


def signing_pair(d, name):
    """An RSA 2048 key and its self-signed certificate (openssl CLI); returns (key, cert, the certificate's
    SHA-256 hex, as image.conf and the loader name it)."""
    key, cert = os.path.join(d, name + ".key"), os.path.join(d, name + ".crt")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
         "-subj", "/CN=ramhost pxe test " + name])
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True,
                         stdout=subprocess.PIPE).stdout
    return key, cert, hashlib.sha256(der).hexdigest()


def secure_boot_images(r, lab, work):
    """Two Secure Boot signed image directories (snakeoil key, as the disk cell): img-sb trusts the server
    certificate A, img-sb-other trusts B. A server signing with A refuses to load img-sb-other, naming both
    SHA-256s. Returns (sign key A, cert A, A's SHA-256, B's SHA-256, img-sb, img-sb-other)."""
    d = lab.mkdtemp("keys")
    key_a, cert_a, sha_a = signing_pair(d, "server-a")
    _, cert_b, sha_b = signing_pair(d, "other-b")
    snake = os.path.join(d, "snakeoil.key")  # Debian ships it encrypted (passphrase "snakeoil")
    run(["openssl", "pkey", "-in", SNAKEOIL_KEY, "-passin", "pass:snakeoil", "-out", snake])
    sb = ["--secure-boot-key", snake, "--secure-boot-cert", SNAKEOIL_CERT]
    good, other = os.path.join(work, "img-sb"), os.path.join(work, "img-sb-other")
    run([RAMHOST, "image", "pxe", PROFILE, "-o", good, "-q", "--sign-cert", cert_a] + sb)
    run([RAMHOST, "image", "pxe", PROFILE, "-o", other, "-q", "--sign-cert", cert_b] + sb)
    conf, _ = write_conf(lab, "D-check", {"mode": "proxy", "sign-key": key_a, "sign-cert": cert_a},
                         "image other %s\n" % other)
    rc, out = lab.run([RAMHOST, "pxe", "match", conf, "--mac", MAC_SB_BAD], check=False)
    r.check("pxe_sb_config_refuses_other_cert", rc != 0 and sha_a in out and sha_b in out,
            "exit %d: %s" % (rc, out[-800:]))
    return key_a, cert_a, sha_a, sha_b, good, other


def scenario_secure_boot(r, lab, work):
    """7: Secure Boot (OVMF secboot build, snakeoil PK/KEK/db) over OVMF's own PXE: the signed ramhost.efi with
    server key A boots the boot.cfg the server signs with A to ready; a loader that trusts another key refuses
    its boot.cfg and boots nothing."""
    key_a, cert_a, sha_a, sha_b, good, other = secure_boot_images(r, lab, work)
    # What is simulated: the server's boot.cfg is not the one the loader's embedded key signed. `pxe serve`
    # signs every boot.cfg as it answers, so a boot.cfg cannot be changed on the server after signing; instead
    # img-sb-other's loader trusts certificate B while the server signs with A (its image.conf is edited to
    # name A, so that the server loads it). For the loader it is the same case as a boot.cfg changed after
    # signing: boot.cfg.sig does not verify with the embedded key (test_efi_net.py changes the bytes of a
    # signed boot.cfg with dnsmasq serving it and gets the same line).
    conf_path = os.path.join(other, "image.conf")
    with open(conf_path) as f:
        text = f.read()
    with open(conf_path, "w") as f:
        f.write(re.sub(r"^server-cert-sha256=.*$", "server-cert-sha256=" + sha_a, text, flags=re.M))
    srv, _, _ = serve(lab, "D", {"mode": "full", "range": "%s-%s" % (lab.addr(100), lab.addr(150)), "sign-key": key_a,
                     "sign-cert": cert_a},
          "image sb %s\nimage other %s\n\nrule sb\n    match mac %s\n    image sb\n    kernelopt rhtest.rule=sb\n"
          "\nrule other\n    match mac %s\n    image other\n" % (good, other, MAC_SB, MAC_SB_BAD))
    efi = {"firmware": "uefi-sb", "nic": "virtio-net-pci", "romfile": ""}
    vm, m = boot_ready(r, lab, "pxe-sb", MAC_SB, "pxe_sb", **efi)
    with vm:
        if m:
            r.check("pxe_sb_ready", m.group(5) == b"demo-1.0", m.group(0).decode())
            r.check("pxe_sb_bootcfg_signature_verified",
                    vm.seen(r"ramhost\.efi: boot\.cfg signature verified \(key %s\)" % sha_a[:16])
                    and not vm.seen(r"boot\.cfg is not signed"),
                    "%r" % re.findall(rb"ramhost\.efi: [^\r\n]*", vm.buf)[:4])
            r.check("pxe_sb_firmware_enforcing", vm.seen(r"EFI stub: UEFI Secure Boot is enabled"))
            cmdline_has(r, "pxe_sb", vm, ["rhtest.rule=sb"])
    with lab.guest("pxe-sb-refused", mac=MAC_SB_BAD, **efi) as vm:
        try:
            m = vm.expect(r"ramhost\.efi: boot\.cfg from %s: bad signature \(key %s\): not booting it[^\r\n]*"
                          % (re.escape(lab.ip), sha_b[:16]), BOOT)
            vm.expect(r"press any key to fetch boot\.cfg again", 60)
            r.check("pxe_sb_bad_signature_refused", True, m.group(0).decode())
        except Exception as e:  # noqa: BLE001
            r.check("pxe_sb_bad_signature_refused", False, str(e)[-1500:])
        r.check("pxe_sb_bad_signature_nothing_booted", not vm.seen(r"fetched a/|ramhost: ready|EFI stub"))
    sig_by_a(r, lab, srv, cert_a)


def sig_by_a(r, lab, srv, cert_a):
    """The refusal above is the loader's: the server sent that host boot.cfg and boot.cfg.sig, and what it
    signs for that host verifies with A (openssl)."""
    lines = [ln for ln in srv.text().splitlines() if MAC_SB_BAD in ln.lower()]
    r.check("pxe_sb_bad_signature_server_sent_sig",
            any(re.search(r"file=host/%s/boot\.cfg\.sig bytes=256 " % hyph(MAC_SB_BAD), ln) for ln in lines),
            "%r" % lines[-4:])
    d = lab.mkdtemp("sig")
    cfg, sig, pub = (os.path.join(d, n) for n in ("boot.cfg", "boot.cfg.sig", "a.pub"))
    for path in (cfg, sig):
        lab.run(["curl", "-sf", "-o", path, "http://%s:8080/host/%s/%s" % (lab.ip, hyph(MAC_SB_BAD),
                                                                          os.path.basename(path))])
    with open(pub, "w") as f:
        f.write(run(["openssl", "x509", "-in", cert_a, "-pubkey", "-noout"]))
    p = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", sig, cfg],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    r.check("pxe_sb_server_bootcfg_signed_by_a", p.returncode == 0, p.stdout.decode()[-300:])


def main():
    r = Checks()
    if not pxe_built():
        print("FAIL test_pxe (ramhost pxe serve is not built)")
        sys.exit(1)
    work = tempfile.mkdtemp(prefix="ramhost-pxe-test.")
    try:
        demo, demo2 = build_images(work)
        with Lab(subnet="10.77.0") as a, Lab(subnet="10.77.0") as b, Lab(subnet="10.77.0") as c, \
                Lab(subnet="10.77.0") as d:
            srv, conf, state = serve(a, "A", {"mode": "full", "range": "%s-%s" % (a.addr(100), a.addr(199)),
                                              "state-max-size": "16M", "state-keep": "3"}, lab_a_rules(demo, demo2))
            ctx = {"server": srv, "state": state}
            tasks = {"state": lambda: scenario_state(r, a, ctx), "sb": lambda: scenario_secure_boot(r, d, work),
                     "http": lambda: scenario_http(r, a, srv), "efi": lambda: scenario_efi(r, a, srv),
                     "web": lambda: scenario_web(r, a), "two": lambda: scenario_two(r, a),
                     "proxy": lambda: scenario_proxy(r, b, demo), "nginx": lambda: scenario_nginx(r, c, demo),
                     "unknown": lambda: scenario_unknown(r, a)}
            only = os.environ.get("RAMHOST_PXE_SCENARIOS", "").split(",")  # e.g. web,unknown (debugging)
            tasks = [t for name, t in tasks.items() if only == [""] or name in only]
            with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
                for fut in [pool.submit(t) for t in tasks]:
                    try:
                        fut.result()
                    except Exception as e:  # noqa: BLE001
                        r.check("pxe_scenario", False, "%s: %s" % (type(e).__name__, e))
            if "token" in ctx or only == [""]:
                kill9_during_upload(r, a, ctx, conf)
    except Exception as e:  # noqa: BLE001
        r.check("pxe_setup", False, "%s: %s" % (type(e).__name__, e))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    r.exit()


if __name__ == "__main__":
    main()
