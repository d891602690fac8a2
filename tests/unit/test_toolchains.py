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
