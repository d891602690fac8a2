#![no_std]

// The eBPF programs are the binaries (src/hello.rs, src/opensnoop.rs, src/xdp.rs, src/flood.rs);
// this library target lets probes name this crate as a build-dependency, as aya-template does.
