"""ELF inspection of BPF objects and of the userspace executables that load them.

Everything returned is a plain JSON-serialisable dict.  Any malformed input
(empty, truncated, not BPF, corrupt BTF) raises InspectError with a short
reason, never a parser's own exception.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import tempfile

from elftools.common.exceptions import ELFError
from elftools.construct.core import ConstructError
from elftools.elf.constants import SH_FLAGS
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from . import btf as btfmod

EM_BPF = 247
INSN_BYTES = 8

# Errors pyelftools and struct raise on malformed bytes; they become InspectError.
_PARSE_ERRORS = (ELFError, ConstructError, struct.error,
                 EOFError, IndexError, KeyError, ValueError, OverflowError)

# enum bpf_map_type, in kernel order (include/uapi/linux/bpf.h).
MAP_TYPES = (
    "unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash",
    "percpu_array", "stack_trace", "cgroup_array", "lru_hash", "lru_percpu_hash",
    "lpm_trie", "array_of_maps", "hash_of_maps", "devmap", "sockmap", "cpumap",
    "xskmap", "sockhash", "cgroup_storage", "reuseport_sockarray",
    "percpu_cgroup_storage", "queue", "stack", "sk_storage", "devmap_hash",
    "struct_ops", "ringbuf", "inode_storage", "task_storage", "bloom_filter",
    "user_ringbuf", "cgrp_storage", "arena",
)

# libbpf's SEC() names (section_defs[] in libbpf.c) → program type.  A name
# matches a key exactly or as "key/extras"; the longest key wins.
SECTION_TYPES = {
    "socket": "socket_filter",
    "sk_reuseport": "sk_reuseport", "sk_reuseport/migrate": "sk_reuseport",
    **dict.fromkeys(("kprobe", "kretprobe", "uprobe", "uretprobe", "uprobe.s",
                     "uretprobe.s", "kprobe.multi", "kretprobe.multi",
                     "kprobe.session", "uprobe.multi", "uretprobe.multi",
                     "uprobe.multi.s", "uretprobe.multi.s", "uprobe.session",
                     "uprobe.session.s", "ksyscall", "kretsyscall", "usdt",
                     "usdt.s"), "kprobe"),
    **dict.fromkeys(("tc", "classifier", "tc/ingress", "tc/egress", "tcx/ingress",
                     "tcx/egress", "netkit/primary", "netkit/peer"), "sched_cls"),
    "action": "sched_act",
    "tracepoint": "tracepoint", "tp": "tracepoint",
    "raw_tracepoint": "raw_tracepoint", "raw_tp": "raw_tracepoint",
    "raw_tracepoint.w": "raw_tracepoint_writable", "raw_tp.w": "raw_tracepoint_writable",
    **dict.fromkeys(("tp_btf", "fentry", "fmod_ret", "fexit", "fentry.s",
                     "fmod_ret.s", "fexit.s", "iter", "iter.s"), "tracing"),
    "freplace": "ext",
    "lsm": "lsm", "lsm.s": "lsm", "lsm_cgroup": "lsm",
    **dict.fromkeys(("xdp", "xdp.frags", "xdp/devmap", "xdp.frags/devmap",
                     "xdp/cpumap", "xdp.frags/cpumap"), "xdp"),
    "perf_event": "perf_event",
    "lwt_in": "lwt_in", "lwt_out": "lwt_out", "lwt_xmit": "lwt_xmit",
    "lwt_seg6local": "lwt_seg6local",
    "sockops": "sock_ops",
    "sk_skb": "sk_skb",
    "sk_msg": "sk_msg",
    "lirc_mode2": "lirc_mode2",
    "flow_dissector": "flow_dissector",
    "cgroup_skb": "cgroup_skb", "cgroup/skb": "cgroup_skb",
    **dict.fromkeys(("cgroup/sock_create", "cgroup/sock_release", "cgroup/sock",
                     "cgroup/post_bind4", "cgroup/post_bind6"), "cgroup_sock"),
    **dict.fromkeys(tuple(f"cgroup/{op}" for op in (
        "bind4", "bind6", "connect4", "connect6", "connect_unix", "sendmsg4",
        "sendmsg6", "sendmsg_unix", "recvmsg4", "recvmsg6", "recvmsg_unix",
        "getpeername4", "getpeername6", "getpeername_unix", "getsockname4",
        "getsockname6", "getsockname_unix")), "cgroup_sock_addr"),
    "cgroup/dev": "cgroup_device",
    "cgroup/sysctl": "cgroup_sysctl",
    "cgroup/getsockopt": "cgroup_sockopt", "cgroup/setsockopt": "cgroup_sockopt",
    "struct_ops": "struct_ops", "struct_ops.s": "struct_ops",
    "sk_lookup": "sk_lookup",
    "syscall": "syscall",
    "netfilter": "netfilter",
}

_GLOBAL_DATA_PREFIXES = (".rodata", ".data", ".bss")


class InspectError(Exception):
    """The input is not a readable BPF object or executable; str() is why."""


def program_type(section: str) -> str:
    """The program type libbpf derives from a SEC() name, "unknown" if none."""
    for key in sorted(SECTION_TYPES, key=len, reverse=True):
        if section == key or section.startswith(key + "/"):
            return SECTION_TYPES[key]
    return "unknown"


def _map_type_name(value: int) -> str:
    return MAP_TYPES[value] if 0 <= value < len(MAP_TYPES) else f"unknown({value})"


def _read_file(path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise InspectError(f"cannot read {path}: {exc.strerror}") from exc


def _section_data(section) -> bytes:
    data = section.data()
    if len(data) != section.data_size:
        raise InspectError(f"section {section.name} truncated: "
                           f"{len(data)} of {section.data_size} bytes in the file")
    return data


def _is_global_data(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in _GLOBAL_DATA_PREFIXES)


def _legacy_maps(section, symbols, order) -> list[dict]:
    """struct bpf_map_def {type, key_size, value_size, max_entries, ...}: libbpf's
    is five u32, iproute2's and Aya's seven, so each map's size comes from its
    symbol, or an equal share of the section as libbpf assumes."""
    data = _section_data(section)
    e = "<" if order == "little" else ">"
    syms = sorted((s for s in symbols if s.name and s["st_info"]["type"] != "STT_SECTION"),
                  key=lambda s: s["st_value"])
    maps = []
    for sym in syms:
        off = sym["st_value"]
        size = sym["st_size"] or len(data) // len(syms)
        if size < 16 or off + 16 > len(data):
            raise InspectError(f"map {sym.name} in section {section.name}: "
                               f"definition of {size} bytes is too short or out of bounds")
        mtype, key_size, value_size, max_entries = struct.unpack_from(e + "IIII", data, off)
        maps.append({"name": sym.name, "type": _map_type_name(mtype), "key_size": key_size,
                     "value_size": value_size, "max_entries": max_entries, "kind": "legacy"})
    return maps


_BTF_MAP_NUMBERS = ("type", "key_size", "value_size", "max_entries")


def _btf_map(btf: btfmod.BTF, var: btfmod.Type) -> dict:
    """`__uint(name, val)` is `int (*name)[val]`, `__type(name, T)` is `T *name`."""
    fields: dict = {}
    for member in btf.skip_modifiers(var.size_or_type).members:
        target = btf.skip_modifiers(member.type_id)
        if target.kind != btfmod.KIND_PTR:
            continue
        if member.name in _BTF_MAP_NUMBERS:
            arr = btf.skip_modifiers(target.size_or_type)
            if arr.kind != btfmod.KIND_ARRAY:
                raise InspectError(f"map {var.name}: {member.name} is not a pointer to an array")
            fields[member.name] = arr.array[1]
        elif member.name in ("key", "value"):
            fields[member.name + "_size"] = btf.size_of(target.size_or_type)
    m = {"name": var.name,
         "type": _map_type_name(fields["type"]) if "type" in fields else None}
    # An undeclared key or value is created with size 0 by libbpf (ringbuf must be).
    m.update((k, fields.get(k) or 0) for k in ("key_size", "value_size"))
    m["max_entries"] = fields.get("max_entries")
    m["kind"] = "btf"
    return m


def _btf_maps(btf: btfmod.BTF) -> list[dict] | None:
    """Maps from the DATASEC .maps in BTF; None when BTF has no such DATASEC."""
    datasec = btf.find_datasec(".maps")
    if datasec is None:
        return None
    maps = []
    for entry in datasec.members:
        var = btf.get(entry.type_id)
        if var.kind != btfmod.KIND_VAR:
            raise InspectError(f".maps entry type {entry.type_id} is not a variable")
        maps.append(_btf_map(btf, var))
    return maps


def _named_objects(symbols) -> list[str]:
    return [s.name for s in sorted(symbols, key=lambda s: s["st_value"])
            if s["st_info"]["type"] == "STT_OBJECT" and s.name and not s.name.startswith(".")]


def _inspect_elf(elf: ELFFile, path, size: int) -> dict:
    if elf["e_machine"] != "EM_BPF":
        raise InspectError(f"not a BPF object: e_machine is {elf['e_machine']}")
    # A relocatable object is its sections: without a readable table of them (and of their
    # names) nothing can be told, not even that it has no programs.
    if elf.num_sections() < 2:
        raise InspectError(f"no section table: e_shnum is {elf['e_shnum']}")
    if not any(sec["sh_type"] != "SHT_NULL" for i, sec in enumerate(elf.iter_sections()) if i):
        raise InspectError(f"unreadable section table: all {elf.num_sections()} section headers are empty")
    shstrndx = elf["e_shstrndx"]
    if not 0 < shstrndx < elf.num_sections() or elf.get_section(shstrndx)["sh_type"] != "SHT_STRTAB":
        raise InspectError(f"no section name table: e_shstrndx {shstrndx} is not a string table")
    order = "little" if elf.little_endian else "big"
    by_index: dict[int, list] = {}
    for symtab in elf.iter_sections():
        if isinstance(symtab, SymbolTableSection) and symtab.name == ".symtab":
            for sym in symtab.iter_symbols():
                if isinstance(sym["st_shndx"], int):
                    by_index.setdefault(sym["st_shndx"], []).append(sym)

    out = {"path": str(path), "size_bytes": size, "endianness": order, "programs": [],
           "text_insns": 0, "maps": [], "global_data": [], "license": None,
           "btf_bytes": 0, "btf_ext_bytes": 0, "core_relocs": 0, "func_info": 0, "line_info": 0}
    btf = None
    btf_map_syms: list = []
    for index, sec in enumerate(elf.iter_sections()):
        name = sec.name
        syms = by_index.get(index, [])
        if sec["sh_flags"] & SH_FLAGS.SHF_EXECINSTR and sec["sh_size"]:
            if name == ".text":
                out["text_insns"] = sec["sh_size"] // INSN_BYTES
                continue
            funcs = sorted((s for s in syms if s["st_info"]["type"] == "STT_FUNC"
                            and s["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK")),
                           key=lambda s: s["st_value"])
            ends = [s["st_value"] for s in funcs[1:]] + [sec["sh_size"]]
            for sym, end in zip(funcs, ends):
                # Without a symbol size, a program runs to the next one.
                size_bytes = sym["st_size"] or end - sym["st_value"]
                out["programs"].append({"name": sym.name, "section": name,
                                        "type": program_type(name),
                                        "insns": size_bytes // INSN_BYTES})
        elif name == "license":
            out["license"] = _section_data(sec).split(b"\0", 1)[0].decode("utf-8", "replace")
        elif name == ".BTF":
            out["btf_bytes"] = sec["sh_size"]
            btf = btfmod.parse_btf(_section_data(sec))
        elif name == ".BTF.ext":
            out["btf_ext_bytes"] = sec["sh_size"]
            ext = btfmod.parse_btf_ext(_section_data(sec))
            out.update(core_relocs=ext.core_relocs, func_info=ext.func_info,
                       line_info=ext.line_info)
        elif name == ".maps":
            btf_map_syms = _named_objects(syms)
        elif name == "maps" or name.startswith("maps/"):
            out["maps"].extend(_legacy_maps(sec, syms, order))
        elif _is_global_data(name) and sec["sh_type"] in ("SHT_PROGBITS", "SHT_NOBITS"):
            out["global_data"].append({"section": name, "size_bytes": sec["sh_size"],
                                       "variables": _named_objects(syms)})

    btf_maps = _btf_maps(btf) if btf is not None else None
    if btf_maps is None:
        btf_maps = [{"name": n, "type": None, "max_entries": None, "kind": "btf"}
                    for n in btf_map_syms]
    out["maps"][:0] = btf_maps
    if btf is not None:
        # Compilers do not always emit a symbol for a global; its BTF var is still there.
        for gd in out["global_data"]:
            datasec = btf.find_datasec(gd["section"])
            for entry in datasec.members if datasec else ():
                var_name = btf.get(entry.type_id).name
                if var_name not in gd["variables"]:
                    gd["variables"].append(var_name)
    return out


def inspect_bpf_object(path) -> dict:
    """Programs, maps, global data, license and BTF figures of one BPF object file."""
    data = _read_file(path)
    if not data:
        raise InspectError("empty file")
    if data[:4] != b"\x7fELF":
        raise InspectError("not an ELF file")
    if len(data) < 64:
        raise InspectError(f"truncated: {len(data)} bytes, shorter than an ELF header")
    header = _elf64_header(data)
    if header and header[1] == EM_BPF and header[2] > len(data):
        raise InspectError(f"truncated: section headers end at byte {header[2]}, "
                           f"the file has {len(data)}")
    try:
        return _inspect_elf(ELFFile(io.BytesIO(data)), path, len(data))
    except btfmod.BTFError as exc:
        raise InspectError(f"corrupt BTF: {exc}") from exc
    except _PARSE_ERRORS as exc:
        raise InspectError(f"malformed ELF: {exc or type(exc).__name__}") from exc


def _labels(objects: list[dict]) -> list[str]:
    """Base names, unless two objects share one (opensnoop.bpf.o of two variants)."""
    paths = [str(o.get("path", f"object {i}")) for i, o in enumerate(objects)]
    names = [os.path.basename(p) for p in paths]
    return names if len(set(names)) == len(names) else paths


def _diff(what: str, values: list, labels: list[str], out: list[str]) -> None:
    if any(v != values[0] for v in values[1:]):
        out.append(f"{what}: " + " vs ".join(f"{v} ({l})" for v, l in zip(values, labels)))


def _absent(kind: str, name: str, tables: list[dict], labels: list[str], out: list[str]) -> bool:
    missing = [l for t, l in zip(tables, labels) if name not in t]
    if missing:
        out.append(f"{kind} {name}: absent from {', '.join(missing)}")
    return bool(missing)


def compare_objects(objects: list[dict]) -> dict:
    """Compare inspected BPF objects (a bpfel/bpfeb pair, or one program built by
    two toolchains): programs by name, their instruction counts, maps, data, BTF."""
    if not objects:
        raise ValueError("compare_objects needs at least one inspected object")
    labels = _labels(objects)
    differences: list[str] = []
    progs = [{p["name"]: p for p in o["programs"]} for o in objects]
    insns = {n: [ps[n]["insns"] if n in ps else None for ps in progs]
             for n in dict.fromkeys(n for ps in progs for n in ps)}
    for n in insns:
        if _absent("program", n, progs, labels, differences):
            continue
        _diff(f"program {n} section", [ps[n]["section"] for ps in progs], labels, differences)
        _diff(f"program {n} insns", insns[n], labels, differences)
    same_programs = all({n: p["section"] for n, p in ps.items()} ==
                        {n: p["section"] for n, p in progs[0].items()} for ps in progs)
    same_insns = same_programs and all(len(set(v)) == 1 for v in insns.values())

    maps = [{m["name"]: m for m in o["maps"]} for o in objects]
    for n in dict.fromkeys(n for ms in maps for n in ms):
        if _absent("map", n, maps, labels, differences):
            continue
        for key in ("type", "kind", "key_size", "value_size", "max_entries"):
            _diff(f"map {n} {key}", [ms[n].get(key) for ms in maps], labels, differences)
    data = [{g["section"]: g["size_bytes"] for g in o["global_data"]} for o in objects]
    for sec in dict.fromkeys(s for ds in data for s in ds):
        _diff(f"global data {sec} bytes", [ds.get(sec, "absent") for ds in data], labels, differences)
    for key in ("license", "text_insns", "btf_bytes", "btf_ext_bytes", "core_relocs",
                "func_info", "line_info"):
        _diff(key, [o.get(key) for o in objects], labels, differences)
    return {
        "objects": [o.get("path") for o in objects],
        "same_programs": same_programs,
        "same_insns": same_insns,
        "endianness": [o["endianness"] for o in objects],
        "insns": insns,
        "differences": differences,
    }


def _elf64_header(data: bytes, pos: int = 0) -> tuple[str, int, int] | None:
    """(byte order, e_machine, end of the section header table) of a plausible
    ELF64 header at pos, else None.  BPF is always ELF64, and clang and
    bpf-linker put the section header table last, so its end is the size."""
    ident = data[pos:pos + 64]
    if len(ident) < 64 or ident[:4] != b"\x7fELF" or ident[4] != 2 or ident[5] not in (1, 2) \
            or ident[6] != 1:
        return None
    e = "<" if ident[5] == 1 else ">"
    machine = struct.unpack_from(e + "H", ident, 18)[0]
    shoff = struct.unpack_from(e + "Q", ident, 0x28)[0]
    ehsize, _, _, shentsize, shnum = struct.unpack_from(e + "HHHHH", ident, 0x34)
    if ehsize != 64 or shentsize != 64:
        return None
    return ("little" if e == "<" else "big"), machine, shoff + shnum * shentsize


def _find_embedded(data: bytes) -> list[dict]:
    """Every EM_BPF ELF image inside data, sized from its own header."""
    found = []
    pos = data.find(b"\x7fELF")
    while pos >= 0:
        header = _elf64_header(data, pos)
        step = 1
        if header and header[1] == EM_BPF and 64 <= header[2] <= len(data) - pos:
            found.append({"offset": pos, "size_bytes": header[2], "endianness": header[0]})
            step = header[2]
        pos = data.find(b"\x7fELF", pos + step)
    return found


def _stripped_size(path) -> tuple[int | None, str | None]:
    tool = shutil.which("strip") or shutil.which("llvm-strip-22") or shutil.which("llvm-strip")
    if tool is None:
        return None, "no strip or llvm-strip on PATH"
    with tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, "stripped")
        proc = subprocess.run([tool, "-o", target, str(path)], capture_output=True, text=True)
        if proc.returncode != 0:
            return None, f"{os.path.basename(tool)} failed: {proc.stderr.strip() or proc.returncode}"
        return os.path.getsize(target), None


def inspect_executable(path) -> dict:
    """Size as built and stripped, shared libraries, and the BPF objects embedded in it."""
    data = _read_file(path)
    if data[:4] != b"\x7fELF":
        raise InspectError("not an ELF file" if data else "empty file")
    try:
        elf = ELFFile(io.BytesIO(data))
        needed, interp, sections = [], False, []
        for seg in elf.iter_segments():
            interp = interp or seg["p_type"] == "PT_INTERP"
        for sec in elf.iter_sections():
            if isinstance(sec, DynamicSection):
                needed.extend(t.needed for t in sec.iter_tags() if t.entry.d_tag == "DT_NEEDED")
            if sec["sh_type"] != "SHT_NOBITS" and sec["sh_size"]:
                sections.append((sec["sh_offset"], sec["sh_offset"] + sec["sh_size"], sec.name))
    except _PARSE_ERRORS as exc:
        raise InspectError(f"malformed ELF: {exc or type(exc).__name__}") from exc
    embedded = _find_embedded(data)
    for obj in embedded:
        obj["section"] = next((name for start, end, name in sections
                               if start <= obj["offset"] < end), None)
    stripped, strip_error = _stripped_size(path)
    out = {"path": str(path), "size_bytes": len(data), "stripped_bytes": stripped,
           "needed": needed, "static": not interp and not needed,
           "embedded_bpf": [{k: o[k] for k in ("offset", "size_bytes", "section", "endianness")}
                            for o in embedded]}
    if strip_error:
        out["strip_error"] = strip_error
    return out


def _describe_object(o: dict) -> list[str]:
    lines = [f"{o['path']}: BPF object, {o['endianness']}-endian, {o['size_bytes']} bytes, "
             f"license {o['license']!r}",
             f"programs ({len(o['programs'])}):"]
    width = max((len(p["name"]) for p in o["programs"]), default=0)
    lines += [f"  {p['name']:<{width}}  {p['insns']:>5} insns  {p['type']:<14} {p['section']}"
              for p in o["programs"]]
    if o["text_insns"]:
        lines.append(f"  (.text subprograms: {o['text_insns']} insns)")
    lines.append(f"maps ({len(o['maps'])}):")
    for m in o["maps"]:
        sizes = "".join(f", {k.split('_')[0]} {m[k]} B" for k in ("key_size", "value_size") if m.get(k))
        lines.append(f"  {m['name']}: {m['type']}, {m['max_entries']} entries{sizes} ({m['kind']})")
    lines.append("global data:" if o["global_data"] else "global data: none")
    lines += [f"  {g['section']} ({g['size_bytes']} B): {', '.join(g['variables']) or '-'}"
              for g in o["global_data"]]
    lines.append(f"BTF {o['btf_bytes']} B, BTF.ext {o['btf_ext_bytes']} B: {o['core_relocs']} CO-RE "
                 f"relocations, {o['func_info']} func_info, {o['line_info']} line_info")
    return lines


def _describe_executable(x: dict) -> list[str]:
    stripped = (f"{x['stripped_bytes']} stripped" if x["stripped_bytes"] is not None
                else f"stripped size unknown: {x.get('strip_error')}")
    lines = [f"{x['path']}: executable, {x['size_bytes']} bytes ({stripped})",
             "static" if x["static"] else f"shared libraries: {', '.join(x['needed']) or 'none'}",
             f"embedded BPF objects ({len(x['embedded_bpf'])}):"]
    lines += [f"  {e['size_bytes']} bytes at offset {e['offset']:#x} in {e['section']}, "
              f"{e['endianness']}-endian" for e in x["embedded_bpf"]]
    return lines


def _describe_comparison(c: dict) -> list[str]:
    lines = [" vs ".join(map(str, c["objects"])),
             f"same programs: {c['same_programs']}, same instruction counts: {c['same_insns']}, "
             f"endianness: {', '.join(c['endianness'])}"]
    lines += [f"  {d}" for d in c["differences"]] or ["  no other differences"]
    return lines


def describe(obj: dict) -> str:
    """Human-readable text for the dict of inspect_bpf_object, inspect_executable
    or compare_objects."""
    if "embedded_bpf" in obj:
        lines = _describe_executable(obj)
    elif "same_programs" in obj:
        lines = _describe_comparison(obj)
    else:
        lines = _describe_object(obj)
    return "\n".join(lines)
