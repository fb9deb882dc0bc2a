"""The class report's plots, as PNG ``data:`` URIs to embed in one self-contained HTML file.

Figures are made with ``matplotlib.figure.Figure`` (rendered by the Agg canvas), never pyplot:
no global state, no GUI backend, safe to call from any process.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from rnnkit.course.pages import ACCENT, ACCENT_LIGHT, INK, STATUS_COLOURS
from rnnkit.results import STATUSES

DPI = 110
LABEL_CHARS = 52


@dataclass(frozen=True)
class RateRow:
    label: str
    rate: float  # 0..1
    is_exercise: bool  # exercise rows are drawn dark and bold, their tasks light below them


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _style(ax: Axes, title: str, xlabel: str, ylabel: str = "") -> None:
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold", color=INK)
    ax.set_xlabel(xlabel, color=INK)
    ax.set_ylabel(ylabel, color=INK)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(colors=INK, labelsize=9)
    ax.set_axisbelow(True)


def _data_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})  # byte-stable output
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def score_histogram(percents: Sequence[float]) -> str:
    """Students per 10-point band of their final score (% of the maximum)."""
    fig = Figure(figsize=(7.6, 3.3), layout="constrained")
    ax = fig.add_subplot()
    ax.hist(list(percents), bins=list(range(0, 101, 10)), color=ACCENT, edgecolor="white", linewidth=1.5)
    if percents:
        ordered = sorted(percents)
        middle = len(ordered) // 2
        median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        mean = sum(ordered) / len(ordered)
        ax.axvline(mean, color=INK, linestyle="--", linewidth=1.2, label=f"mean {mean:.0f}%")
        ax.axvline(median, color=STATUS_COLOURS["passed"], linewidth=1.6, label=f"median {median:.0f}%")
        ax.legend(frameon=False, fontsize=9, loc="upper left")
    ax.set_xlim(0, 100)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", color="#e3e6ea")
    _style(ax, "Score distribution", "final score (% of the maximum, after late penalties)", "students")
    return _data_uri(fig)


def pass_rate_chart(rows: Sequence[RateRow]) -> str:
    """One bar per exercise (every task passed) followed by its tasks, in kit order, top down."""
    fig = Figure(figsize=(8.6, 1.2 + 0.27 * len(rows)), layout="constrained")
    ax = fig.add_subplot()
    ys = list(range(len(rows)))
    rates = [100 * r.rate for r in rows]
    ax.barh(ys, rates, height=0.72, color=[ACCENT if r.is_exercise else ACCENT_LIGHT for r in rows])
    ax.set_yticks(ys, [_short(r.label if r.is_exercise else f"   {r.label}") for r in rows])
    for tick, row in zip(ax.get_yticklabels(), rows, strict=True):
        tick.set_fontweight("bold" if row.is_exercise else "normal")
    for y, rate in zip(ys, rates, strict=True):
        ax.text(rate + 1, y, f"{rate:.0f}%", va="center", fontsize=8, color=INK)
    ax.set_xlim(0, 109)  # room for the labels at the bar ends
    ax.set_xticks(range(0, 101, 20))
    ax.set_ylim(len(rows) - 0.5, -0.5)  # first row at the top
    ax.grid(axis="x", color="#e3e6ea")
    fig.legend(handles=[Patch(color=ACCENT, label="exercise: every task passed"), Patch(color=ACCENT_LIGHT, label="task")],
               frameon=False, fontsize=8, loc="outside lower center", ncols=2)
    _style(ax, "Pass rate", "students who passed (%)")
    return _data_uri(fig)


def status_mix_chart(labels: Sequence[str], counts: Sequence[Mapping[str, int]]) -> str:
    """How each exercise's task results split into statuses (shares of all its task results)."""
    fig = Figure(figsize=(8.6, 1.4 + 0.32 * len(labels)), layout="constrained")
    ax = fig.add_subplot()
    ys = list(range(len(labels)))
    left = [0.0] * len(labels)
    for status in STATUSES:
        shares = [100 * c.get(status, 0) / max(1, sum(c.values())) for c in counts]
        if any(shares):
            ax.barh(ys, shares, left=left, height=0.7, color=STATUS_COLOURS[status], label=status)
            left = [a + b for a, b in zip(left, shares, strict=True)]
    ax.set_yticks(ys, [_short(label) for label in labels])
    ax.set_xlim(0, 100)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    fig.legend(frameon=False, fontsize=8, loc="outside lower center", ncols=len(STATUSES))
    _style(ax, "Task results by status", "share of task results (%)")
    return _data_uri(fig)
