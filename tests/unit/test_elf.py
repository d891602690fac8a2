"""The ELF inspector on small committed fixtures, compiled here, and on corrupt input that must
fail with InspectError and nothing else. It never builds a variant: the project's own objects
and executables are inspected in tests/integration/test_inspect.py."""

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from harness.elf import (InspectError, compare_objects, describe, inspect_bpf_object,
                         inspect_executable, program_type)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CLANG = shutil.which("clang-22")
needs_clang = pytest.mark.skipif(CLANG is None, reason="clang-22 is not installed")


def _clang(source: Path, out: Path, target: str, *flags: str) -> Path:
    subprocess.run([CLANG, "-O2", "-target", target, *flags, "-c", str(source), "-o", str(out)],
                   check=True, cwd=out.parent)
    return out


@pytest.fixture(scope="session")
def btf_objects(tmp_path_factory) -> dict[str, Path]:
    """fixtures/btf_maps.bpf.c with BTF, once per byte order."""
    if CLANG is None:
        pytest.skip("clang-22 is not installed")
    out = tmp_path_factory.mktemp("btf_maps")
    return {t: _clang(FIXTURES / "btf_maps.bpf.c", out / f"btf_maps.{t}.o", t, "-g")
            for t in ("bpfel", "bpfeb")}


@pytest.fixture(scope="session")
def btf_obj(btf_objects) -> Path:
    return btf_objects["bpfel"]


def test_btf_object_programs_maps_and_data(btf_obj):
    obj = inspect_bpf_object(btf_obj)
    assert [(p["name"], p["section"], p["type"]) for p in obj["programs"]] == [
        ("enter_close", "tracepoint/syscalls/sys_enter_close", "tracepoint"),
        ("exit_close", "tracepoint/syscalls/sys_exit_close", "tracepoint")]
    assert all(p["insns"] > 0 for p in obj["programs"])
    assert obj["maps"] == [
        {"name": "start", "type": "hash", "key_size": 4, "value_size": 16, "max_entries": 64,
         "kind": "btf"},
        {"name": "events", "type": "ringbuf", "key_size": 0, "value_size": 0,
         "max_entries": 4096, "kind": "btf"},
    ]
    assert obj["global_data"] == [
        {"section": ".rodata", "size_bytes": 4, "variables": ["targ_id"]},
        {"section": ".bss", "size_bytes": 8, "variables": ["misses"]},
    ]
    assert (obj["license"], obj["endianness"]) == ("Dual BSD/GPL", "little")
    assert obj["btf_bytes"] > 0 and obj["btf_ext_bytes"] > 0
    # One func_info per program; the two ctx field reads are CO-RE relocations.
    assert (obj["func_info"], obj["core_relocs"]) == (2, 2)
    assert obj["line_info"] > 0
    assert obj["size_bytes"] == os.path.getsize(btf_obj)
    json.dumps(obj)


def test_bpfeb_matches_bpfel(btf_objects):
    little, big = (inspect_bpf_object(btf_objects[t]) for t in ("bpfel", "bpfeb"))
    assert big["endianness"] == "big"
    cmp = compare_objects([little, big])
    assert cmp["same_programs"] and cmp["same_insns"]
    assert cmp["endianness"] == ["little", "big"]
    assert cmp["differences"] == []
    assert big["maps"] == little["maps"] and big["core_relocs"] == little["core_relocs"]
    json.dumps(cmp)


@needs_clang
def test_compare_reports_differences(btf_obj, tmp_path):
    legacy = inspect_bpf_object(_clang(FIXTURES / "legacy_maps.bpf.c", tmp_path / "legacy.o", "bpfel"))
    cmp = compare_objects([inspect_bpf_object(btf_obj), legacy])
    assert not cmp["same_programs"] and not cmp["same_insns"]
    assert "program enter_close: absent from legacy.o" in cmp["differences"]
    assert "map start: absent from legacy.o" in cmp["differences"]


def test_describe(btf_obj):
    obj = inspect_bpf_object(btf_obj)
    text = describe(obj)
    for p in obj["programs"]:
        assert p["name"] in text and f"{p['insns']} insns" in text
    assert "ringbuf" in text and "targ_id" in text
    assert "same programs: True" in describe(compare_objects([obj, obj]))


@needs_clang
@pytest.mark.parametrize("target", ["bpfel", "bpfeb"])
def test_legacy_maps_and_shared_section(tmp_path, target):
    obj = inspect_bpf_object(_clang(FIXTURES / "legacy_maps.bpf.c", tmp_path / "legacy.o", target))
    assert obj["endianness"] == ("little" if target == "bpfel" else "big")
    assert obj["maps"] == [
        {"name": "COUNTS", "type": "percpu_array", "key_size": 4, "value_size": 8,
         "max_entries": 4, "kind": "legacy"},
        {"name": "EVENTS", "type": "perf_event_array", "key_size": 4, "value_size": 4,
         "max_entries": 0, "kind": "legacy"},
    ]
    progs = obj["programs"]
    assert [(p["name"], p["section"], p["type"]) for p in progs] == [
        ("first", "socket", "socket_filter"), ("second", "socket", "socket_filter")]
    with open(tmp_path / "legacy.o", "rb") as f:
        section = ELFFile(f).get_section_by_name("socket")
        assert sum(p["insns"] for p in progs) == section["sh_size"] // 8
    assert all(p["insns"] > 0 for p in progs)
    assert obj["text_insns"] > 0
    assert (obj["btf_bytes"], obj["btf_ext_bytes"], obj["core_relocs"]) == (0, 0, 0)
    assert obj["license"] == "GPL"


@pytest.mark.parametrize("section, expected", [
    ("tracepoint/syscalls/sys_enter_open", "tracepoint"),
    ("tp/sched/sched_switch", "tracepoint"),
    ("kretprobe/do_sys_open", "kprobe"),
    ("xdp", "xdp"),
    ("xdp.frags/devmap", "xdp"),
    ("cgroup/connect4", "cgroup_sock_addr"),
    ("cgroup_skb/ingress", "cgroup_skb"),
    ("fentry/do_unlinkat", "tracing"),
    ("tracepointx", "unknown"),
])
def test_program_type(section, expected):
    assert program_type(section) == expected


def _btf_section_header(path: Path) -> tuple[int, int]:
    """File offsets of .BTF's section header and of its data."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        for index, section in enumerate(elf.iter_sections()):
            if section.name == ".BTF":
                return elf["e_shoff"] + index * elf["e_shentsize"], section["sh_offset"]
    raise AssertionError(".BTF not found")


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "input.o"
    path.write_bytes(data)
    return path


def _btf_section_cut(obj: bytes, tmp_path: Path) -> bytes:
    """.BTF's sh_size cut to 30 bytes: its header now claims types past the end."""
    shdr, _ = _btf_section_header(_write(tmp_path, obj))
    return obj[:shdr + 32] + struct.pack("<Q", 30) + obj[shdr + 40:]


def _btf_strings_overrun(obj: bytes, tmp_path: Path) -> bytes:
    """The .BTF header's str_len made larger than the section."""
    _, start = _btf_section_header(_write(tmp_path, obj))
    return obj[:start + 20] + struct.pack("<I", 0x00FFFFFF) + obj[start + 24:]


def _section_headers_zeroed(obj: bytes, tmp_path: Path) -> bytes:
    """Every section header entry zeroed; the ELF header still says where they are."""
    shoff = struct.unpack_from("<Q", obj, 0x28)[0]
    shnum = struct.unpack_from("<H", obj, 0x3C)[0]
    return obj[:shoff] + bytes(64 * shnum) + obj[shoff + 64 * shnum:]


def _no_section_headers(obj: bytes, tmp_path: Path) -> bytes:
    """e_shnum and e_shstrndx zeroed: no section table at all."""
    return obj[:0x3C] + bytes(4) + obj[0x40:]


CORRUPT = {
    "empty": lambda obj, tmp: b"",
    "truncated": lambda obj, tmp: obj[:100],
    "random": lambda obj, tmp: os.urandom(4096),
    "random after ELF magic": lambda obj, tmp: b"\x7fELF" + os.urandom(4092),
    "x86 executable": lambda obj, tmp: Path("/bin/true").read_bytes(),
    "truncated .BTF section": _btf_section_cut,
    ".BTF strings past the section": _btf_strings_overrun,
    "section table cut off": lambda obj, tmp: obj[:len(obj) - 200],
    "section headers zeroed": _section_headers_zeroed,
    "no section headers": _no_section_headers,
}


@pytest.mark.parametrize("case", CORRUPT)
def test_corrupt_input_raises_inspect_error(btf_obj, tmp_path, case):
    obj = btf_obj.read_bytes()
    path = _write(tmp_path, CORRUPT[case](obj, tmp_path))
    with pytest.raises(InspectError) as info:
        inspect_bpf_object(path)
    assert str(info.value)


def test_an_object_without_a_readable_section_table_is_an_error(btf_obj, tmp_path):
    obj = btf_obj.read_bytes()
    for case in ("section headers zeroed", "no section headers"):
        with pytest.raises(InspectError, match="section"):
            inspect_bpf_object(_write(tmp_path, CORRUPT[case](obj, tmp_path)))


def test_truncated_btf_reason(btf_obj, tmp_path):
    obj = btf_obj.read_bytes()
    with pytest.raises(InspectError, match=r"BTF.*truncated"):
        inspect_bpf_object(_write(tmp_path, _btf_section_cut(obj, tmp_path)))
    with pytest.raises(InspectError, match="not a BPF object"):
        inspect_bpf_object("/bin/true")


def test_missing_file_and_bad_executable(tmp_path):
    with pytest.raises(InspectError, match="cannot read"):
        inspect_bpf_object(tmp_path / "absent.o")
    for data in (b"", os.urandom(512), b"\x7fELF" + os.urandom(60)):
        with pytest.raises(InspectError):
            inspect_executable(_write(tmp_path, data))


def test_executable_without_embedded_object():
    exe = inspect_executable("/bin/true")
    assert exe["embedded_bpf"] == []
    assert "libc.so.6" in exe["needed"] and exe["static"] is False
    assert 0 < exe["stripped_bytes"] <= exe["size_bytes"]
