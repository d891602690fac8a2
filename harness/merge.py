"""Several results.json, from several machines or kernels, as one set of tables: a column per
run, named by the machine and kernel it came from (each results.json records both)."""
from __future__ import annotations

from tabulate import tabulate

from .metrics import BY_KEY, HEADLINE, is_bound
from .programs import PROGRAMS
from .results import Results
from .tables import figure


def label(doc: dict) -> str:
    m = doc.get("machine") or {}
    return f"{m.get('hostname') or '?'} · {m.get('kernel') or '?'}"


def _labels(docs: list[dict]) -> list[str]:
    labels = [label(d) for d in docs]
    seen: dict[str, int] = {}
    out = []
    for lab, d in zip(labels, docs):
        if labels.count(lab) > 1:
            seen[lab] = seen.get(lab, 0) + 1
            lab = f"{lab} · {(d.get('machine') or {}).get('date') or f'run {seen[lab]}'}"
        out.append(lab)
    return out


def _cell(rt: dict | None, key: str, scale: float, digits: int) -> str:
    if not rt:
        return "-"
    if rt.get("status") != "ok":
        return f"{rt.get('status')}"
    summ = rt.get("summary") or {}
    st = summ.get(key)
    if not st:
        return "not measured"
    return figure(st, scale, digits, "range", bound=is_bound(BY_KEY[key], summ))


def merge(results: list[Results]) -> str:
    docs = [r.view() for r in results]
    labels = _labels(docs)
    names = sorted({v["name"] for d in docs for v in d["variants"]})
    out = ["# Results from several machines and kernels\n",
           "Each column is one `results.json`: its machine and kernel (and its date when two share them). "
           "Medians [q1–q3]; ⚠ marks an IQR wider than 10% of the median. Figures from different machines "
           "differ by the machine as much as by the framework: compare within a column first.\n"]
    rows = []
    for lab, d in zip(labels, docs):
        m, c = d.get("machine") or {}, d.get("config") or {}
        rows.append([lab, m.get("cpu") or "-", str(m.get("cores") or "-"), m.get("distro") or "-",
                     m.get("harness_commit") or "-", f"{c.get('runs')} runs" + (" (quick)" if c.get("quick") else "")])
    out.append(tabulate(rows, headers=["Run", "CPU", "Cores", "Distribution", "Harness commit", "Rounds"],
                        tablefmt="github", disable_numparse=True) + "\n")
    for metric in HEADLINE:
        for prog in PROGRAMS:
            if not metric.applies(prog) or not any(
                    prog in (v.get("runtime") or {}) for d in docs for v in d["variants"]):
                continue
            rows = []
            for name in names:
                row = [name]
                for d in docs:
                    v = next((x for x in d["variants"] if x["name"] == name), None)
                    rt = ((v or {}).get("runtime") or {}).get(prog)
                    row.append(_cell(rt, metric.key, metric.scale, metric.digits) if v else "-")
                rows.append(row)
            out.append(f"## {metric.header}: {prog}\n")
            out.append(tabulate(rows, headers=["Variant"] + labels, tablefmt="github", disable_numparse=True) + "\n")
    return "\n".join(out)
