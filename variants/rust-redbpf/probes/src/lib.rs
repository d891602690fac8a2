//! Types shared by the probes and userspace, as `cargo bpf new` lays them out.
#![no_std]
pub mod hello;
