"""The hiring manager's report: one self-contained HTML file made from the report JSON.

Top to bottom: the score and the findings (what needs a human: forbidden APIs, similar code,
timeouts, intake flags), the score per exercise and task with what failed in plain words, the
evidence (flags with file and line), the closest pair side by side, the timing, and how to
reproduce the run. Every string that came from the submission goes through ``safetext.html``.
"""

from __future__ import annotations

from typing import Any

from rnnkit.safetext import html as h
from rnnkit.takehome.similarity import SIMILAR, without_docstrings

PLAIN = {"passed": "passed", "failed": "wrong result", "error": "the grader could not check the value",
         "timeout": "ran out of time", "crashed": "crashed", "forbidden": "used a forbidden API",
         "missing": "no file for it"}
CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#1d2530;padding:0 16px}
h1{margin:0 0 4px}h2{margin:28px 0 8px;border-bottom:1px solid #d5dbe3;padding-bottom:4px}
.score{font-size:40px;font-weight:700}.muted{color:#5f6b7a}
table{border-collapse:collapse;width:100%;margin:6px 0}td,th{border:1px solid #d5dbe3;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f2f5f8}
.passed{color:#146c2e}.bad{color:#b3261e;font-weight:600}.warn{color:#8a5a00;font-weight:600}
ul.findings li{margin:3px 0}.pair{display:grid;grid-template-columns:1fr 1fr;gap:12px}.pair>div{min-width:0}
pre{background:#f6f8fa;border:1px solid #d5dbe3;padding:8px;overflow:auto;font-size:12px;max-height:520px}
code{font-size:13px}
"""


def _pct(points: float, max_points: float) -> str:
    return f"{100 * points / max_points:.0f}%" if max_points else "-"


def _duration(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    minutes = int(abs(seconds)) // 60
    return f"{sign}{minutes // 60} h {minutes % 60:02d} min"


def findings(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(css class, text) lines: what a reviewer must look at, most serious first."""
    th = doc["takehome"]
    intake = th["intake"]
    out: list[tuple[str, str]] = []
    if intake["status"] != "accepted":
        out.append(("bad", f"Submission refused ({intake['problem']}): {intake['reason']}"))
    for ex_id, ex in doc["exercises"].items():
        grouped: dict[tuple[str, str], list[str]] = {}  # one line per exercise, status and message
        for task in ex["tasks"]:
            if task["status"] in ("forbidden", "timeout", "crashed"):
                grouped.setdefault((task["status"], task["message"]), []).append(str(task["task"]))
        for (status, message), tasks in grouped.items():
            what = "forbidden API" if status == "forbidden" else PLAIN[status]
            out.append(("bad" if status == "forbidden" else "warn",
                        f"{ex_id} task{'s' if len(tasks) > 1 else ''} {', '.join(tasks)}: {what}: {message}"))
    for ex_id, sim in th["similarity"].items():
        if (sim.get("reference") or 0) >= SIMILAR:
            out.append(("bad", f"{ex_id}: {sim['reference']:.0%} alike to the reference solution"))
        closest = sim.get("closest")
        if closest and closest["score"] >= SIMILAR:
            out.append(("bad", f"{ex_id}: {closest['score']:.0%} alike to candidate {closest['candidate']}"))
    out += [("warn", note) for note in th["manifest_notes"]]
    out += [("warn", f"{ex_id}: file not usable: {why}") for ex_id, why in intake["unreadable"].items()]
    out += [("warn", f"{ex_id}: no file in the submission") for ex_id in intake["missing"]]
    out += [("warn", flag) for flag in intake["flags"]]
    timing = th["timing"]
    if timing.get("before_kit"):
        out.append(("warn", f"{timing['before_kit']} commit(s) dated before the kit was created"))
    hours = th.get("hours")
    if timing.get("elapsed_s") is not None and hours and timing["elapsed_s"] > float(hours) * 3600:
        out.append(("warn", f"last commit {_duration(timing['elapsed_s'])} after the kit was created "
                            f"(budget {hours} h)"))
    return out


def _exercise_rows(doc: dict[str, Any]) -> str:
    rows = []
    origins = doc["takehome"]["intake"]["files"]
    for ex_id, ex in doc["exercises"].items():
        origin = origins.get(ex_id, {}).get("origin", "(no file)")
        rows.append(f"<tr><th colspan=4>{h(ex_id)} · {h(ex['title'])} · <span class=muted>{h(origin)}</span>"
                    f"</th><th>{ex['points']:g} / {ex['max_points']:g}</th></tr>")
        for task in ex["tasks"]:
            cls = "passed" if task["status"] == "passed" else "bad"
            rows.append(f"<tr><td>task {task['task']}</td><td>{h(task['name'])}</td><td class={cls}>"
                        f"{h(PLAIN.get(task['status'], task['status']))}</td><td>{h(task['message'])}</td>"
                        f"<td>{task['points']:g} / {task['max_points']:g}</td></tr>")
    return "<table><tr><th>task</th><th>what it checks</th><th>result</th><th>what happened</th>" \
           "<th>points</th></tr>" + "".join(rows) + "</table>"


def _evidence(doc: dict[str, Any]) -> str:
    origins = doc["takehome"]["intake"]["files"]
    rows = [f"<tr><td>{h(origins.get(ex_id, {}).get('origin', ex_id + '.py'))}</td><td>{h(flag)}</td></tr>"
            for ex_id, ex in doc["exercises"].items() for flag in ex["flags"]]
    if not rows:
        return "<p class=muted>No flagged code (imports, introspection, the library's ready-made networks).</p>"
    return "<table><tr><th>file</th><th>line and finding</th></tr>" + "".join(rows) + "</table>"


def _pair(ex_id: str, sim: dict[str, Any]) -> tuple[float, int, str, str, str] | None:
    """The closest pair of one exercise that can be shown; on a tie, another candidate's code
    (the reference's source is only kept when it is flagged)."""
    closest = sim.get("closest") or {}
    pairs = [(closest.get("score", 0.0), 1, ex_id, closest.get("candidate", ""), closest.get("source")),
             (sim.get("reference") or 0.0, 0, ex_id, "the reference solution", sim.get("reference_source"))]
    shown = [p for p in pairs if p[4]]
    return max(shown, key=lambda p: p[:2]) if shown else None  # type: ignore[return-value]


def _side_by_side(th: dict[str, Any], pair: tuple[float, int, str, str, str]) -> str:
    score, _, ex_id, other, theirs = pair
    return (f"<h3>Closest pair: {h(ex_id)}, {score:.0%} alike</h3><div class=pair>"
            f"<div><b>{h(th['candidate'])}</b><pre>{h(without_docstrings(th['sources'].get(ex_id, '')))}</pre></div>"
            f"<div><b>{h(other)}</b><pre>{h(without_docstrings(theirs))}</pre></div></div>")


def _similarity(doc: dict[str, Any]) -> str:
    th = doc["takehome"]
    rows, pairs = [], []
    for ex_id, sim in th["similarity"].items():
        closest = sim.get("closest") or {}
        ref = sim.get("reference")
        rows.append(f"<tr><td>{h(ex_id)}</td><td>{'-' if ref is None else f'{ref:.0%}'}</td>"
                    f"<td>{h(closest.get('candidate', '-'))}</td>"
                    f"<td>{'-' if not closest else format(closest['score'], '.0%')}</td></tr>")
        pair = _pair(ex_id, sim)
        if pair is not None:
            pairs.append(pair)
    table = ("<table><tr><th>exercise</th><th>alike to the reference</th><th>closest other candidate</th>"
             "<th>alike</th></tr>" + "".join(rows) + "</table>")
    note = (f"<p class=muted>Function bodies compared after dropping docstrings and comments and renaming "
            f"every identifier; {SIMILAR:.0%} or more is flagged. The closest pair of each flagged "
            "exercise (or the closest of all) is shown side by side.</p>")
    flagged = [p for p in pairs if p[0] >= SIMILAR] or sorted(pairs, key=lambda p: p[:2])[-1:]
    return table + note + "".join(_side_by_side(th, p) for p in flagged)


def _timing(doc: dict[str, Any]) -> str:
    timing = doc["takehome"]["timing"]
    lines = [f"kit created: {h(timing.get('created_at') or 'unknown')}"]
    if timing.get("commits"):
        lines.append(f"{timing['commits']} commit(s), first {h(timing['first_commit'])}, last {h(timing['last_commit'])}"
                     f" (span {_duration(timing['span_s'])})")
        if timing.get("elapsed_s") is not None:
            lines.append(f"<b>last commit {_duration(timing['elapsed_s'])} after the kit was created</b>")
    else:
        lines.append(h(timing.get("note", "")))
    return "<p>" + "<br>".join(lines) + "</p>"


def render_report(doc: dict[str, Any]) -> str:
    th = doc["takehome"]
    total = doc["total"]
    found = findings(doc)
    items = "".join(f"<li class={cls}>{h(text)}</li>" for cls, text in found) or "<li class=passed>nothing to review</li>"
    seed_cmd = f"rnnkit takehome grade {doc['submission']} --seed {doc['seed']} --report {th['candidate']}.html"
    return f"""<!doctype html><html lang=en><head><meta charset=utf-8>
<title>Take-home report: {h(th['candidate'])}</title><style>{CSS}</style></head><body>
<h1>Take-home report: {h(th['candidate'])}</h1>
<p class=muted>kit {h(th.get('kit_id') or 'unknown')} · rnnkit {h(th.get('kit_version') or '?')} ·
submitted as {h(th['intake']['kind'])} <code>{h(doc['submission'])}</code> · graded {h(th['graded_at'])}</p>
<p><span class=score>{total['points']:g} / {total['max_points']:g}</span>
&nbsp;<span class=muted>({_pct(total['points'], total['max_points'])})</span></p>
<h2>Findings</h2><ul class=findings>{items}</ul>
<h2>Score per exercise and task</h2>{_exercise_rows(doc)}
<h2>Evidence: flagged code</h2>{_evidence(doc)}
<h2>Similarity</h2>{_similarity(doc)}
<h2>Time</h2>{_timing(doc)}
<h2>Reproduce</h2><p>seed <b>{doc['seed']}</b>: <code>{h(seed_cmd)}</code><br>
isolation in force: {h(', '.join(doc['isolation']) or 'none (nothing ran)')}<br>
versions: {h(', '.join(f'{k} {v}' for k, v in doc['versions'].items()))}</p>
</body></html>
"""
