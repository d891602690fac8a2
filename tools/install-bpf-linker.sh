#!/usr/bin/env bash
# Install bpf-linker (the linker of Aya's Rust eBPF objects) from crates.io, built against
# Debian's LLVM 22, the LLVM that rustc-web emits bitcode for. Idempotent.
set -euo pipefail
version=0.13.0
llvm_prefix=${LLVM_PREFIX:-/usr/lib/llvm-22}
if command -v bpf-linker >/dev/null 2>&1 && bpf-linker --version 2>/dev/null | grep -qw "$version"; then
  echo "bpf-linker $version already installed at $(command -v bpf-linker)"
  exit 0
fi
[ -x "$llvm_prefix/bin/llvm-config" ] || { echo "install-bpf-linker: no LLVM 22 at $llvm_prefix (apt-get install llvm-22-dev libclang-22-dev)" >&2; exit 1; }
PATH=$llvm_prefix/bin:$PATH LLVM_PREFIX=$llvm_prefix LLVM_SYS_221_PREFIX=$llvm_prefix \
  cargo install --quiet --locked --force bpf-linker --version "=$version" --no-default-features --features llvm-22
echo "bpf-linker $version installed at $(command -v bpf-linker || echo "$HOME/.cargo/bin/bpf-linker")"
