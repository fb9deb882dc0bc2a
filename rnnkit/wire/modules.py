"""Torch modules as data: the allow-listed classes, their constructor arguments, and the checks
that a module state decoded from the child is what its class and arguments say it is."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from rnnkit.wire.types import WireError, torch

# torch.nn classes the grader may hand to a submission (rebuilt from kwargs + state in the child).
MODULE_CLASSES: dict[str, type[torch.nn.Module]] = {} if torch is None else {
    "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "RNN": torch.nn.RNN,
    "LSTMCell": torch.nn.LSTMCell, "GRUCell": torch.nn.GRUCell, "RNNCell": torch.nn.RNNCell,
    "Linear": torch.nn.Linear, "Embedding": torch.nn.Embedding,
}
MODULE_KWARGS = {
    "LSTM": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
             "bidirectional", "proj_size"),
    "GRU": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
            "bidirectional"),
    "RNN": ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first",
            "dropout", "bidirectional"),
    "LSTMCell": ("input_size", "hidden_size", "bias"),
    "GRUCell": ("input_size", "hidden_size", "bias"),
    "RNNCell": ("input_size", "hidden_size", "bias", "nonlinearity"),
    "Linear": ("in_features", "out_features", "bias"),
    "Embedding": ("num_embeddings", "embedding_dim", "padding_idx"),
}
MAX_MODULE_SIZE = 1 << 16  # any size argument of a module that crosses
MAX_MODULE_ELEMENTS = 16 << 20  # numbers in all of its tensors together (LSTM(5000, 5000) is refused)


@dataclass
class ModuleState:
    """A torch.nn module as data: its class, constructor kwargs, tensors and parameter flags.

    ``flags[name]`` holds ``{"parameter": bool, "leaf": bool, "requires_grad": bool}`` per parameter,
    as the child reported them: a tripwire (it can only cost the submission points: the grader
    reads the tensors themselves back from the shared arena, see ``sandbox.arena``).
    """

    cls: str
    kwargs: dict[str, Any]
    state: dict[str, Any]  # name -> tensor (or an ArenaRef while crossing)
    flags: dict[str, dict[str, bool]] = field(default_factory=dict)

    @classmethod
    def of(cls, module: torch.nn.Module) -> ModuleState:
        name = type(module).__name__
        if MODULE_CLASSES.get(name) is not type(module):
            raise WireError(f"torch module {name} cannot cross the sandbox boundary")
        kwargs = {k: getattr(module, k) for k in MODULE_KWARGS[name] if hasattr(module, k)}
        if name in ("Linear",):
            kwargs["bias"] = module.bias is not None
        if name in ("LSTMCell", "GRUCell", "RNNCell"):
            kwargs["bias"] = getattr(module, "bias_ih", None) is not None
        if name == "Embedding" and kwargs.get("padding_idx") is None:
            kwargs.pop("padding_idx", None)
        flags: dict[str, dict[str, bool]] = {}
        state: dict[str, Any] = {}
        for pname, value in module.state_dict(keep_vars=True).items():
            state[pname] = value.detach().clone()
            flags[pname] = {
                "parameter": isinstance(value, torch.nn.Parameter),
                "leaf": bool(value.is_leaf),
                "requires_grad": bool(value.requires_grad),
            }
        return cls(name, kwargs, state, flags)

    def build(self, dtype: torch.dtype | None = None, share: bool = False) -> torch.nn.Module:
        """Rebuild the module (trusted torch class) with these tensors and requires_grad flags.
        With ``share``, parameters and buffers use the given tensors' memory (the arena) where
        the dtype already matches, so in-place changes land where the grader reads them."""
        module = MODULE_CLASSES[self.cls](**self.kwargs)
        first = next(iter(self.state.values()), None)
        module.to(dtype or (first.dtype if first is not None else torch.get_default_dtype()))
        module.load_state_dict(self.state, strict=True)
        if share:
            own = module.state_dict(keep_vars=True)
            for name, given in self.state.items():
                if own[name].dtype == given.dtype and own[name].shape == given.shape:
                    own[name].data = given
        for name, param in module.named_parameters():
            param.requires_grad_(self.flags.get(name, {}).get("requires_grad", True))
        return module

    def expected_shapes(self) -> dict[str, tuple[int, ...]]:
        """The state names and shapes the class makes from these kwargs (checked kwargs first);
        built on torch's meta device, so nothing is allocated whatever the sizes say."""
        cls = MODULE_CLASSES.get(self.cls)
        if cls is None:
            raise WireError(f"torch module {self.cls!r} is not allowed")
        if set(self.kwargs) - set(MODULE_KWARGS[self.cls]) or any(
                type(v) not in (int, bool, float, str) for v in self.kwargs.values()):
            raise WireError("bad module arguments")
        sizes = [v for v in self.kwargs.values() if type(v) is int]
        if any(v < 0 or v > MAX_MODULE_SIZE for v in sizes):
            raise WireError(f"module arguments out of range (sizes up to {MAX_MODULE_SIZE})")
        try:
            meta = cls(**self.kwargs, device="meta")
        except (TypeError, ValueError, RuntimeError) as exc:
            raise WireError("bad module arguments") from exc
        shapes = {k: tuple(v.shape) for k, v in meta.state_dict().items()}
        if sum(math.prod(s) for s in shapes.values()) > MAX_MODULE_ELEMENTS:
            raise WireError("module too large to cross")
        return shapes

    def check(self) -> None:
        """Refuse a state whose tensors are not exactly those of its class and arguments."""
        shapes = self.expected_shapes()
        if set(self.state) != set(shapes) or any(
                not isinstance(t, torch.Tensor) or tuple(t.shape) != shapes[k] for k, t in self.state.items()):
            raise WireError(f"the {self.cls} state does not match its arguments")
        if set(self.flags) - set(self.state):
            raise WireError("bad module flags")
