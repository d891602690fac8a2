#!/usr/bin/env bash
# Checks that the bcc-sys bindings this variant links (bcc-sys 0.23.0, feature v0_23_0) declare
# every libbcc function the built executables import exactly as the installed libbcc's headers
# do. bcc-sys's own `generate` feature runs bindgen 0.59 over <bcc/*.h> (here: Debian's 0.26);
# the declarations of the imported functions are then compared one by one.
#
#   ./check-abi.sh        (after `cargo build --release --locked`; needs libclang 14, which
#                          bindgen 0.59 handles: /usr/lib/llvm-14, pulled in by libbpfcc)
# Everything is built under a scratch directory that is removed at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
libclang=${LIBCLANG_PATH:-/usr/lib/llvm-14/lib}
scratch=$(mktemp -d /tmp/rust-bcc-abi.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

exes=("$here/target/release/hello" "$here/target/release/opensnoop" "$here/target/release/flood")
for exe in "${exes[@]}"; do
  [ -x "$exe" ] || { echo "check-abi: $exe missing: cargo build --release --locked first" >&2; exit 1; }
done

# bcc-sys exactly as Cargo.lock pins it, as a standalone crate.
(cd "$here" && cargo vendor --locked -q "$scratch/vendor" >/dev/null)
cp -r "$scratch/vendor/bcc-sys" "$scratch/bcc-sys"
rm -f "$scratch/bcc-sys/.cargo-checksum.json" "$scratch/bcc-sys/Cargo.lock"
(cd "$scratch/bcc-sys" && LIBCLANG_PATH=$libclang CARGO_TARGET_DIR="$scratch/target" \
  cargo build -q --features generate 2>"$scratch/bindgen.log") ||
  { cat "$scratch/bindgen.log" >&2; echo "check-abi: bindgen failed" >&2; exit 1; }

nm -D --undefined-only "${exes[@]}" | awk '{print $2}' | grep -E '^(bpf_|bcc_|perf_reader_)' | sort -u \
  >"$scratch/imported"
python3 - "$scratch/bcc-sys/src/bccapi/v0_23_0.rs" "$scratch/bcc-sys/src/generated.rs" "$scratch/imported" <<'PY'
import re, sys
linked, installed, imported = sys.argv[1:]
def decl(path, name):
    m = re.search(r"pub fn " + name + r"\s*\(.*?\)\s*(->[^;]*)?;", open(path).read(), re.S)
    return " ".join(m.group(0).split()) if m else None
names = open(imported).read().split()
bad = [n for n in names if decl(linked, n) is None or decl(linked, n) != decl(installed, n)]
for n in bad:
    print(f"differs: {n}\n  bcc-sys v0_23_0: {decl(linked, n)}\n  installed libbcc: {decl(installed, n)}")
# For the record: what differs among all the functions, imported or not.
allfns = set(re.findall(r"pub fn (\w+)", open(linked).read())) | set(re.findall(r"pub fn (\w+)", open(installed).read()))
other = sorted(n for n in allfns if decl(linked, n) != decl(installed, n) and n not in names)
print(f"{len(names)} libbcc functions imported by the executables; declared differently: {', '.join(bad) or 'none'}")
print(f"not imported, declared differently: {', '.join(other) or 'none'}")
sys.exit(1 if bad else 0)
PY
