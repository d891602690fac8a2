#!/usr/bin/env bash
# BCC compiles its C at run time against the running kernel's headers, looked up at
# /lib/modules/$(uname -r)/build (and .../source). This kernel ships none, so install
# Debian's 6.12 headers (the newest 6.12 build Debian serves) and link them there.
# The headers describe 6.12, not the running kernel: the programs only read syscall
# tracepoint arguments and task helpers, whose layout does not change between them.
# Idempotent; an existing build/ link or tree is left alone.
set -euo pipefail
release=$(uname -r)
mods=/lib/modules/$release
if [ -e "$mods/build/include/generated/autoconf.h" ] && [ -e "$mods/source/include/linux/kconfig.h" ]; then
  echo "kernel headers already at $mods/build -> $(readlink -f "$mods/build")"
  exit 0
fi
pkg=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' | awk '{print $1}' | sort -V | tail -1)
[ -n "$pkg" ] || { echo "install-kernel-headers: Debian serves no linux-headers-6.12.*+deb12-amd64 package" >&2; exit 1; }
ver=${pkg#linux-headers-}; ver=${ver%-amd64}
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "$pkg" "linux-headers-$ver-common" >/dev/null
build=/usr/src/linux-headers-$ver-amd64
source=/usr/src/linux-headers-$ver-common
[ -d "$build" ] && [ -d "$source" ] || { echo "install-kernel-headers: $pkg installed but $build or $source is missing" >&2; exit 1; }
mkdir -p "$mods"
ln -sfn "$build" "$mods/build"
ln -sfn "$source" "$mods/source"
echo "kernel headers $ver linked at $mods/build and $mods/source"
