//! The smallest probe cargo-bpf can build: no redbpf-probes (whose build script needs kernel
//! bindings), just a function in a tracepoint section. What is left to fail is LLVM 13 reading
//! the bitcode rustc wrote.
#![no_std]
#![no_main]

#[no_mangle]
#[link_section = "license"]
pub static _license: [u8; 4] = *b"GPL\0";

#[no_mangle]
#[link_section = "version"]
pub static _version: u32 = 0xFFFFFFFE;

#[no_mangle]
#[link_section = "tracepoint/syscalls/sys_enter_execve"]
pub extern "C" fn hello_execve(_ctx: *mut u8) -> i32 {
    0
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}
