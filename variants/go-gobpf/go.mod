module github.com/ebpf-frameworks/variants/go-gobpf

go 1.26.8

require github.com/iovisor/gobpf v0.2.1-0.20221005153822-16120a1bf4d4
