name = x
version = 1
kernel = debian
base = builtin:huge
