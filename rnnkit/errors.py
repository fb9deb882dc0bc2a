"""What can go wrong with a submission, as exceptions the grader's tests see.

Each carries a results status (see ``results.STATUSES``) and a message that is safe to show a
student: what was called and what went wrong, never a hidden input or an expected value.
"""

from __future__ import annotations

import builtins


class SubmissionProblem(Exception):
    """Base: the submission (not the grader) made this call fail."""

    status = "error"


class SubmissionRaised(SubmissionProblem):
    """The submission raised an exception; ``pytest.raises(ValueError)`` still works (mixins)."""

    status = "error"

    def __init__(self, message: str, type_name: str = "Exception") -> None:
        super().__init__(message)
        self.type_name = type_name


class SubmissionTimeout(SubmissionProblem):
    status = "timeout"


class SubmissionCrashed(SubmissionProblem):
    status = "crashed"


class SubmissionForbidden(SubmissionProblem):
    status = "forbidden"


class SubmissionMissing(SubmissionProblem):
    status = "missing"


class InputMutated(AssertionError):
    """The submission changed an input argument in place (a failed check, not an error)."""


# Builtin exception types a submission's exception is re-raised as (mixed into SubmissionRaised),
# so hidden tests can expect them. Anything else is a plain SubmissionRaised.
_REARMABLE = (
    "ValueError", "TypeError", "IndexError", "KeyError", "LookupError", "RuntimeError",
    "ZeroDivisionError", "ArithmeticError", "FloatingPointError", "OverflowError",
    "AttributeError", "NotImplementedError", "AssertionError",
)
_RAISED_CLASSES: dict[str, type[SubmissionRaised]] = {}


def raised_class(type_name: str) -> type[SubmissionRaised]:
    """SubmissionRaised mixed with the builtin ``type_name`` when it is rearmable, else plain."""
    if type_name not in _REARMABLE:
        return SubmissionRaised  # names come from the submission: nothing unknown is kept
    if type_name not in _RAISED_CLASSES:
        base = getattr(builtins, type_name)
        status = "failed" if type_name == "NotImplementedError" else "error"
        _RAISED_CLASSES[type_name] = type(f"Submission{type_name}", (SubmissionRaised, base), {"status": status})
    return _RAISED_CLASSES[type_name]
