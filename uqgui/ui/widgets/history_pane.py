"""The operation history: every command the log recorded, newest first."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..models.oplog import COL_DESCRIPTION, COL_ID, COL_STATE, COL_TIME, OperationLogModel
from .downstream_pane import CommitListView, size_columns


class HistoryPane(QWidget):
    """A list over the operation log; undo/redo act on its newest done/undone rows."""

    def __init__(self, model: OperationLogModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.note = QLabel("Every change uqgui made to this repository, and what another git changed in between "
                           "(\"outside\"). Ctrl+Z undoes the newest done one; objects are never deleted.", self)
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.view = CommitListView(self)
        self.view.setModel(model)
        self.view.setAccessibleName("Operation history")
        size_columns(self.view.header(), COL_DESCRIPTION, {COL_ID: 40, COL_TIME: 150, COL_STATE: 80})
        layout.addWidget(self.view)
