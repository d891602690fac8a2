//! The event layouts of docs/programs.md, shared by the eBPF programs and userspace: field for
//! field the structs of `bpf/events.h`, which the C-family variants use. The checks at the end
//! hold both sides to that layout.
#![no_std]

use core::mem::{offset_of, size_of};

pub const TASK_COMM_LEN: usize = 16;
pub const HELLO_MSG_LEN: usize = 12;
pub const FNAME_LEN: usize = 256;
pub const RINGBUF_BYTES: usize = 256 * 1024;
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

// SAFETY: repr(C) structs of integers and byte arrays: any bytes are a valid value.
#[cfg(feature = "user")]
unsafe impl aya::Pod for HelloEvent {}
#[cfg(feature = "user")]
unsafe impl aya::Pod for OpenEvent {}

// The offsets and sizes of bpf/events.h, the same on x86_64 and BPF.
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
};
