"""Code that is meant to be the same file in several variants is the same file: a fix in one
copy must reach the others, or the command lines drift apart."""
from harness.env import VARIANTS

GO_CLI = sorted(VARIANTS.glob("go-*/internal/tool/cli.go"))


def test_the_go_variants_share_one_cli_go():
    assert len(GO_CLI) == 3, GO_CLI
    first = GO_CLI[0].read_bytes()
    differ = [str(p.relative_to(VARIANTS)) for p in GO_CLI[1:] if p.read_bytes() != first]
    assert not differ, f"not the same as {GO_CLI[0].relative_to(VARIANTS)}: {', '.join(differ)}"


RUST_CLI = sorted(p for p in VARIANTS.glob("rust-*/**/src/cli.rs") if "target" not in p.parts)
SHARED_END = "// The end of the part every Rust variant shares"


def _shared_part(path) -> str:
    """From the first line after the module's doc comment to the marker that ends the part
    shared by every Rust variant (hello's and opensnoop's command line); what follows (xdp's and
    flood's) is each variant's own, as are the imports those need."""
    lines = path.read_text().splitlines()
    assert any(line.startswith(SHARED_END) for line in lines), f"{path}: no line '{SHARED_END}...'"
    body = []
    for line in lines:
        if line.startswith(SHARED_END):
            break
        if not line.startswith("//!") and not line.startswith("use "):
            body.append(line)
    return "\n".join(body).strip()


def test_the_rust_variants_share_the_command_line_of_hello_and_opensnoop():
    assert len(RUST_CLI) == 3, RUST_CLI
    first = _shared_part(RUST_CLI[0])
    differ = [str(p.relative_to(VARIANTS)) for p in RUST_CLI[1:] if _shared_part(p) != first]
    assert not differ, f"shared part not the same as {RUST_CLI[0].relative_to(VARIANTS)}'s: {', '.join(differ)}"
