#![no_std]
#![no_main]
//! flood: records into a ring buffer as fast as the kernel can write them, for the reader
//! capacity figures; what bpf/flood.bpf.c does. Nothing attaches these programs: the harness
//! runs them with BPF_PROG_TEST_RUN and a large repeat (harness/produce.c), FLOOD_BATCH records
//! per run, while userspace reads. One producer at a time (test runs on one CPU), so the
//! sequence and the lost count need no atomics: plain `static mut` adds, as the C program's
//! `next_seq++` and `lost++` (an `AtomicU64` load and store would not do either: bpf-linker's
//! default CPU, v1, has no instruction for them and LLVM stops with "Cannot select").
//!
//! Wakeups are batched as in the C program: BPF_RB_NO_WAKEUP unless a quarter of the ring is
//! waiting, then BPF_RB_FORCE_WAKEUP.

use core::ptr;

use aya_ebpf::{
    bindings::{BPF_RB_AVAIL_DATA, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, xdp_action},
    btf_maps::RingBuf,
    helpers::{bpf_ktime_get_ns, generated::bpf_ringbuf_query},
    macros::{btf_map, xdp},
    programs::XdpContext,
};
use probes_common::{FLOOD_BATCH, FLOOD_RING_BYTES, FloodLarge, FloodRecord};

#[btf_map(name = "records")]
static RECORDS: RingBuf<FloodRecord, FLOOD_RING_BYTES> = RingBuf::new();

/// The next record's seq: taken only by a record that got its space. In `.data`, so that `lost`
/// is alone in `.bss`: userspace reads `.bss` as one u64 (Aya has no read of a global by name,
/// and the compiler, not the declaration order, lays out two statics of one section).
#[unsafe(export_name = "next_seq")]
#[unsafe(link_section = ".data")]
static mut NEXT_SEQ: u64 = 0;

/// Reservations the full ring refused: records never written. Read by userspace at exit.
#[unsafe(export_name = "lost")]
static mut LOST: u64 = 0;

/// One run: FLOOD_BATCH records of `size_of::<T>()` bytes, each starting with a `FloodRecord`.
#[inline(always)]
fn flood<T: 'static>() -> u32 {
    for _ in 0..FLOOD_BATCH {
        let Some(mut entry) = RECORDS.reserve_untyped::<T>(0) else {
            // SAFETY: one producer at a time (see above): no other access to LOST meanwhile.
            unsafe { LOST += 1 };
            continue;
        };
        let r = entry.as_mut_ptr().cast::<FloodRecord>();
        // SAFETY: as for LOST; `r` points at a reserved, writable record of size_of::<T>() >= 16
        // bytes, 8-byte aligned (the kernel's reservations are).
        unsafe {
            (*r).seq = NEXT_SEQ;
            NEXT_SEQ += 1;
            (*r).ts_ns = bpf_ktime_get_ns();
        }
        // btf_maps::RingBuf (aya-ebpf 0.2.1) has no query(), which the legacy maps::RingBuf has:
        // the helper itself, on the map's address, which is what its methods pass.
        // SAFETY: the address of a ring-buffer map definition, BPF_RB_AVAIL_DATA a valid flag.
        let waiting = unsafe {
            bpf_ringbuf_query(
                ptr::from_ref(&RECORDS).cast_mut().cast(),
                BPF_RB_AVAIL_DATA.into(),
            )
        };
        let wakeup = if waiting >= (FLOOD_RING_BYTES / 4) as u64 {
            BPF_RB_FORCE_WAKEUP
        } else {
            BPF_RB_NO_WAKEUP
        };
        entry.submit(wakeup.into());
    }
    xdp_action::XDP_PASS
}

#[xdp]
pub fn flood_small(_ctx: XdpContext) -> u32 {
    flood::<FloodRecord>()
}

#[xdp]
pub fn flood_large(_ctx: XdpContext) -> u32 {
    flood::<FloodLarge>()
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 13] = *b"Dual BSD/GPL\0";
