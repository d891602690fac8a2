"""Two results documents side by side (pyperf's compare_to is the model): for every headline
figure of every variant and program, both medians, their ratio, and whether the difference is
larger than the spread."""
from __future__ import annotations

from tabulate import tabulate

from .metrics import AGREE_LIMIT, HEADLINE, agree, is_bound, ratio
from .results import Results
from .tables import figure


def rows(a: Results, b: Results) -> list[dict]:
    va, vb = a.view(), b.view()
    by_name = {v["name"]: v for v in vb["variants"]}
    out = []
    for v in va["variants"]:
        w = by_name.get(v["name"])
        for prog, run in sorted((v.get("runtime") or {}).items()):
            other = ((w or {}).get("runtime") or {}).get(prog)
            for m in HEADLINE:
                sa = run["summary"].get(m.key)
                sb = (other or {}).get("summary", {}).get(m.key) if other else None
                if not sa and not sb:
                    continue
                out.append({"variant": v["name"], "program": prog, "metric": m, "a": sa, "b": sb,
                            "bound": (is_bound(m, run["summary"]), bool(other) and is_bound(m, other["summary"])),
                            "ratio": ratio(sa, sb), "agree": agree(sa, sb)})
    return out


def _fmt(st: dict | None, m, bound: bool) -> str:
    return figure(st, m.scale, m.digits, "iqr", bound) if st else "not measured"


def compare(a: Results, b: Results, name_a: str = "A", name_b: str = "B") -> tuple[str, bool]:
    """The comparison as text, and whether every figure measured in both agrees."""
    table, all_agree = [], True
    for r in rows(a, b):
        m = r["metric"]
        if r["agree"] is None:
            verdict = "only in one"
        elif r["agree"]:
            verdict = "same" if r["ratio"] is not None and abs(r["ratio"] - 1) <= AGREE_LIMIT else "within spread"
        else:
            verdict = "DIFFERS"
            all_agree = False
        table.append([r["variant"], r["program"], m.header, _fmt(r["a"], m, r["bound"][0]), _fmt(r["b"], m, r["bound"][1]),
                      f"{r['ratio']:.2f}" if r["ratio"] is not None else "-", verdict])
    head = (f"A: {name_a} ({a.machine.get('hostname', '?')}, {a.machine.get('kernel', '?')}, {a.machine.get('date', '?')})\n"
            f"B: {name_b} ({b.machine.get('hostname', '?')}, {b.machine.get('kernel', '?')}, {b.machine.get('date', '?')})\n"
            f"same: medians within {AGREE_LIMIT:.0%}; within spread: further apart, but the IQRs overlap; "
            "DIFFERS: neither\n\n")
    text = head + tabulate(table, headers=["Variant", "Program", "Figure", "A median", "B median", "B/A", "Verdict"],
                           tablefmt="github", disable_numparse=True) + "\n"
    n_diff = sum(1 for row in table if row[-1] == "DIFFERS")
    text += f"\n{len(table)} figures compared, {n_diff} differ\n"
    return text, all_agree
