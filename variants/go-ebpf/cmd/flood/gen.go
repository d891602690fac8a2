package main

// No -type: struct flood_record is only the type of the programs' local pointer, so it is not
// in the object's BTF for bpf2go to generate (main.go mirrors it). The globals next_seq and
// lost are: bpf2go generates floodVariables for them.
//go:generate go tool bpf2go -tags linux flood $BPF_SRC/flood.bpf.c -- -I$BPF_SRC -I$LIBBPF_PREFIX/include
