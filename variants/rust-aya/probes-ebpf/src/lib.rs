#![no_std]

// The eBPF programs are the binaries (src/hello.rs, src/opensnoop.rs, src/xdp.rs, src/flood.rs);
// this library target lets probes name this crate as a build-dependency, as aya-template does.
// It also holds what hello and opensnoop share, as bpf/wakeup.h does for the C programs.

use core::ptr;

use aya_ebpf::{
    bindings::{BPF_RB_AVAIL_DATA, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP},
    btf_maps::RingBuf,
    helpers::generated::bpf_ringbuf_query,
};

/// The flags to submit a record of the ring's `T` with, once it is reserved in `ring`: the wakeup
/// policy of docs/programs.md ("Wakeups"), bpf/wakeup.h's `wakeup_flags`. `wakeup_bytes` is the
/// program's `wakeup_bytes` global: 0 (the default) gives flags 0, the kernel's own wakeups.
/// Otherwise BPF_RB_NO_WAKEUP, but BPF_RB_FORCE_WAKEUP for the record with which the backlog
/// crosses `wakeup_bytes`. The backlog (BPF_RB_AVAIL_DATA: the producer position, which the
/// reservation moved, less the consumer's) includes the record: 8 bytes of header and its size
/// rounded up to 8.
#[inline(always)]
pub fn wakeup_flags<T, const MAX_ENTRIES: usize, const FLAGS: usize>(
    ring: &RingBuf<T, MAX_ENTRIES, FLAGS>,
    wakeup_bytes: u32,
) -> u64 {
    if wakeup_bytes == 0 {
        return 0;
    }
    let wakeup_bytes = u64::from(wakeup_bytes);
    let stride = (size_of::<T>() as u64 + 8 + 7) & !7;
    // btf_maps::RingBuf (aya-ebpf 0.2.1) has no query(), which the legacy maps::RingBuf has: the
    // helper itself, on the map's address, which is what its methods pass (as flood does).
    // SAFETY: the address of a ring-buffer map definition, BPF_RB_AVAIL_DATA a valid flag.
    let waiting = unsafe {
        bpf_ringbuf_query(
            ptr::from_ref(ring).cast_mut().cast(),
            BPF_RB_AVAIL_DATA.into(),
        )
    };
    let flags = if waiting >= wakeup_bytes && waiting.wrapping_sub(stride) < wakeup_bytes {
        BPF_RB_FORCE_WAKEUP
    } else {
        BPF_RB_NO_WAKEUP
    };
    flags.into()
}
