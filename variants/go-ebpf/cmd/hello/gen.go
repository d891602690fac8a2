package main

//go:generate go tool bpf2go -tags linux hello $BPF_SRC/hello.bpf.c -- -I$BPF_SRC -I$LIBBPF_PREFIX/include
