//! hello: one event per execve, from tracepoint/syscalls/sys_enter_execve.
#![no_std]
#![no_main]
use core::ffi::c_void;

use probes::hello::HelloEvent;
use redbpf_probes::kprobe::prelude::*;

program!(0xFFFFFFFE, "GPL");

// redbpf 2.3.0 has no ring buffer: a perf event array, as in its examples.
#[map]
static mut events: PerfMap<HelloEvent> = PerfMap::with_max_entries(0);

#[map]
static mut drops: Array<u64> = Array::with_max_entries(1);

// redbpf-macros 2.3.0 has no #[tracepoint]; the loader takes "tracepoint/<category>/<name>"
// sections, so the section is named by hand.
#[no_mangle]
#[link_section = "tracepoint/syscalls/sys_enter_execve"]
pub extern "C" fn hello_execve(ctx: *mut c_void) -> i32 {
    let pid_tgid = bpf_get_current_pid_tgid();
    let comm = bpf_get_current_comm();
    let mut event = HelloEvent {
        pid: (pid_tgid >> 32) as u32,
        ppid: 0,
        uid: bpf_get_current_uid_gid() as u32,
        comm: [0; 16],
        message: *b"Hello World\0",
    };
    for (dst, src) in event.comm.iter_mut().zip(comm.iter()) {
        *dst = *src as u8;
    }
    // task->real_parent->tgid at the offsets of the bindings redbpf-probes generated from the
    // build machine's kernel headers (no CO-RE in redbpf).
    unsafe {
        let task = bpf_get_current_task() as *const task_struct;
        if let Ok(parent) = bpf_probe_read(&(*task).real_parent) {
            if let Ok(tgid) = bpf_probe_read(&(*parent).tgid) {
                event.ppid = tgid as u32;
            }
        }
        events.insert(ctx, &event);
    }
    0
}
