package main

// -type: the Go type of the ring buffer's events, from struct open_event in the object's BTF.
// The start map's value (struct args_t) holds a user-space pointer, which bpf2go cannot turn
// into a Go type; userspace never reads that map, so the global types are not generated.
//go:generate go tool bpf2go -tags linux -no-global-types -type open_event opensnoop $BPF_SRC/opensnoop.bpf.c -- -I$BPF_SRC -I$LIBBPF_PREFIX/include
