#!/usr/bin/env bash
# BCC compiles its C at run time against the running kernel's headers, looked up at
# /lib/modules/$(uname -r)/build (and .../source). This kernel ships none, so take Debian's
# newest 6.12 headers, unpack them under /usr/src/ebpf-frameworks/ (apt would also install the
# matching kernel image, which its package depends on, and build an initramfs for it), and
# link them there: beside Debian's own headers and outside any clone, so that a program run
# without root (the tests' unprivileged runs) can read them even when the clone is in a folder
# others cannot enter, such as /root. The headers describe 6.12, not the running kernel: the programs read
# syscall tracepoint arguments (BCC generates their structs from tracefs at run time) and
# helpers, none of which depends on them. Idempotent; an existing build/ is left alone.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tools/debs.sh"
release=$(uname -r)
mods=/lib/modules/$release
if [ -e "$mods/build/include/generated/autoconf.h" ] && [ -e "$mods/source/include/linux/kconfig.h" ]; then
  echo "kernel headers already at $mods/build -> $(readlink -f "$mods/build")"
  exit 0
fi
pkg=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' | awk '{print $1}' | sort -V | tail -1)
[ -n "$pkg" ] || { echo "install-kernel-headers: Debian serves no linux-headers-6.12.*+deb12-amd64 package" >&2; exit 1; }
ver=${pkg#linux-headers-}; ver=${ver%-amd64}
dest=/usr/src/ebpf-frameworks/kernel-headers
rm -rf "$dest"
mkdir -p "$dest/debs"
fetch_debs "$dest/debs" "$pkg" "linux-headers-$ver-common"
for deb in "$dest"/debs/*.deb; do dpkg-deb -x "$deb" "$dest"; done
rm -rf "$dest/debs"
build=$dest/usr/src/linux-headers-$ver-amd64
source=$dest/usr/src/linux-headers-$ver-common
[ -e "$build/include/generated/autoconf.h" ] && [ -e "$source/include/linux/kconfig.h" ] ||
  { echo "install-kernel-headers: $pkg unpacked but $build or $source is incomplete" >&2; exit 1; }
mkdir -p "$mods"
ln -sfn "$build" "$mods/build"
ln -sfn "$source" "$mods/source"
echo "kernel headers $ver linked at $mods/build and $mods/source"
