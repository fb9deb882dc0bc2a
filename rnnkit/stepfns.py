"""Step functions that decoders call: small language models built from values, and a recorder.

A step function (``StepFn``) is the one callable every decoder of the kit drives::

    scores, new_state = step_fn(tokens, state)
        tokens     (B,) int64, the token fed at this step, one per row (row = sequence or beam)
        state      the model's state for those rows (what the previous call returned, or the
                   initial state the caller was given)
        scores     (B, V) float64 log-probabilities of the next token (every model here
                   returns log-probabilities: each row's logsumexp is 0)
        new_state  the state after reading ``tokens``, batched like ``state``

The models are deterministic functions of values the grader sends, so the grader can build the
same model in its own process and recompute everything it expects: nothing a model reports from
the sandbox child is trusted on its own.

    TableLM(table)            a transition table: scores = table[tokens] for a (V, V) table, or
                              table[state, tokens] for a (S, V, V) table whose state is a (B,)
                              int64 tensor of table ids (one conditional LM per row, like the
                              result of an encoder). The state is returned unchanged.
    HistoryLM(table)          scores depend on the whole history through the state, a (B,) int64
                              history code: code' = (code * (V + 1) + token + 1) % R and
                              scores = table[code'] for a (R, V) table. Rows fed different
                              histories get different scores, so a beam search that does not
                              reorder the state by beam index is caught.
    LSTMLM(emb, cell, head)   a one-layer LSTM LM: (h', c') = cell(emb(tokens), (h, c)) and
                              scores = log_softmax(head(h')); the state is the tuple (h, c),
                              each (B, H).
    Recorder(inner)           calls ``inner`` and records every call: the tokens (a copy) and the
                              number of rows. ``report()`` gives them back as plain values.

``build(spec)`` makes one of the models from a dict of values (``{"kind": "table", "table": T}``,
``{"kind": "history", "table": T}``, ``{"kind": "lstm", "emb": nn.Embedding, "cell":
nn.LSTMCell, "head": nn.Linear}``); ``rnnkit.probes.step_fn_call`` builds it in the child, wraps
it in a Recorder and calls the submission's decoder with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

StepFn = Callable[[torch.Tensor, Any], tuple[torch.Tensor, Any]]


def _tokens(tokens: Any, vocab: int) -> torch.Tensor:
    """The fed tokens as given, after checking that they are a (B,) int64 tensor in [0, vocab)."""
    if not isinstance(tokens, torch.Tensor) or tokens.dim() != 1 or tokens.dtype != torch.int64:
        got = (f"a tensor of shape {tuple(tokens.shape)} and dtype {tokens.dtype}"
               if isinstance(tokens, torch.Tensor) else f"a {type(tokens).__name__}")
        raise TypeError(f"step_fn expects tokens as a 1-D int64 tensor (B,), got {got}")
    if tokens.numel() and (int(tokens.min()) < 0 or int(tokens.max()) >= vocab):
        raise ValueError(f"step_fn got a token outside the vocabulary [0, {vocab})")
    return tokens


def _rows(value: Any, rows: int, what: str, dtype: torch.dtype | None = None) -> torch.Tensor:
    if not isinstance(value, torch.Tensor) or value.dim() < 1 or value.shape[0] != rows:
        got = f"shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else f"a {type(value).__name__}"
        raise ValueError(f"step_fn expects {what} with {rows} rows on dim 0 (one per token), got {got}")
    if dtype is not None and value.dtype != dtype:
        raise TypeError(f"step_fn expects {what} of dtype {dtype}, got {value.dtype}")
    return value


class TableLM:
    """Transition-table LM. ``table`` is (V, V) (row = previous token) or (S, V, V) (the state, a
    (B,) int64 tensor, picks the table of each row). Scores are copies of table rows."""

    def __init__(self, table: torch.Tensor) -> None:
        if table.dim() not in (2, 3) or table.shape[-1] != table.shape[-2]:
            raise ValueError("a TableLM table is (V, V) or (S, V, V)")
        self.table = table.detach().clone()
        self.vocab = int(table.shape[-1])

    def __call__(self, tokens: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        tokens = _tokens(tokens, self.vocab)
        if self.table.dim() == 2:
            return self.table[tokens].clone(), state
        ids = _rows(state, tokens.shape[0], "the state (table ids)", torch.int64)
        if ids.dim() != 1 or (ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.table.shape[0])):
            raise ValueError("step_fn expects the state to hold valid table ids, shape (B,)")
        return self.table[ids, tokens].clone(), state


class HistoryLM:
    """History-dependent LM with a (B,) int64 state: code' = (code * (V + 1) + token + 1) % R,
    scores = table[code'] for a (R, V) table; returns (scores, code')."""

    def __init__(self, table: torch.Tensor) -> None:
        if table.dim() != 2:
            raise ValueError("a HistoryLM table is (R, V)")
        self.table = table.detach().clone()
        self.vocab = int(table.shape[1])

    def next_code(self, code: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        return (code * (self.vocab + 1) + tokens + 1) % self.table.shape[0]

    def __call__(self, tokens: torch.Tensor, state: Any) -> tuple[torch.Tensor, torch.Tensor]:
        tokens = _tokens(tokens, self.vocab)
        code = _rows(state, tokens.shape[0], "the state (history codes)", torch.int64)
        if code.dim() != 1:
            raise ValueError("step_fn expects the state to be a (B,) tensor of history codes")
        new = self.next_code(code, tokens)
        return self.table[new].clone(), new


class LSTMLM:
    """One-layer LSTM LM: state (h, c), each (B, H); scores = log_softmax(head(h'))."""

    def __init__(self, emb: torch.nn.Embedding, cell: torch.nn.LSTMCell, head: torch.nn.Linear) -> None:
        self.emb, self.cell, self.head = emb, cell, head
        self.vocab = int(head.out_features)

    def __call__(self, tokens: torch.Tensor, state: Any) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        tokens = _tokens(tokens, min(self.vocab, int(self.emb.num_embeddings)))
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise TypeError("step_fn expects the state to be a tuple (h, c)")
        h = _rows(state[0], tokens.shape[0], "h")
        c = _rows(state[1], tokens.shape[0], "c")
        with torch.no_grad():
            h, c = self.cell(self.emb(tokens), (h, c))
            scores = torch.log_softmax(self.head(h), dim=-1)
        return scores, (h, c)


class Recorder:
    """Wraps a step function; records each call's tokens (a copy) and row count."""

    def __init__(self, inner: StepFn) -> None:
        self.inner = inner
        self.tokens: list[torch.Tensor] = []

    def __call__(self, tokens: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        copy = tokens.detach().clone(memory_format=torch.contiguous_format) if isinstance(tokens, torch.Tensor) else None
        self.tokens.append(copy if copy is not None else torch.empty(0))
        return self.inner(tokens, state)

    @property
    def calls(self) -> int:
        return len(self.tokens)

    def report(self) -> dict[str, Any]:
        """``{"calls": number of calls, "tokens": [tokens of call 1, call 2, ...]}``."""
        return {"calls": self.calls, "tokens": [t.clone() for t in self.tokens]}


MODELS: dict[str, Callable[..., StepFn]] = {"table": TableLM, "history": HistoryLM, "lstm": LSTMLM}


def build(spec: dict[str, Any]) -> StepFn:
    """The model a spec names: ``{"kind": name in MODELS, **its constructor's arguments}``."""
    if not isinstance(spec, dict) or spec.get("kind") not in MODELS:
        raise ValueError(f"a step-function spec is a dict with kind in {sorted(MODELS)}")
    return MODELS[str(spec["kind"])](**{k: v for k, v in spec.items() if k != "kind"})
