#!/usr/bin/env bash
# Installs every Debian package ramhost needs to build, test and boot its images, then fetches the Debian kernel
# and busybox used by the built-in demo base into the cache (unpacked there, never installed system-wide).
# Idempotent: a second run that finds everything in place does nothing and takes well under a second.
set -euo pipefail

cache=${RAMHOST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ramhost}
packages=(
  build-essential pkg-config clang libclang-rt-14-dev
  libarchive-dev libacl1-dev libsquashfs-dev squashfs-tools-ng squashfs-tools libzstd-dev zlib1g-dev
  libssl-dev libexpat1-dev libjansson-dev liblzma-dev liblz4-dev libbz2-dev gnu-efi sbsigntool curl umoci
  xorriso isolinux syslinux syslinux-common syslinux-utils mtools dosfstools gdisk fdisk e2fsprogs
  qemu-system-x86 qemu-utils ovmf seabios ipxe-qemu ipxe libmicrohttpd-dev
  dnsmasq-base nginx-light tftpd-hpa tftp-hpa iproute2 grub-pc-bin strace
  cpio zstd xz-utils bzip2 lz4 kmod python3 dpkg-dev openssl debootstrap debian-archive-keyring
)

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# fetch_unpack PACKAGE DIR: downloads PACKAGE's .deb with apt (from the machine's own apt sources) and unpacks it
# into DIR. DIR appears only when the unpack is complete, so an interrupted run is redone next time.
fetch_unpack() {
  local pkg=$1 dir=$2 tmp
  [ -d "$dir" ] && return 0
  tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
  echo "setup: fetching $pkg into $dir"
  (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >/dev/null)
  dpkg-deb -x "$tmp"/*.deb "$tmp/root"
  mv "$tmp/root" "$dir"
  rm -rf "$tmp"
}

mkdir -p "$cache"
# linux-image-amd64 is a metapackage; its dependency names the versioned kernel image package.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$kpkg" ]; then
  "${sudo_cmd[@]}" apt-get update -qq
  kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
fetch_unpack "$kpkg" "$cache/kernel-$kpkg"
# The .deb ships no modules.dep (the package's postinst makes it); ramhost resolves module dependencies from it.
kver=$(ls "$cache/kernel-$kpkg/lib/modules" | head -n 1)
[ -f "$cache/kernel-$kpkg/lib/modules/$kver/modules.dep" ] || depmod -b "$cache/kernel-$kpkg" "$kver"
ln -sfn "kernel-$kpkg" "$cache/kernel"
fetch_unpack busybox-static "$cache/busybox-static"
echo "setup: ready (cache: $cache)"
