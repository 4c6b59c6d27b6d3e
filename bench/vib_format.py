"""vib_format.py: `ramhost vib create / verify / info` benchmarks for `make bench`, printed as
`bench: name value unit`.

A 50 MB payload tree (50 files of 1 MiB; half random bytes, half repetitive text) is bundled into a community
VIB and into a partner VIB signed with throwaway keys (tests/fixtures/vib/mkca.sh). Reports the median of
RAMHOST_BENCH_RUNS runs (default 3) of: create (tardisk build + hashing + archive), verify (signature + SHA-256
of every payload; the figure H4's live install pays for its "verify" phase), info (open + descriptor parse
only), and the verify throughput over the .vib file's bytes.
"""
import os
import shutil
import statistics
import subprocess
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RAMHOST = os.environ.get("RAMHOST", os.path.join(TOP, "build", "ramhost"))
RUNS = int(os.environ.get("RAMHOST_BENCH_RUNS", "3"))
FILES = 50
FILE_SIZE = 1024 * 1024

DESC = """<?xml version="1.0" encoding="UTF-8"?>
<vib version="1.0">
  <name>bench</name><version>1.0-1</version><vendor>ramhost bench</vendor>
  <acceptance-level>%s</acceptance-level>
  <flags><live-install-allowed>true</live-install-allowed></flags>
</vib>
"""


def report(name, value, unit):
    print("bench: %-34s %10s %s" % (name, value, unit), flush=True)


def timed(argv, env=None):
    t = time.monotonic()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.monotonic() - t


def main():
    work = tempfile.mkdtemp(prefix="ramhost-bench-vib.")
    try:
        root = os.path.join(work, "root", "opt", "bench")
        os.makedirs(root)
        text = (b"ramhost vib benchmark line of text\n" * (FILE_SIZE // 35 + 1))[:FILE_SIZE]
        for i in range(FILES):
            with open(os.path.join(root, "f%02d" % i), "wb") as f:
                f.write(os.urandom(FILE_SIZE) if i % 2 else text)
        subprocess.run(["bash", os.path.join(TOP, "tests/fixtures/vib/mkca.sh"), os.path.join(work, "ca")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ca = os.path.join(work, "ca")
        env = dict(os.environ, RAMHOST_TRUST=os.path.join(ca, "trust"), SOURCE_DATE_EPOCH="1700000000")
        for level in ("community", "partner"):
            desc = os.path.join(work, "%s.xml" % level)
            with open(desc, "w") as f:
                f.write(DESC % level)
            out = os.path.join(work, "%s.vib" % level)
            sign = [] if level == "community" else [
                "--sign-key", os.path.join(ca, "test-signer-partner.key"),
                "--sign-cert", os.path.join(ca, "test-signer-partner.pem")]
            create, verify, info = [], [], []
            for _ in range(RUNS):
                create.append(timed([RAMHOST, "vib", "create", "--descriptor", desc, "--payload",
                                     os.path.join(work, "root"), "-o", out, "--quiet", "--force"] + sign, env))
                verify.append(timed([RAMHOST, "vib", "verify", out], env))
                info.append(timed([RAMHOST, "vib", "info", out], env))
            size = os.path.getsize(out)
            report("vib_create_50mb_%s" % level, "%.2f" % statistics.median(create), "s")
            report("vib_verify_50mb_%s" % level, "%.3f" % statistics.median(verify), "s")
            report("vib_verify_throughput_%s" % level, "%.0f" % (size / 1e6 / statistics.median(verify)), "MB/s")
            report("vib_info_%s" % level, "%.1f" % (1000 * statistics.median(info)), "ms")
            report("vib_size_%s" % level, "%.1f" % (size / 1e6), "MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
