#!/usr/bin/env bash
# The `rustc-web` toolchain: Debian's rustc-web (LLVM 22, as bpf-linker), with its library
# source for -Z build-std. Where rustup exists, aya-build runs `rustup run rustc-web`, so it must
# be linked there too (tools/install-rustc-web.sh); without rustup, aya-build uses the cargo on
# PATH, which is then Debian's cargo-web. Prints one line; fails with the reason.
set -euo pipefail
ver=$(dpkg-query -W -f='${Version}' rustc-web 2>/dev/null) || { echo "rustc-web not installed" >&2; exit 1; }
[ -d /usr/lib/rustlib/src/rust/library/core ] || { echo "rust-web-src not installed (no /usr/lib/rustlib/src/rust)" >&2; exit 1; }
line=$(/usr/bin/rustc --version)
if command -v rustup >/dev/null; then
  rustup run rustc-web rustc --version >/dev/null 2>&1 || { echo "rustup has no toolchain rustc-web (tools/install-rustc-web.sh links it)" >&2; exit 1; }
fi
echo "$line (Debian rustc-web $ver)"
