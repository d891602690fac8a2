//! The event layouts of docs/programs.md, shared by the eBPF programs and userspace: field for
//! field the structs of `bpf/events.h`, which the C-family variants use, xdp's counter indexes
//! and value, those of `bpf/xdp.h`, and flood's records, those of `bpf/flood.h`. The checks at
//! the end hold both sides to that layout.
#![no_std]

use core::mem::{offset_of, size_of};

pub const TASK_COMM_LEN: usize = 16;
pub const HELLO_MSG_LEN: usize = 12;
pub const FNAME_LEN: usize = 256;
pub const RINGBUF_BYTES: usize = 256 * 1024;
/// -B, batched wakeups (docs/programs.md, "Wakeups"): the backlog that wakes the reader, a
/// quarter of the ring, the value of the programs' `wakeup_bytes` global...
pub const WAKEUP_BATCH_BYTES: u32 = (RINGBUF_BYTES / 4) as u32;
/// ...and the longest the reader waits before it takes what the ring holds anyway (a poll(2)
/// timeout).
pub const WAKEUP_WAIT_MS: i32 = 50;
pub const START_ENTRIES: usize = 10240;

/// `struct hello_event`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct HelloEvent {
    pub pid: u32,
    /// `task->real_parent->tgid`, read through bindings generated at build time from the build
    /// machine's BTF (no CO-RE in aya-ebpf): right only on a kernel with that layout.
    pub ppid: u32,
    pub uid: u32,
    pub comm: [u8; TASK_COMM_LEN],
    pub message: [u8; HELLO_MSG_LEN],
}

/// `struct open_event`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct OpenEvent {
    pub ts_ns: u64,
    pub pid: u32,
    pub tid: u32,
    pub uid: u32,
    pub ret: i32,
    pub flags: i32,
    pub comm: [u8; TASK_COMM_LEN],
    pub fname: [u8; FNAME_LEN],
}

// xdp: one counter per L4 protocol, the index in the `counters` per-CPU array (`enum
// xdp_count_proto`).
pub const XDP_COUNT_TCP: u32 = 0;
pub const XDP_COUNT_UDP: u32 = 1;
pub const XDP_COUNT_ICMP: u32 = 2;
pub const XDP_COUNT_ICMPV6: u32 = 3;
/// IPv4 or IPv6 carrying anything else.
pub const XDP_COUNT_OTHER: u32 = 4;
/// Not IPv4 nor IPv6, or too short to tell.
pub const XDP_COUNT_NON_IP: u32 = 5;
/// The number of counters, `counters`' max_entries.
pub const XDP_COUNT_MAX: usize = 6;

/// `struct xdp_counter`, one value of `counters` (one per CPU).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct XdpCounter {
    pub packets: u64,
    /// The frame from its Ethernet header on (data_end - data).
    pub bytes: u64,
}

// flood (`bpf/flood.h`): the records its two programs write when test-run.
/// Records written by one run of a program.
pub const FLOOD_BATCH: usize = 16;
/// `flood_small`'s record: seq and ts_ns, no payload.
pub const FLOOD_SMALL_BYTES: usize = 16;
/// `flood_large`'s: opensnoop's event size, `size_of::<OpenEvent>()`.
pub const FLOOD_LARGE_BYTES: usize = 304;
/// `records`' size.
pub const FLOOD_RING_BYTES: usize = 1024 * 1024;

/// `struct flood_record`, the head of every record, and the whole of `flood_small`'s.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FloodRecord {
    /// 0, 1, 2... in the order written, over both programs.
    pub seq: u64,
    /// `bpf_ktime_get_ns()` when written.
    pub ts_ns: u64,
}

/// `flood_large`'s record: the head, then a payload nobody writes (as in the C program).
#[repr(C)]
pub struct FloodLarge {
    pub head: FloodRecord,
    pub payload: [u8; FLOOD_LARGE_BYTES - FLOOD_SMALL_BYTES],
}

// SAFETY: repr(C) structs of integers and byte arrays: any bytes are a valid value.
#[cfg(feature = "user")]
unsafe impl aya::Pod for HelloEvent {}
#[cfg(feature = "user")]
unsafe impl aya::Pod for OpenEvent {}
#[cfg(feature = "user")]
unsafe impl aya::Pod for XdpCounter {}
#[cfg(feature = "user")]
unsafe impl aya::Pod for FloodRecord {}

// The offsets and sizes of bpf/events.h, bpf/xdp.h and bpf/flood.h, the same on x86_64 and BPF.
const _: () = {
    assert!(offset_of!(HelloEvent, pid) == 0);
    assert!(offset_of!(HelloEvent, ppid) == 4);
    assert!(offset_of!(HelloEvent, uid) == 8);
    assert!(offset_of!(HelloEvent, comm) == 12);
    assert!(offset_of!(HelloEvent, message) == 28);
    assert!(size_of::<HelloEvent>() == 40);

    assert!(offset_of!(OpenEvent, ts_ns) == 0);
    assert!(offset_of!(OpenEvent, pid) == 8);
    assert!(offset_of!(OpenEvent, tid) == 12);
    assert!(offset_of!(OpenEvent, uid) == 16);
    assert!(offset_of!(OpenEvent, ret) == 20);
    assert!(offset_of!(OpenEvent, flags) == 24);
    assert!(offset_of!(OpenEvent, comm) == 28);
    assert!(offset_of!(OpenEvent, fname) == 44);
    assert!(size_of::<OpenEvent>() == 304);

    assert!(offset_of!(XdpCounter, packets) == 0);
    assert!(offset_of!(XdpCounter, bytes) == 8);
    assert!(size_of::<XdpCounter>() == 16);

    assert!(offset_of!(FloodRecord, seq) == 0);
    assert!(offset_of!(FloodRecord, ts_ns) == 8);
    assert!(size_of::<FloodRecord>() == FLOOD_SMALL_BYTES);
    assert!(size_of::<FloodLarge>() == FLOOD_LARGE_BYTES);
    assert!(FLOOD_LARGE_BYTES == size_of::<OpenEvent>());
};
