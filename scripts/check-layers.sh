#!/usr/bin/env bash
# scripts/check-layers.sh [DIR]: every #include "..." in the C sources under DIR (default: this tree) must go down
# the layer order of docs/architecture.md, or stay in its own folder. Prints one line per wrong-way include on stderr,
#   check-layers: vib/vibdb.c:12: includes image-builder/profile.h: vib/ (layer 2) may not use image-builder/ (layer 3)
# and exits 1 when there is any; exits 0 silently otherwise. Run by the Makefile before anything is compiled and
# by tests/integration/layers.sh.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
exec python3 - <<'PY'
import os, re, sys

# folder -> layer. A file may include files of its own folder and of folders with a lower layer. The folders of
# layer 2 are peers: none may use another. ramdisk/init (PID 1) and bootloader/efi (the UEFI loader) sit apart:
# they use only the layers named in ONLY, and nothing outside them may include them.
LAYERS = {
    "lib": 0,                 # pure formats, (buf, len); the loader's subset is freestanding
    "lib/host": 1,            # host helpers: files, temporaries, processes, mounts, disks; libc only
    "tardisk": 2,             # formats with libraries
    "bootloader": 2,
    "vib": 2,
    "image-builder": 3,       # builders (and install, which writes disks)
    "ramdisk/state": 4,       # booted-host operations
    "ramdisk/bank": 5,
    "ramdisk": 6,
    "vib/live": 7,
    "pxe-server": 8,
    "recovery": 8,
    "cli": 9,                 # the commands: the only code that prints
    "tests": 10,
    "bench": 10,
    "ramdisk/init": 2,
    "bootloader/efi": 1,
}
ONLY = {
    "ramdisk/init": {"lib", "lib/host"},
    "bootloader/efi": {"lib"},
}
SEARCH = [".", "lib", "lib/host", "cli"]   # the -I order of the Makefile (after the file's own folder)
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"')

def folder_of(path):
    d = os.path.dirname(path)
    while d and d not in LAYERS:
        d = os.path.dirname(d)
    return d or None

def resolve(src, name):
    for base in [os.path.dirname(src)] + SEARCH:
        p = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(p):
            return p
    return None

bad = 0
for top, dirs, files in os.walk("."):
    dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "build")
    for f in sorted(files):
        if not f.endswith((".c", ".h")):
            continue
        src = os.path.normpath(os.path.join(top, f))
        sf = folder_of(src)
        if sf is None:
            continue
        with open(src, errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                m = INC.match(line)
                if not m:
                    continue
                tgt = resolve(src, m.group(1))
                if tgt is None:
                    continue          # a system or generated header
                tf = folder_of(tgt)
                if tf is None or tf == sf:
                    continue
                why = None
                if sf in ONLY:
                    if tf not in ONLY[sf]:
                        why = "%s/ may use only %s" % (sf, ", ".join(x + "/" for x in sorted(ONLY[sf])))
                elif tf in ONLY and sf not in ("tests",):
                    why = "%s/ is a program of its own, not a library" % tf
                elif LAYERS[tf] >= LAYERS[sf]:
                    why = "%s/ (layer %d) may not use %s/ (layer %d)" % (sf, LAYERS[sf], tf, LAYERS[tf])
                if why:
                    print("check-layers: %s:%d: includes %s: %s" % (src, n, tgt, why), file=sys.stderr)
                    bad += 1
if bad:
    print("check-layers: %d wrong-way include%s (docs/architecture.md, \"Layers\")" % (bad, "" if bad == 1 else "s"),
          file=sys.stderr)
sys.exit(1 if bad else 0)
PY
