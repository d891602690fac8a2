"""Markdown tables whose cells hold a figure or a word: a long text (a reason, a version line)
becomes a numbered note under the table, shared by every cell that says the same, so that a
table fits a screen however long what it has to say."""
from __future__ import annotations

from tabulate import tabulate

NOTE_AT = 60   # characters: a longer cell becomes a note


def fmt(x: float | None, digits: int = 1) -> str:
    """A figure: thousands separated, no decimals from 100 up."""
    if x is None:
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def figure(st: dict, scale: float = 1.0, digits: int = 1, style: str = "full", bound: bool = False) -> str:
    """One summarised figure (metrics.summarize), as every table shows it: the median, then its
    spread, "full" as (IQR i; min–max), "range" as [q1–q3], "iqr" as (IQR i); ≥ before a lower
    bound, ⚠ after a spread wider than 10% of the median."""
    f = lambda x: fmt(x * scale, digits)  # noqa: E731
    if style == "full":
        spread = f" (IQR {f(st['iqr'])}; {f(st['min'])}–{f(st['max'])})"
    elif style == "range":
        spread = f" [{f(st['q1'])}–{f(st['q3'])}]"
    else:
        spread = f" (IQR {f(st['iqr'])})"
    return ("≥ " if bound else "") + f(st["median"]) + spread + (" ⚠" if st.get("unstable") else "")


def _head(text: str) -> str:
    """What stays in the cell: the words before the first colon ("cannot run here", "failed"),
    else the first three words."""
    head, colon, _ = text.partition(":")
    if colon and len(head) <= 40:
        return head
    return " ".join(text.split()[:3]) + "…"


def markdown(headers: list[str], rows: list[list], note_at: int = NOTE_AT) -> str:
    notes: dict[str, int] = {}
    cells = []
    for row in rows:
        out = []
        for c in row:
            text = "" if c is None else str(c)
            if len(text) > note_at:
                n = notes.setdefault(text, len(notes) + 1)
                text = f"{_head(text)} [{n}]"
            out.append(text)
        cells.append(out)
    table = tabulate(cells, headers=headers, tablefmt="github", disable_numparse=True) + "\n"
    if notes:
        table += "\n" + "".join(f"- [{n}] {text}\n" for text, n in notes.items())
    return table
