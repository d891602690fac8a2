package main

// -type: the Go type of a counter, from struct xdp_counter in the object's BTF.
//go:generate go tool bpf2go -tags linux -type xdp_counter xdp $BPF_SRC/xdp.bpf.c -- -I$BPF_SRC -I$LIBBPF_PREFIX/include
