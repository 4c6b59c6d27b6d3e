#!/usr/bin/env bash
# make demo: build the demo ISO and boot it in QEMU up to the ready line (see scripts/demo.py).
set -euo pipefail
cd "$(dirname "$0")/.."
export TOP=$PWD RAMHOST=$PWD/build/ramhost
exec python3 scripts/demo.py
