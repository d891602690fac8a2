"""The ELF inspector on the project's real BPF objects and executables, and on
corrupt input that must fail with InspectError and nothing else."""

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

ROOT = Path(__file__).resolve().parents[2]
C_LIBBPF = ROOT / "variants" / "c-libbpf"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CLANG = shutil.which("clang-22")
needs_clang = pytest.mark.skipif(CLANG is None, reason="clang-22 is not installed")


@pytest.fixture(scope="session")
def build_dir():
    """variants/c-libbpf/build, (re)built by make when clang-22 is there."""
    build = C_LIBBPF / "build"
    reason = "variants/c-libbpf is not built and clang-22 is missing to build it"
    if CLANG:
        proc = subprocess.run(["make", "-C", str(C_LIBBPF)], capture_output=True, text=True)
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        reason = f"make -C variants/c-libbpf failed: {tail}"
    if not all((build / name).is_file() for name in
               ("hello.bpf.o", "opensnoop.bpf.o", "hello", "opensnoop")):
        pytest.skip(reason)
    return build


@pytest.fixture(scope="session")
def opensnoop(build_dir):
    return inspect_bpf_object(build_dir / "opensnoop.bpf.o")


def _clang(source: Path, out: Path, target: str, *flags: str) -> Path:
    subprocess.run([CLANG, "-O2", "-target", target, *flags, "-c", str(source), "-o", str(out)],
                   check=True, cwd=out.parent)
    return out


@pytest.fixture(scope="session")
def opensnoop_bpfeb(tmp_path_factory):
    if CLANG is None:
        pytest.skip("clang-22 is not installed")
    return _clang(ROOT / "bpf" / "opensnoop.bpf.c",
                  tmp_path_factory.mktemp("bpfeb") / "opensnoop.bpfeb.o", "bpfeb",
                  "-g", "-D__TARGET_ARCH_x86", f"-I{ROOT / 'bpf'}",
                  f"-I{ROOT / '.deps' / 'libbpf' / 'include'}")


def test_opensnoop_programs(opensnoop):
    progs = {p["name"]: p for p in opensnoop["programs"]}
    assert set(progs) == {"enter_open", "enter_openat", "exit_open", "exit_openat"}
    for name, p in progs.items():
        kind, _, event = name.partition("_")
        assert p["section"] == f"tracepoint/syscalls/sys_{kind}_{event}"
        assert p["type"] == "tracepoint"
        assert p["insns"] > 0


def test_opensnoop_maps(opensnoop):
    maps = {m["name"]: m for m in opensnoop["maps"]}
    assert set(maps) == {"start", "events"}
    assert maps["start"] == {"name": "start", "type": "hash", "key_size": 4,
                             "value_size": 16, "max_entries": 10240, "kind": "btf"}
    assert (maps["events"]["type"], maps["events"]["max_entries"]) == ("ringbuf", 262144)
    assert (maps["events"]["key_size"], maps["events"]["value_size"]) == (0, 0)


def test_opensnoop_global_data_license_btf(opensnoop):
    data = {g["section"]: g for g in opensnoop["global_data"]}
    assert data[".rodata"]["variables"] == ["targ_tgid", "targ_uid", "targ_failed"]
    assert data[".bss"]["variables"] == ["drops"]
    assert data[".bss"]["size_bytes"] == 8
    assert opensnoop["license"] == "Dual BSD/GPL"
    assert opensnoop["endianness"] == "little"
    assert opensnoop["btf_bytes"] > 0 and opensnoop["btf_ext_bytes"] > 0
    # One func_info per program; the tracepoint contexts come from vmlinux.h
    # with preserve_access_index, so their field reads are CO-RE relocations.
    assert opensnoop["func_info"] == 4
    assert opensnoop["line_info"] > 0
    assert opensnoop["core_relocs"] > 0
    assert opensnoop["size_bytes"] == os.path.getsize(opensnoop["path"])
    json.dumps(opensnoop)


def test_hello(build_dir):
    hello = inspect_bpf_object(build_dir / "hello.bpf.o")
    assert [(p["name"], p["section"], p["type"]) for p in hello["programs"]] == [
        ("hello_execve", "tracepoint/syscalls/sys_enter_execve", "tracepoint")]
    assert [(m["name"], m["type"]) for m in hello["maps"]] == [("events", "ringbuf")]


def test_bpfeb_matches_bpfel(opensnoop, opensnoop_bpfeb):
    big = inspect_bpf_object(opensnoop_bpfeb)
    assert big["endianness"] == "big"
    cmp = compare_objects([opensnoop, big])
    assert cmp["same_programs"] and cmp["same_insns"]
    assert cmp["endianness"] == ["little", "big"]
    assert cmp["differences"] == []
    assert big["maps"] == opensnoop["maps"]
    assert big["core_relocs"] == opensnoop["core_relocs"]
    json.dumps(cmp)


def test_compare_reports_differences(build_dir, opensnoop):
    cmp = compare_objects([opensnoop, inspect_bpf_object(build_dir / "hello.bpf.o")])
    assert not cmp["same_programs"] and not cmp["same_insns"]
    assert "program enter_open: absent from hello.bpf.o" in cmp["differences"]
    assert "map start: absent from hello.bpf.o" in cmp["differences"]


@pytest.mark.parametrize("program", ["hello", "opensnoop"])
def test_executable_embeds_its_object(build_dir, program):
    exe = inspect_executable(build_dir / program)
    obj = (build_dir / f"{program}.bpf.o").read_bytes()
    assert len(exe["embedded_bpf"]) == 1
    emb = exe["embedded_bpf"][0]
    assert (emb["size_bytes"], emb["endianness"], emb["section"]) == (len(obj), "little", ".rodata")
    data = (build_dir / program).read_bytes()
    assert data[emb["offset"]:emb["offset"] + emb["size_bytes"]] == obj
    assert 0 < exe["stripped_bytes"] < exe["size_bytes"]
    assert "libc.so.6" in exe["needed"] and exe["static"] is False
    json.dumps(exe)


def test_describe(opensnoop, build_dir):
    text = describe(opensnoop)
    for p in opensnoop["programs"]:
        assert p["name"] in text and f"{p['insns']} insns" in text
    assert "ringbuf" in text and "targ_uid" in text
    assert ".rodata" in describe(inspect_executable(build_dir / "opensnoop"))
    assert "same programs: True" in describe(compare_objects([opensnoop, opensnoop]))


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


CORRUPT = {
    "empty": lambda obj, tmp: b"",
    "truncated": lambda obj, tmp: obj[:100],
    "random": lambda obj, tmp: os.urandom(4096),
    "random after ELF magic": lambda obj, tmp: b"\x7fELF" + os.urandom(4092),
    "x86 executable": lambda obj, tmp: Path("/bin/true").read_bytes(),
    "truncated .BTF section": _btf_section_cut,
    ".BTF strings past the section": _btf_strings_overrun,
    "section table cut off": lambda obj, tmp: obj[:len(obj) - 200],
}


@pytest.mark.parametrize("case", CORRUPT)
def test_corrupt_input_raises_inspect_error(build_dir, tmp_path, case):
    obj = (build_dir / "opensnoop.bpf.o").read_bytes()
    path = _write(tmp_path, CORRUPT[case](obj, tmp_path))
    with pytest.raises(InspectError) as info:
        inspect_bpf_object(path)
    assert str(info.value)


def test_truncated_btf_reason(build_dir, tmp_path):
    obj = (build_dir / "opensnoop.bpf.o").read_bytes()
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
