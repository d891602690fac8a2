//! The event layouts SPEC.md fixes, shared by the eBPF programs and userspace.
//! Field for field the structs of `bpf/events.h`; the size checks below hold both sides to it.
#![no_std]

pub const TASK_COMM_LEN: usize = 16;
pub const HELLO_MSG_LEN: usize = 12;
pub const FNAME_LEN: usize = 256;
pub const RINGBUF_BYTES: usize = 256 * 1024;
pub const START_ENTRIES: usize = 10240;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct HelloEvent {
    pub pid: u32,
    pub uid: u32,
    pub comm: [u8; TASK_COMM_LEN],
    pub message: [u8; HELLO_MSG_LEN],
}

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

// sizeof(struct hello_event) and sizeof(struct open_event) on x86_64 and BPF alike.
const _: () = assert!(size_of::<HelloEvent>() == 36);
const _: () = assert!(size_of::<OpenEvent>() == 304);
const _: () = assert!(core::mem::offset_of!(OpenEvent, comm) == 28);
