"""test_vib_live.py: `ramhost vib install | remove` on a host booted from the demo disk image (SeaBIOS), with the
VIB fetched over QEMU user networking from tests/fixtures/vib/httpd.py on the host's loopback (10.0.2.2).

Host side: throwaway CAs (tests/fixtures/vib/mkca.sh); the demo profile plus a tardisk "trust" that puts the
partner CA into /usr/share/ramhost/trust/partner/ (the host's system trust store); a partner-signed VIB "hello"
(/usr/bin/vib-hello and /etc/hello.conf); a copy of it with one payload byte flipped (bad hash).

Boot 1: a download that the server drops half-way and the bad-hash VIB both fail and leave `vib list --json` and a
listing of /usr and /etc exactly as they were; the good VIB installs, its binary runs at once, /etc/hello.conf is
there, the bootbank lists hello.tdk. Boot 2 (same disk): hello is still there (init mounted it from the bank);
`vib remove hello` takes it out: the binary and /etc/hello.conf are gone, `vib list` is empty, the bank no
longer lists it."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from qemu import READY_RE, RAMHOST, TOP, Report, Vm, gpt_partitions, media, run  # noqa: E402

PROFILE_DIR = os.path.join(TOP, "examples", "demo")
FIX = os.path.join(TOP, "tests", "fixtures", "vib")
BOOT_TIMEOUT = 300

DESCRIPTOR = """<?xml version="1.0" encoding="UTF-8"?>
<vib version="1.0">
  <name>hello</name>
  <version>1.0-1</version>
  <vendor>ramhost test</vendor>
  <summary>prints a greeting</summary>
  <description>A test VIB for test_vib_live.py.</description>
  <release-date>2026-11-01T00:00:00Z</release-date>
  <acceptance-level>partner</acceptance-level>
  <relationships/>
  <flags>
    <live-install-allowed>true</live-install-allowed>
    <live-remove-allowed>true</live-remove-allowed>
    <stateless-ready>true</stateless-ready>
  </flags>
  <sticky-files><file>/etc/hello.conf</file></sticky-files>
</vib>
"""

SNAPSHOT = "ramhost vib list --json; ls -laR /usr /etc 2>&1 | grep -v ' \\.$' | md5sum; mount | grep -c overlay"


def make_inputs(work):
    keys = os.path.join(work, "keys")
    run(["bash", os.path.join(FIX, "mkca.sh"), keys])
    prof = os.path.join(work, "prof")
    shutil.copytree(PROFILE_DIR, prof)
    trust = os.path.join(prof, "trust", "usr", "share", "ramhost", "trust", "partner")
    os.makedirs(trust)
    shutil.copy(os.path.join(keys, "trust", "partner", "ca.pem"), os.path.join(trust, "ca.pem"))
    with open(os.path.join(prof, "profile"), "a") as f:
        f.write("tardisk = trust trust\n")
    bank = os.path.join(work, "bank")
    run([RAMHOST, "image", "build", os.path.join(prof, "profile"), "-o", bank, "-q"])
    disk = os.path.join(work, "disk.img")
    run([RAMHOST, "image", "disk", "--bootbank", bank, "-o", disk, "-q"])

    payload = os.path.join(work, "payload")
    os.makedirs(os.path.join(payload, "usr", "bin"))
    os.makedirs(os.path.join(payload, "etc"))
    with open(os.path.join(payload, "usr", "bin", "vib-hello"), "w") as f:
        f.write("#!/bin/sh\necho \"hello from a vib: $(cat /etc/hello.conf)\"\n")
    os.chmod(os.path.join(payload, "usr", "bin", "vib-hello"), 0o755)
    with open(os.path.join(payload, "etc", "hello.conf"), "w") as f:
        f.write("greeting=1\n")
    with open(os.path.join(work, "hello.xml"), "w") as f:
        f.write(DESCRIPTOR)
    srv = os.path.join(work, "srv")
    os.makedirs(srv)
    vib = os.path.join(srv, "hello.vib")
    run([RAMHOST, "vib", "create", "--descriptor", os.path.join(work, "hello.xml"), "--payload", payload, "-o", vib,
         "--sign-key", os.path.join(keys, "test-signer-partner.key"),
         "--sign-cert", os.path.join(keys, "test-signer-partner.pem")])
    shutil.copy(vib, os.path.join(srv, "drop.vib"))
    data = bytearray(open(vib, "rb").read())
    data[-100] ^= 0xFF   # inside the last member, the payload tardisk
    with open(os.path.join(srv, "bad.vib"), "wb") as f:
        f.write(data)
    return disk, srv, len(data)


def start_httpd(work, srv, size):
    portf = os.path.join(work, "port")
    p = subprocess.Popen([sys.executable, os.path.join(FIX, "httpd.py"), srv, "--port", "0", "--port-file", portf,
                          "--log", os.path.join(work, "httpd.log"), "--drop-after", str(size // 2),
                          "--drop-path", "/drop.vib"], stdout=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(portf) and open(portf).read().strip():
            return p, int(open(portf).read().strip())
        time.sleep(0.1)
    p.kill()
    raise RuntimeError("httpd.py did not start")


def bank_cfg(image):
    part = [v for v in gpt_partitions(image).values() if v["name"] == "bootbank"][0]
    return run(["mtype", "-i", "%s@@%d" % (image, part["first"]), "::boot.cfg"])


def up(vm, r, name):
    m = vm.expect(READY_RE + r"\r?\n", BOOT_TIMEOUT)
    vm.shell()
    r.check(name, True, m.group(0).decode())
    vm.sh("ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up")


def boot1(r, disk, port):
    base = "http://10.0.2.2:%d" % port
    with Vm("vib_live_1", media("disk", disk), net=True) as vm:
        up(vm, r, "vib_live_boot1")
        _, before = vm.sh(SNAPSHOT)
        rc, out = vm.sh("ramhost vib install %s/drop.vib; echo rc=$?" % base, timeout=120)
        r.check("vib_live_dropped_download_fails", "rc=1" in out and "drop.vib" in out, out)
        _, after = vm.sh(SNAPSHOT)
        r.check("vib_live_dropped_download_changes_nothing", before == after, before + "\n---\n" + after)
        rc, out = vm.sh("ramhost vib install %s/bad.vib; echo rc=$?" % base, timeout=120)
        r.check("vib_live_bad_hash_fails", "rc=1" in out and re.search(r"(?i)sha-?256|hash", out), out)
        _, after = vm.sh(SNAPSHOT + "; ls /run/ramhost/live/tardisks 2>/dev/null | wc -l")
        r.check("vib_live_bad_hash_changes_nothing", after.startswith(before) and after.endswith("0"),
                before + "\n---\n" + after)
        rc, out = vm.sh("ramhost vib install --json %s/hello.vib; echo rc=$?" % base, timeout=180)
        m = re.search(r"(?m)^(\{.*\})$", out)
        res = json.loads(m.group(1)) if m else {}
        r.check("vib_live_install", "rc=0" in out and res.get("name") == "hello" and res.get("live") and
                res.get("bank") and res.get("level") == "partner", out)
        if res.get("ms"):
            print("    measured: install phases (ms) %s" % json.dumps(res["ms"]))
        rc, out = vm.sh("vib-hello")
        r.check("vib_live_runs_at_once", rc == 0 and "hello from a vib: greeting=1" in out, out)
        rc, out = vm.sh("ramhost vib list")
        r.check("vib_live_listed", rc == 0 and re.search(r"(?m)^hello +1\.0-1 +partner", out), out)
        vm.send("reboot\n")
        vm.proc.wait(timeout=180)
    cfg = bank_cfg(disk)
    r.check("vib_live_bank_lists_module", re.search(r"(?m)^modules=.*hello\.tdk.*vibs[-0-9]*\.cpio", cfg) and
            "hash.hello.tdk=" in cfg, cfg)


def boot2(r, disk):
    with Vm("vib_live_2", media("disk", disk), net=True) as vm:
        up(vm, r, "vib_live_boot2")
        rc, out = vm.sh("vib-hello")
        r.check("vib_live_kept_after_reboot", rc == 0 and "hello from a vib: greeting=1" in out, out)
        rc, out = vm.sh("ramhost vib list --json")
        r.check("vib_live_listed_after_reboot", rc == 0 and '"name":"hello"' in out, out)
        rc, out = vm.sh("ramhost vib remove hello; echo rc=$?", timeout=120)
        r.check("vib_live_remove", "rc=0" in out, out)
        rc, out = vm.sh("vib-hello; ls /etc/hello.conf")
        r.check("vib_live_gone", rc != 0 and "hello from a vib" not in out, out)
        rc, out = vm.sh("ramhost vib list --json")
        r.check("vib_live_list_empty", rc == 0 and out.strip().endswith("[]"), out)
        rc, out = vm.sh("ls /usr/bin/ramhost && ramhost bootbank status >/dev/null; echo rc=$?")
        r.check("vib_live_usr_intact", "rc=0" in out, out)
        vm.sh("sync")
    cfg = bank_cfg(disk)
    r.check("vib_live_bank_module_removed", "hello.tdk" not in cfg, cfg)


def main():
    r = Report()
    work = tempfile.mkdtemp(prefix="ramhost-viblive.")
    httpd = None
    try:
        disk, srv, size = make_inputs(work)
        httpd, port = start_httpd(work, srv, size)
        boot1(r, disk, port)
        boot2(r, disk)
    except (RuntimeError, subprocess.CalledProcessError, OSError, ValueError) as e:
        r.check("vib_live_setup", False, str(e))
    except Exception as e:  # noqa: BLE001  (a Timeout: the console tail says why)
        r.check("vib_live_boot", False, str(e))
    finally:
        if httpd:
            httpd.kill()
            httpd.wait()
        shutil.rmtree(work, ignore_errors=True)
    r.exit()


if __name__ == "__main__":
    main()
