"""variant.yaml validation: every error names the file and the field."""
from pathlib import Path

import pytest

from harness.env import REPO
from harness.manifest import ManifestError, discover, load_variant
from harness.toolchains import load_catalogue

GOOD = """\
name: {name}
language: C
framework: {{name: libbpf, version: "1.7.0"}}
toolchains: [cc]
build: {{command: make, clean: make clean}}
programs:
  hello: {{executable: build/hello, bpf_objects: [build/hello.bpf.o]}}
  opensnoop: {{executable: build/opensnoop, bpf_objects: [build/opensnoop.bpf.o]}}
"""


def write(tmp_path: Path, text: str, name: str = "v1") -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "variant.yaml").write_text(text.format(name=name))
    return d


def error_of(tmp_path, text, **kw) -> ManifestError:
    d = write(tmp_path, text)
    with pytest.raises(ManifestError) as e:
        load_variant(d, **kw)
    assert str(d / "variant.yaml") in str(e.value)
    return e.value


def test_valid_manifest_loads(tmp_path):
    v = load_variant(write(tmp_path, GOOD))
    assert v.name == "v1" and v.framework == "libbpf" and v.framework_version == "1.7.0"
    assert v.programs["opensnoop"].bpf_objects == (Path("build/opensnoop.bpf.o"),)
    assert v.role == "framework" and v.conformance_skip == ()


def test_every_committed_manifest_is_valid():
    variants, errors = discover(REPO / "variants", set(load_catalogue()))
    assert errors == []
    assert {"c-libbpf", "go-ebpf", "go-libbpfgo", "rust-libbpf-rs", "rust-aya"} <= {v.name for v in variants}


def test_invalid_yaml_names_the_line(tmp_path):
    e = error_of(tmp_path, "name: v1\nprograms: [unclosed\n")
    assert "invalid YAML" in str(e) and "line" in e.field


@pytest.mark.parametrize("field,text", [
    ("language", GOOD.replace("language: C\n", "")),
    ("framework.version", GOOD.replace(', version: "1.7.0"', "")),
    ("build.clean", GOOD.replace(", clean: make clean", "")),
    ("programs.hello", GOOD.replace("  hello: {{executable: build/hello, bpf_objects: [build/hello.bpf.o]}}\n", "")),
    ("programs.opensnoop.executable", GOOD.replace("opensnoop: {{executable: build/opensnoop, ", "opensnoop: {{")),
])
def test_missing_field_is_named(tmp_path, field, text):
    e = error_of(tmp_path, text)
    assert e.field == field and "missing" in str(e)


def test_wrong_type_is_named(tmp_path):
    e = error_of(tmp_path, GOOD.replace("toolchains: [cc]", "toolchains: cc"))
    assert e.field == "toolchains" and "expected list" in str(e)


def test_name_must_match_folder(tmp_path):
    e = error_of(tmp_path, GOOD.replace("name: {name}", "name: other"))
    assert e.field == "name"


def test_unknown_toolchain(tmp_path):
    e = error_of(tmp_path, GOOD.replace("[cc]", "[cc, zig]"), known_toolchains={"cc"})
    assert e.field == "toolchains[1]" and "zig" in str(e)


def test_paths_must_stay_inside_the_variant(tmp_path):
    e = error_of(tmp_path, GOOD.replace("executable: build/hello", "executable: ../../bin/sh"))
    assert e.field == "programs.hello.executable"


def test_unknown_program(tmp_path):
    e = error_of(tmp_path, GOOD + "  execsnoop: {{executable: x, bpf_objects: []}}\n")
    assert e.field == "programs" and "execsnoop" in str(e)


def test_only_references_may_skip_conformance(tmp_path):
    e = error_of(tmp_path, GOOD + "conformance_skip: [-n]\n")
    assert e.field == "conformance_skip"


def test_unknown_conformance_feature(tmp_path):
    e = error_of(tmp_path, GOOD + "role: reference\nconformance_skip: [teleport]\n")
    assert e.field == "conformance_skip[0]"


def test_discover_reports_broken_manifests_and_keeps_the_others(tmp_path):
    write(tmp_path, GOOD, "good")
    write(tmp_path, "name: [", "broken")
    (tmp_path / "not-a-variant").mkdir()
    variants, errors = discover(tmp_path)
    assert [v.name for v in variants] == ["good"]
    assert len(errors) == 1 and errors[0].path.parent.name == "broken"


def test_empty_file(tmp_path):
    e = error_of(tmp_path, "")
    assert e.field == "(top level)"


def test_known_unavailable_and_deviations_are_read(tmp_path):
    text = GOOD + "unavailable: >-\n  needs LLVM 13\n  and a matching rustc\ndeviations: [perf buffer, not a ring buffer]\n"
    v = load_variant(write(tmp_path, text))
    assert v.unavailable == "needs LLVM 13 and a matching rustc"
    assert v.deviations == ("perf buffer", "not a ring buffer")


@pytest.mark.parametrize("value", ["''", "true", "[a]"])
def test_unavailable_needs_a_reason(tmp_path, value):
    assert error_of(tmp_path, GOOD + f"unavailable: {value}\n").field == "unavailable"


def test_a_known_unavailable_variant_is_not_built_unless_forced(tmp_path):
    from harness.build import build_variant
    d = write(tmp_path, GOOD.replace("command: make", "command: touch built") + "unavailable: cannot here\n")
    v = load_variant(d)
    r = build_variant(v, {})
    assert (r.status, r.known, r.reason) == ("unavailable", True, "cannot here")
    assert not (d / "built").exists()
    forced = build_variant(v, {}, force=True)
    assert (d / "built").exists() and forced.status == "failed" and not forced.known  # nothing was produced
