package main

// -type: the Go type of the ring buffer's events, from struct hello_event in the object's BTF.
//go:generate go tool bpf2go -tags linux -type hello_event hello $BPF_SRC/hello.bpf.c -- -I$BPF_SRC -I$LIBBPF_PREFIX/include
