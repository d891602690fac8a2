"""Markdown tables whose cells hold a figure or a word: a long text (a reason, a version line)
becomes a numbered note under the table, shared by every cell that says the same, so that a
table fits a screen however long what it has to say."""
from __future__ import annotations

from tabulate import tabulate

NOTE_AT = 60   # characters: a longer cell becomes a note


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
