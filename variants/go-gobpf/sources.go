// Package gogobpf holds the kernel side in BCC's C dialect, the shared bpf/bcc/*.c and
// bpf/events.h that the Makefile copies into build/bpf. They are embedded, so each
// executable is self-contained: libbcc compiles the C at run time, from memory, against the
// running kernel's headers. The linker keeps only what an executable refers to.
package gogobpf

import _ "embed"

//go:embed build/bpf/hello.c
var HelloSource string

//go:embed build/bpf/opensnoop.c
var OpensnoopSource string

// EventsHeader is bpf/events.h, which both sources include.
//
//go:embed build/bpf/events.h
var EventsHeader string
