name = r
version = 1
kernel = debian
base = builtin:minimal
rescue = no
tardisk = rescue /x
