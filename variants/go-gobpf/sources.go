// Package gogobpf holds the kernel side in BCC's C dialect, the shared bpf/bcc/*.c, bpf/events.h
// and bpf/flood.h that the Makefile copies into build/bpf. They are embedded, so each
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

// FloodSource is bpf/bcc/flood_perf.c, flood's kernel side with a perf buffer (gobpf reads no
// ring buffer), not the bpf/bcc/flood.c of the other BCC variants.
//
//go:embed build/bpf/flood_perf.c
var FloodSource string

// FloodHeader is bpf/flood.h, which FloodSource includes.
//
//go:embed build/bpf/flood.h
var FloodHeader string
