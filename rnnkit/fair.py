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


class ValuesOnly:
    """The submission with the in-place check off (``check_mutation=False``) on every function and
    class it exposes; ``.checked`` is the submission itself, with the check on."""

    def __init__(self, impl: Any) -> None:
        self.checked = impl

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.checked, name)
        return value.with_options(check_mutation=False) if hasattr(value, "with_options") else value
