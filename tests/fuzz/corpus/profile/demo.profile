# The ramhost demo image: busybox + ramhost on the Debian kernel, with one extra tardisk.
# Format: docs/profile.md. Build: ramhost image iso examples/demo/profile -o out/demo.iso
name = demo
version = 1.0
title = ramhost demo 1.0

kernel = debian
# Kernel messages stay on the serial console, at warning level, to debug a boot.
kernelopt = console=ttyS0,115200 loglevel=4

base = builtin:minimal
tardisk = extras extras

ramdisk = root 32M
ramdisk = etc 8M
ramdisk = var 64M
ramdisk = tmp 64M inodes=4096
ramdisk = run 16M

timeout = 3
