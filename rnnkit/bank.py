"""The question bank (``bank/questions.md``, verbatim from the interview question set).

Each entry is a ``### QN. question`` heading followed by its answer text up to the next ``---``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_HEADING = re.compile(r"^### Q(\d+)\. (.+)$")


@dataclass(frozen=True)
class BankEntry:
    number: int
    question: str
    answer: str


def parse_bank(text: str) -> dict[int, BankEntry]:
    """Map question number -> entry. The answer keeps its lines, stripped of blank edges."""
    entries: dict[int, BankEntry] = {}
    number: int | None = None
    question = ""
    lines: list[str] = []

    def flush() -> None:
        if number is not None:
            entries[number] = BankEntry(number, question, "\n".join(lines).strip())

    for line in text.splitlines():
        match = _HEADING.match(line)
        if match:
            flush()
            number, question, lines = int(match.group(1)), match.group(2).strip(), []
        elif line.strip() == "---":
            flush()
            number = None
        elif number is not None:
            lines.append(line.rstrip())
    flush()
    return entries


def load_bank(path: Path) -> dict[int, BankEntry]:
    return parse_bank(path.read_text(encoding="utf-8"))
