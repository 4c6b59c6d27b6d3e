"""bench/vib_live.py: a live install of a 50 MB VIB (partner-signed, one payload of incompressible data) on the
demo disk image booted in QEMU (TCG, SeaBIOS, 1 GiB), fetched from tests/fixtures/vib/httpd.py over user-mode
networking, split into the phases `vib install --json` reports: download, verify (signature + payload SHA-256 +
relationships), mount (payload written to the live tmpfs, loop + squashfs), refresh (overlays pushed, /etc
merged) and bank (the wrapped module and vibs.cpio written to the booted bank); then the remove.

Prints "bench: NAME VALUE UNIT" lines."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.environ.get("TOP") or os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
from qemu import READY_ADDR_RE, RAMHOST, Vm, media, run  # noqa: E402
import test_vib_live as t  # noqa: E402

SIZE_MB = 50


def make(work):
    keys = os.path.join(work, "keys")
    run(["bash", os.path.join(t.FIX, "mkca.sh"), keys])
    prof = os.path.join(work, "prof")
    shutil.copytree(t.PROFILE_DIR, prof)
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
    os.makedirs(os.path.join(payload, "usr", "share", "big"))
    with open(os.path.join(payload, "usr", "share", "big", "blob"), "wb") as f:
        f.write(os.urandom(SIZE_MB << 20))
    desc = t.DESCRIPTOR.replace("<name>hello</name>", "<name>big</name>")
    with open(os.path.join(work, "big.xml"), "w") as f:
        f.write(desc)
    srv = os.path.join(work, "srv")
    os.makedirs(srv)
    t0 = time.monotonic()
    run([RAMHOST, "vib", "create", "--descriptor", os.path.join(work, "big.xml"), "--payload", payload,
         "-o", os.path.join(srv, "big.vib"), "--sign-key", os.path.join(keys, "test-signer-partner.key"),
         "--sign-cert", os.path.join(keys, "test-signer-partner.pem")])
    print("bench: vib_create_50mb %.2f s" % (time.monotonic() - t0))
    return disk, srv


def main():
    work = tempfile.mkdtemp(prefix="ramhost-bench-viblive.")
    httpd = None
    try:
        disk, srv = make(work)
        httpd, port = t.start_httpd(work, srv, 1 << 40)
        with Vm("bench_vib_live", media("disk", disk), net=True) as vm:
            vm.expect(READY_ADDR_RE, 300)
            vm.shell()
            vm.sh("ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up")
            t0 = time.monotonic()
            rc, out = vm.sh("ramhost vib install --json http://10.0.2.2:%d/big.vib 2>/dev/null" % port, timeout=600)
            wall = time.monotonic() - t0
            m = re.search(r"(?m)^(\{.*\})$", out)
            if rc != 0 or not m:
                raise RuntimeError("install failed: %s" % out)
            ms = json.loads(m.group(1))["ms"]
            print("bench: vib_live_install_bytes %d bytes" % json.loads(m.group(1))["bytes"])
            for k in ("download", "verify", "mount", "refresh", "bank", "total"):
                print("bench: vib_live_install_%s %.0f ms" % (k, ms[k]))
            print("bench: vib_live_install_wall %.1f s" % wall)
            rc, out = vm.sh("ramhost vib remove --json big 2>/dev/null", timeout=300)
            m = re.search(r"(?m)^(\{.*\})$", out)
            if rc != 0 or not m:
                raise RuntimeError("remove failed: %s" % out)
            ms = json.loads(m.group(1))["ms"]
            print("bench: vib_live_remove_total %.0f ms" % ms["total"])
    finally:
        if httpd:
            httpd.kill()
            httpd.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
