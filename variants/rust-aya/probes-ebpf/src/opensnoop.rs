#![no_std]
#![no_main]
#![feature(core_intrinsics)]
#![expect(
    internal_features,
    reason = "atomic_xadd: the bpfel target has no AtomicU64::fetch_add"
)]
//! Modelled on libbpf-tools' opensnoop: syscall tracepoints only (no kprobes on the test kernel).

use core::{
    intrinsics::{AtomicOrdering, atomic_xadd},
    sync::atomic::AtomicU64,
};

use aya_ebpf::{
    Global,
    btf_maps::{HashMap, RingBuf},
    helpers::{
        bpf_get_current_pid_tgid, bpf_get_current_uid_gid, bpf_ktime_get_ns,
        generated::{bpf_get_current_comm, bpf_probe_read_user_str},
    },
    macros::{btf_map, tracepoint},
    programs::TracePointContext,
};
use probes_common::{FNAME_LEN, OpenEvent, RINGBUF_BYTES, START_ENTRIES, TASK_COMM_LEN};
use probes_ebpf::wakeup_flags;

// Filters, rewritten by userspace before load (EbpfLoader::override_global).
#[unsafe(export_name = "targ_tgid")]
static TARG_TGID: Global<u32> = Global::new(0); // 0: every process
#[unsafe(export_name = "targ_uid")]
static TARG_UID: Global<u32> = Global::new(u32::MAX); // u32::MAX: every user
#[unsafe(export_name = "targ_failed")]
static TARG_FAILED: Global<u8> = Global::new(0); // non-zero: only opens that failed
/// The backlog that wakes the reader: 0 (the default), every record submitted with flags 0; with
/// -B, WAKEUP_BATCH_BYTES, set by userspace before load like the filters.
#[unsafe(export_name = "wakeup_bytes")]
static WAKEUP_BYTES: Global<u32> = Global::new(0);

/// Failed ring-buffer reservations, read by userspace at exit.
#[unsafe(export_name = "drops")]
static DROPS: AtomicU64 = AtomicU64::new(0);

#[inline(always)]
fn count_drop() {
    // SAFETY: DROPS is a live, aligned u64. bpfel-unknown-none declares no atomic CAS, so core
    // offers no fetch_add; the intrinsic lowers to BPF's atomic add (`lock *(u64 *)` += 1).
    unsafe { atomic_xadd::<u64, u64, { AtomicOrdering::Relaxed }>(DROPS.as_ptr(), 1) };
}

#[repr(C)]
struct Args {
    fname: *const u8,
    flags: i32,
}

#[btf_map(name = "start")]
static START: HashMap<u32, Args, START_ENTRIES> = HashMap::new();

#[btf_map(name = "events")]
static EVENTS: RingBuf<OpenEvent, RINGBUF_BYTES> = RingBuf::new();

// Offsets in the syscalls tracepoints' records
// (/sys/kernel/tracing/events/syscalls/sys_{enter,exit}_openat/format): after the 8-byte common
// header and the syscall number, sys_enter has `unsigned long args[6]` and sys_exit `long ret`.
const fn arg(i: usize) -> usize {
    16 + 8 * i
}
const RET: usize = 16;

#[inline(always)]
fn trace_allowed(tgid: u32) -> bool {
    let targ_tgid = TARG_TGID.load();
    if targ_tgid != 0 && targ_tgid != tgid {
        return false;
    }
    let targ_uid = TARG_UID.load();
    targ_uid == u32::MAX || targ_uid == bpf_get_current_uid_gid() as u32
}

#[inline(always)]
fn trace_enter(ctx: &TracePointContext, fname_arg: usize, flags_arg: usize) {
    let id = bpf_get_current_pid_tgid();
    if !trace_allowed((id >> 32) as u32) {
        return;
    }
    // SAFETY: both offsets lie inside the sys_enter record.
    let (Ok(fname), Ok(flags)) = (unsafe { ctx.read_at::<u64>(arg(fname_arg)) }, unsafe {
        ctx.read_at::<u64>(arg(flags_arg))
    }) else {
        return;
    };
    let args = Args {
        fname: fname as *const u8,
        flags: flags as i32,
    };
    let _ = START.insert(id as u32, args, 0);
}

#[inline(always)]
fn trace_exit(ctx: &TracePointContext) {
    let id = bpf_get_current_pid_tgid();
    let tid = id as u32;
    let Some(ap) = START.get_ptr(tid) else {
        return;
    };
    // SAFETY: RET lies inside the sys_exit record.
    if let Ok(ret) = unsafe { ctx.read_at::<i64>(RET) } {
        let ret = ret as i32;
        if TARG_FAILED.load() == 0 || ret < 0 {
            submit(id, ret, ap);
        }
    }
    let _ = START.remove(tid);
}

#[inline(always)]
fn submit(id: u64, ret: i32, ap: *const Args) {
    let Some(mut entry) = EVENTS.reserve(0) else {
        count_drop();
        return;
    };
    let e = entry.as_mut_ptr();
    // SAFETY: `e` points at a reserved, writable record of size_of::<OpenEvent>(), `ap` at a live
    // `start` entry; the helpers write at most the length they are given (and zero it on error).
    unsafe {
        (*e).ts_ns = bpf_ktime_get_ns();
        (*e).pid = (id >> 32) as u32;
        (*e).tid = id as u32;
        (*e).uid = bpf_get_current_uid_gid() as u32;
        (*e).ret = ret;
        (*e).flags = (*ap).flags;
        bpf_get_current_comm((&raw mut (*e).comm).cast(), TASK_COMM_LEN as u32);
        bpf_probe_read_user_str(
            (&raw mut (*e).fname).cast(),
            FNAME_LEN as u32,
            (*ap).fname.cast(),
        );
    }
    entry.submit(wakeup_flags(&EVENTS, WAKEUP_BYTES.load()));
}

#[tracepoint(category = "syscalls", name = "sys_enter_open")]
pub fn enter_open(ctx: TracePointContext) {
    trace_enter(&ctx, 0, 1);
}

#[tracepoint(category = "syscalls", name = "sys_enter_openat")]
pub fn enter_openat(ctx: TracePointContext) {
    trace_enter(&ctx, 1, 2);
}

#[tracepoint(category = "syscalls", name = "sys_exit_open")]
pub fn exit_open(ctx: TracePointContext) {
    trace_exit(&ctx);
}

#[tracepoint(category = "syscalls", name = "sys_exit_openat")]
pub fn exit_openat(ctx: TracePointContext) {
    trace_exit(&ctx);
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 13] = *b"Dual BSD/GPL\0";
