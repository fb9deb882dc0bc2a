"""Stock ``nbgrader autograde`` without false tampering alarms (nbgrader issue 1961).

nbgrader records a locked cell's checksum from the *source* notebook, hidden tests included, and
releases the cell with them removed. Every submitted task cell therefore "changed", and stock
autograde warns once per task cell and student ("Attribute 'checksum' for cell ... has changed!")
although the student changed nothing (locked cells are restored from the gradebook either way).

``RnnkitOverwriteCells`` is nbgrader's ``OverwriteCells`` (the course's ``nbgrader_config.py``
puts it in ``Autograde.sanitize_preprocessors``) that stays silent on exactly that change: a
locked cell whose submitted text equals its source with the hidden-test region removed. It says
so once per run, in one line. Any other change to a locked cell is still reported, as before.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells

EXPLANATION = ("rnnkit: task cells submitted as released (their hidden tests removed, as nbgrader "
               "releases them) have another checksum than the source (nbgrader issue 1961); that is "
               "not a change by the student, so it is not reported. Locked cells are restored from "
               "the gradebook as usual; any other change to them is still reported.")


class RnnkitOverwriteCells(OverwriteCells):  # type: ignore[misc]
    """``OverwriteCells`` without the checksum warning for cells submitted exactly as released."""

    _explained: ClassVar[bool] = False

    def _as_released(self, cell: Any) -> bool:
        """The submitted cell is the source cell with its hidden tests removed, nothing else."""
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        try:
            source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
        except MissingEntry:
            return False
        released = copy.deepcopy(cell)
        released.source = source.source
        try:
            removed = ClearHiddenTests(parent=self)._remove_hidden_test_region(released)
        except RuntimeError:
            return False
        return bool(removed) and released.source == cell.source

    def preprocess_cell(self, cell: Any, resources: Any, cell_index: int) -> Any:
        self._current_as_released = bool(cell.metadata.get("nbgrader", {}).get("grade_id")) and \
            utils.is_locked(cell) and self._as_released(cell)
        return super().preprocess_cell(cell, resources, cell_index)

    def report_change(self, name: str, attr: str, old: Any, new: Any) -> None:
        if attr == "checksum" and getattr(self, "_current_as_released", False):
            if not RnnkitOverwriteCells._explained:
                RnnkitOverwriteCells._explained = True
                self.log.info(EXPLANATION)
            return
        super().report_change(name, attr, old, new)
