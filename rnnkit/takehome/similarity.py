"""How alike two solutions of one exercise are, after the parts everyone shares are taken away.

The stub gives every candidate the same imports, signatures and docstrings, so only the bodies
of functions and methods count: docstrings and comments are dropped (the AST has none of the
latter), each body is unparsed, and every identifier is renamed by its order of first appearance
(``v0, v1, ...``; attribute names such as ``np.tanh`` are kept). Renaming variables or
reformatting does not change the result; the score is difflib's ratio of the two token lists.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import io
import keyword
import tokenize
from dataclasses import dataclass

SIMILAR = 0.9  # at or above this, the pair is flagged for a human to look at
_KEEP = set(dir(builtins))  # len, range, zip... stay as they are


def _bodies(source: str) -> list[str]:
    """The statements of every function body, docstrings removed, in source order."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return [source]
    parts: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                body = body[1:]
            parts.extend(ast.unparse(statement) for statement in body
                         if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))
    return parts or [source]


def tokens(source: str) -> list[str]:
    """The normalised token stream of ``source`` (see the module docstring)."""
    names: dict[str, str] = {}
    out: list[str] = []
    previous = ""
    for part in _bodies(source):
        try:
            stream = list(tokenize.generate_tokens(io.StringIO(part + "\n").readline))
        except (tokenize.TokenError, IndentationError, SyntaxError):
            out.extend(part.split())
            continue
        for tok in stream:
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER):
                continue
            text = tok.string
            if tok.type == tokenize.NAME and not keyword.iskeyword(text) and previous != "." and text not in _KEEP:
                text = names.setdefault(text, f"v{len(names)}")
            elif tok.type == tokenize.NUMBER:
                text = "0"
            if text:
                out.append(text)
            previous = tok.string
    return out


def without_docstrings(source: str) -> str:
    """The source as written (comments kept) minus its docstrings, which the stub gives everyone."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return source
    dropped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                dropped.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    lines = [line for number, line in enumerate(source.splitlines(), 1) if number not in dropped]
    return "\n".join(lines).strip("\n") + "\n"


def ratio(a: list[str], b: list[str]) -> float:
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


@dataclass(frozen=True)
class Match:
    exercise_id: str
    other: str  # "the reference solution" or the other candidate's name
    score: float
    mine: str  # the two sources, for the side-by-side view
    theirs: str

    @property
    def similar(self) -> bool:
        return self.score >= SIMILAR


def closest(exercise_id: str, mine: str, others: dict[str, str]) -> Match | None:
    """The most alike of ``others`` (label -> source) to ``mine``."""
    if not others:
        return None
    mine_tokens = tokens(mine)
    scored = sorted(((ratio(mine_tokens, tokens(src)), label) for label, src in others.items()), reverse=True)
    score, label = scored[0]
    return Match(exercise_id, label, round(score, 3), mine, others[label])
