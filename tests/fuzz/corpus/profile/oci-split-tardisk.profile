name = a
version = 1
kernel = debian
base = oci:img:v1
oci-layers = split
tardisk = app oci:apps/app.tar:v2
tardisk = more dir
