#!/usr/bin/env bash
# The guest kernels of the kernel matrix (`nox -s matrix`): Debian's newest 6.1 and 6.12
# images and their headers, unpacked under .deps/kernels/<release>/ (nothing installed as the
# host's kernel, no boot loader or initramfs hooks run). Their modules are made visible at
# /lib/modules/<release>/, where virtme-ng looks for the 9p and virtio modules it puts in the
# guest's initramfs, and their headers at /lib/modules/<release>/build and source, where BCC
# looks when it runs in that guest. Idempotent. Prints one line per kernel: <release> <vmlinuz>.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tools/debs.sh"
dest=$repo/.deps/kernels
mkdir -p "$dest"
newest() { apt-cache search --names-only "$1" | awk '{print $1}' | sort -V | tail -1; }
pkgs=("$(newest '^linux-image-6\.1\.0-[0-9]+-amd64$')" "$(newest '^linux-image-6\.12\.[0-9]+\+deb12-amd64$')")
for pkg in "${pkgs[@]}"; do
  [ -n "$pkg" ] || { echo "install-guest-kernels: Debian serves no 6.1 or 6.12 amd64 image" >&2; exit 1; }
  release=${pkg#linux-image-}
  dir=$dest/$release
  if [ ! -f "$dir/boot/vmlinuz-$release" ] || [ ! -d "$dir/usr/src/linux-headers-$release" ]; then
    rm -rf "$dir" "$dest/tmp"
    mkdir -p "$dest/tmp"
    common=$(apt-cache show "linux-headers-$release" 2>/dev/null | sed -n 's/^Depends:.*\(linux-headers-[^ ,]*-common\) .*/\1/p' | head -1)
    [ -n "$common" ] || { echo "install-guest-kernels: Debian serves no linux-headers-$release" >&2; exit 1; }
    fetch_debs "$dest/tmp" "$pkg" "linux-headers-$release" "$common"
    for deb in "$dest"/tmp/*.deb; do dpkg-deb -x "$deb" "$dir"; done
    rm -rf "$dest/tmp"
  fi
  [ -f "$dir/boot/vmlinuz-$release" ] || { echo "install-guest-kernels: $pkg has no vmlinuz" >&2; exit 1; }
  # The headers packages link build/ and source/ to /usr/src/...: point them into .deps. In the
  # guest, virtme-ng shows /lib/modules/<release> as a link to this unpacked modules folder.
  src=$(find "$dir/usr/src" -maxdepth 1 -name 'linux-headers-*-common' | head -1)
  ln -sfn "$dir/usr/src/linux-headers-$release" "$dir/lib/modules/$release/build"
  ln -sfn "$src" "$dir/lib/modules/$release/source"
  # Entry by entry: /lib/modules/<release>/ may already exist (Debian's headers package links
  # build/ and source/ there).
  mods=/lib/modules/$release
  mkdir -p "$mods"
  for f in "$dir/lib/modules/$release"/*; do
    [ -e "$mods/$(basename "$f")" ] || ln -sfn "$f" "$mods/$(basename "$f")"
  done
  [ -e "$mods/build/include/generated/autoconf.h" ] || ln -sfn "$dir/usr/src/linux-headers-$release" "$mods/build"
  [ -e "$mods/source/include/linux/kconfig.h" ] || ln -sfn "$src" "$mods/source"
  echo "$release $dir/boot/vmlinuz-$release"
done
