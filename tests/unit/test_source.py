"""The source table: counting (pygount, lizard) on small files, the manifest's `source` field,
"not built" generated files, the `source` command and the table."""
import json
import shutil
from pathlib import Path

import pytest

from harness import __main__ as cli
from harness import report, source
from harness.manifest import ManifestError, load_variant

HERE = Path(__file__).parent

C_FILE = """\
/* Two functions: sign has two branches, twice has none. */
#include <stdio.h>

static int sign(int x)
{
\tif (x > 0)
\t\treturn 1;
\telse if (x < 0)
\t\treturn -1;
\treturn 0;
}

int twice(int x)
{
\treturn 2 * x; // a trailing comment does not make a line a comment
}
"""

MANIFEST = """\
name: {name}
language: C
framework: {{name: libbpf, version: "1.7.0"}}
toolchains: [cc]
build: {{command: make, clean: make clean}}
programs:
  hello: {{executable: build/hello, bpf_objects: []}}
  opensnoop: {{executable: build/opensnoop, bpf_objects: []}}
"""


def variant(repo: Path, source_yaml: str = "", name: str = "v1"):
    d = repo / "variants" / name
    d.mkdir(parents=True)
    (d / "variant.yaml").write_text(MANIFEST.format(name=name) + source_yaml)
    return d


def test_c_file_code_lines_and_complexity_are_exact(tmp_path):
    f = tmp_path / "two.c"
    f.write_text(C_FILE)
    got = source.count_file(f)
    # #include, the two signatures, if, return 1, else if, return -1, return 0, return 2 * x:
    # the comment, the blank lines and the lines of a lone brace are not code.
    assert got["language"] == "C"
    assert got["code_lines"] == 9
    assert (got["functions"], got["complexity_sum"], got["complexity_max"]) == (2, 4, 3)


def test_a_script_is_read_by_its_interpreter_and_bpftrace_has_no_complexity(tmp_path):
    script = tmp_path / "hello"
    script.write_text("#!/usr/bin/python3\n# a comment\n\ndef main():\n    if True:\n        print('x')\n")
    got = source.count_file(script)
    assert (got["language"], got["code_lines"], got["complexity_sum"], got["complexity_max"]) == ("Python", 3, 2, 2)
    bt = tmp_path / "hello.bt"
    bt.write_text("/* comment */\nBEGIN\n{\n\tprintf(\"x\\n\");\n}\n// another\n")
    got = source.count_file(bt)
    assert (got["language"], got["code_lines"], got["complexity_sum"], got["functions"]) == ("bpftrace", 2, None, None)


def test_a_file_no_lexer_knows_is_an_error_not_zero(tmp_path):
    f = tmp_path / "README.unknownsuffix"
    f.write_text("words\n")
    got = source.count_file(f)
    assert got["code_lines"] is None and "no lexer" in got["error"]


GOOD_SOURCE = """\
source:
  shared:
    userspace: [common.c]
    kernel: ["{repo}/bpf/events.h"]
    build: [Makefile]
    generated: ["{repo}/bpf/vmlinux.h"]
  hello:
    userspace: [hello.c]
    kernel: ["{repo}/bpf/hello.bpf.c"]
    generated: [build/hello.skel.h]
  opensnoop: {}
"""


def test_source_field_loads_and_is_optional(tmp_path):
    v = load_variant(variant(tmp_path, GOOD_SOURCE))
    assert v.source["shared"]["kernel"] == ("{repo}/bpf/events.h",)
    assert v.source["hello"]["generated"] == ("build/hello.skel.h",)
    assert v.source["opensnoop"] == {}
    assert load_variant(variant(tmp_path, "", name="v2")).source is None


@pytest.mark.parametrize("text, field, message", [
    ("source: [a.c]\n", "source", "expected a mapping"),
    ("source: {hello: {}, opensnoop: {}, helo: {}}\n", "source", "unknown key 'helo'"),
    ("source: {hello: {}}\n", "source.opensnoop", "missing"),
    ("source: {hello: {userspace: [a.c]}, opensnoop: [b.c]}\n", "source.opensnoop", "expected a mapping"),
    ("source: {hello: {kernal: [a.c]}, opensnoop: {}}\n", "source.hello", "unknown category 'kernal'"),
    ("source: {hello: {userspace: a.c}, opensnoop: {}}\n", "source.hello.userspace", "expected list"),
    ("source: {hello: {userspace: [3]}, opensnoop: {}}\n", "source.hello.userspace[0]", "non-empty string"),
    ("source: {hello: {userspace: [../c-libbpf/hello.c]}, opensnoop: {}}\n", "source.hello.userspace[0]",
     "inside the repository"),
    ("source: {hello: {kernel: [/etc/passwd]}, opensnoop: {}}\n", "source.hello.kernel[0]", "inside the repository"),
    ("source: {hello: {kernel: ['{repo}/../x.c']}, opensnoop: {}}\n", "source.hello.kernel[0]", "inside the repository"),
    ("source: {hello: {kernel: ['bpf/{repo}/x.c']}, opensnoop: {}}\n", "source.hello.kernel[0]", "leading part"),
])
def test_source_field_errors_name_file_and_field(tmp_path, text, field, message):
    d = variant(tmp_path, text)
    with pytest.raises(ManifestError) as e:
        load_variant(d)
    assert e.value.field == field
    assert message in str(e.value)
    assert str(d / "variant.yaml") in str(e.value) and "\n" not in str(e.value)


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "bpf").mkdir(parents=True)
    (repo / "bpf" / "events.h").write_text("struct e {\n\tint pid;\n};\n")
    (repo / "bpf" / "hello.bpf.c").write_text("int prog(void *ctx)\n{\n\treturn 0;\n}\n")
    (repo / "bpf" / "vmlinux.h").write_text("typedef int pid_t;\n")
    d = variant(repo, GOOD_SOURCE)
    (d / "common.c").write_text(C_FILE)
    (d / "hello.c").write_text("int main(void)\n{\n\treturn 0;\n}\n")
    (d / "Makefile").write_text("all:\n\tcc hello.c\n")
    return repo


def test_missing_generated_file_is_not_built_and_shared_files_count_in_each_program(tmp_path):
    repo = _repo(tmp_path)
    v = load_variant(repo / "variants" / "v1")
    e = source.count_variant(v, repo)
    hello, opensnoop = e["programs"]["hello"], e["programs"]["opensnoop"]
    assert hello["userspace"]["code_lines"] == 9 + 2
    assert [f["path"] for f in hello["userspace"]["files"]] == ["variants/v1/common.c", "variants/v1/hello.c"]
    assert hello["userspace"]["complexity_sum"] == 5 and hello["userspace"]["complexity_max"] == 3
    assert hello["kernel"]["code_lines"] == 2 + 2  # events.h (shared) and hello.bpf.c
    assert hello["generated"]["not_built"] == ["build/hello.skel.h"]
    assert hello["generated"]["code_lines"] is None  # never a partial figure
    assert hello["build"]["complexity_sum"] is None  # lizard does not read Makefiles
    # opensnoop declares nothing of its own: the shared files only.
    assert opensnoop["userspace"]["code_lines"] == 9 and opensnoop["generated"]["code_lines"] == 1
    (v.dir / "build").mkdir()
    (v.dir / "build" / "hello.skel.h").write_text("/* THIS FILE IS AUTOGENERATED BY BPFTOOL! */\nint x;\n")
    built = source.count_variant(v, repo)["programs"]["hello"]["generated"]
    assert (built["not_built"], built["code_lines"]) == ([], 2)  # pygount's own generated guess is off


def test_a_written_file_no_glob_finds_is_missing(tmp_path):
    repo = _repo(tmp_path)
    (repo / "variants" / "v1" / "hello.c").unlink()
    e = source.count_variant(load_variant(repo / "variants" / "v1"), repo)
    us = e["programs"]["hello"]["userspace"]
    assert us["missing"] == ["hello.c"] and us["code_lines"] is None


def test_of_stale_generated_copies_the_newest_counts(tmp_path):
    import os
    d = tmp_path / "v"
    for h, mtime in (("aaa", 2000), ("bbb", 1000)):
        out = d / "target" / f"pkg-{h}" / "out"
        out.mkdir(parents=True)
        (out / "hello.skel.rs").write_text("x\n")
        os.utime(out / "hello.skel.rs", (mtime, mtime))
    found = source.resolve(d, tmp_path, "target/pkg-*/out/hello.skel.rs", generated=True)
    assert found == [d / "target" / "pkg-aaa" / "out" / "hello.skel.rs"]
    assert len(source.resolve(d, tmp_path, "target/pkg-*/out/hello.skel.rs")) == 2


REFERENCE_SOURCE = """\
role: reference
source:
  shared:
    userspace: ["{repo}/variants/v1/common.c"]
    kernel: ["{repo}/bpf/events.h"]
  hello:
    userspace: ["{repo}/variants/v1/hello.c"]
    kernel: ["{repo}/bpf/hello.bpf.c"]
  opensnoop: {}
"""


def _block(tmp_path: Path) -> dict:
    """v1 (GOOD_SOURCE), a reference that counts v1's userspace, and v3 without `source`."""
    repo = _repo(tmp_path)
    vs = [load_variant(repo / "variants" / "v1"), load_variant(variant(repo, REFERENCE_SOURCE, name="floor")),
          load_variant(variant(repo, "", name="v3"))]
    return source.count_all(vs, repo=repo, stamp={"date": "2026-01-01T00:00:00+00:00", "commit": "abc"})


def test_table_from_a_small_document(tmp_path):
    block = _block(tmp_path)
    text = report.source_table({"source": block})
    hello = text.split("## hello")[1].split("## opensnoop")[0]
    cells = lambda name: [c.strip() for c in next(  # noqa: E731
        line for line in hello.splitlines() if line.startswith(f"| {name} ")).strip("|").split("|")]
    v1 = cells("v1")
    assert v1[1:9] == ["C", "11", "4", "15", "1.00", "2", "not built", "5 / 3"]
    assert v1[9] == "1 / 1" and "generated: not built: build/hello.skel.h" in v1[10]
    floor = cells("floor *(reference)*")
    assert floor[2:6] == ["11", "4", "15", "1.00"]
    assert cells("v3")[-1] == "not declared in variant.yaml"
    opensnoop = text.split("## opensnoop")[1]
    assert "| v1 " in opensnoop and "pygount 3.2.0 and lizard 1.24.3" in text and "at commit abc" in text
    files = [[c.strip() for c in line.strip("|").split("|")] for line in text.split("## Files counted")[1].splitlines()
             if line.startswith("| v1 ")]
    assert ["v1", "both", "userspace", "variants/v1/common.c", "C", "9", "4 / 3", "2"] in files
    assert ["v1", "hello", "userspace", "variants/v1/hello.c", "C", "2", "1 / 1", "1"] in files


def test_table_says_when_nothing_was_counted():
    assert "not counted in this run" in report.source_table({"variants": []})


def test_source_command_adds_the_block_and_leaves_the_rest(tmp_path, monkeypatch):
    fixture = HERE / "fixtures" / "recorded-v2.json"
    out = tmp_path / "results"
    out.mkdir()
    shutil.copy(fixture, out / "results.json")
    block = _block(tmp_path)
    monkeypatch.setattr(source, "count_all", lambda variants, errors: block)
    assert cli.main(["source", "--out", str(out)]) == 0
    doc = json.loads((out / "results.json").read_text())
    assert doc.pop("source") == block
    assert doc == json.loads(fixture.read_text())
    assert (out / "source.md").read_text() == report.source_table({"source": block})
    alone = tmp_path / "alone"
    assert cli.main(["source", "--out", str(alone)]) == 0
    assert sorted(p.name for p in alone.iterdir()) == ["source.md"]
