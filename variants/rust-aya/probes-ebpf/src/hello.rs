#![no_std]
#![no_main]
#![feature(core_intrinsics)]
#![expect(
    internal_features,
    reason = "atomic_xadd: the bpfel target has no AtomicU64::fetch_add"
)]

use core::{
    intrinsics::{AtomicOrdering, atomic_xadd},
    sync::atomic::AtomicU64,
};

use aya_ebpf::{
    btf_maps::RingBuf,
    helpers::{bpf_get_current_pid_tgid, bpf_get_current_uid_gid, generated::bpf_get_current_comm},
    macros::{btf_map, tracepoint},
    programs::TracePointContext,
};
use probes_common::{HELLO_MSG_LEN, HelloEvent, RINGBUF_BYTES, TASK_COMM_LEN};

#[btf_map(name = "events")]
static EVENTS: RingBuf<HelloEvent, RINGBUF_BYTES> = RingBuf::new();

/// Failed ring-buffer reservations, read by userspace at exit.
#[unsafe(export_name = "drops")]
static DROPS: AtomicU64 = AtomicU64::new(0);

#[inline(always)]
fn count_drop() {
    // SAFETY: DROPS is a live, aligned u64. bpfel-unknown-none declares no atomic CAS, so core
    // offers no fetch_add; the intrinsic lowers to BPF's atomic add (`lock *(u64 *)` += 1).
    unsafe { atomic_xadd::<u64, u64, { AtomicOrdering::Relaxed }>(DROPS.as_ptr(), 1) };
}

const MESSAGE: [u8; HELLO_MSG_LEN] = *b"Hello World\0";

#[tracepoint(category = "syscalls", name = "sys_enter_execve")]
pub fn hello_execve(_ctx: TracePointContext) {
    let Some(mut entry) = EVENTS.reserve(0) else {
        count_drop();
        return;
    };
    let e = entry.as_mut_ptr();
    // SAFETY: `e` points at a reserved, writable ring-buffer record of size_of::<HelloEvent>();
    // the comm helper writes at most TASK_COMM_LEN bytes into the comm field.
    unsafe {
        (*e).pid = (bpf_get_current_pid_tgid() >> 32) as u32;
        (*e).uid = bpf_get_current_uid_gid() as u32;
        bpf_get_current_comm((&raw mut (*e).comm).cast(), TASK_COMM_LEN as u32);
        (*e).message = MESSAGE;
    }
    entry.submit(0);
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 13] = *b"Dual BSD/GPL\0";
