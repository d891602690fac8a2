use which::which;

/// Building this crate has an undeclared dependency on the `bpf-linker` binary: rebuild it when
/// that binary changes (as aya-template does).
fn main() {
    let bpf_linker =
        which("bpf-linker").expect("bpf-linker not found in PATH (tools/install-bpf-linker.sh)");
    println!("cargo:rerun-if-changed={}", bpf_linker.display());
}
