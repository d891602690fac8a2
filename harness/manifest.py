"""variant.yaml -> typed Variant objects; every error names the file and the field."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .programs import BASE, PROGRAMS, REQUIRED, SPECS

ROLES = ("framework", "reference")
# Conformance features a reference variant may declare it cannot honour.
FEATURES = ("all", "open", "openat", "missing", "long-path", "summary", "-p", "-u", "-x", "-n", "exec", "cli",
            "sigterm")
# What a variant's source files are, for the source table (harness/source.py).
SOURCE_CATEGORIES = ("userspace", "kernel", "build", "generated")
SOURCE_GROUPS = ("shared", *BASE)  # a mode of a program has its program's files
REPO_PREFIX = "{repo}/"  # a source glob relative to the repository root instead of the variant folder


class ManifestError(Exception):
    """A variant.yaml that cannot be used; str() is one line naming file and field."""

    def __init__(self, path: Path, field_name: str, message: str):
        self.path = path
        self.field = field_name
        super().__init__(f"{path}: {field_name}: {message}")


@dataclass(frozen=True)
class Program:
    name: str
    executable: Path
    bpf_objects: tuple[Path, ...]
    test_run: str | None = None  # testrun programs: the framework API that runs it (for the tables)
    reader: str | None = None    # flood programs: the framework API that reads the ring (for the tables)
    wakeup: str | None = None    # batched modes: the calls its reader waits and takes with (for the tables)
    args: tuple[str, ...] = ()   # a mode of another program: the arguments that choose it


@dataclass(frozen=True)
class Variant:
    name: str
    dir: Path
    language: str
    framework: str
    framework_version: str
    role: str
    toolchains: tuple[str, ...]
    build_command: str
    clean_command: str
    programs: dict[str, Program]   # the programs it has, in PROGRAMS order
    libbpf: str | None = None
    lockfile: Path | None = None
    conformance_skip: tuple[str, ...] = ()
    emits_events: bool = True  # false for the floor: programs that do nothing
    reason: str | None = None
    unavailable: str | None = None  # known not to build or run here, and why: data, not a failure
    deviations: tuple[str, ...] = ()  # declared departures from docs/programs.md, shown in the tables
    runtime_headers: bool = False  # compiles its kernel side at run time against /lib/modules/$(uname -r)/build
    # {shared|hello|opensnoop: {category: (glob, ...)}}, or None when variant.yaml declares none
    source: dict[str, dict[str, tuple[str, ...]]] | None = None
    manifest: Path = field(default=Path())
    # optional programs it does not have, and why (declared `unavailable:` or simply not written)
    lacks: dict[str, str] = field(default_factory=dict)


def _require(data: dict, key: str, kind: type, path: Path, prefix: str = ""):
    name = f"{prefix}{key}"
    if key not in data or data[key] is None:
        raise ManifestError(path, name, "missing")
    value = data[key]
    if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, kind):
        raise ManifestError(path, name, f"expected {kind.__name__}, got {type(value).__name__}")
    if kind is str and not value.strip():
        raise ManifestError(path, name, "empty")
    return value


def _str_list(data: dict, key: str, path: Path, prefix: str = "", required: bool = True) -> tuple[str, ...]:
    if key not in data and not required:
        return ()
    value = _require(data, key, list, path, prefix)
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise ManifestError(path, f"{prefix}{key}[{i}]", "expected a non-empty string")
    return tuple(value)


def _relative(path: Path, field_name: str, value: str) -> Path:
    p = Path(value)
    if p.is_absolute() or ".." in p.parts:
        raise ManifestError(path, field_name, f"must be a path inside the variant folder: {value}")
    return p


def _source(path: Path, value, have: set[str]) -> dict[str, dict[str, tuple[str, ...]]] | None:
    """source: {shared, hello, opensnoop} x {userspace, kernel, build, generated}: lists of globs,
    relative to the variant folder or, with a leading {repo}/, to the repository root; never
    leaving the repository."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ManifestError(path, "source", f"expected a mapping, got {type(value).__name__}")
    unknown = sorted(set(value) - set(SOURCE_GROUPS), key=str)
    if unknown:
        raise ManifestError(path, "source", f"unknown key {unknown[0]!r}; expected {', '.join(SOURCE_GROUPS)}")
    out = {}
    for group in SOURCE_GROUPS:
        if group not in value and group != "shared" and group not in have:
            continue   # an optional program the variant does not have
        if group not in value and group != "shared":
            raise ManifestError(path, f"source.{group}", "missing ({} when the program has no files of its own)")
        cats = value.get(group) or {}
        if not isinstance(cats, dict):
            raise ManifestError(path, f"source.{group}", f"expected a mapping, got {type(cats).__name__}")
        bad = sorted(set(cats) - set(SOURCE_CATEGORIES), key=str)
        if bad:
            raise ManifestError(path, f"source.{group}",
                                f"unknown category {bad[0]!r}; expected {', '.join(SOURCE_CATEGORIES)}")
        out[group] = {}
        for cat in SOURCE_CATEGORIES:
            if cat not in cats:
                continue
            prefix = f"source.{group}."
            globs = _str_list(cats, cat, path, prefix)
            for i, g in enumerate(globs):
                rel = g[len(REPO_PREFIX):] if g.startswith(REPO_PREFIX) else g
                p = Path(rel)
                if "{" in rel or "}" in rel:
                    raise ManifestError(path, f"{prefix}{cat}[{i}]", f"{REPO_PREFIX} only as the leading part: {g}")
                if p.is_absolute() or ".." in p.parts or not rel.strip():
                    raise ManifestError(path, f"{prefix}{cat}[{i}]",
                                        f"must be a glob inside the repository, relative to the variant folder "
                                        f"or after {REPO_PREFIX}: {g}")
            out[group][cat] = globs
    return out


def load_variant(vdir: Path, known_toolchains: set[str] | None = None) -> Variant:
    """Load and validate vdir/variant.yaml."""
    path = vdir / "variant.yaml"
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as e:
        raise ManifestError(path, "(file)", e.strerror or str(e)) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(yaml)"
        raise ManifestError(path, where, f"invalid YAML: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(data, dict):
        raise ManifestError(path, "(top level)", "expected a mapping")

    name = _require(data, "name", str, path)
    if name != vdir.name:
        raise ManifestError(path, "name", f"{name!r} differs from the folder name {vdir.name!r}")
    fw = _require(data, "framework", dict, path)
    role = data.get("role", "framework")
    if role not in ROLES:
        raise ManifestError(path, "role", f"must be one of {', '.join(ROLES)}, got {role!r}")
    toolchains = _str_list(data, "toolchains", path)
    if known_toolchains is not None:
        for i, t in enumerate(toolchains):
            if t not in known_toolchains:
                raise ManifestError(path, f"toolchains[{i}]", f"unknown toolchain {t!r} (see toolchains.yaml)")
    build = _require(data, "build", dict, path)
    progs = _require(data, "programs", dict, path)
    unknown = set(progs) - set(PROGRAMS)
    if unknown:
        raise ManifestError(path, "programs", f"unknown program {sorted(unknown)[0]!r}; expected {', '.join(PROGRAMS)}")
    programs, lacks = {}, {}
    for pname in PROGRAMS:
        prefix = f"programs.{pname}."
        if pname not in REQUIRED and progs.get(pname) is None:
            lacks[pname] = "not written for this variant"
            continue
        p = _require(progs, pname, dict, path, "programs.")
        if pname not in REQUIRED and "unavailable" in p:
            why = p["unavailable"]
            if not isinstance(why, str) or not why.strip():
                raise ManifestError(path, prefix + "unavailable", "expected the reason, a non-empty string")
            lacks[pname] = " ".join(why.split())
            continue
        spec = SPECS[pname]
        if spec.of:
            # A mode of another program: its executable and objects, its own arguments.
            if spec.of not in programs:
                raise ManifestError(path, "programs." + pname, f"a mode of {spec.of}, which this variant does not have")
            extra = sorted(set(p) - {"wakeup"})
            if extra:
                raise ManifestError(path, prefix + extra[0], f"not a field of a mode of {spec.of}: only wakeup")
            api = _require(p, "wakeup", str, path, prefix)
            base = programs[spec.of]
            programs[pname] = Program(pname, base.executable, base.bpf_objects, wakeup=" ".join(api.split()),
                                      args=spec.args)
            continue
        exe = _relative(path, prefix + "executable", _require(p, "executable", str, path, prefix))
        objs = tuple(
            _relative(path, f"{prefix}bpf_objects[{i}]", o)
            for i, o in enumerate(_str_list(p, "bpf_objects", path, prefix))
        )
        apis = {}
        for key in ("test_run", "reader"):
            api = p.get(key)
            if api is not None and (not isinstance(api, str) or not api.strip()):
                raise ManifestError(path, prefix + key, "expected the API's name, a non-empty string")
            apis[key] = " ".join(api.split()) if api else None
        programs[pname] = Program(pname, exe, objs, **apis)
    skip = _str_list(data, "conformance_skip", path, required=False)
    for i, s in enumerate(skip):
        if s not in FEATURES:
            raise ManifestError(path, f"conformance_skip[{i}]", f"unknown feature {s!r}; one of {', '.join(FEATURES)}")
    if skip and role != "reference":
        raise ManifestError(path, "conformance_skip", "only a reference variant may skip conformance tests")
    lockfile = data.get("lockfile")
    libbpf = data.get("libbpf")
    emits = data.get("emits_events", True)
    if not isinstance(emits, bool):
        raise ManifestError(path, "emits_events", f"expected true or false, got {emits!r}")
    if not emits and role != "reference":
        raise ManifestError(path, "emits_events", "only a reference variant may emit no events")
    unavailable = data.get("unavailable")
    if unavailable is not None and (not isinstance(unavailable, str) or not unavailable.strip()):
        raise ManifestError(path, "unavailable", "expected the reason, a non-empty string")
    deviations = _str_list(data, "deviations", path, required=False)
    runtime_headers = data.get("runtime_headers", False)
    if not isinstance(runtime_headers, bool):
        raise ManifestError(path, "runtime_headers", f"expected true or false, got {runtime_headers!r}")
    return Variant(
        name=name,
        dir=vdir,
        language=_require(data, "language", str, path),
        framework=_require(fw, "name", str, path, "framework."),
        framework_version=_require(fw, "version", str, path, "framework."),
        role=role,
        toolchains=toolchains,
        build_command=_require(build, "command", str, path, "build."),
        clean_command=_require(build, "clean", str, path, "build."),
        programs=programs,
        libbpf=str(libbpf) if libbpf is not None else None,
        lockfile=_relative(path, "lockfile", str(lockfile)) if lockfile else None,
        conformance_skip=skip,
        emits_events=emits,
        reason=data.get("reason"),
        unavailable=" ".join(unavailable.split()) if unavailable else None,
        deviations=tuple(" ".join(d.split()) for d in deviations),
        runtime_headers=runtime_headers,
        source=_source(path, data.get("source"), set(programs)),
        manifest=path,
        lacks=lacks,
    )


def discover(variants_dir: Path, known_toolchains: set[str] | None = None) -> tuple[list[Variant], list[ManifestError]]:
    """Every folder with a variant.yaml; broken manifests are returned, not raised, so the others go on."""
    variants, errors = [], []
    for vdir in sorted(p for p in variants_dir.iterdir() if (p / "variant.yaml").is_file()):
        try:
            variants.append(load_variant(vdir, known_toolchains))
        except ManifestError as e:
            errors.append(e)
    return variants, errors
