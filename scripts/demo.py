"""demo.py: builds the demo ISO and boots it as a CD under QEMU (SeaBIOS, TCG), showing the serial console live
up to the ready line; then runs `ramhost df` on the booted host and powers it off. Used by `make demo`."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "system"))
from qemu import READY_RE, RAMHOST, TOP, Vm, run  # noqa: E402


def main():
    out = os.path.join(TOP, "out")
    os.makedirs(out, exist_ok=True)
    iso = os.path.join(out, "demo.iso")
    t0 = time.monotonic()
    print("demo: building %s from examples/demo/profile" % iso, flush=True)
    # --force: out/demo.iso is this script's own output, rebuilt by every `make demo`
    sys.stdout.write(run([RAMHOST, "image", "iso", os.path.join(TOP, "examples", "demo", "profile"), "-o", iso,
                          "--force"]))
    print("demo: built in %.1f s; booting it as a CD in QEMU (SeaBIOS, TCG)\n" % (time.monotonic() - t0),
          flush=True)
    with Vm("demo", ["-cdrom", iso], echo=True) as vm:
        m = vm.expect(READY_RE, 300)
        vm.shell()
        vm.sh("ramhost df")
        vm.send("poweroff -f\n")
        time.sleep(1)
    print("\n\ndemo: reached '%s' %.1f s after QEMU started; console log in %s" % (
        m.group(0).decode(), time.monotonic() - vm.started, vm.log_path))


if __name__ == "__main__":
    main()
