"""``rnnkit takehome compare``: candidates ranked in one table, from their reports' JSON.

Ranked by total score (share of the maximum), then by fewer findings; each row says how many
findings need a human (forbidden APIs, similar code, timeouts) so that a high score with a
finding is never read as a clean one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from rnnkit.results import ResultsError, validate
from rnnkit.safetext import html as h
from rnnkit.safetext import printable
from rnnkit.takehome.new import TakehomeError
from rnnkit.takehome.report import CSS, findings


@dataclass(frozen=True)
class Row:
    candidate: str
    points: float
    max_points: float
    per_exercise: dict[str, str]
    serious: int  # findings marked bad
    other: int
    report: str

    @property
    def share(self) -> float:
        return self.points / self.max_points if self.max_points else 0.0


def load_rows(paths: list[Path]) -> list[Row]:
    rows = []
    for path in paths:
        try:
            doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            validate(doc)
            if not isinstance(doc.get("takehome"), dict):
                raise ResultsError("it has no takehome section (is it from rnnkit takehome grade?)")
        except (OSError, ValueError) as exc:
            raise TakehomeError(f"{path}: not a take-home report: {exc}") from exc
        found = findings(doc)
        rows.append(Row(str(doc["takehome"]["candidate"]), doc["total"]["points"], doc["total"]["max_points"],
                        {k: f"{v['points']:g}/{v['max_points']:g}" for k, v in doc["exercises"].items()},
                        sum(1 for cls, _ in found if cls == "bad"), sum(1 for cls, _ in found if cls != "bad"),
                        str(path.with_suffix(".html").name)))
    return sorted(rows, key=lambda r: (-r.share, r.serious, r.other, r.candidate))


def _columns(rows: list[Row]) -> list[str]:
    return sorted({k for r in rows for k in r.per_exercise})


def terminal_table(rows: list[Row]) -> Table:
    table = Table(title="take-home candidates, best first", title_justify="left")
    for column in ("#", "candidate", "score", *(c.split("_")[0] for c in _columns(rows)), "to review"):
        table.add_column(column)
    for rank, row in enumerate(rows, 1):
        review = f"{row.serious} serious, {row.other} other" if row.serious or row.other else "-"
        table.add_row(str(rank), printable(row.candidate), f"{row.points:g}/{row.max_points:g} ({row.share:.0%})",
                      *(row.per_exercise.get(c, "-") for c in _columns(rows)),
                      f"[red]{review}[/]" if row.serious else review)
    return table


def html_table(rows: list[Row]) -> str:
    columns = _columns(rows)
    head = "".join(f"<th>{h(c)}</th>" for c in ["#", "candidate", "score", *columns, "to review"])
    body = []
    for rank, row in enumerate(rows, 1):
        cells = [str(rank), f"<a href='{h(row.report)}'>{h(row.candidate)}</a>",
                 f"{row.points:g}/{row.max_points:g} ({row.share:.0%})",
                 *(h(row.per_exercise.get(c, "-")) for c in columns),
                 f"<span class={'bad' if row.serious else 'muted'}>{row.serious} serious, {row.other} other</span>"]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Take-home ranking</title>"
            f"<style>{CSS}</style></head><body><h1>Take-home candidates, best first</h1>"
            f"<table><tr>{head}</tr>{''.join(body)}</table></body></html>\n")
