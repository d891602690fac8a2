#!/usr/bin/env bash
# The `bcc` toolchain: Debian's libbcc and its Python module, and kernel headers where BCC
# looks for them. Prints one line when all are there; fails with the reason otherwise.
set -euo pipefail
ver=$(dpkg-query -W -f='${Version}' libbpfcc-dev 2>/dev/null) || { echo "libbpfcc-dev not installed" >&2; exit 1; }
/usr/bin/python3 -c 'import bcc' 2>/dev/null || { echo "python3-bpfcc not importable by /usr/bin/python3" >&2; exit 1; }
build=/lib/modules/$(uname -r)/build
[ -e "$build/include/generated/autoconf.h" ] && [ -e "${build%/build}/source/include/linux/kconfig.h" ] || { echo "no kernel headers at $build (tools/install-kernel-headers.sh)" >&2; exit 1; }
echo "bcc $ver, kernel headers $(basename "$(readlink -f "$build")")"
