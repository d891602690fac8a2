module github.com/ebpf-frameworks/variants/go-libbpfgo

go 1.26.8

require github.com/aquasecurity/libbpfgo v0.10.0-libbpf-1.5.1
