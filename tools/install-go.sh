#!/usr/bin/env bash
# Go at the release the variants' go.mod files name (their highest `go` line), for a machine
# whose own Go is older or absent. Go distributes its toolchains as modules through the Go
# module proxy (golang.org/toolchain, what GOTOOLCHAIN fetches): any Go, Debian 12's 1.19
# included, downloads that module; it is unpacked under <repo>/.deps/go, which the harness puts
# first on PATH. A Go on PATH at that release or newer is used as it is. Idempotent; Debian's
# golang-go is installed (root) only when no Go is on PATH.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
want=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$repo"/variants/*/go.mod | sort -V | tail -1)
[ -n "$want" ] || { echo "install-go: no go line in variants/*/go.mod" >&2; exit 1; }
dest=$repo/.deps/go
have() { "$1" env GOVERSION 2>/dev/null | sed 's/^go//'; }
newer_or_same() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }
if [ -x "$dest/bin/go" ] && [ "$(have "$dest/bin/go")" = "$want" ]; then
  echo "go $want already at $dest"
  exit 0
fi
if command -v go >/dev/null && v=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null | sed 's/^go//') && [ -n "$v" ] && newer_or_same "$v" "$want"; then
  echo "go $v on PATH ($(command -v go)) meets go $want"
  exit 0
fi
if ! command -v go >/dev/null; then
  echo "no Go on PATH: installing Debian's golang-go to fetch go $want with"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null
fi
case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
mod=golang.org/toolchain@v0.0.1-go$want.linux-$arch
# -modcacherw: the module cache stays deletable. Go 1.19 prints Dir in its JSON like later ones.
dir=$(GOFLAGS=-modcacherw GOTOOLCHAIN=local go mod download -json "$mod" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
[ -n "$dir" ] && [ -f "$dir/bin/go" ] || { echo "install-go: go mod download $mod gave no toolchain" >&2; exit 1; }
rm -rf "$dest.tmp" && mkdir -p "$(dirname "$dest")"
cp -r "$dir" "$dest.tmp"
# A module zip keeps no file modes: the toolchain's executables are bin/* and pkg/tool/*/*.
chmod -R u+w "$dest.tmp"
chmod +x "$dest.tmp"/bin/* "$dest.tmp"/pkg/tool/*/*
rm -rf "$dest" && mv "$dest.tmp" "$dest"
echo "go $(have "$dest/bin/go") installed at $dest (from the Go module proxy, $mod)"
