"""Toolchain probing and the set-up's refusal to half-work without root."""
import pytest

from harness import toolchains
from harness.toolchains import SetupError, Toolchain, probe


def test_present_toolchain_gives_its_version_line():
    version, why = probe(Toolchain("sh", ("sh", "-c", "echo 'tool 1.2.3'; echo more")))
    assert (version, why) == ("tool 1.2.3", "")


def test_absent_toolchain_says_why_with_hint():
    version, why = probe(Toolchain("zig", ("zig-does-not-exist", "version"), hint="install zig"))
    assert version is None and why == "zig-does-not-exist not found (install zig)"


def test_failing_version_command_is_absent():
    version, why = probe(Toolchain("broken", ("sh", "-c", "echo boom >&2; exit 3")))
    assert version is None and "boom" in why


def test_setup_without_root_refuses_to_install(monkeypatch):
    monkeypatch.setattr(toolchains, "is_root", lambda: False)
    cat = {"ok": Toolchain("ok", ("true",)), "zig": Toolchain("zig", ("zig-does-not-exist",))}
    with pytest.raises(SetupError, match="must run as root to install zig"):
        toolchains.setup(cat, ["ok", "zig"], log=lambda *_: None)


def test_setup_without_root_is_fine_when_nothing_is_missing(monkeypatch):
    monkeypatch.setattr(toolchains, "is_root", lambda: False)
    lines = []
    assert toolchains.setup({"ok": Toolchain("ok", ("true",))}, ["ok"], log=lines.append) == {}
    assert "nothing to install" in lines[0]


def test_catalogue_names_every_toolchain_the_variants_use():
    from tests.conftest import VARIANTS
    cat = toolchains.load_catalogue()
    assert {t for v in VARIANTS for t in v.toolchains} <= set(cat)


@pytest.mark.parametrize("line, found", [
    ("go version go1.26.8 linux/amd64", "1.26.8"),
    ("cargo 1.96.0 (30a34c682 2026-05-25) (built from a source tarball)", "1.96.0"),
    ("v1.7.12", "1.7.12"),
    ("bpftool v7.1.0", "7.1.0"),
    ("no number here", None),
])
def test_release_is_the_first_release_number_of_the_line(line, found):
    assert toolchains.release(line) == found


def test_a_toolchain_older_than_its_minimum_is_absent_with_the_reason():
    old = Toolchain("go", ("sh", "-c", "echo go version go1.19.8 linux/amd64"), minimum="1.26.8")
    version, why = probe(old)
    assert version is None and why == "1.19.8 is older than 1.26.8, the oldest that builds every variant"
    new = Toolchain("go", ("sh", "-c", "echo go version go1.27.0 linux/amd64"), minimum="1.26.8")
    assert probe(new) == ("go version go1.27.0 linux/amd64", "")


def test_the_go_minimum_is_the_highest_go_line_of_the_variants_go_mod():
    from harness.env import VARIANTS
    lines = [line.split()[1] for mod in VARIANTS.glob("*/go.mod") for line in mod.read_text().splitlines()
             if line.startswith("go ")]
    assert lines, "no go.mod with a go line"
    assert toolchains.load_catalogue()["go"].minimum == max(lines, key=toolchains._key)


def test_every_toolchain_names_the_commands_doctor_reports():
    cat = toolchains.load_catalogue()
    for name in ("cc", "clang-22", "cargo", "go", "qemu", "iproute2", "git", "base"):
        assert cat[name].commands, name
    assert {"depmod", "busybox"} <= set(cat["qemu"].commands)
    assert {"kmod", "busybox-static"} <= set(cat["qemu"].apt)


def test_locate_names_the_debian_package_of_a_command():
    path, package = toolchains.locate("dpkg-query")
    assert path and package == "dpkg"
    assert toolchains.locate("no-such-command-anywhere") == (None, None)
