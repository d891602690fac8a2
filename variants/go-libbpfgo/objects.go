// Package golibbpfgo holds the BPF objects that the Makefile compiles with clang-22 from
// the shared C kernel side into build/. They are embedded, so each executable is
// self-contained; the linker keeps only the object an executable refers to.
package golibbpfgo

import _ "embed"

//go:embed build/hello.bpf.o
var HelloObject []byte

//go:embed build/opensnoop.bpf.o
var OpensnoopObject []byte

//go:embed build/xdp.bpf.o
var XdpObject []byte

//go:embed build/flood.bpf.o
var FloodObject []byte
