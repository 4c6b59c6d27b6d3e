name = r
version = 1
kernel = debian
base = /rootfs
rescue = yes
