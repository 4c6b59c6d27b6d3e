#!/usr/bin/env python3
"""rescue_check.py: checks for tests/integration/rescue.sh.

  codes SCAN.json                  the problem codes of every disk, one per line
  ops SCAN.json                    "op arg" of every problem with a repair
  severe SCAN.json                 the codes of problems that are broken or warn
  to4kn IMG                        rewrites the GPT of a 512-byte-sector image for 4096-byte logical sectors (the
                                   partitions keep their bytes; what a 4Kn disk holding the same data looks like)
  outside PLAN.json BEFORE AFTER   every byte that differs between BEFORE and AFTER lies inside an extent of the
                                   plan (all steps), and every extent's bytes in AFTER are the ones that differ
                                   or were already equal; prints the differing byte count
"""
import json
import sys


def problems(path):
    with open(path) as f:
        doc = json.load(f)
    for d in doc["disks"]:
        for p in d["problems"]:
            yield p


def extents(path):
    with open(path) as f:
        doc = json.load(f)
    out = []
    plans = doc["plans"] if "plans" in doc else [doc]
    for plan in plans:
        for s in plan["steps"]:
            for e in s["extents"]:
                out.append((e["offset"], e["offset"] + e["length"]))
    return sorted(out)


def outside(plan, a, b):
    ext = extents(plan)
    chunk = 1 << 20
    diff = 0
    bad = []
    with open(a, "rb") as fa, open(b, "rb") as fb:
        fa.seek(0, 2)
        fb.seek(0, 2)
        if fa.tell() != fb.tell():
            sys.exit("sizes differ: %d %d" % (fa.tell(), fb.tell()))
        size = fa.tell()
        fa.seek(0)
        fb.seek(0)
        off = 0
        while off < size:
            x = fa.read(chunk)
            y = fb.read(chunk)
            if x != y:
                for i in range(len(x)):
                    if x[i] != y[i]:
                        pos = off + i
                        diff += 1
                        if not any(s <= pos < e for s, e in ext) and len(bad) < 5:
                            bad.append(pos)
            off += len(x)
    if bad:
        sys.exit("bytes outside the plan changed at offsets %s" % bad)
    print(diff)


def to4kn(path):
    import struct
    import zlib
    f = open(path, "r+b")
    size = f.seek(0, 2)
    f.seek(512)
    h = f.read(92)
    f.seek(1024)
    ents = f.read(128 * 128)
    bs, n = 4096, size // 4096
    parts = b""
    for i in range(128):
        e = bytearray(ents[i * 128:(i + 1) * 128])
        if any(e[:16]):
            first, last = struct.unpack_from("<QQ", e, 32)
            struct.pack_into("<QQ", e, 32, first * 512 // bs, (last + 1) * 512 // bs - 1)
        parts += bytes(e)
    crc = zlib.crc32(parts) & 0xffffffff

    def header(me, alt, entlba):
        hd = bytearray(h)
        struct.pack_into("<IIIIQQQQ", hd, 8, 0x10000, 92, 0, 0, me, alt, 6, n - 6)
        struct.pack_into("<QIII", hd, 72, entlba, 128, 128, crc)
        struct.pack_into("<I", hd, 16, zlib.crc32(bytes(hd)) & 0xffffffff)
        return bytes(hd) + bytes(bs - 92)

    f.seek(512)
    f.write(bytes(24576 - 512))
    f.seek(size - 33 * 512)
    f.write(bytes(33 * 512))
    f.seek(446 + 12)
    f.write(struct.pack("<I", min(n - 1, 0xffffffff)))
    f.seek(bs)
    f.write(header(1, n - 1, 2))
    f.seek(2 * bs)
    f.write(parts)
    f.seek((n - 5) * bs)
    f.write(parts)
    f.seek((n - 1) * bs)
    f.write(header(n - 1, 1, n - 5))
    f.close()


def main():
    cmd = sys.argv[1]
    if cmd == "codes":
        for p in problems(sys.argv[2]):
            print(p["code"])
    elif cmd == "ops":
        for p in problems(sys.argv[2]):
            if p["op"]:
                print(p["op"], p["arg"])
    elif cmd == "severe":
        for p in problems(sys.argv[2]):
            if p["severity"] in ("broken", "warn"):
                print(p["code"])
    elif cmd == "to4kn":
        to4kn(sys.argv[2])
    elif cmd == "outside":
        outside(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
