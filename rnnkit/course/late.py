"""Late penalties from the assignment bundle's ``[late_policy]``, for both autograde paths.

Stock ``nbgrader autograde`` uses it as its late-submission plugin (``nbgrader_config.py`` sets
``c.AssignLatePenalties.plugin_class``); ``rnnkit course autograde`` calls ``penalty_for``.
"""

from __future__ import annotations

import datetime as dt

from nbgrader.plugins import LateSubmissionPlugin

from rnnkit.course.assignments import AssignmentError, load_assignment
from rnnkit.kit import KitError, find_kit


def penalty_for(assignment: str, score: float, seconds_late: float) -> float:
    """Points taken off a notebook scoring ``score`` that came ``seconds_late`` after the due date."""
    if seconds_late <= 0:
        return 0.0
    try:
        policy = load_assignment(find_kit(), assignment).late_policy
    except (AssignmentError, KitError):
        return 0.0
    return policy.penalty(dt.timedelta(seconds=seconds_late), score) if policy else 0.0


class RnnkitLatePenalty(LateSubmissionPlugin):  # type: ignore[misc]
    """nbgrader plugin: the penalty of the assignment being autograded (its bundle's policy)."""

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        assignment = str(getattr(self.parent, "assignment_id", ""))
        return penalty_for(assignment, score, total_seconds_late)
