name = n
version = 1
kernel = debian
base = debootstrap:bookworm
drivers = net, storage
network = static 192.0.2.10/24 gateway=192.0.2.1 dns=192.0.2.53,2001:db8::1 interface=eno1
