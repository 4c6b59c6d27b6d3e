#!/usr/bin/env python3
"""rescue_check.py: checks for tests/integration/rescue.sh.

  codes SCAN.json                  the problem codes of every disk, one per line
  ops SCAN.json                    "op arg" of every problem with a repair
  severe SCAN.json                 the codes of problems that are broken or warn
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
    elif cmd == "outside":
        outside(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
