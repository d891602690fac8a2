#!/bin/bash
# The set-up step of the libbpf-tools toolchain (toolchains.yaml), run as root by `nox -s setup`;
# idempotent. Debian's libbpf-tools 0.26 looks for tracepoints only under
# /sys/kernel/debug/tracing (trace_helpers.c, tracepoint_exists()): where debugfs is not mounted
# (no systemd, some VMs and containers), its opensnoop silently leaves out its open() programs
# and traces openat() alone. This mounts debugfs there, and tracefs under it if the kernel did
# not do it by itself.
set -euo pipefail
DEBUGFS=/sys/kernel/debug
if [ -d "$DEBUGFS/tracing/events/syscalls" ]; then
	echo "debugfs: tracing found at $DEBUGFS/tracing"
	exit 0
fi
if ! mountpoint -q "$DEBUGFS"; then
	mount -t debugfs debugfs "$DEBUGFS"
fi
if [ ! -d "$DEBUGFS/tracing/events" ]; then
	mount -t tracefs tracefs "$DEBUGFS/tracing"
fi
[ -d "$DEBUGFS/tracing/events/syscalls" ] || { echo "no syscall tracepoints under $DEBUGFS/tracing/events" >&2; exit 1; }
echo "debugfs: mounted at $DEBUGFS (tracing at $DEBUGFS/tracing)"
