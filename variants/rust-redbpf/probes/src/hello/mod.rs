/// `struct hello_event` of bpf/events.h, shared by the probe and userspace.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HelloEvent {
    pub pid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub comm: [u8; 16],
    pub message: [u8; 12],
}
