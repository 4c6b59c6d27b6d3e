#!/usr/bin/env bash
# make bench: every benchmark under bench/, printing "bench: NAME VALUE UNIT" lines. Not part of make check:
# speed is measured here, never by timed tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export TOP=$PWD RAMHOST=$PWD/build/ramhost
python3 bench/boot.py
python3 bench/footprint.py
python3 bench/image_build.py
python3 bench/boot_matrix.py
python3 bench/state.py
python3 bench/install.py
python3 bench/vib_live.py
python3 bench/vib_image.py
python3 bench/vib_format.py
python3 bench/tardisk_entries.py
python3 bench/oci_import.py
python3 bench/pxe_rules.py
python3 bench/tftp.py
python3 bench/pxe_fleet.py
python3 bench/pxe_boot.py
python3 bench/rescue.py
python3 bench/drivers.py
python3 bench/debian_race.py
