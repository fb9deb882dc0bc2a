"""Self-contained HTML pages (inline CSS, no scripts, no external assets) and the palette shared
by student feedback, the class report and its plots.

Text is escaped at the last moment: ``table`` escapes every plain ``str`` cell, and only ``Raw``
(HTML this module or its callers built from escaped parts) passes through unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rnnkit import safetext

# One colour per status, the same in badges and plots.
STATUS_COLOURS = {
    "passed": "#2e7d32", "failed": "#c62828", "error": "#d84315", "timeout": "#6a1b9a",
    "crashed": "#8e24aa", "forbidden": "#37474f", "missing": "#9e9e9e",
}
ACCENT = "#3558a8"  # exercises, histogram bars
ACCENT_LIGHT = "#9db2e0"  # tasks
INK = "#1f2933"

CSS = f"""
body {{ font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: {INK};
       background: #f5f6f8; margin: 0; }}
main {{ max-width: 980px; margin: 0 auto; padding: 24px 28px 48px; background: #fff;
       min-height: 100vh; box-sizing: border-box; }}
h1 {{ font-size: 1.6em; margin: 0.2em 0 0.1em; }}
h2 {{ font-size: 1.2em; margin: 1.8em 0 0.6em; padding-bottom: 4px; border-bottom: 1px solid #e3e6ea; }}
.crumb, .muted {{ color: #66717e; font-size: 0.9em; }}
.score {{ font-size: 1.25em; font-weight: 600; margin: 0.6em 0; }}
.bar {{ height: 8px; background: #e7eaf0; border-radius: 4px; overflow: hidden; max-width: 420px; }}
.bar > span {{ display: block; height: 100%; background: {ACCENT}; }}
.badge {{ display: inline-block; padding: 1px 9px; border-radius: 10px; color: #fff;
         font-size: 0.8em; font-weight: 600; letter-spacing: 0.02em; white-space: nowrap; }}
table {{ border-collapse: collapse; width: 100%; margin: 0.4em 0 1em; font-size: 0.93em; }}
th, td {{ text-align: left; padding: 6px 10px; border-bottom: 1px solid #eceff3; vertical-align: top; }}
th {{ background: #f0f2f6; font-weight: 600; }}
td.num, th.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
tr.total td {{ font-weight: 600; border-top: 2px solid #d5dae1; }}
.task {{ border: 1px solid #e3e6ea; border-radius: 8px; padding: 10px 14px; margin: 10px 0; }}
.task-head {{ display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }}
.task-head .name {{ flex: 1; font-weight: 600; }}
.message {{ margin: 8px 0 4px; white-space: pre-wrap; }}
pre {{ background: #f6f8fa; border: 1px solid #e3e6ea; border-radius: 6px; padding: 8px 10px;
      overflow-x: auto; font-size: 0.85em; max-height: 320px; }}
code, pre {{ font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }}
.warn {{ background: #fff4e5; border-left: 4px solid #ef6c00; padding: 8px 12px; margin: 10px 0; }}
img.plot {{ max-width: 100%; height: auto; display: block; margin: 8px 0 16px; }}
.cards {{ display: flex; gap: 12px; flex-wrap: wrap; }}
.card {{ border: 1px solid #e3e6ea; border-radius: 8px; padding: 8px 14px; min-width: 120px; }}
.card b {{ display: block; font-size: 1.3em; }}
"""


@dataclass(frozen=True)
class Raw:
    """HTML that is already safe (built from escaped parts); everything else gets escaped."""

    html: str


Cell = str | Raw


def esc(text: str) -> str:
    return safetext.html(text)  # submission text: no markup, no control characters, always encodable


def cell_html(cell: Cell) -> str:
    return cell.html if isinstance(cell, Raw) else esc(cell)


def el(tag: str, *content: Cell, cls: str = "") -> Raw:
    """``<tag class=cls>content</tag>``; plain strings in ``content`` are escaped."""
    attr = f' class="{esc(cls)}"' if cls else ""
    return Raw(f"<{tag}{attr}>{''.join(cell_html(c) for c in content)}</{tag}>")


def num(value: float) -> str:
    """Points as people write them: 3, 2.5, 0.33."""
    return f"{round(value, 2):g}"


def badge(status: str) -> Raw:
    colour = STATUS_COLOURS.get(status, "#607d8b")
    return Raw(f'<span class="badge" style="background:{colour}">{esc(status)}</span>')


def progress_bar(share: float) -> Raw:
    width = max(0.0, min(1.0, share)) * 100
    return Raw(f'<div class="bar"><span style="width:{width:.1f}%"></span></div>')


def duration(seconds: float) -> str:
    """A lateness people read at a glance: ``2 d 3 h``, ``45 min``."""
    minutes = int(seconds // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{mins} min" if mins and not days else ""]
    return " ".join(p for p in parts if p) or f"{max(0, int(seconds))} s"


def table(headers: Sequence[str], rows: Sequence[Sequence[Cell]], numeric: Sequence[int] = (),
          total_row: bool = False) -> Raw:
    """A table; columns listed in ``numeric`` are right-aligned; the last row may be a total."""
    def tds(row: Sequence[Cell], tag: str) -> str:
        return "".join(f'<{tag}{" class=num" if i in numeric else ""}>{cell_html(c)}</{tag}>'
                       for i, c in enumerate(row))
    body = []
    for i, row in enumerate(rows):
        is_total = total_row and i == len(rows) - 1
        body.append(f'<tr{" class=total" if is_total else ""}>{tds(row, "td")}</tr>')
    return Raw(f"<table><thead><tr>{tds(headers, 'th')}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def page(title: str, body: Sequence[Cell]) -> str:
    """A complete HTML document; ``title`` and plain-text parts of ``body`` are escaped."""
    parts = "\n".join(cell_html(part) for part in body)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n"
            f"<body><main>\n{parts}\n</main></body>\n</html>\n")
