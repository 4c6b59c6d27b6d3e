name=web
version=2
kernel=k/vmlinuz
kernel-modules=k/lib/modules/6.1
base=root.tar.zst
tardisk = a a.tar
tardisk = b b
ramdisk = tmp 1G inodes=100
ramdisk = s 1M mount=/s
kmod = virtio-net
timeout=0
init=/lib/systemd/systemd
