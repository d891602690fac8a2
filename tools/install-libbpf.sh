#!/usr/bin/env bash
# Build the libbpf release vendored by the libbpf-sys crate as a static library,
# installed under $PREFIX (default: <repo>/.deps/libbpf). Idempotent.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
prefix=${LIBBPF_PREFIX:-$repo/.deps/libbpf}
version=1.7.0
if [ -f "$prefix/lib64/libbpf.a" ] && [ -f "$prefix/include/linux/bpf.h" ] && grep -q "Version: $version" "$prefix/lib64/pkgconfig/libbpf.pc" 2>/dev/null; then
  echo "libbpf $version already at $prefix"
  exit 0
fi
work=$repo/.deps/libbpf-build
rm -rf "$work"
mkdir -p "$work"
cargo vendor --quiet --versioned-dirs --manifest-path "$repo/tools/libbpf-src/Cargo.toml" "$work/vendor" >/dev/null
src=$(echo "$work"/vendor/libbpf-sys-*/libbpf/src)
[ -f "$src/Makefile" ] || { echo "install-libbpf: no libbpf source in the libbpf-sys crate" >&2; exit 1; }
make -s -C "$src" -j"$(nproc)" BUILD_STATIC_ONLY=1 OBJDIR="$work/obj" PREFIX="$prefix" LIBDIR="$prefix/lib64" install install_uapi_headers >/dev/null
grep -q "Version: $version" "$prefix/lib64/pkgconfig/libbpf.pc" || { echo "install-libbpf: built libbpf is not $version" >&2; exit 1; }
rm -rf "$work"
echo "libbpf $version installed at $prefix"
