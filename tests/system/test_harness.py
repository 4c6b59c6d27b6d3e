"""test_harness.py: the console harness itself (tests/system/qemu.py), without QEMU.

A child process prints a ready line in pieces, the way a serial console delivers it: expect() with a pattern that
captures fields must wait for the end of the line ("build=debian-12.0", not "build=d"); a prompt without groups
must match as soon as it appears, without a line end; sh()-style markers still work."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu import READY_RE, Console, Report  # noqa: E402

# Prints its arguments one by one with a pause between them (no newline unless a piece has one).
PIECES = r"""
import sys, time
for p in sys.argv[1:]:
    sys.stdout.write(p.encode().decode("unicode_escape")); sys.stdout.flush(); time.sleep(0.3)
time.sleep(5)
"""


class Child(Console):
    def __init__(self, name, pieces):
        self._attach(name, [sys.executable, "-c", PIECES] + list(pieces))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def main():
    r = Report()
    ready = ["ramhost: ready bank=1 tardisks=3 state=none boot_ms=1234 build=d", "ebian-12", ".0\\r\\n", "# "]
    with Child("harness-ready", ready) as c:
        t0 = time.monotonic()
        m = c.expect(READY_RE, 10)
        r.check("harness_field_waits_for_line_end", m.group(5) == b"debian-12.0", m.group(0).decode())
        r.check("harness_field_wait_is_short", time.monotonic() - t0 < 5)
        t1 = time.monotonic()
        c.expect(r"# ", 10)
        r.check("harness_prompt_without_line_end", time.monotonic() - t1 < 3)
    with Child("harness-marker", ["out put\\r\\n@@RH1", "-rc=0@@\\r\\n"]) as c:
        m = c.expect(r"@@RH1-rc=(\d+)@@", 10)
        r.check("harness_marker", m.group(1) == b"0")
    with Child("harness-fail", ["install: FAILED: no sp", "ace left\\n"]) as c:
        m = c.expect(r"install: (done: [^\r\n]*|FAILED: [^\r\n]*)", 10)
        r.check("harness_failed_line_whole", m.group(1) == b"FAILED: no space left", m.group(1).decode())
    r.exit()


if __name__ == "__main__":
    main()
