"""The ELF inspector on the project's own objects and executables, as `nox -s tests` builds them:
the shared kernel side through c-libbpf, and go-ebpf's bpfel/bpfeb pair from bpf2go."""
import json

import pytest

from harness.elf import compare_objects, describe, inspect_bpf_object, inspect_executable

from .conftest import built


@pytest.fixture(scope="module")
def c_libbpf():
    """c-libbpf's executables and objects by file name: hello, hello.bpf.o, ..."""
    v = built("c-libbpf")
    paths = [v.dir / p for prog in v.programs.values() for p in (prog.executable, *prog.bpf_objects)]
    return {p.name: p for p in paths}


@pytest.fixture(scope="module")
def opensnoop(c_libbpf):
    return inspect_bpf_object(c_libbpf["opensnoop.bpf.o"])


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
    assert data[".rodata"]["variables"] == ["wakeup_bytes", "targ_tgid", "targ_uid", "targ_failed"]
    # drops is the contract's; the section may hold more (a type anchor for bpf2go).
    assert "drops" in data[".bss"]["variables"]
    assert opensnoop["license"] == "Dual BSD/GPL"
    assert opensnoop["endianness"] == "little"
    assert opensnoop["btf_bytes"] > 0 and opensnoop["btf_ext_bytes"] > 0
    # One func_info per program; the tracepoint contexts come from vmlinux.h
    # with preserve_access_index, so their field reads are CO-RE relocations.
    assert opensnoop["func_info"] == 4
    assert opensnoop["line_info"] > 0
    assert opensnoop["core_relocs"] > 0
    json.dumps(opensnoop)


def test_hello(c_libbpf):
    hello = inspect_bpf_object(c_libbpf["hello.bpf.o"])
    assert [(p["name"], p["section"], p["type"]) for p in hello["programs"]] == [
        ("hello_execve", "tracepoint/syscalls/sys_enter_execve", "tracepoint")]
    assert [(m["name"], m["type"]) for m in hello["maps"]] == [("events", "ringbuf")]


def test_compare_reports_differences(c_libbpf, opensnoop):
    cmp = compare_objects([opensnoop, inspect_bpf_object(c_libbpf["hello.bpf.o"])])
    assert not cmp["same_programs"] and not cmp["same_insns"]
    assert "program enter_open: absent from hello.bpf.o" in cmp["differences"]
    assert "map start: absent from hello.bpf.o" in cmp["differences"]


@pytest.mark.parametrize("program", ["hello", "opensnoop"])
def test_executable_embeds_its_object(c_libbpf, program):
    exe_path = c_libbpf[program]
    exe = inspect_executable(exe_path)
    obj = c_libbpf[f"{program}.bpf.o"].read_bytes()
    assert len(exe["embedded_bpf"]) == 1
    emb = exe["embedded_bpf"][0]
    assert (emb["size_bytes"], emb["endianness"], emb["section"]) == (len(obj), "little", ".rodata")
    data = exe_path.read_bytes()
    assert data[emb["offset"]:emb["offset"] + emb["size_bytes"]] == obj
    assert 0 < exe["stripped_bytes"] < exe["size_bytes"]
    assert "libc.so.6" in exe["needed"] and exe["static"] is False
    assert ".rodata" in describe(exe)
    json.dumps(exe)


def test_bpf2go_bpfeb_matches_bpfel():
    v = built("go-ebpf")
    objects = [v.dir / p for p in v.programs["opensnoop"].bpf_objects]
    pair = {e: [p for p in objects if f"_{e}" in p.name] for e in ("bpfel", "bpfeb")}
    assert all(len(paths) == 1 for paths in pair.values()), objects
    little, big = (inspect_bpf_object(pair[e][0]) for e in ("bpfel", "bpfeb"))
    assert (little["endianness"], big["endianness"]) == ("little", "big")
    cmp = compare_objects([little, big])
    assert cmp["same_programs"] and cmp["same_insns"]
    assert cmp["differences"] == []
    assert big["maps"] == little["maps"]
    assert big["core_relocs"] == little["core_relocs"]
