//! Records where the shared BCC sources are: `$BPF_SRC` (default `../../bpf`), made absolute.
//! The binaries embed `bcc/<prog>.c` with `include_str!` and hand libbcc `-I$BPF_SRC` at run
//! time for `events.h` and `flood.h`; libbcc compiles the C when the tool starts.

use std::env;
use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let bpf_src = env::var_os("BPF_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir.join("../../bpf"));
    let bpf_src = match bpf_src.canonicalize() {
        Ok(path) => path,
        Err(err) => {
            eprintln!("error: BPF_SRC {}: {err}", bpf_src.display());
            std::process::exit(1);
        }
    };
    println!("cargo::rerun-if-env-changed=BPF_SRC");
    println!(
        "cargo::rerun-if-changed={}",
        bpf_src.join("events.h").display()
    );
    println!("cargo::rustc-env=BPF_SRC={}", bpf_src.display());
}
