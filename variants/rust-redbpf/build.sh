#!/usr/bin/env bash
# The build of rust-redbpf as redbpf 2.3.0's documentation lays it out. It does not succeed on
# this machine (variant.yaml: unavailable; README.md: every step and its error); it is kept so
# that the attempt can be repeated, e.g. with an LLVM 13 rustc (1.56-1.59) as RUSTUP_TOOLCHAIN.
#
#   1. cargo-bpf 2.3.0 built with its llvm13 feature (llvm-sys 130, LLVM_SYS_130_PREFIX)
#   2. bitcode-check/: `cargo bpf build` of a probe with no dependencies: rustc emits LLVM
#      bitcode, cargo-bpf's LLVM 13 reads it and compiles it for the BPF target
#   3. probes/: `cargo bpf build hello`, the kernel side on redbpf-probes 2.3.0, whose build
#      script generates kernel bindings (kernel headers, else the running kernel's BTF)
#   4. userspace (redbpf 2.3.0, feature `load`): not written, since no probe object can be built
#
# Everything goes under target/ (`rm -rf target` cleans).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=$here/target
# llvm-13, llvm-13-dev, libclang-13-dev (toolchain llvm-13)
export LLVM_SYS_130_PREFIX=${LLVM_SYS_130_PREFIX:-/usr/lib/llvm-13}
# bindgen 0.59 (in bpf-sys and redbpf-probes) panics on the names libclang 22 gives anonymous
# types ("... is not a valid Ident"): point it at libclang 13.
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-13/lib}
mkdir -p "$target"

if [ ! -x "$target/cargo-bpf/bin/cargo-bpf" ]; then
  echo "== 1. cargo install cargo-bpf 2.3.0 (llvm13)"
  CARGO_TARGET_DIR=$target/cargo-bpf-build cargo install cargo-bpf --version =2.3.0 \
    --no-default-features --features command-line,llvm13 --root "$target/cargo-bpf" || exit 1
  rm -rf "$target/cargo-bpf-build"
fi
export PATH=$target/cargo-bpf/bin:$PATH
echo "rustc: $(rustc -vV | grep -E '^(release|LLVM)' | tr '\n' ' ')"

status=0
echo "== 2. bitcode-check: cargo bpf build mini"
(cd "$here/bitcode-check" && cargo bpf build --target-dir "$target/bitcode-check" mini) || status=1
echo "== 3. probes: cargo bpf build hello"
(cd "$here/probes" && cargo bpf build --target-dir "$target" hello) || status=1
if [ "$status" = 0 ]; then
  echo "== 4. userspace: not written (README.md)" >&2
  status=1
fi
exit "$status"
