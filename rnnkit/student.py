"""The student's commands: list, show, hint, check (rendered with rich)."""

from __future__ import annotations

import ast
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

from rnnkit.bank import load_bank
from rnnkit.grader import RunOptions, run_public
from rnnkit.kit import Exercise, Kit
from rnnkit.progress import Progress as StudentProgress
from rnnkit.render import public_table
from rnnkit.safetext import terminal

STATE_STYLE = {"solved": "green", "failing": "red", "edited": "yellow", "todo": "dim", "missing": "magenta"}


def bar(done: float, total: float, width: int = 30) -> str:
    filled = int(round(width * done / total)) if total else 0
    return "█" * filled + "░" * (width - filled)


def list_exercises(kit: Kit, console: Console) -> None:
    progress = StudentProgress.load(kit)
    console.print(Text(kit.describe(), style="dim"))
    if progress.warning:
        console.print(f"[yellow]warning:[/] {progress.warning}")
    solved = points = max_points = 0
    for module in kit.modules():
        table = Table(title=f"module {module}", title_justify="left", show_edge=False, pad_edge=False)
        table.add_column("id")
        table.add_column("title")
        table.add_column("diff", justify="center")
        table.add_column("status")
        table.add_column("public tests", justify="right")
        for exercise in (e for e in kit.exercises if e.module == module):
            st = progress.status(exercise)
            solved += st.state == "solved"
            points += len(st.tasks_passed)
            max_points += len(exercise.meta.tasks)
            table.add_row(exercise.meta.short_id, exercise.meta.title, "★" * exercise.meta.difficulty,
                          Text(st.state, style=STATE_STYLE[st.state]),
                          f"{len(st.tasks_passed)}/{len(exercise.meta.tasks)} tasks")
        console.print(table)
        console.print()
    total = len(kit.exercises)
    console.print(f"exercises {bar(solved, total)} {solved}/{total} solved")
    console.print(f"tasks     {bar(points, max_points)} {points}/{max_points} pass their public tests "
                  "(the hidden grader checks more and gives the points)")
    upcoming = next_unsolved(kit, progress)
    if upcoming is not None:
        console.print(f"next: [bold]rnnkit check {upcoming.meta.short_id}[/] ({upcoming.meta.title})")


def next_unsolved(kit: Kit, progress: StudentProgress | None = None) -> Exercise | None:
    progress = progress or StudentProgress.load(kit)
    return next((e for e in kit.exercises if progress.status(e).state != "solved"), None)


def _signatures(path: Path) -> list[tuple[str, str]]:
    """(signature, docstring) of each public function, class and method in the exercise file."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    out: list[tuple[str, str]] = []

    def header(node: ast.FunctionDef | ast.ClassDef) -> str:
        """The ``def``/``class`` lines, up to the first statement of the body (the docstring)."""
        return "\n".join(lines[node.lineno - 1:node.body[0].lineno - 1]).strip()

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            out.append((header(node), ast.get_docstring(node) or ""))
            if isinstance(node, ast.ClassDef):
                for sub in node.body:
                    if isinstance(sub, ast.FunctionDef) and (not sub.name.startswith("_") or sub.name == "__init__"):
                        out.append(("    " + header(sub), ast.get_docstring(sub) or ""))
    return out


def show(kit: Kit, exercise: Exercise, console: Console) -> None:
    """The question, the tasks and the spec. Docstrings are preformatted (equations in columns):
    they are printed as they are, never re-wrapped (a narrow terminal scrolls or wraps the line
    itself), and no text sits in a frame that would cut it."""
    meta = exercise.meta
    bank = load_bank(kit.bank_path).get(meta.bank.number) if kit.bank_path.is_file() else None
    question = bank.question if bank else meta.bank.question
    answer = bank.answer if bank else meta.bank.answer
    console.print(Text(kit.describe(), style="dim"))
    console.rule(style="dim")
    console.print(Text(f"{meta.id}: {meta.title}", style="bold"), soft_wrap=True)
    console.print(Text(f"module {exercise.module} · difficulty {'★' * meta.difficulty} · {meta.library}",
                       style="dim"), soft_wrap=True)
    console.print(Text(f"\nQ{meta.bank.number}. {question}", style="bold"), soft_wrap=True)
    console.print(Text(answer), soft_wrap=True)
    tasks = Table(show_edge=False, title="\nwhat the hidden grader checks", title_justify="left")
    tasks.add_column("task", justify="right")
    tasks.add_column("check", overflow="fold")
    tasks.add_column("points", justify="right")
    for task in meta.tasks:
        tasks.add_row(str(task.id), task.name, str(task.points))
    console.print(tasks)
    try:
        module_doc = ast.get_docstring(ast.parse(exercise.stub_path.read_text(encoding="utf-8"))) or ""
    except (OSError, SyntaxError):
        module_doc = ""
    if module_doc:
        console.rule("the spec", style="dim", align="left")
        console.print(Text(module_doc), soft_wrap=True)
    console.rule("the signatures", style="dim", align="left")
    for signature, doc in _signatures(exercise.stub_path) if exercise.stub_path.is_file() else []:
        console.print(Text(signature, style="bold cyan"), soft_wrap=True)
        if doc:
            console.print(Text("    " + doc.replace("\n", "\n    "), style="dim"), soft_wrap=True)
    rel = exercise.stub_path.relative_to(kit.root)
    extra = f" (needs {', '.join(meta.requires)} first)" if meta.requires else ""
    console.print(f"\nedit [bold]{rel}[/], then run [bold]rnnkit check {meta.short_id}[/]{extra}. "
                  f"Stuck? [bold]rnnkit hint {meta.short_id}[/]")


def hint(kit: Kit, exercise: Exercise, console: Console, reset: bool = False) -> None:
    progress = StudentProgress.load(kit)
    console.print(Text(kit.describe(), style="dim"))
    hints = exercise.meta.hints
    if reset:
        progress.hints.pop(exercise.id, None)
        progress.save()
        console.print(f"hints for {exercise.meta.short_id} hidden again")
        return
    shown = progress.next_hint(exercise)
    progress.save()
    for number, text in enumerate(hints[:shown], start=1):
        console.print(Panel(text, title=f"hint {number} of {len(hints)}", title_align="left"))
    if shown < len(hints):
        console.print(f"run [bold]rnnkit hint {exercise.meta.short_id}[/] again for the next hint")
    else:
        console.print("that was the last hint")


class _Bar:
    """A progress bar for test runs that take more than a moment."""

    def __init__(self, console: Console, label: str) -> None:
        self.bar = Progress(TextColumn(label), BarColumn(), TextColumn("{task.completed}/{task.total} tests"),
                            console=console, transient=True)
        self.task: TaskID | None = None

    def start(self, total: int) -> None:
        self.task = self.bar.add_task("", total=total)
        self.bar.start()

    def advance(self, nodeid: str, outcome: str) -> None:
        if self.task is not None:
            self.bar.advance(self.task)

    def stop(self) -> None:
        self.bar.stop()


PUBLIC_NOTE = ("These are the public tests: each task's few fixed checks, listed above. They earn no points; "
               "the hidden grader checks more (other inputs, more cases per task) and gives the points "
               "(`rnnkit show {short}` lists what it checks).")


def syntax_problem(path: Path, shown_as: str | None = None) -> str | None:
    """One sentence when the exercise file does not compile (None when it does)."""
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f"{shown_as or path.name}, line {exc.lineno}" if exc.lineno else (shown_as or path.name)
        return (f"{where}: {exc.msg}. Fix that line and save again: no test can run until the file "
                "compiles")
    except (OSError, ValueError) as exc:
        return f"{shown_as or path.name} cannot be read ({exc}); `rnnkit reset` puts the stub back"
    return None


def show_next(kit: Kit, console: Console) -> Exercise | None:
    """The next unsolved exercise: where it is, its question and what to run."""
    exercise = next_unsolved(kit)
    if exercise is None:
        console.print(Text(kit.describe(), style="dim"))
        console.print("[green]every exercise passes its public tests.[/] `rnnkit list` shows your progress.")
        return None
    show(kit, exercise, console)
    return exercise


def check(kit: Kit, exercise: Exercise | None, console: Console, sandbox: bool = True,
          timeout: float = 10.0, submission: Path | None = None) -> bool:
    """Run an exercise's public tests; returns True when every task passed.

    ``submission``: a folder laid out like exercises/ holding the code to check instead of the
    kit's file (a notebook's code); its result is not recorded as progress.

    Without the sandbox (a student with ``breakpoint()`` or a debugger) no progress bar runs: a
    live display would draw over the debugger's prompt."""
    progress = StudentProgress.load(kit)
    console.print(Text(kit.describe(), style="dim"))
    if exercise is None:
        exercise = next_unsolved(kit, progress)
        if exercise is None:
            console.print("[green]every exercise passes its public tests.[/] `rnnkit list` shows your progress.")
            return True
        console.print(f"checking the first unsolved exercise: [bold]{exercise.id}[/]")
    code = exercise.stub_path if submission is None else submission / exercise.module / exercise.id / exercise.stub_path.name
    problem = syntax_problem(code, str(exercise.stub_path.relative_to(kit.root)) if submission is None else None)
    if problem:
        console.print("[red]error:[/] ", terminal(problem), sep="")
        return False
    options = RunOptions(sandbox=sandbox, call_timeout_s=timeout, show_student_messages=True,
                         progress=_Bar(console, f"checking {exercise.meta.short_id}") if sandbox else None)
    results = run_public(kit, [exercise], options, submission=submission)
    result = results.exercises[exercise.id]
    if submission is None:
        progress.record_check(exercise, result)
        progress.save()
    console.print(public_table(result, title=f"{exercise.id} · public tests"
                               + ("" if sandbox else " · trusted local mode")))
    passed = all(t.status == "passed" for t in result.tasks)
    for task in result.tasks:
        if task.stdout.strip():
            console.print(Panel(terminal(task.stdout.rstrip()), title=f"task {task.task}: your code printed",
                                title_align="left"))
    short = exercise.meta.short_id
    if passed:
        console.print(f"[green]{short} passes its public tests.[/] `rnnkit list` shows what is next.")
    else:
        console.print(f"[red]Not yet.[/] Fix the first failing task; `rnnkit hint {short}` "
                      f"helps, `rnnkit check {short} --no-sandbox` lets you use a debugger.")
    console.print(Text(PUBLIC_NOTE.format(short=short), style="dim"))
    return passed
