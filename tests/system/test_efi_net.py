#!/usr/bin/env python3
"""test_efi_net.py: ramhost.efi in network mode under OVMF's own PXE client (QEMU TCG, virtio-net with no option
ROM), served by dnsmasq (DHCP + TFTP) inside a network namespace this test creates (bridge + tap) and removes.

The served tree is laid out by hand as the PXE server lays it out (COMMON path namespace): img/demo/ramhost.efi,
a/HEX/NAME for the demo bootbank's kernel and modules, host/52-54-00-12-34-56/boot.cfg (names rewritten to
a/HEX/NAME, kernelopt with ramhost.net=1) and its boot.cfg.sig (openssl dgst -sha256 -sign).

A loader with a key embedded (the netkey record patched here, as `ramhost image pxe --sign-cert` does), one
guest: boot.cfg changed on the server after signing -> the bad-signature line, nothing booted; after a key press
with boot.cfg fixed but a module changed -> the SHA-256 refusal; after another key press, all good -> the kernel
starts with its initrd. A hand-laid tree is what lets this test change files behind the signature; the boots
from the real server (unsigned and signed over PXE, UEFI HTTP Boot, Secure Boot) are tests/system/test_pxe.py.
Prints PASS/FAIL lines; figures (TFTP time of the modules, windowsize seen by dnsmasq) as "figure:" lines.
"""
import hashlib
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu import (LOGDIR, OVMF_CODE, OVMF_VARS, RAMHOST, READY_RE, TOP, Console, Report, Timeout,  # noqa: E402
                  run)

PROFILE = os.path.join(TOP, "examples", "demo", "profile")
EFI = os.path.join(TOP, "build", "ramhost.efi")
NS = "rhefinet%d" % os.getpid()
MAC = "52:54:00:12:34:56"
HOSTDIR = "host/52-54-00-12-34-56"
SERVER = "10.77.0.1"


def netkey_record(modulus, exponent, cert_sha256):
    """lib/netkey.h's record, as netkey_format writes it."""
    rec = b"RHNETKEY" + struct.pack("<III", 1, len(modulus), exponent) + cert_sha256
    rec += modulus + bytes(512 - len(modulus))
    return rec + struct.pack("<I", zlib.crc32(rec))


def embed_key(src, dst, keydir):
    """Copies the loader with an RSA 2048 key (and a self-signed certificate's hash) in its netkey record."""
    key, cert = os.path.join(keydir, "sign.key"), os.path.join(keydir, "sign.crt")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
         "-subj", "/CN=ramhost test"])
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True,
                         stdout=subprocess.PIPE).stdout
    mod = run(["openssl", "rsa", "-in", key, "-noout", "-modulus"]).strip().split("=", 1)[1]
    with open(src, "rb") as f:
        data = bytearray(f.read())
    at = data.find(b"RHNETKEY")
    data[at:at + 568] = netkey_record(bytes.fromhex(mod), 65537, hashlib.sha256(der).digest())
    with open(dst, "wb") as f:
        f.write(data)
    return key, hashlib.sha256(der).hexdigest()


def lay_out_tree(tree, bank):
    """a/HEX/NAME for every file of the bank's boot.cfg; returns the per-host boot.cfg text."""
    with open(os.path.join(bank, "boot.cfg")) as f:
        cfg = f.read()
    out, names = [], {}
    for line in cfg.splitlines():
        if line.startswith("hash."):
            name, h = line[5:].split("=sha256:")
            names[name] = "a/%s/%s" % (h, name)
            os.makedirs(os.path.join(tree, "a", h), exist_ok=True)
            shutil.copy(os.path.join(bank, name), os.path.join(tree, "a", h, name))
    for line in cfg.splitlines():
        k, _, v = line.partition("=")
        if k == "kernel":
            line = "kernel=" + names[v]
        elif k == "modules":
            line = "modules=" + " --- ".join(names[m.strip()] for m in v.split("---"))
        elif k.startswith("hash."):
            line = "hash.%s=%s" % (names[k[5:]], v)
        elif k == "kernelopt":
            line = line + " ramhost.hostname=netnode ramhost.net=1"
        elif k in ("bootstate", "updated", "timeout"):
            continue
        out.append(line)
    return "\n".join(out) + "\n", names


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True)


def netns_up():
    sh("ip netns add %s" % NS)
    sh("ip -n %s link add br0 type bridge && ip -n %s tuntap add tap0 mode tap && "
       "ip -n %s link set tap0 master br0 && ip -n %s addr add %s/24 dev br0 && ip -n %s link set br0 up && "
       "ip -n %s link set tap0 up && ip -n %s link set lo up" % ((NS,) * 4 + (SERVER,) + (NS,) * 3))


def dnsmasq(tree, work):
    log = os.path.join(work, "dnsmasq.log")
    args = ["ip", "netns", "exec", NS, "dnsmasq", "--no-daemon", "--port=0", "--interface=br0",
            "--bind-interfaces", "--dhcp-range=10.77.0.100,10.77.0.150,1h", "--enable-tftp",
            "--tftp-root=" + tree, "--dhcp-boot=img/demo/ramhost.efi", "--log-dhcp",
            "--dhcp-leasefile=" + os.path.join(work, "leases"), "--pid-file=", "--log-facility=" + log,
            "--user=root", "--group=root"]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT), log


# A few lines of packet capture (no tcpdump on the test hosts): TFTP requests and option acknowledgements on br0,
# one line each, so the options OVMF asks for (blksize, windowsize, tsize) and what the server granted are known.
CAPTURE = r"""
import socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3))  # ETH_P_ALL: outgoing packets too
s.bind(("br0", 0))
out = open(sys.argv[1], "w", buffering=1)
while True:
    f = s.recv(2048)
    ip = f[14:]
    if f[12:14] != b"\x08\x00" or len(ip) < 28 or ip[9] != 17:
        continue
    u = ip[(ip[0] & 15) * 4:]
    sport, dport = struct.unpack("!HH", u[:4])
    p = u[8:]
    op = struct.unpack("!H", p[:2])[0] if len(p) >= 2 else 0
    if (dport == 69 and op == 1) or op == 6:
        words = [w.decode("ascii", "replace") for w in p[2:].split(b"\0")]
        out.write(("RRQ " if op == 1 else "OACK ") + " ".join(words).strip() + "\n")
"""


def capture(work):
    path = os.path.join(work, "tftp-options.txt")
    return subprocess.Popen(["ip", "netns", "exec", NS, "python3", "-c", CAPTURE, path]), path


class NetVm(Console):
    """A UEFI guest whose virtio NIC (no option ROM: OVMF's own PXE) is on the namespace's tap."""

    def __init__(self, name, work):
        vars_copy = os.path.join(work, name + "-vars.fd")
        shutil.copy(OVMF_VARS, vars_copy)
        args = ["ip", "netns", "exec", NS, "qemu-system-x86_64", "-accel", "tcg", "-m", "1024", "-smp", "1",
                "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
                "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + OVMF_CODE,
                "-drive", "if=pflash,format=raw,unit=1,file=" + vars_copy,
                "-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=n0,romfile=,mac=" + MAC]
        self._attach(name, args)


def sign(key, tree):
    cfg = os.path.join(tree, HOSTDIR, "boot.cfg")
    run(["openssl", "dgst", "-sha256", "-sign", key, "-out", cfg + ".sig", cfg])


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def ready(r, name, vm):
    try:
        m = vm.expect(READY_RE, 240)
        r.check(name, True)
        return m
    except Timeout as e:
        r.check(name, False, str(e)[-800:])
        return None


def signed_case(r, tree, work, cfg, names):
    with open(EFI, "rb") as f:
        count = f.read().count(b"RHNETKEY")
    if not r.check("efi_netkey_record_once", count == 1, "RHNETKEY occurs %d times in ramhost.efi" % count):
        return
    key, cert_hex = embed_key(EFI, os.path.join(tree, "img", "demo", "ramhost.efi"), work)
    cfgpath = os.path.join(tree, HOSTDIR, "boot.cfg")
    sign(key, tree)
    write(cfgpath, cfg.replace("ramhost.net=1", "ramhost.net=1 init=/bin/sh"))  # changed after signing
    kernel = os.path.join(tree, names["vmlinuz"])
    with open(kernel, "rb") as f:
        good_kernel = f.read()
    with NetVm("efi-net-signed", work) as vm:
        try:
            vm.expect(r"ramhost.efi: boot.cfg from 10\.77\.0\.1: bad signature \(key %s\): not booting it" %
                      cert_hex[:16], 180)
            r.check("efi_net_bad_signature_refused", not vm.seen(r"fetched a/"))
            write(cfgpath, cfg)
            sign(key, tree)
            with open(kernel, "r+b") as f:
                f.seek(4096)
                f.write(b"X")
            vm.expect(r"press any key to fetch boot.cfg again", 30)
            vm.send(" ")
            vm.expect(r"boot.cfg signature verified \(key %s\)" % cert_hex[:16], 60)
            vm.expect(r"a/\w+/vmlinuz: SHA-256 mismatch: refusing to boot it", 300)
            r.check("efi_net_module_hash_refused", True)
            with open(kernel, "wb") as f:
                f.write(good_kernel)
            vm.expect(r"press any key to fetch boot.cfg again", 30)
            vm.send(" ")
            vm.expect(r"boot.cfg signature verified", 60)
            # the boot itself was proven to ready above; here the kernel's stub taking the initrd is enough
            vm.expect(r"booting \(demo-1.0\) from network \(TFTP\)", 300)
            vm.expect(r"EFI stub: Loaded initrd", 120)
            r.check("efi_net_signed_boots", True)
        except Timeout as e:
            r.check("efi_net_signed_refusals", False, str(e)[-800:])


def main():
    # a timeout's SIGTERM must still run the cleanup below (namespace, dnsmasq, QEMU)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    r = Report()
    work = tempfile.mkdtemp(prefix="ramhost-efi-net.")
    os.chmod(work, 0o755)
    tree = os.path.join(work, "tree")
    proc = cap = None
    try:
        bank = os.path.join(work, "bank")
        run([RAMHOST, "image", "build", PROFILE, "-o", bank])
        os.makedirs(os.path.join(tree, "img", "demo"))
        os.makedirs(os.path.join(tree, HOSTDIR))
        cfg, names = lay_out_tree(tree, bank)
        write(os.path.join(tree, HOSTDIR, "boot.cfg"), cfg)
        netns_up()
        proc, log = dnsmasq(tree, work)
        cap, cap_path = capture(work)
        signed_case(r, tree, work, cfg, names)
        with open(log, errors="replace") as f:
            text = f.read()
        sent = [l.split(": ", 1)[-1] for l in text.splitlines() if "dnsmasq-tftp" in l][:3]
        print("figure: dnsmasq TFTP log (first lines): %s" % " | ".join(sent))
        cap.kill()
        cap.wait()
        with open(cap_path) as f:
            lines = f.read().splitlines()
        print("figure: TFTP options on the wire (first of %d): %s" % (len(lines), " | ".join(lines[:4])))
        r.check("efi_net_tftp_blksize_negotiated", any(l.startswith("OACK") and "blksize" in l for l in lines),
                " | ".join(lines[:6]))
        os.makedirs(LOGDIR, exist_ok=True)
        shutil.copy(log, os.path.join(LOGDIR, "efi-net-dnsmasq.log"))
    finally:
        for p in (proc, cap):
            if p:
                p.kill()
                p.wait()
        subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)
    r.exit()


if __name__ == "__main__":
    main()
