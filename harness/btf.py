"""A small reader of the .BTF and .BTF.ext sections of a BPF object.

pyelftools stops at the section bytes; this module decodes just enough of the
kernel's BTF format (include/uapi/linux/btf.h) for the inspector: the type
table with names, and the record counts of .BTF.ext.  Both sections carry
their own byte order, given by how the magic 0xEB9F reads.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

MAGIC = 0xEB9F

KIND_INT = 1
KIND_PTR = 2
KIND_ARRAY = 3
KIND_STRUCT = 4
KIND_UNION = 5
KIND_ENUM = 6
KIND_FWD = 7
KIND_TYPEDEF = 8
KIND_VOLATILE = 9
KIND_CONST = 10
KIND_RESTRICT = 11
KIND_FUNC = 12
KIND_FUNC_PROTO = 13
KIND_VAR = 14
KIND_DATASEC = 15
KIND_FLOAT = 16
KIND_DECL_TAG = 17
KIND_TYPE_TAG = 18
KIND_ENUM64 = 19

# Bytes that follow struct btf_type: a fixed part, plus a part per vlen item.
_TRAILER = {
    KIND_INT: (4, 0),
    KIND_ARRAY: (12, 0),
    KIND_STRUCT: (0, 12),
    KIND_UNION: (0, 12),
    KIND_ENUM: (0, 8),
    KIND_FUNC_PROTO: (0, 8),
    KIND_VAR: (4, 0),
    KIND_DATASEC: (0, 12),
    KIND_DECL_TAG: (4, 0),
    KIND_ENUM64: (0, 12),
}
_NO_TRAILER = {KIND_PTR, KIND_FWD, KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST,
               KIND_RESTRICT, KIND_FUNC, KIND_FLOAT, KIND_TYPE_TAG}
_MODIFIERS = {KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT, KIND_TYPE_TAG}
_SIZED = {KIND_INT, KIND_STRUCT, KIND_UNION, KIND_ENUM, KIND_FLOAT,
          KIND_ENUM64, KIND_DATASEC}
# A chain of typedefs/modifiers longer than this is a loop in corrupt input.
_MAX_DEPTH = 64


class BTFError(Exception):
    """Malformed .BTF or .BTF.ext data; str() is the reason."""


@dataclass
class Member:
    """A struct/union member, a DATASEC entry (name empty), or an enum value."""
    name: str
    type_id: int
    offset: int


@dataclass
class Type:
    kind: int
    name: str
    size_or_type: int
    members: list[Member] = field(default_factory=list)
    array: tuple[int, int] | None = None  # (element type id, element count)


@dataclass
class BTF:
    byte_order: str  # "little" or "big"
    types: list[Type | None]  # index = type id; id 0 is void

    def get(self, type_id: int) -> Type:
        if not 0 < type_id < len(self.types):
            raise BTFError(f"type id {type_id} out of range")
        return self.types[type_id]

    def skip_modifiers(self, type_id: int) -> Type:
        t = self.get(type_id)
        for _ in range(_MAX_DEPTH):
            if t.kind not in _MODIFIERS and t.kind != KIND_VAR:
                return t
            t = self.get(t.size_or_type)
        raise BTFError(f"type chain too deep from type id {type_id}")

    def size_of(self, type_id: int, depth: int = 0) -> int | None:
        """Size in bytes as the compiler laid it out; None for sizeless kinds."""
        if depth > _MAX_DEPTH:
            raise BTFError(f"type chain too deep from type id {type_id}")
        t = self.skip_modifiers(type_id)
        if t.kind in _SIZED:
            return t.size_or_type
        if t.kind == KIND_PTR:
            return 8  # BPF is a 64-bit target whatever its byte order
        if t.kind == KIND_ARRAY:
            elem = self.size_of(t.array[0], depth + 1)
            return None if elem is None else elem * t.array[1]
        return None

    def find_datasec(self, name: str) -> Type | None:
        return next((t for t in self.types[1:]
                     if t.kind == KIND_DATASEC and t.name == name), None)


def _header_order(data: bytes, what: str) -> str:
    if len(data) < 4:
        raise BTFError(f"{what} truncated: {len(data)} bytes, no header")
    if struct.unpack_from("<H", data)[0] == MAGIC:
        return "little"
    if struct.unpack_from(">H", data)[0] == MAGIC:
        return "big"
    raise BTFError(f"{what} has bad magic {data[:2].hex()}")


def _region(data: bytes, hdr_len: int, off: int, length: int, what: str) -> bytes:
    start, end = hdr_len + off, hdr_len + off + length
    if end > len(data):
        raise BTFError(f"{what} truncated: needs {end} bytes, section has {len(data)}")
    return data[start:end]


def _string(strings: bytes, off: int) -> str:
    if off > len(strings):
        raise BTFError(f"string offset {off} beyond string section ({len(strings)} bytes)")
    end = strings.find(b"\0", off)
    return strings[off:end if end >= 0 else len(strings)].decode("utf-8", "replace")


def parse_btf(data: bytes) -> BTF:
    """Decode a .BTF section: header, string table and every type."""
    order = _header_order(data, ".BTF")
    e = "<" if order == "little" else ">"
    if len(data) < 24:
        raise BTFError(f".BTF truncated: {len(data)} bytes, header needs 24")
    _, _, _, hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from(e + "HBBIIIII", data)
    if hdr_len < 24:
        raise BTFError(f".BTF header length {hdr_len} is shorter than 24")
    types_raw = _region(data, hdr_len, type_off, type_len, ".BTF type section")
    strings = _region(data, hdr_len, str_off, str_len, ".BTF string section")

    types: list[Type | None] = [None]
    pos = 0
    while pos < len(types_raw):
        if pos + 12 > len(types_raw):
            raise BTFError(f".BTF type {len(types)} truncated")
        name_off, info, size_or_type = struct.unpack_from(e + "III", types_raw, pos)
        pos += 12
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        if kind in _NO_TRAILER:
            fixed, per_item = 0, 0
        elif kind in _TRAILER:
            fixed, per_item = _TRAILER[kind]
        else:
            raise BTFError(f".BTF type {len(types)} has unknown kind {kind}")
        end = pos + fixed + per_item * vlen
        if end > len(types_raw):
            raise BTFError(f".BTF type {len(types)} truncated")
        t = Type(kind, _string(strings, name_off), size_or_type)
        if kind == KIND_ARRAY:
            elem, _, nelems = struct.unpack_from(e + "III", types_raw, pos)
            t.array = (elem, nelems)
        elif kind in (KIND_STRUCT, KIND_UNION):
            for i in range(vlen):
                m_name, m_type, m_off = struct.unpack_from(e + "III", types_raw, pos + 12 * i)
                t.members.append(Member(_string(strings, m_name), m_type, m_off))
        elif kind == KIND_DATASEC:
            for i in range(vlen):
                v_type, v_off, _ = struct.unpack_from(e + "III", types_raw, pos + 12 * i)
                t.members.append(Member("", v_type, v_off))
        pos = end
        types.append(t)
    return BTF(order, types)


@dataclass
class BTFExt:
    byte_order: str
    func_info: int
    line_info: int
    core_relocs: int


def _count_records(e: str, region: bytes, what: str) -> int:
    """Count the records of one .BTF.ext info block: a record size, then per
    ELF section {sec_name_off, num_info, num_info records}."""
    if not region:
        return 0
    if len(region) < 4:
        raise BTFError(f".BTF.ext {what} truncated")
    rec_size = struct.unpack_from(e + "I", region)[0]
    if rec_size == 0:
        raise BTFError(f".BTF.ext {what} has record size 0")
    total, pos = 0, 4
    while pos < len(region):
        if pos + 8 > len(region):
            raise BTFError(f".BTF.ext {what} truncated")
        _, num = struct.unpack_from(e + "II", region, pos)
        pos += 8 + num * rec_size
        if pos > len(region):
            raise BTFError(f".BTF.ext {what} truncated")
        total += num
    return total


def parse_btf_ext(data: bytes) -> BTFExt:
    """Count func_info, line_info and CO-RE relocation records in .BTF.ext."""
    order = _header_order(data, ".BTF.ext")
    e = "<" if order == "little" else ">"
    if len(data) < 24:
        raise BTFError(f".BTF.ext truncated: {len(data)} bytes, header needs 24")
    _, _, _, hdr_len, fi_off, fi_len, li_off, li_len = struct.unpack_from(e + "HBBIIIII", data)
    if hdr_len < 24:
        raise BTFError(f".BTF.ext header length {hdr_len} is shorter than 24")
    func_info = _count_records(e, _region(data, hdr_len, fi_off, fi_len, ".BTF.ext func_info"), "func_info")
    line_info = _count_records(e, _region(data, hdr_len, li_off, li_len, ".BTF.ext line_info"), "line_info")
    core_relocs = 0
    # The CO-RE block was appended to the header later: older headers are 24 bytes.
    if hdr_len >= 32:
        if len(data) < 32:
            raise BTFError(".BTF.ext header truncated")
        cr_off, cr_len = struct.unpack_from(e + "II", data, 24)
        core_relocs = _count_records(e, _region(data, hdr_len, cr_off, cr_len, ".BTF.ext core_relo"), "core_relo")
    return BTFExt(order, func_info, line_info, core_relocs)
