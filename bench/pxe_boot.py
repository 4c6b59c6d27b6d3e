"""pxe_boot.py: one real guest for `make bench` (issue 11, "One real guest"): QEMU start to the ready line over
the network vs from the ISO, the same image (examples/demo/profile), the same machine, printed as
`bench: name value unit`.

- PXE: `ramhost pxe serve` in full DHCP mode in a netlab namespace (bridge 10.77.0.1/24); the guest is SeaBIOS
  with QEMU's iPXE ROM on virtio-net-pci: DHCP, the iPXE script, kernel and modules over HTTP, init, ready;
- ISO: `ramhost image iso` of the same profile on -cdrom, booted as bench/boot.py boots it.
Rounds alternate (PXE, ISO, PXE, ISO ...; RAMHOST_BENCH_RUNS, default 3) so a change of load on the machine
falls on both; the medians of host wall time (QEMU start to the line) and of the guest's own boot_ms are
printed, with the ratio PXE/ISO. Needs root (ip netns).
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "system"))
from netlab import Lab  # noqa: E402
from qemu import READY_RE, RAMHOST, TOP, Vm, run  # noqa: E402

RUNS = int(os.environ.get("RAMHOST_BENCH_RUNS", "3"))
PROFILE = os.path.join(TOP, "examples", "demo", "profile")
TIMEOUT = 300
MAC = "52:54:00:77:0b:01"
GAVE_UP_RE = r"No bootable device|Kernel panic[^\r\n]*|(?i:no rule match)[^\r\n]*|Nothing to boot[^\r\n]*"


def report(name, value, unit):
    print("bench: %-38s %10s %s" % (name, value, unit), flush=True)


def med(xs):
    return sorted(xs)[len(xs) // 2]


def wait_ready(vm):
    """(host wall seconds since QEMU started, guest boot_ms) of the ready line; raises when the guest gives up."""
    m = vm.expect(r"(?:%s)|(%s)" % (READY_RE, GAVE_UP_RE), TIMEOUT)
    wall = time.monotonic() - vm.started
    if m.group(6):
        raise RuntimeError("%s gave up: %s" % (vm.name, m.group(6).decode("utf-8", "replace")))
    return wall, int(m.group(4))


def start_server(lab, img):
    state = lab.mkdtemp("state-pxe-boot")
    conf = os.path.join(state, "pxe.conf")
    with open(conf, "w") as f:
        f.write("mode = full\ninterface = br0\nserver-ip = %s\nrange = %s-%s\nlease-file = %s/leases\n"
                "state-dir = %s\nhttp-port = 8080\nipxe-dir = /usr/lib/ipxe\n\nimage demo %s\n\n"
                "rule all\n    match mac 52:54:00:*\n    image demo\n    state none\n" % (
                    lab.ip, lab.addr(100), lab.addr(199), state, state, img))
    srv = lab.spawn("bench-pxe-boot-serve", [RAMHOST, "pxe", "serve", conf])
    lab.wait_tcp(lab.ip, 8080)
    return srv


def main():
    if os.geteuid() != 0:
        print("bench/pxe_boot.py: needs root (ip netns)", file=sys.stderr)
        return 1
    with Lab() as lab:
        img = os.path.join(lab.tmp, "img")
        iso = os.path.join(lab.tmp, "demo.iso")
        run([RAMHOST, "image", "pxe", PROFILE, "-o", img])
        run([RAMHOST, "image", "iso", PROFILE, "-o", iso])
        srv = start_server(lab, img)
        pxe_wall, pxe_guest, iso_wall, iso_guest = [], [], [], []
        for i in range(RUNS):
            with lab.guest("bench_pxe_boot_%d" % i, mac=MAC, nic="virtio-net-pci") as vm:
                w, g = wait_ready(vm)
            pxe_wall.append(w)
            pxe_guest.append(g)
            with Vm("bench_iso_boot_%d" % i, ["-cdrom", iso]) as vm:
                w, g = wait_ready(vm)
            iso_wall.append(w)
            iso_guest.append(g)
            print("pxe_boot round %d: PXE %.2f s (boot_ms %d), ISO %.2f s (boot_ms %d)" % (
                i + 1, pxe_wall[-1], pxe_guest[-1], iso_wall[-1], iso_guest[-1]), flush=True)
        if not srv.alive():
            raise RuntimeError("ramhost pxe serve exited: %s" % srv.text()[-500:])
        for what, fmt, unit, pxe, iso in (("wall", "%.2f", "s (median of %d)" % RUNS, pxe_wall, iso_wall),
                                          ("guest boot_ms", "%d", "ms", pxe_guest, iso_guest)):
            report("boot to ready over PXE (%s)" % what, fmt % med(pxe), unit)
            report("boot to ready from ISO (%s)" % what, fmt % med(iso), unit)
            report("%s ratio PXE/ISO" % what, "%.2f" % (med(pxe) / med(iso)), "x")
        steps = re.findall(r"^.*(?:dhcp-ack|script|ready).*$", srv.text(), re.M)
        print("pxe_boot: server saw %d dhcp-ack/script/ready lines" % len(steps), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
