#!/usr/bin/env bash
# The README's quick start on a machine that has nothing installed: a minimal Debian 12 root
# filesystem (debootstrap --variant=minbase, from Debian's packages), this machine's kernel seen
# through /proc, /sys (tracefs, BTF, bpffs) and /dev, a clean clone of this repository, and the
# README's commands run in it exactly as written, under a fresh HOME and a fresh root login's
# PATH. Nothing the host has installed (Python, Go, rustup, packages) is visible inside.
#
#   tools/fresh-machine.sh [--full] [--only tests|benchmark] [--worktree] [--keep]
#
#   --full       the benchmark command as written (default: with `-- --quick` appended)
#   --only X     run only the README's X command (tests or benchmark)
#   --worktree   copy the working tree's files (committed or not) over the clone of HEAD
#   --keep       leave the root filesystem in place afterwards (its path is printed)
#
# What it downloads is cached outside the clone, under $FRESH_CACHE (default
# /var/cache/ebpf-frameworks): the pristine root, Debian's .deb files, PyPI wheels, the Rust
# crate registry, Go modules and toolchains, and the guest kernels' packages. A rerun on the same
# machine downloads nothing it already has. Each run starts from a new copy of the pristine root.
# Exit status: the first failing command's, 0 when every command passed. Run as root.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${FRESH_CACHE:-/var/cache/ebpf-frameworks}
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}
security=${FRESH_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
suite=bookworm
full=0 only="" worktree=0 keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --full) full=1 ;;
    --only) only=${2:?--only needs tests or benchmark}; shift ;;
    --worktree) worktree=1 ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,19s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "fresh-machine: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case $only in ""|tests|benchmark) ;; *) echo "fresh-machine: --only takes tests or benchmark, not $only" >&2; exit 2 ;; esac
say() { echo "fresh-machine: $*" >&2; }
[ "$(id -u)" = 0 ] || { say "run as root (debootstrap, chroot and mounts need it)"; exit 1; }

# The README's quick-start commands: the lines of the first sh block after "## Quick start",
# comments dropped. Read from the README, so that what is checked is what a user is told.
mapfile -t commands < <(awk '/^## Quick start/{q=1} q&&/^```sh/{b=1;next} b&&/^```/{exit} b' "$repo/README.md" |
                         sed 's/[[:space:]]*#.*$//' | sed '/^[[:space:]]*$/d')
[ ${#commands[@]} -gt 0 ] || { say "no commands found in the README's quick start"; exit 1; }
run=()
for c in "${commands[@]}"; do
  kind=""
  case $c in *" -s tests"*) kind=tests ;; *" -s benchmark"*) kind=benchmark ;; esac
  [ -z "$only" ] || [ "$kind" = "$only" ] || continue
  if [ "$kind" = benchmark ] && [ $full = 0 ]; then c="$c -- --quick"; fi
  run+=("$c")
done
[ ${#run[@]} -gt 0 ] || { say "the README's quick start has no $only command"; exit 1; }

# Inside a mount namespace of our own: every mount below disappears with this process, whatever
# way it ends.
if [ "${FRESH_IN_NS:-}" != 1 ]; then
  command -v debootstrap >/dev/null || {
    say "installing debootstrap (Debian's package) on this machine"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  mkdir -p "$cache"
  base=$cache/base-$suite
  if [ ! -f "$base/.complete" ]; then
    say "making a minimal Debian 12 root at $base (debootstrap --variant=minbase)"
    rm -rf "$base.tmp"
    debootstrap --variant=minbase "$suite" "$base.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
      { say "debootstrap failed: $(tail -1 "$cache/debootstrap.log")"; exit 1; }
    touch "$base.tmp/.complete"
    mv "$base.tmp" "$base"
  fi
  root=$(mktemp -d "$cache/root.XXXXXX")
  cleanup() {
    # The namespace's mounts are gone with it; never follow into a mount that somehow is not.
    if [ $keep = 1 ]; then say "root left at $root"; return; fi
    if findmnt -rn -o TARGET | grep -q "^$root"; then say "mounts remain under $root: left in place"; return; fi
    rm -rf --one-file-system "$root"
  }
  trap cleanup EXIT
  say "copying the pristine root to $root"
  cp -a "$base/." "$root/"
  # A clean clone of HEAD (what a user gets from git clone), optionally with the working tree.
  git clone -q --no-hardlinks "$repo" "$root/root/ebpf-frameworks"
  if [ $worktree = 1 ]; then
    (cd "$repo" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$root/root/ebpf-frameworks"
  fi
  say "clone of $(git -C "$repo" rev-parse --short HEAD)$([ $worktree = 1 ] && echo ' with the working tree') in $root/root/ebpf-frameworks"
  status=0
  FRESH_IN_NS=1 FRESH_ROOT=$root unshare --mount --propagation private -- "$0" "$@" || status=$?
  exit $status
fi

root=$FRESH_ROOT
# What a Debian 12 installation's apt sources hold: the release, its updates and security.
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOF
# The network's, not the machine's: its name servers, and the certificate authorities a TLS
# proxy between here and the registries may need trusted (with pip's pointer to them).
cp /etc/resolv.conf "$root/etc/resolv.conf"
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
[ ! -f /etc/pip.conf ] || cp /etc/pip.conf "$root/etc/pip.conf"
# The root a mount of its own, as / is on a machine: `ip netns exec` remounts / as a slave.
mount --bind "$root" "$root"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount -t tmpfs -o mode=755 run "$root/run"
# The harness's ledger of changes to the machine (harness/ledger.py) is the host's: the kernel,
# its sysctls and its network namespaces are shared, so a benchmark here and one on the host
# must see each other's records (the same pids: no pid namespace of its own).
mkdir -p /run/ebpf-frameworks "$root/run/ebpf-frameworks"
mount --bind /run/ebpf-frameworks "$root/run/ebpf-frameworks"
# Download caches, kept between runs: apt's archive, pip's, cargo's registry, Go's modules.
bind_cache() {
  mkdir -p "$cache/downloads/$1" "$root/$2"
  mount --bind "$cache/downloads/$1" "$root/$2"
}
bind_cache apt var/cache/apt/archives
bind_cache pip root/.cache/pip
bind_cache cargo-registry root/.cargo/registry
bind_cache go-mod root/go/pkg/mod
bind_cache debs root/.cache/ebpf-frameworks/debs

# git, to have cloned, and the certificate store: what a user has before the README's commands.
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends git ca-certificates >/dev/null &&
         update-ca-certificates >/dev/null' ||
  { say "apt-get could not install git in the fresh root"; exit 1; }

status=0
for c in "${run[@]}"; do
  say "running, as a fresh root login in ~/ebpf-frameworks: $c"
  start=$(date +%s)
  rc=0
  chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8 \
    TERM=dumb ${CI:+CI=$CI} /bin/bash -lc "cd ~/ebpf-frameworks && $c" </dev/null || rc=$?
  say "$c: exit $rc after $(( $(date +%s) - start )) s"
  if [ $rc != 0 ] && [ $status = 0 ]; then status=$rc; fi
done
[ $status = 0 ] && say "every command of the README's quick start passed" || say "FAILED: exit $status"
exit $status
