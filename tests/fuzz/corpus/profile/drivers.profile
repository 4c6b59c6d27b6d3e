name = n
version = 1
kernel = debian
base = builtin:minimal
drivers = all
network = dhcp
