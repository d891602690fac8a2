#!/usr/bin/env bash
# Install Debian's rustc-web (1.96, built on LLVM 22) with its standard library source, and,
# where the machine has rustup, register it there as the toolchain "rustc-web" for aya-build
# (without rustup, aya-build uses the cargo on PATH: Debian's). Idempotent; run as root.
set -euo pipefail
packages=(rustc-web rust-web-src cargo-web)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  echo "installed ${missing[*]}"
else
  echo "${packages[*]} already installed"
fi
if ! command -v rustup >/dev/null; then
  echo "no rustup: aya-build will use Debian's cargo and rustc on PATH"
elif rustup toolchain list | grep -q '^rustc-web'; then
  echo "rustup toolchain rustc-web already linked"
else
  rustup toolchain link rustc-web /usr
  echo "linked rustup toolchain rustc-web -> /usr"
fi
/usr/bin/rustc -vV | sed -n 's/^\(release\|LLVM version\): /rustc-web &/p'
