"""Fixed probe functions that run in the sandbox child, next to the submission.

Checks that need autograd or counting inside the child run here. A probe returns plain numbers
and tensors; the grader compares them with the same probe run on the reference, so a probe's
answer is never trusted on its own (a forged gradient is only accepted if it is the right one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch

from rnnkit import stepfns
from rnnkit.callables import callable_call


def _flatten_tensors(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _flatten_tensors(v)]
    if isinstance(value, dict):
        return [t for k in sorted(value) for t in _flatten_tensors(value[k])]
    return []


def output_grads(target: Callable[..., Any], args: list[Any], upstream: list[torch.Tensor],
                 kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run ``target(*args)`` with autograd and backpropagate ``sum_k <out_k, upstream_k>``.

    ``target`` is a function or an ``nn.Module`` of the submission. Floating tensor arguments
    (also inside tuples, such as an ``(h, c)`` state) get ``requires_grad``. Returns::

        {"outputs": [out_k ...],              # the flattened tensor outputs, detached
         "inputs": [grad or None per tensor argument, in flattened order],
         "params": {name: grad or None}}      # for nn.Module targets
    """
    leaves = [a for a in _flatten_tensors(args) if a.is_floating_point()]
    for leaf in leaves:
        leaf.requires_grad_(True)
    params = dict(target.named_parameters()) if isinstance(target, torch.nn.Module) else {}
    outputs = _flatten_tensors(target(*args, **(kwargs or {})))
    if len(outputs) != len(upstream):
        raise ValueError(f"expected {len(upstream)} tensor outputs, got {len(outputs)}")
    total = sum((o * u.to(o.dtype)).sum() for o, u in zip(outputs, upstream, strict=True) if o.requires_grad)
    wrt = leaves + list(params.values())
    grads: list[torch.Tensor | None] = [None] * len(wrt)
    if isinstance(total, torch.Tensor) and total.requires_grad and wrt:
        grads = list(torch.autograd.grad(total, wrt, allow_unused=True))
    return {
        "outputs": [o.detach() for o in outputs],
        "inputs": [g.detach() if g is not None else None for g in grads[: len(leaves)]],
        "params": {n: (g.detach() if g is not None else None)
                   for n, g in zip(params, grads[len(leaves):], strict=True)},
    }


PROBES: dict[str, Callable[..., Any]] = {
    "output_grads": output_grads,
}


# ---------------------------------------------------------------------------------------------
# Parameters that carry .grad, and optimizers (q045_gru_clipping_guard). Neither can cross the
# wire, so the probe rebuilds them here: the grader sends a module (as a ModuleState) and its
# gradients as plain tensors, this code attaches them, builds the optimizer, calls the submission
# and reports every parameter, gradient and optimizer buffer afterwards as values.

# torch.nn.utils functions a probe may replace by a refusing stub for the duration of the call
# (errata 61: a torch function mode never sees them as themselves).
BANNABLE_UTILS = ("clip_grad_value_", "clip_grad_norm_", "clip_grads_with_norm_", "get_total_norm")


class _ProbeOptimizer(torch.optim.Optimizer):
    """A torch.optim.Optimizer (isinstance holds) whose step and zero_grad are written here.

    torch's own optimizers import torch._dynamo on first use (seconds of a sandbox call: a
    submission could time out for it under load), so the probes use these twins: same update
    rules as torch's single-tensor CPU code, same ``param_groups`` / ``state`` layout, without
    ``Optimizer.__init__`` and its hooks.
    """

    def __init__(self, params: Sequence[torch.Tensor], **group: Any) -> None:
        self.defaults = dict(group)
        self.param_groups = [{"params": list(params), **group}]
        self.state: defaultdict[torch.Tensor, Any] = defaultdict(dict)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.param_groups[0]["params"]:
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.detach_().zero_()


class ProbeSGD(_ProbeOptimizer):
    """torch.optim.SGD(params, lr, momentum) (no dampening, weight decay or nesterov)."""

    def __init__(self, params: Sequence[torch.Tensor], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params, lr=lr, momentum=momentum)

    @torch.no_grad()
    def step(self, closure: None = None) -> None:  # type: ignore[override]
        group = self.param_groups[0]
        for p in group["params"]:
            if p.grad is None:
                continue
            d_p = p.grad
            if group["momentum"] != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = torch.clone(d_p).detach()
                else:
                    buf.mul_(group["momentum"]).add_(d_p)
                d_p = buf
            p.add_(d_p, alpha=-group["lr"])


class ProbeAdam(_ProbeOptimizer):
    """torch.optim.Adam(params, lr, betas, eps) (no weight decay, amsgrad or maximize)."""

    def __init__(self, params: Sequence[torch.Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params, lr=lr, betas=tuple(betas), eps=eps)

    @torch.no_grad()
    def step(self, closure: None = None) -> None:  # type: ignore[override]
        group = self.param_groups[0]
        beta1, beta2 = group["betas"]
        for p in group["params"]:
            if p.grad is None:
                continue
            grad = p.grad
            state = self.state[p]
            if not state:
                state["step"] = torch.tensor(0.0, dtype=torch.float32)  # torch's, under a float32 default
                state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["step"] += 1
            step = float(state["step"])
            state["exp_avg"].lerp_(grad, 1 - beta1)
            state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad.conj(), value=1 - beta2)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
            denom = (state["exp_avg_sq"].sqrt() / bias_correction2_sqrt).add_(group["eps"])
            p.addcdiv_(state["exp_avg"], denom, value=-group["lr"] / bias_correction1)


OPTIMIZERS: dict[str, type[_ProbeOptimizer]] = {"SGD": ProbeSGD, "Adam": ProbeAdam}


def _attach_grads(module: torch.nn.Module, grads: dict[str, torch.Tensor | None]) -> None:
    """p.grad = a copy of grads[name] (None when absent or None), for every named parameter."""
    for name, param in module.named_parameters():
        grad = grads.get(name)
        param.grad = None if grad is None else grad.detach().clone().to(param.dtype)


@contextmanager
def _refusing(fn: Any, names: Sequence[str]) -> Iterator[None]:
    """Replace the named torch.nn.utils functions by stubs that raise, in torch.nn.utils, in
    torch.nn.utils.clip_grad and in the globals of ``fn`` (a ``from ... import`` of them)."""
    originals = {name: getattr(torch.nn.utils, name) for name in names if name in BANNABLE_UTILS}
    namespaces = [vars(torch.nn.utils), vars(torch.nn.utils.clip_grad), getattr(fn, "__globals__", {})]
    saved: list[tuple[dict[str, Any], str, Any]] = []

    def refusing(name: str) -> Callable[..., Any]:
        def refuse(*_args: Any, **_kwargs: Any) -> Any:
            raise RuntimeError(f"torch.nn.utils.{name} is not allowed in this exercise: write it yourself")
        return refuse

    by_id = {id(f): name for name, f in originals.items()}
    for space in namespaces:
        for key, value in list(space.items()):
            if id(value) in by_id:
                saved.append((space, key, value))
                space[key] = refusing(by_id[id(value)])
    try:
        yield
    finally:
        for space, key, value in reversed(saved):
            space[key] = value


def _after(module: torch.nn.Module, value: Any,
           optimizer: torch.optim.Optimizer | None = None) -> dict[str, Any]:
    names = {id(p): n for n, p in module.named_parameters()}
    report: dict[str, Any] = {
        "value": value,
        "params": {n: p.detach().clone() for n, p in module.named_parameters()},
        "grads": {n: (p.grad.detach().clone() if p.grad is not None else None)
                  for n, p in module.named_parameters()},
        "is_parameter": {n: isinstance(p, torch.nn.Parameter) and p.is_leaf
                         for n, p in module.named_parameters()},
    }
    if optimizer is not None:
        report["optimizer_state"] = {
            names[id(p)]: {k: (v.detach().clone() if isinstance(v, torch.Tensor) else v) for k, v in s.items()}
            for p, s in optimizer.state.items() if id(p) in names and s}
    return report


def grads_call(fn: Callable[..., Any], module: torch.nn.Module, grads: dict[str, torch.Tensor | None],
               *args: Any, as_generator: bool = False, ban: Sequence[str] = ()) -> dict[str, Any]:
    """Attach ``grads`` to ``module``'s parameters and call ``fn(params, *args)``.

    ``params`` is ``list(module.parameters())``, or ``module.parameters()`` itself (a one-shot
    generator) with ``as_generator``. The torch.nn.utils functions named in ``ban`` raise during
    the call. Returns ``{"value": fn's return value, "params": {name: tensor}, "grads": {name:
    tensor or None}, "is_parameter": {name: bool}}`` as they are after the call.
    """
    _attach_grads(module, grads)
    params = module.parameters() if as_generator else list(module.parameters())
    with _refusing(fn, ban):
        value = fn(params, *args)
    return _after(module, value)


def optimizer_call(fn: Callable[..., Any], module: torch.nn.Module, grads: dict[str, torch.Tensor | None],
                   optimizer: dict[str, Any], warmup: Sequence[dict[str, torch.Tensor | None]] = (),
                   ban: Sequence[str] = ()) -> dict[str, Any]:
    """Build ``OPTIMIZERS[optimizer["name"]](list(module.parameters()), **optimizer["kwargs"])``
    (ProbeSGD or ProbeAdam: torch.optim.Optimizer instances with torch's update rules),
    take one plain ``step()`` per gradient dict in ``warmup`` (so momentum buffers are filled),
    attach ``grads`` and call ``fn(opt, params)``. Returns what ``grads_call`` returns plus
    ``"optimizer_state"``: ``{param name: {buffer name: tensor or number}}`` after the call.
    """
    params = list(module.parameters())
    opt = OPTIMIZERS[str(optimizer["name"])](params, **dict(optimizer.get("kwargs", {})))
    for step_grads in warmup:
        _attach_grads(module, step_grads)
        opt.step()
    _attach_grads(module, grads)
    with _refusing(fn, ban):
        value = fn(opt, params)
    return _after(module, value, opt)


PROBES.update({"grads_call": grads_call, "optimizer_call": optimizer_call})


# ---------------------------------------------------------------------------------------------
# Counting the rows a module is called on (q063_dynamic_unrolling, G11): the grader sends the
# module (an allow-listed torch.nn module such as nn.LSTMCell) and the submission's function;
# the counts come back as plain numbers next to the function's own result.


def module_rows(fn: Callable[..., Any], module: torch.nn.Module, *args: Any) -> dict[str, Any]:
    """Call ``fn(module, *args)`` with a forward pre-hook on ``module`` that records, for every
    call ``module(inp, ...)``, the number of rows of ``inp`` (its dim 0; 1 for an unbatched
    1-D input). Returns ``{"value": fn's return value, "rows": [rows of call 1, call 2, ...]}``.

    Only calls through ``module(...)`` are seen: ``module.forward(...)`` and torch kernels fed
    with the module's weights bypass the hook, so an exercise that counts must tell the student
    to call the module itself.
    """
    rows: list[int] = []

    def record(_module: torch.nn.Module, inputs: tuple[Any, ...]) -> None:
        first = inputs[0] if inputs else None
        if isinstance(first, torch.Tensor):
            rows.append(int(first.shape[0]) if first.dim() >= 2 else 1)
        else:
            rows.append(-1)

    hook = module.register_forward_pre_hook(record)
    try:
        value = fn(module, *args)
    finally:
        hook.remove()
    return {"value": value, "rows": list(rows)}


PROBES["module_rows"] = module_rows


# ---------------------------------------------------------------------------------------------
# Counting backward passes and reading input gradients (q016_truncated_bptt): the submission's
# function runs its own backward() calls on modules the grader sent; the probe makes chosen
# tensor arguments leaves that require grad, counts the calls of torch.autograd.backward (which
# Tensor.backward goes through) and of torch.autograd.grad, and sends back the counts and what
# reached those arguments' .grad, as plain values.


def backward_counted(fn: Callable[..., Any], args: list[Any], grad_args: Sequence[int] = (),
                     calls: int = 1) -> dict[str, Any]:
    """Call ``fn(*args)`` ``calls`` times in a row (the same objects each time: a function that
    leaves stale gradients behind shows it on the second call), counting autograd passes.

    Before each call the tensors ``args[i]`` for ``i`` in ``grad_args`` are made leaves that
    require grad, with ``.grad`` cleared. Returns::

        {"value": the last call's return value,
         "backward_calls": [torch.autograd.backward calls during call 1, call 2, ...],
         "grad_calls": [torch.autograd.grad calls during call 1, call 2, ...],
         "input_grads": [args[i].grad after the last call (or None), for i in grad_args]}
    """
    counts = {"backward": 0, "grad": 0}
    original_backward, original_grad = torch.autograd.backward, torch.autograd.grad

    def counted_backward(*a: Any, **k: Any) -> Any:
        counts["backward"] += 1
        return original_backward(*a, **k)

    def counted_grad(*a: Any, **k: Any) -> Any:
        counts["grad"] += 1
        return original_grad(*a, **k)

    backward_calls: list[int] = []
    grad_calls: list[int] = []
    value: Any = None
    torch.autograd.backward, torch.autograd.grad = counted_backward, counted_grad  # type: ignore[assignment]
    try:
        for _ in range(calls):
            for i in grad_args:
                args[i].grad = None
                args[i].requires_grad_(True)
            counts["backward"] = counts["grad"] = 0
            value = fn(*args)
            backward_calls.append(counts["backward"])
            grad_calls.append(counts["grad"])
    finally:
        torch.autograd.backward, torch.autograd.grad = original_backward, original_grad  # type: ignore[assignment]
    grads = [args[i].grad for i in grad_args]
    return {"value": value, "backward_calls": backward_calls, "grad_calls": grad_calls,
            "input_grads": [g.detach().clone() if g is not None else None for g in grads]}


PROBES["backward_counted"] = backward_counted


# ---------------------------------------------------------------------------------------------
# A language model handed to the submission (q086_offline_accumulation, errata 31): built here
# from three allow-listed modules the grader sends, so its forward signature is public.


class TinyLM(torch.nn.Module):
    """Token ids X (B, T) int64 -> logits (B, T, V): ``head(lstm(emb(X))[0])``.

    Parameters (``named_parameters``): ``emb.weight`` (V, E); ``lstm.weight_ih_l0``,
    ``lstm.weight_hh_l0``, ``lstm.bias_ih_l0``, ``lstm.bias_hh_l0`` (and further layers);
    ``head.weight`` (V, H), ``head.bias`` (V,). The LSTM is batch_first and causal, so the logits
    of a step never depend on later steps (padding after a sequence's end changes nothing
    before it). ``batch_sizes`` records X.shape[0] of every forward call, in order.
    """

    def __init__(self, emb: torch.nn.Embedding, lstm: torch.nn.LSTM, head: torch.nn.Linear) -> None:
        super().__init__()
        self.emb, self.lstm, self.head = emb, lstm, head
        self.batch_sizes: list[int] = []

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self.batch_sizes.append(int(X.shape[0]))
        out, _ = self.lstm(self.emb(X))           # (B, T, H)
        logits: torch.Tensor = self.head(out)     # (B, T, V)
        return logits


def tiny_lm_call(fn: Callable[..., Any], emb: torch.nn.Embedding, lstm: torch.nn.LSTM, head: torch.nn.Linear,
                 *args: Any) -> dict[str, Any]:
    """Call ``fn(TinyLM(emb, lstm, head), *args)``. Returns ``{"value": fn's return value,
    "params": {name: tensor}, "grads": {name: .grad or None}, "forward_batches": [B of each
    forward call], "inputs_changed": [positions in args of tensors fn changed in place]}``,
    parameters and gradients as they are after the call. ``fn`` gets copies of the tensors in
    ``args``, so a write into them is reported here (for the one task about it), not raised."""
    model = TinyLM(emb, lstm, head)
    given = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
    value = fn(model, *given)
    changed = [i for i, (a, g) in enumerate(zip(args, given, strict=True))
               if isinstance(a, torch.Tensor) and not (isinstance(g, torch.Tensor) and g.shape == a.shape
                                                       and torch.equal(g, a))]
    return {"value": value, "inputs_changed": changed,
            "params": {n: p.detach().clone() for n, p in model.named_parameters()},
            "grads": {n: (p.grad.detach().clone() if p.grad is not None else None)
                      for n, p in model.named_parameters()},
            "forward_batches": list(model.batch_sizes)}


PROBES["tiny_lm_call"] = tiny_lm_call


# ---------------------------------------------------------------------------------------------
# Decoders driven by a step function (module 04: q032, q033, q034, q035, q051, q052): the grader
# sends a model as values (rnnkit.stepfns.build spec), the probe builds it here, wraps it in a
# Recorder and hands it to the submission's decoder as its first argument.


def step_fn_call(fn: Callable[..., Any], model: dict[str, Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Call ``fn(step_fn, *args, **kwargs)`` where ``step_fn`` is ``rnnkit.stepfns.build(model)``
    wrapped in a ``rnnkit.stepfns.Recorder``. Returns ``{"value": fn's return value, "calls":
    number of step_fn calls, "tokens": [the tokens (B,) fed at call 1, call 2, ...]}``."""
    recorder = stepfns.Recorder(stepfns.build(model))
    value = fn(recorder, *args, **kwargs)
    return {"value": value, **recorder.report()}


PROBES["step_fn_call"] = step_fn_call


# Callables the submission must call (q055_pointer_network's score_fn, q056_hierarchical_attention's
# sent_encoder): built here from data by rnnkit.callables, their calls recorded and sent back.

PROBES["callable_call"] = callable_call
