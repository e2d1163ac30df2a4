"""The operation log as a table, newest first: what can be undone, what was undone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from .queue import queue_description

if TYPE_CHECKING:
    from ...core.oplog import Operation

# The core's operation states (uqgui.core.oplog), spelled out: this process never loads the core
# (it imports pygit2); a test holds the two together.
DONE, UNDONE, ABORTED = "done", "undone", "aborted"
REFUSED_NOTE = "Refused: nothing was changed."

OPERATION_ROLE = Qt.ItemDataRole.UserRole + 40

COL_ID, COL_TIME, COL_COMMAND, COL_DESCRIPTION, COL_STATE = range(5)
HEADERS = ("#", "When", "Command", "Description", "State")

AnyIndex = QModelIndex | QPersistentModelIndex


class OperationLogModel(QAbstractTableModel):
    """Operations of the repository's log, newest first."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._ops: list[Operation] = []

    def set_operations(self, operations: Sequence[Operation]) -> None:
        """Show OPERATIONS (given oldest first, as the core returns them)."""
        self.beginResetModel()
        self._ops = list(reversed(operations))
        self.endResetModel()

    def operation_at(self, row: int) -> Operation:
        """The operation at ROW."""
        return self._ops[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """Number of operations."""
        return 0 if parent.isValid() else len(self._ops)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """Number of columns."""
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column titles."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(HEADERS):
            return HEADERS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell data; undone and aborted operations are greyed."""
        if not index.isValid() or not 0 <= index.row() < len(self._ops):
            return None
        op = self._ops[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            when = datetime.fromtimestamp(op.time).strftime("%Y-%m-%d %H:%M:%S") if op.time else ""
            return (str(op.id), when, op.command, queue_description(op.description), op.state)[col]
        if role == OPERATION_ROLE:
            return op
        if role == Qt.ItemDataRole.ToolTipRole:
            description = queue_description(op.description)
            if op.state == ABORTED:  # its refs never moved: no arrows that did not happen
                return f"{description}\n{REFUSED_NOTE}"
            refs = "\n".join(f"{r.name}: {(r.old or 'absent')[:12]} → {(r.new or 'deleted')[:12]}" for r in op.refs)
            return f"{description}\n{refs}" if refs else description
        if role == Qt.ItemDataRole.ForegroundRole and op.state != DONE:
            return QApplication.palette().placeholderText().color()
        if role == Qt.ItemDataRole.FontRole and op.state == UNDONE:
            font = QFont()
            font.setStrikeOut(True)
            return font
        return None
