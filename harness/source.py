"""What each framework costs to write: lines of code (pygount) and cyclomatic complexity (lizard)
of the files each variant.yaml declares under `source`, per program and category.

Nothing is guessed: the manifest says which files are userspace, kernel side, build plumbing
or generated (variants/README.md). A program's figures include the variant's shared files. A
generated file that exists only after a build and is absent is "not built", not 0; a written
file that no glob finds is a manifest problem, reported in the table."""
from __future__ import annotations

import io
from importlib.metadata import version
from pathlib import Path

import lizard
import lizard_languages
import pygments.lexers
import pygments.util
from pygount import SourceAnalysis

from .env import REPO
from .manifest import PROGRAMS, REPO_PREFIX, SOURCE_CATEGORIES, ManifestError, Variant
from .results import machine

WRITTEN = ("userspace", "kernel", "build")

# Files whose name Pygments does not know (or misreads), declared rather than guessed:
# glob -> (the language shown, the Pygments lexer that tells their code from comments and blanks).
BY_NAME = {
    "*.bt": ("bpftrace", "c"),   # no Pygments lexer; bpftrace's comments are C's (// and /* */)
    "go.mod": ("go.mod", "go"),  # Pygments takes it for Modula-2; its comments are Go's //
}
# Beyond those, a file without a known suffix is read by its #! interpreter (a Python or sh script).


def tools() -> dict[str, str]:
    return {"pygount": version("pygount"), "lizard": version("lizard")}


def _lexer(path: Path, text: str):
    """(language, lexer) for a file Pygments cannot name by itself; (None, None) when it can."""
    for pattern, (language, alias) in BY_NAME.items():
        if path.match(pattern):
            return language, pygments.lexers.get_lexer_by_name(alias)
    if pygments.lexers.find_lexer_class_for_filename(path.name):
        return None, None
    if text.startswith("#!"):
        words = text.split("\n", 1)[0][2:].split()
        interpreter = Path(words[0]).name if words else ""
        if interpreter == "env" and len(words) > 1:
            interpreter = words[1]
        try:
            lexer = pygments.lexers.get_lexer_by_name(interpreter)
            return lexer.name, lexer
        except pygments.util.ClassNotFound:
            pass
    raise ValueError("no lexer: Pygments knows neither its name nor its #! interpreter (add it to "
                     "harness/source.py BY_NAME)")


def _lizard_reader(path: Path, language: str):
    """lizard's reader by the file's name, else by the language pygount found; None when lizard
    cannot read it (shell, bpftrace, Makefile, TOML)."""
    reader = lizard_languages.get_reader_for(path.name)
    if reader:
        return reader
    return next((r for r in lizard_languages.languages()
                 if language.lower() in (n.lower() for n in r.language_names)), None)


def count_file(path: Path) -> dict:
    """{language, code_lines, functions, complexity_sum, complexity_max} of one file, or with
    code_lines None and error when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return {"language": None, "code_lines": None, "functions": None, "complexity_sum": None,
                "complexity_max": None, "error": f"unreadable: {getattr(e, 'strerror', None) or e}"}
    try:
        language, lexer = _lexer(path, text)
    except ValueError as e:
        return {"language": None, "code_lines": None, "functions": None, "complexity_sum": None,
                "complexity_max": None, "error": str(e)}
    # pygount picks its lexer by file name: a declared lexer is passed as a name it maps to that
    # lexer. Its own detection of generated files is off: the manifest says what is generated.
    name = str(path) if lexer is None else f"{path}{lexer.filenames[0].lstrip('*')}"
    analysis = SourceAnalysis.from_file(name, "", file_handle=io.StringIO(text), generated_regexes=[])
    if lexer is not None and analysis.language != lexer.name:
        return {"language": language, "code_lines": None, "functions": None, "complexity_sum": None,
                "complexity_max": None, "error": f"pygount read it as {analysis.language}, not {lexer.name}"}
    language = language or analysis.language
    out = {"language": language, "code_lines": analysis.source_count, "functions": None,
           "complexity_sum": None, "complexity_max": None}
    reader = _lizard_reader(path, language)
    if reader is not None:
        info = lizard.analyze_file.analyze_source_code(f"{path.name}.{reader.ext[0]}", text)
        ccn = [f.cyclomatic_complexity for f in info.function_list]
        out.update(functions=len(ccn), complexity_sum=sum(ccn), complexity_max=max(ccn, default=None))
    return out


def resolve(variant_dir: Path, repo: Path, pattern: str, generated: bool = False) -> list[Path]:
    """The files a declared glob matches, inside the repository. Of a generated glob's matches
    with the same file name (Cargo keeps stale OUT_DIRs), the newest."""
    if pattern.startswith(REPO_PREFIX):
        base, rel = repo, pattern[len(REPO_PREFIX):]
    else:
        base, rel = variant_dir, pattern
    root = repo.resolve()
    found = sorted(p for p in base.glob(rel) if p.is_file() and p.resolve().is_relative_to(root))
    if generated:
        newest: dict[str, Path] = {}
        for p in found:
            if p.name not in newest or p.stat().st_mtime > newest[p.name].stat().st_mtime:
                newest[p.name] = p
        found = sorted(newest.values())
    return found


def _category(files: list[dict], missing: list[str], not_built: list[str]) -> dict:
    counted = [f for f in files if f["complexity_sum"] is not None]
    lines = [f["code_lines"] for f in files]
    return {
        "files": files,
        "code_lines": sum(lines) if not missing and not not_built and None not in lines else None,
        "complexity_sum": sum(f["complexity_sum"] for f in counted) if counted else None,
        "complexity_max": max((f["complexity_max"] for f in counted if f["complexity_max"] is not None),
                              default=None),
        "missing": missing,      # written-file globs that match nothing: a manifest problem
        "not_built": not_built,  # generated-file globs that match nothing: the build's output is absent
    }


def count_variant(v: Variant, repo: Path = REPO, cache: dict | None = None) -> dict:
    """{language, role, unavailable, declared, error, programs: {program: {category: {...}}}};
    a category the manifest does not declare for a program is absent."""
    entry = {"language": v.language, "role": v.role, "unavailable": v.unavailable,
             "declared": v.source is not None, "error": None, "programs": {}}
    if v.source is None:
        return entry
    cache = {} if cache is None else cache
    for prog in PROGRAMS:
        if prog not in v.programs and prog not in v.source:
            continue   # an optional program the variant does not have
        cats = {}
        for cat in SOURCE_CATEGORIES:
            groups = [(g, v.source[g][cat]) for g in ("shared", prog) if cat in v.source.get(g, {})]
            if not groups:
                continue
            files, missing, not_built, seen = [], [], [], set()
            for group, globs in groups:
                for pattern in globs:
                    paths = resolve(v.dir, repo, pattern, generated=cat == "generated")
                    if not paths:
                        (not_built if cat == "generated" else missing).append(pattern)
                    for p in paths:
                        if p in seen:
                            continue
                        seen.add(p)
                        if p not in cache:
                            cache[p] = count_file(p)
                        files.append({"path": str(p.relative_to(repo)), "shared": group == "shared", **cache[p]})
            cats[cat] = _category(files, missing, not_built)
        entry["programs"][prog] = cats
    return entry


def count_all(variants: list[Variant], errors: list[ManifestError] = (), repo: Path = REPO,
              stamp: dict | None = None) -> dict:
    """The results document's `source` block: the tools, when and at which commit (stamp:
    {date, commit}, by default now and HEAD), and every variant (a broken manifest is an entry
    with its error)."""
    if stamp is None:
        m = machine()
        stamp = {"date": m["date"], "commit": m["harness_commit"]}
    cache: dict = {}
    out = {"tools": tools(), **stamp, "variants": {}}
    for e in errors:
        out["variants"][e.path.parent.name] = {"language": None, "role": None, "unavailable": None,
                                               "declared": False, "error": f"manifest: {e}", "programs": {}}
    for v in variants:
        out["variants"][v.name] = count_variant(v, repo, cache)
    out["variants"] = dict(sorted(out["variants"].items()))
    return out
