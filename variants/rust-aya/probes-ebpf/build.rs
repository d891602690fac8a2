//! Two jobs:
//!
//! - Building this crate has an undeclared dependency on the `bpf-linker` binary: rebuild it
//!   when that binary changes (as aya-template does).
//! - For the eBPF build (target arch `bpf`), generate `OUT_DIR/vmlinux.rs`: Rust bindings to
//!   `task_struct` (and every type it reaches), the route Aya documents for reading kernel
//!   structs, `aya-tool generate task_struct`. aya-tool is not published on crates.io, so this
//!   does what it does: `bpftool btf dump file /sys/kernel/btf/vmlinux format c` into a header,
//!   then bindgen with aya-tool's options (its `bpf_builder()`, aya-tool 0.1.0 of aya 0.14.0)
//!   and `--allowlist-type task_struct`. aya-ebpf has no CO-RE for Rust programs, so the
//!   offsets in these bindings are those of the kernel of the machine that builds: the
//!   programs read other kernels' `task_struct` at this kernel's offsets.

use std::{env, fs, path::PathBuf, process::Command};

use bindgen::EnumVariation;
use which::which;

/// The BTF of the running kernel: aya-tool's default input.
const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";
/// The kernel types the programs read (`aya-tool generate task_struct`).
const TYPES: [&str; 1] = ["task_struct"];

fn main() {
    let bpf_linker =
        which("bpf-linker").expect("bpf-linker not found in PATH (tools/install-bpf-linker.sh)");
    println!("cargo:rerun-if-changed={}", bpf_linker.display());

    // probes also builds this crate (its library only) for the host, as a build-dependency;
    // only the eBPF binaries use the bindings.
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("bpf") {
        generate_kernel_types();
    }
}

/// Ends the build with one clear line.
fn fail(message: &str) -> ! {
    eprintln!("error: probes-ebpf build.rs: {message}");
    std::process::exit(1);
}

fn generate_kernel_types() {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR not set"));

    // Regenerate when the kernel changes (the sysfs file is created at boot) or bpftool does.
    println!("cargo:rerun-if-changed={VMLINUX_BTF}");
    // BPFTOOL, as the harness sets it for every variant's build; bpftool by default.
    println!("cargo:rerun-if-env-changed=BPFTOOL");
    let bpftool_name = env::var("BPFTOOL").unwrap_or_else(|_| "bpftool".into());
    let bpftool = which(&bpftool_name).unwrap_or_else(|_| {
        fail(&format!(
            "{bpftool_name} not found in PATH: bpftool dumps the build machine's kernel BTF as C \
             for the task_struct bindings (Debian package bpftool, installed in /usr/sbin)"
        ))
    });
    println!("cargo:rerun-if-changed={}", bpftool.display());
    if fs::metadata(VMLINUX_BTF).is_err() {
        fail(&format!(
            "{VMLINUX_BTF} not readable: the task_struct bindings are generated from the build \
             machine's kernel BTF (CONFIG_DEBUG_INFO_BTF=y)"
        ));
    }

    // aya-tool's c_header_from_btf().
    let dump = Command::new(&bpftool)
        .args(["btf", "dump", "file", VMLINUX_BTF, "format", "c"])
        .output()
        .unwrap_or_else(|e| fail(&format!("cannot run {}: {e}", bpftool.display())));
    if !dump.status.success() {
        fail(&format!(
            "`{} btf dump file {VMLINUX_BTF} format c` failed ({}): {}",
            bpftool.display(),
            dump.status,
            String::from_utf8_lossy(&dump.stderr).trim()
        ));
    }
    // aya-tool writes the dump to a file named kernel_types.h and runs bindgen on it.
    let header = out_dir.join("kernel_types.h");
    fs::write(&header, &dump.stdout)
        .unwrap_or_else(|e| fail(&format!("write {}: {e}", header.display())));

    // aya-tool's bindgen::bpf_builder() (common_builder() + the BPF settings), then one
    // allowlist_type per name. aya-tool runs the bindgen CLI outside cargo, so clang parses for
    // the host; in a build script bindgen would take TARGET (bpfel-unknown-none) instead, so the
    // host target is named here. The macro-fallback scratch files go to OUT_DIR, not the source
    // tree; prettyplease formats the file (the bindgen CLI would use rustfmt).
    let host = env::var("HOST").expect("HOST not set");
    let mut builder = bindgen::builder()
        .use_core()
        .layout_tests(false)
        .generate_comments(false)
        .prepend_enum_name(false)
        .clang_macro_fallback()
        .clang_macro_fallback_build_dir(&out_dir)
        .ctypes_prefix("::aya_ebpf::cty")
        .clang_arg("-Wno-unknown-attributes")
        .clang_arg(format!("--target={host}"))
        .default_enum_style(EnumVariation::ModuleConsts)
        // Readable output without rustfmt, which the rustc-web toolchain lacks.
        .formatter(bindgen::Formatter::Prettyplease)
        .header(header.to_str().expect("OUT_DIR is not UTF-8"));
    for ty in TYPES {
        builder = builder.allowlist_type(ty);
    }

    // bindgen loads libclang at run time and panics when it finds none (its panic message,
    // printed first, says where it looked).
    let generate = std::panic::AssertUnwindSafe(move || builder.generate());
    let bindings = std::panic::catch_unwind(generate).unwrap_or_else(|_| {
        fail(
            "bindgen could not run libclang (Debian libclang1-22, brought by libclang-22-dev, \
             the bpf-linker toolchain's packages; or set LIBCLANG_PATH)",
        )
    });
    let bindings =
        bindings.unwrap_or_else(|e| fail(&format!("bindgen on {}: {e}", header.display())));
    let out = out_dir.join("vmlinux.rs");
    bindings
        .write_to_file(&out)
        .unwrap_or_else(|e| fail(&format!("write {}: {e}", out.display())));
}
