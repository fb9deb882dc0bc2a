"""Helpers for hidden tests that charge one mistake to one task (docs/authoring.md, "Fair tasks").

Hygiene that holds for every call (inputs left unchanged, no floating-point warnings) is graded
by the one task named for it; every other task grades the values only:

    @pytest.fixture
    def impl(impl):                 # this module's tests: values only ...
        return ValuesOnly(impl)

    @pytest.mark.task(5)            # ... except the task named "inputs left unchanged"
    def test_inputs_unchanged(impl, rng):
        impl.checked.lstm_step_backward(dnext_h, dnext_c, cache)   # raises InputMutated
"""

from __future__ import annotations

from typing import Any

from rnnkit.sandbox.remote import RemoteHandle


class ValuesOnly:
    """The submission with the in-place check off (``check_mutation=False``) on every function and
    class it exposes, and on the objects its classes make (``cell(x)``, ``cell.forward(x)``);
    ``.checked`` is the submission itself, with the check on."""

    def __init__(self, impl: Any) -> None:
        self.checked = impl

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.checked, name)
        return _ValuesOnlyCall(value) if hasattr(value, "with_options") else value


class _ValuesOnlyCall:
    """A function or class of the submission called with the check off; objects it returns keep
    the check off for their own calls."""

    def __init__(self, remote: Any) -> None:
        self._remote = remote.with_options(check_mutation=False)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        made = self._remote(*args, **kwargs)
        return made.with_defaults(check_mutation=False) if isinstance(made, RemoteHandle) else made

    def __getattr__(self, name: str) -> Any:
        return getattr(self._remote, name)  # .inplace, .with_options, ...
