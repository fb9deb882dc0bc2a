"""What hidden tests hold of the submission: its functions, its objects, and call options.

    impl.lstm_step_forward(x, h, c, Wx, Wh, b)             -> values (numpy/torch/builtins)
    impl.lstm_step_forward.with_options(errstate=True)(...) -> the same, numpy errors raise
    impl.init_forget_bias_.inplace(lstm, 1.0)              -> (return value, [args after the call])
    cell = impl.PeepholeLSTMCell(4, 5)                      -> a RemoteHandle to an object in the child
    cell(x, (h, c)); cell.state_dict(); cell.get("p_o")     -> calls and attribute values through it
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from rnnkit import wire
from rnnkit.errors import SubmissionCrashed

if TYPE_CHECKING:
    from rnnkit.sandbox.submission import Submission


@dataclass(frozen=True)
class CallOpts:
    errstate: bool = False  # numpy over/invalid/divide raise during the call (a tripwire watches it)
    dtype: str | None = None  # torch's default dtype during the call
    return_args: bool = False  # the arguments' state after the call (in-place APIs)
    check_mutation: bool = True  # fail the call when it changed an input in place (read by the grader)
    grad: bool = True  # torch grad mode during the call


class RemoteHandle:
    """An object that lives with the submission; every use is a request."""

    def __init__(self, owner: Submission, handle_id: int, cls: str, generation: int,
                 defaults: CallOpts | None = None) -> None:
        self._owner, self._id, self._cls, self._generation = owner, handle_id, cls, generation
        self._defaults = defaults or CallOpts()  # options of every call made through this handle

    @property
    def ref(self) -> wire.HandleRef:
        if self._generation != self._owner.generation:
            raise SubmissionCrashed(f"the {self._cls} object was lost when the submission process restarted")
        return wire.HandleRef(self._id, self._cls)

    @property
    def cls_name(self) -> str:
        return self._cls

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._owner.call(self, None, args, kwargs, self._defaults)

    def with_options(self, **opts: Any) -> RemoteCallable:
        """Call the object itself with options: ``cell.with_options(check_mutation=False)(x)``."""
        return RemoteCallable(self._owner, self, None, self._cls, CallOpts(**{**asdict(self._defaults), **opts}))

    def with_defaults(self, **opts: Any) -> RemoteHandle:
        """The same object, with these options on every call and method call made through it."""
        merged = CallOpts(**{**asdict(self._defaults), **opts})
        return RemoteHandle(self._owner, self._id, self._cls, self._generation, merged)

    def __getattr__(self, name: str) -> RemoteCallable:
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteCallable(self._owner, self, name, f"{self._cls}.{name}", self._defaults)

    def get(self, name: str) -> Any:
        """The value of an attribute (a tensor, a number, ...) of the remote object."""
        return self._owner.getattr(self, name)

    def __repr__(self) -> str:
        return f"<{self._cls} in the submission>"


class RemoteCallable:
    """A function (or a method of a handle) of the submission."""

    def __init__(self, owner: Submission, target: Any, method: str | None, label: str,
                 opts: CallOpts | None = None) -> None:
        self._owner, self._target, self._method, self._label = owner, target, method, label
        self._opts = opts or CallOpts()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._owner.call(self._target, self._method, args, kwargs, self._opts, self._label)

    def with_options(self, **opts: Any) -> RemoteCallable:
        merged = CallOpts(**{**asdict(self._opts), **opts})
        return RemoteCallable(self._owner, self._target, self._method, self._label, merged)

    def inplace(self, *args: Any, **kwargs: Any) -> tuple[Any, list[Any]]:
        """Call an in-place API; returns (its return value, the positional arguments' state
        afterwards: arrays, tensors, generators, torch modules as ModuleState). Arrays, tensors
        and module tensors are read back from the shared arena by the grader; pass the objects
        whose state matters positionally (keyword arguments are not sent back)."""
        opts = CallOpts(**{**asdict(self._opts), "return_args": True, "check_mutation": False})
        return self._owner.call(self._target, self._method, args, kwargs, opts, self._label,  # type: ignore[no-any-return]
                                with_args=True)
