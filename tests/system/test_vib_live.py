"""test_vib_live.py: `ramhost vib install | remove | update | list` on a host booted from the demo disk image, with
the VIBs fetched over QEMU user networking from tests/fixtures/vib/httpd.py on the host's loopback (10.0.2.2).

Host side: throwaway CAs (tests/fixtures/vib/mkca.sh); the demo profile plus `trust = ` their trust store (it
reaches the host in vibs.cpio: /run/ramhost/vibs/trust) and one VIB built into the image from a depot dir
(`vib = imgvib`); a partner-signed VIB "hello" (/usr/bin/vib-hello, /etc/hello.conf, /etc/hello-user.conf); a
copy of it with one payload byte flipped (bad hash); a community VIB; a VIB without live-install-allowed
("staged"); one without live-remove-allowed ("pinned"); a depot with libgreet 1.0 and greet 1.0 and 2.0 (greet
depends on libgreet).

Boot 1 (SeaBIOS): a download that the server drops half-way and the bad-hash VIB both fail and leave `vib list
--json`, a listing of /usr and /etc and the overlay count exactly as they were, and so do the refusals (a
community VIB on a partner host, --no-sig-check there, a RAM margin not kept, a VIB without
live-install-allowed) and installs made to fail (RAMHOST_FAIL_AT=vib-install:STEP) after the overlays were
refreshed or before the bank write. hello installs: its binary runs at once, /etc/hello.conf is there, the user's
/etc/hello-user.conf is kept (default as .vib-new), sticky.list names /etc/hello.conf. pinned installs. From the
depot: `vib install --depot URL greet=1.0-1` brings libgreet along, removing libgreet is refused while greet
needs it, `vib update --depot URL` moves greet to 2.0-1. staged is staged with --reboot-required (bank only).
The bank lists the modules.

Boot 2 (OVMF: the UEFI loader reads the rewritten boot.cfg): all six are there (init mounted them from the bank),
vibs.cpio kept the image level and trust store; removing pinned only stages it (it stays until the reboot);
removing the others takes them out of the view and the bank (binaries and /etc/hello.conf gone, their loop
devices set to clear themselves). Boot 3 (SeaBIOS: the bank's rewritten syslinux.cfg): no VIB left."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from qemu import READY_ADDR_RE, RAMHOST, TOP, Report, Vm, demo_copy, gpt_partitions, media, run  # noqa: E402

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

# what a failed install must leave as it was; the directories' own lines (. and ..) are left out, their mtimes
# may change when a file is created and removed again
SNAPSHOT = "ramhost vib list --json; ls -laR /usr /etc 2>&1 | grep -v -E ' \\.\\.?$' | md5sum; mount | grep -c overlay"


def descriptor(name, version="1.0-1", level="partner", live_install=True, depends=None, live_remove=True,
               signer=None):
    d = DESCRIPTOR.replace("<name>hello</name>", "<name>%s</name>" % name)
    d = d.replace("<version>1.0-1</version>", "<version>%s</version>" % version)
    d = d.replace("<acceptance-level>partner<", "<acceptance-level>%s<" % level)
    if not live_install:
        d = d.replace("<live-install-allowed>true<", "<live-install-allowed>false<")
    if not live_remove:
        d = d.replace("<live-remove-allowed>true<", "<live-remove-allowed>false<")
    if depends:
        d = d.replace("<relationships/>", "<relationships><depends><constraint name=\"%s\" relation=\">=\" "
                      "version=\"%s\"/></depends></relationships>" % depends)
    if name != "hello":
        d = d.replace("<sticky-files><file>/etc/hello.conf</file></sticky-files>", "")
    return d


def make_vib(work, keys, out, name, files, **kw):
    """A VIB NAME whose payload has files {path: (text, mode)}; signed by the partner signer unless community."""
    payload = os.path.join(work, "payload-%s-%s" % (name, kw.get("version", "1")))
    for path, (text, mode) in files.items():
        full = os.path.join(payload, path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
        os.chmod(full, mode)
    xml = payload + ".xml"
    with open(xml, "w") as f:
        f.write(descriptor(name, **kw))
    cmd = [RAMHOST, "vib", "create", "--descriptor", xml, "--payload", payload, "-o", out, "--quiet"]
    if kw.get("level", "partner") != "community":
        signer = kw.get("signer") or os.path.join(keys, "test-signer-partner")
        cmd += ["--sign-key", signer + ".key", "--sign-cert", signer + ".pem"]
    run(cmd)


def script(text):
    return ("#!/bin/sh\n%s\n" % text, 0o755)


def make_inputs(work):
    keys = os.path.join(work, "keys")
    run(["bash", os.path.join(FIX, "mkca.sh"), keys])
    srv = os.path.join(work, "srv")
    os.makedirs(os.path.join(srv, "depot"))
    vib = os.path.join(srv, "hello.vib")
    make_vib(work, keys, vib, "hello", {
        "/usr/bin/vib-hello": script('echo "hello from a vib: $(cat /etc/hello.conf)"'),
        "/etc/hello.conf": ("greeting=1\n", 0o644),
        "/etc/hello-user.conf": ("default\n", 0o644)})
    shutil.copy(vib, os.path.join(srv, "drop.vib"))
    data = bytearray(open(vib, "rb").read())
    data[-100] ^= 0xFF   # inside the last member, the payload tardisk
    with open(os.path.join(srv, "bad.vib"), "wb") as f:
        f.write(data)
    make_vib(work, keys, os.path.join(srv, "unsigned.vib"), "unsigned", {"/usr/bin/vib-unsigned": script("true")},
             level="community")
    make_vib(work, keys, os.path.join(srv, "staged.vib"), "staged", {"/usr/bin/vib-staged": script("echo staged")},
             live_install=False)
    make_vib(work, keys, os.path.join(srv, "pinned.vib"), "pinned", {"/usr/bin/vib-pinned": script("echo pinned")},
             live_remove=False)
    dep = os.path.join(srv, "depot")
    make_vib(work, keys, os.path.join(dep, "libgreet-1.0.vib"), "libgreet",
             {"/usr/lib/greet/words": ("hi\n", 0o644)}, version="1.0-1")
    for v in ("1.0-1", "2.0-1"):
        make_vib(work, keys, os.path.join(dep, "greet-%s.vib" % v), "greet",
                 {"/usr/bin/vib-greet": script("echo greet %s $(cat /usr/lib/greet/words)" % v)}, version=v,
                 depends=("libgreet", "1.0"))
    run([RAMHOST, "depot", "create", dep, "--quiet"])
    # greet 3.0 signed by a CA no trust store holds: `vib update` from this depot must keep greet 2.0
    rogue = os.path.join(srv, "rogue-depot")
    os.makedirs(rogue)
    make_vib(work, keys, os.path.join(rogue, "greet-3.0.vib"), "greet",
             {"/usr/bin/vib-greet": script("echo greet 3.0-1")}, version="3.0-1", depends=("libgreet", "1.0"),
             signer=os.path.join(keys, "test-signer-rogue"))
    run([RAMHOST, "depot", "create", rogue, "--quiet"])
    img = os.path.join(work, "imgdepot")
    os.makedirs(img)
    make_vib(work, keys, os.path.join(img, "imgvib.vib"), "imgvib", {"/usr/bin/vib-img": script("echo imaged")})
    run([RAMHOST, "depot", "create", img, "--quiet"])
    prof = os.path.join(work, "prof")
    demo_copy(prof)
    shutil.copytree(os.path.join(keys, "trust"), os.path.join(prof, "trust"))
    with open(os.path.join(prof, "profile"), "a") as f:
        f.write("trust = trust\ndepot = ../imgdepot\nvib = imgvib\n")
    bank = os.path.join(work, "bank")
    run([RAMHOST, "image", "build", os.path.join(prof, "profile"), "-o", bank, "-q"])
    disk = os.path.join(work, "disk.img")
    run([RAMHOST, "image", "disk", "--bootbank", bank, "-o", disk, "-q"])
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


def up(vm, r, name, net=True):
    m = vm.expect(READY_ADDR_RE, BOOT_TIMEOUT)
    vm.shell()
    r.check(name, True, m.group(0).decode())
    if net:
        vm.sh("ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up")


def install_json(vm, args):
    rc, out = vm.sh("ramhost vib install --json %s; echo rc=$?" % args, timeout=180)
    m = re.search(r"(?m)^(\{.*\})$", out)
    return ("rc=0" in out.split()), (json.loads(m.group(1)) if m else {}), out


def boot1(r, disk, port):
    base = "http://10.0.2.2:%d" % port
    with Vm("vib_live_1", media("disk", disk), net=True) as vm:
        up(vm, r, "vib_live_boot1")
        rc, out = vm.sh("vib-img; ramhost vib list; ls /run/ramhost/vibs/trust/partner")
        r.check("vib_live_image_vib", rc == 0 and "imaged" in out and re.search(r"(?m)^imgvib +1\.0-1 +partner", out)
                and "ca.pem" in out, out)
        vm.sh("echo mine >/etc/hello-user.conf")
        _, before = vm.sh(SNAPSHOT)
        rc, out = vm.sh("ramhost vib install %s/drop.vib; echo rc=$?" % base, timeout=120)
        r.check("vib_live_dropped_download_fails", "rc=1" in out and "drop.vib" in out, out)
        _, after = vm.sh(SNAPSHOT)
        r.check("vib_live_dropped_download_changes_nothing", before == after, before + "\n---\n" + after)
        rc, out = vm.sh("ramhost vib install %s/bad.vib; echo rc=$?" % base, timeout=120)
        r.check("vib_live_bad_hash_fails", "rc=1" in out and re.search(r"(?i)sha-?256|hash", out), out)
        rc, out = vm.sh("ramhost vib install %s/unsigned.vib; echo rc=$?" % base, timeout=120)
        r.check("vib_live_level_below_policy", "rc=1" in out and "community" in out and "partner" in out, out)
        rc, out = vm.sh("ramhost vib install --no-sig-check %s/hello.vib; echo rc=$?" % base, timeout=120)
        r.check("vib_live_no_sig_check_refused", "rc=1" in out and "community host" in out, out)
        rc, out = vm.sh("RAMHOST_MIN_FREE=100G ramhost vib install %s/hello.vib; echo rc=$?" % base, timeout=120)
        r.check("vib_live_memory_margin", "rc=1" in out and "RAMHOST_MIN_FREE" in out, out)
        rc, out = vm.sh("ramhost vib install %s/staged.vib; echo rc=$?" % base, timeout=120)
        r.check("vib_live_not_live_refused", "rc=1" in out and "--reboot-required" in out, out)
        # failures after the view changed: undone. The loop fails the named step instead of running it, so
        # "after the overlays were refreshed" (and /etc merged) is the database step.
        for point, step in (("refresh", "database"), ("bank", "bank")):
            rc, out = vm.sh("RAMHOST_FAIL_AT=vib-install:%s ramhost vib install %s/hello.vib; echo rc=$?"
                            % (step, base), timeout=120)
            r.check("vib_live_undo_after_%s" % point, "rc=1" in out and "injected" in out, out)
        _, after = vm.sh(SNAPSHOT + "; ls /run/ramhost/live/tardisks 2>/dev/null | wc -l")
        r.check("vib_live_refusals_change_nothing", after.startswith(before) and after.endswith("0"),
                before + "\n---\n" + after)

        ok, res, out = install_json(vm, "%s/hello.vib" % base)
        r.check("vib_live_install", ok and res.get("name") == "hello" and res.get("live") and
                res.get("bank") and res.get("level") == "partner" and res.get("etc_kept") == 1, out)
        if res.get("ms"):
            print("    measured: install phases (ms) %s" % json.dumps(res["ms"]))
        rc, out = vm.sh("vib-hello")
        r.check("vib_live_runs_at_once", rc == 0 and "hello from a vib: greeting=1" in out, out)
        rc, out = vm.sh("cat /etc/hello-user.conf /etc/hello-user.conf.vib-new")
        r.check("vib_live_user_etc_kept", rc == 0 and out.split() == ["mine", "default"], out)
        rc, out = vm.sh("cat /run/ramhost/vibs/sticky.list")
        r.check("vib_live_sticky_list", rc == 0 and "/etc/hello.conf" in out.split(), out)
        rc, out = vm.sh("ramhost vib list")
        r.check("vib_live_listed", rc == 0 and re.search(r"(?m)^hello +1\.0-1 +partner", out), out)
        rc, out = vm.sh("ramhost vib install %s/pinned.vib && vib-pinned" % base, timeout=120)
        r.check("vib_live_install_pinned", rc == 0 and out.endswith("pinned"), out)

        ok, res, out = install_json(vm, "--depot %s/depot greet=1.0-1" % base)
        r.check("vib_live_depot_install_with_dependency", ok and '"libgreet"' in out and '"greet"' in out, out)
        rc, out = vm.sh("vib-greet")
        r.check("vib_live_depot_runs", rc == 0 and out.strip() == "greet 1.0-1 hi", out)
        rc, out = vm.sh("ramhost vib remove libgreet; echo rc=$?")
        r.check("vib_live_remove_needed_refused",
                "rc=1" in out and "removing libgreet would break the installed set" in out and "greet" in out, out)
        rc, out = vm.sh("ramhost vib update --depot %s/depot; echo rc=$?" % base, timeout=180)
        rc2, out2 = vm.sh("vib-greet")
        r.check("vib_live_update", "rc=0" in out and out2.strip() == "greet 2.0-1 hi", out + "\n" + out2)
        rc, out = vm.sh("ramhost vib update --depot %s/rogue-depot; echo rc=$?" % base, timeout=180)
        rc2, out2 = vm.sh("vib-greet; ramhost vib list | grep -c greet")
        r.check("vib_live_update_bad_signature_keeps_old",
                "rc=1" in out and "greet 2.0-1 stays installed" in out and out2.split()[:3] == ["greet", "2.0-1", "hi"],
                out + "\n" + out2)

        ok, res, out = install_json(vm, "--reboot-required %s/staged.vib" % base)
        rc, out2 = vm.sh("vib-staged")
        r.check("vib_live_staged", ok and not res.get("live") and res.get("bank") and rc != 0, out + out2)
        rc, out = vm.sh("ramhost vib list")
        r.check("vib_live_staged_listed", re.search(r"(?m)^staged .*\[installed at the next boot\]$", out), out)
        vm.send("reboot\n")
        vm.proc.wait(timeout=180)
    cfg = bank_cfg(disk)
    r.check("vib_live_bank_lists_modules", re.search(r"(?m)^modules=.*hello\.tdk.*vibs[-0-9]*\.cpio", cfg) and
            "hash.hello.tdk=" in cfg and "greet.tdk" in cfg and "staged.tdk" in cfg, cfg)


def boot2(r, disk):
    with Vm("vib_live_2", media("disk", disk), net=True, firmware="uefi") as vm:
        up(vm, r, "vib_live_boot2")
        rc, out = vm.sh("vib-hello && vib-greet && vib-staged")
        r.check("vib_live_kept_after_reboot", rc == 0 and "hello from a vib: greeting=1" in out and
                "greet 2.0-1 hi" in out and "staged" in out, out)
        rc, out = vm.sh("cat /etc/hello.conf")
        r.check("vib_live_etc_after_reboot", rc == 0 and out.strip() == "greeting=1", out)
        rc, out = vm.sh("ramhost vib list --json")
        names = sorted(v["name"] for v in json.loads(out)) if rc == 0 and out.startswith("[") else []
        r.check("vib_live_listed_after_reboot", names == ["greet", "hello", "imgvib", "libgreet", "pinned", "staged"],
                out)
        rc, out = vm.sh("cat /run/ramhost/vibs/image-level; ls /run/ramhost/vibs/trust/partner")
        r.check("vib_live_bank_vibs_cpio_keeps_trust_and_level", rc == 0 and out.split() == ["partner", "ca.pem"], out)
        rc, out = vm.sh("ramhost vib remove pinned && vib-pinned && ramhost vib list", timeout=120)
        r.check("vib_live_remove_staged", rc == 0 and "goes at the next reboot" in out and "\npinned\n" in out and
                re.search(r"(?m)^pinned .*\[removed at the next boot\]$", out), out)
        rc, out = vm.sh("for v in hello staged greet libgreet imgvib; do ramhost vib remove $v || echo FAILED; done",
                        timeout=180)
        r.check("vib_live_remove", "FAILED" not in out, out)
        rc, out = vm.sh("ls /usr/bin/vib-hello /usr/bin/vib-greet /usr/bin/vib-staged /usr/bin/vib-img /etc/hello.conf "
                        "/usr/lib/greet 2>&1 | grep -c 'No such'")
        r.check("vib_live_gone", out.strip() == "6", out)
        rc, out = vm.sh("ramhost vib list --json")
        left = json.loads(out) if rc == 0 and out.startswith("[") else None
        r.check("vib_live_list_only_pinned", left is not None and [(v["name"], v["pending"]) for v in left] ==
                [("pinned", "remove")], out)
        # the removed payloads' loop devices go with the last user of the old view (PID 1 and the shell run
        # busybox from the boot-time /usr overlay, so not before the reboot): each is set to clear itself
        rc, out = vm.sh("for d in /sys/block/loop*/loop; do echo $(cat $d/backing_file) $(cat $d/autoclear); done")
        rows = dict(line.split() for line in out.splitlines() if len(line.split()) == 2)
        boot_time = ("base.tdk", "rescue.tdk", "drivers.tdk", "extras.tdk", "pinned.tdk")
        removed = [v for k, v in rows.items() if os.path.basename(k) not in boot_time]
        r.check("vib_live_loop_devices_autoclear", rc == 0 and all(v == "1" for v in removed) and
                rows.get("/tardisks/base.tdk") == "0", out)
        rc, out = vm.sh("ls /usr/bin/ramhost && ramhost bootbank status >/dev/null; echo rc=$?")
        r.check("vib_live_usr_intact", "rc=0" in out, out)
        vm.sh("sync")
    cfg = bank_cfg(disk)
    r.check("vib_live_bank_modules_removed", not re.search(r"hello|greet|staged|imgvib|pinned", cfg), cfg)


def boot3(r, disk):
    """SeaBIOS again: the bank's syslinux.cfg as rewritten by the removes boots, without the VIBs."""
    with Vm("vib_live_3", media("disk", disk)) as vm:
        up(vm, r, "vib_live_boot3_bios_after_remove", net=False)
        rc, out = vm.sh("ramhost vib list --json; ls /run/ramhost/tardisks; ls /usr/bin/vib-pinned")
        r.check("vib_live_boot3_no_vibs", out.split()[0] == "[]" and "hello" not in out and "imgvib" not in out and
                "No such file" in out, out)


def main():
    r = Report()
    work = tempfile.mkdtemp(prefix="ramhost-viblive.")
    httpd = None
    try:
        disk, srv, size = make_inputs(work)
        httpd, port = start_httpd(work, srv, size)
        boot1(r, disk, port)
        boot2(r, disk)
        boot3(r, disk)
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
