"""Code that is meant to be the same file in several variants is the same file: a fix in one
copy must reach the others, or the command lines drift apart."""
from harness.env import VARIANTS

GO_CLI = sorted(VARIANTS.glob("go-*/internal/tool/cli.go"))


def test_the_go_variants_share_one_cli_go():
    assert len(GO_CLI) == 3, GO_CLI
    first = GO_CLI[0].read_bytes()
    differ = [str(p.relative_to(VARIANTS)) for p in GO_CLI[1:] if p.read_bytes() != first]
    assert not differ, f"not the same as {GO_CLI[0].relative_to(VARIANTS)}: {', '.join(differ)}"
