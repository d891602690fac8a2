//! Compiles the shared C kernel side with clang-22 and generates one libbpf-cargo skeleton per
//! program. The objects land in `target/bpf/` so that the harness can inspect the very ELF files
//! the skeletons embed.

use std::env;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process;

use libbpf_cargo::SkeletonBuilder;

const PROGRAMS: [&str; 4] = ["hello", "opensnoop", "xdp", "flood"];

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let bpf_src = env::var_os("BPF_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir.join("../../bpf"));
    let clang = env::var_os("CLANG").unwrap_or_else(|| OsString::from("clang-22"));
    // Fixed to the manifest's target/ (not CARGO_TARGET_DIR): variant.yaml names this path.
    let obj_dir = manifest_dir.join("target").join("bpf");

    println!("cargo::rerun-if-env-changed=BPF_SRC");
    println!("cargo::rerun-if-env-changed=CLANG");
    println!("cargo::rerun-if-changed={}", bpf_src.display());

    if let Err(err) = std::fs::create_dir_all(&obj_dir) {
        fail(format!("creating {}: {err}", obj_dir.display()));
    }
    for name in PROGRAMS {
        let source = bpf_src.join(format!("{name}.bpf.c"));
        // libbpf-cargo adds -I for the libbpf 1.7.0 headers that libbpf-sys ships, the same
        // release the executables link, so no separate libbpf install is needed here.
        let result = SkeletonBuilder::new()
            .source(&source)
            .obj(obj_dir.join(format!("{name}.bpf.o")))
            .clang(&clang)
            .clang_args([OsString::from("-I"), bpf_src.clone().into_os_string()])
            .build_and_generate(out_dir.join(format!("{name}.skel.rs")));
        if let Err(err) = result {
            fail(format!("{name}: {err:#}"));
        }
    }
}

fn fail(msg: String) -> ! {
    eprintln!("error: {msg}");
    process::exit(1);
}
