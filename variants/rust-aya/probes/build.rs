use std::{env, fs, path::PathBuf};

use anyhow::{Context as _, anyhow};
use aya_build::{Package, Toolchain};

/// The compiler of the eBPF crate: Debian's rustc-web, built on LLVM 22 like bpf-linker, linked
/// into rustup under this name by tools/install-rustc-web.sh.
const EBPF_TOOLCHAIN: &str = "rustc-web";
const EBPF_PACKAGE: &str = "probes-ebpf";
const EBPF_BINARIES: [&str; 4] = ["hello", "opensnoop", "xdp", "flood"];

fn main() -> anyhow::Result<()> {
    let cargo_metadata::Metadata {
        packages,
        target_directory,
        ..
    } = cargo_metadata::MetadataCommand::new()
        .no_deps()
        .exec()
        .context("MetadataCommand::exec")?;
    let ebpf_package = packages
        .into_iter()
        .find(|p| p.name.as_str() == EBPF_PACKAGE)
        .ok_or_else(|| anyhow!("{EBPF_PACKAGE} package not found"))?;
    let root_dir = ebpf_package
        .manifest_path
        .parent()
        .ok_or_else(|| anyhow!("no parent for {}", ebpf_package.manifest_path))?;

    // rustc-web is a stable-channel compiler and core for bpfel-unknown-none is not shipped:
    // RUSTC_BOOTSTRAP=1 makes aya-build pass `-Z build-std=core`. Set here, it reaches only the
    // nested eBPF build, not the userspace crates.
    // SAFETY: the build script is single-threaded.
    unsafe { env::set_var("RUSTC_BOOTSTRAP", "1") };
    let package = Package {
        name: EBPF_PACKAGE,
        root_dir: root_dir.as_str(),
        ..Default::default()
    };
    // probes-ebpf/build.rs generates hello's task_struct bindings from this machine's kernel
    // BTF (made at boot): a new kernel must reach the nested build, which only runs from here.
    println!("cargo:rerun-if-changed=/sys/kernel/btf/vmlinux");
    aya_build::build_ebpf([package], Toolchain::Custom(EBPF_TOOLCHAIN))?;

    // aya-build leaves the objects in OUT_DIR, which carries a hash; give the harness a stable path.
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").context("OUT_DIR not set")?);
    let bpf_dir = target_directory.as_std_path().join("bpf");
    fs::create_dir_all(&bpf_dir).with_context(|| format!("create {}", bpf_dir.display()))?;
    for name in EBPF_BINARIES {
        let (src, dst) = (out_dir.join(name), bpf_dir.join(format!("{name}.bpf.o")));
        fs::copy(&src, &dst)
            .with_context(|| format!("copy {} to {}", src.display(), dst.display()))?;
    }
    Ok(())
}
