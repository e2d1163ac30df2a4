"""The queue branch as a list: its commits newest on top, and its upstream base as the last row."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from ...core.listing import CommitRow
from ...core.display import shown
from .downstream import COMMIT_ID_ROLE, format_date
from .mime import COMMIT_IDS_MIME, SOURCE_DOWNSTREAM, SOURCE_QUEUE, commit_ids_mime, read_commit_ids
from .states import T_NOT_RUN, TEST_BADGES

IS_BASE_ROLE = Qt.ItemDataRole.UserRole + 20
POSITION_ROLE = Qt.ItemDataRole.UserRole + 21  # the queue '#': 1 for the commit on the base
TEST_STATE_ROLE = Qt.ItemDataRole.UserRole + 22

COL_POS, COL_SUBJECT, COL_TESTS, COL_AUTHOR, COL_DATE = range(5)
HEADERS = ("#", "Subject", "Tests", "Author", "Date")

# When reordering is off: no repository, no queue profile, or a queue that did not load (the core
# has its reorder command, so that is the only reason left).
REORDER_UNAVAILABLE = "No queue to reorder: open a repository and choose a queue profile whose queue loads."

AnyIndex = QModelIndex | QPersistentModelIndex


def queue_numbers(position: int, count: int) -> str:
    """How the # column will number COUNT commits put at POSITION (0: on the base): "#3" or "#3-#4"."""
    first = position + 1
    return f"#{first}" if count <= 1 else f"#{first}-#{first + count - 1}"


# The core's pick description (uqgui.core.pick): "pick 2 commits at position 4 of uq/master", the
# position counting the commits below. The window numbers queue rows as the # column does.
_PICK_AT = re.compile(r"\b(pick (\d+) commits? )at position (\d+)\b")


def queue_description(text: str) -> str:
    """TEXT with the core's "pick N commits at position P" said as the # column numbers them ("as #5-#6")."""
    return _PICK_AT.sub(lambda m: f"{m.group(1)}as {queue_numbers(int(m.group(3)), int(m.group(2)))}", text)


class QueueModel(QAbstractTableModel):
    """Queue commits (top of the queue first) on top of a base row; drops become pick requests."""

    pick_requested = Signal(list, int)  # commit ids oldest first, queue position (0: on the base)
    reorder_requested = Signal(list)  # the queue's commit ids in their new order, oldest first

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._commits: list[CommitRow] = []  # oldest first
        self._base: CommitRow | None = None
        self._base_label = ""
        self._tests: dict[str, str] = {}
        self.reorder_enabled = False

    # -- taking data in -----------------------------------------------------------------
    def set_series(self, base: CommitRow | None, commits: Sequence[CommitRow], upstream: str = "") -> None:
        """Show COMMITS (oldest first) on BASE; upstream names the base's branch (no reset when unchanged)."""
        if (base, list(commits), upstream) == (self._base, self._commits, self._base_label):
            return  # the quick start showed these already: keep the selection, do not flicker
        self.beginResetModel()
        self._base = base
        self._commits = list(commits)
        self._base_label = upstream
        self.endResetModel()

    def set_test_state(self, commit_id: str, state: str) -> None:
        """Set a commit's test badge (filled in by the background tests)."""
        self._tests[commit_id] = state
        row = self.row_of(commit_id)
        if row is not None:
            index = self.index(row, COL_TESTS)
            self.dataChanged.emit(index, index)

    # -- positions ------------------------------------------------------------------------
    @property
    def commit_count(self) -> int:
        """How many commits the queue holds."""
        return len(self._commits)

    def commit_ids(self) -> list[str]:
        """The queue's commit ids, oldest first."""
        return [c.id for c in self._commits]

    def position_for_row(self, row: int) -> int:
        """The queue position a drop before view ROW means (-1 or past the end: the bottom)."""
        n = len(self._commits)
        if row < 0 or row > n:
            return 0
        return n - row

    def row_for_position(self, position: int) -> int:
        """The view row of the commit at queue position POSITION (1-based), or of the base for 0."""
        return len(self._commits) - position

    def commit_at(self, row: int) -> CommitRow | None:
        """The commit at ROW, or None for the base row."""
        n = len(self._commits)
        return self._commits[n - 1 - row] if 0 <= row < n else None

    def row_of(self, commit_id: str) -> int | None:
        """The row of a queue commit or of the base."""
        for i, c in enumerate(self._commits):
            if c.id == commit_id:
                return len(self._commits) - 1 - i
        if self._base is not None and self._base.id == commit_id:
            return len(self._commits)
        return None

    # -- QAbstractItemModel ---------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """Commits plus the base row."""
        if parent.isValid():
            return 0
        return len(self._commits) + (1 if self._base is not None else 0)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """Number of columns."""
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column titles."""
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole and section == COL_TESTS:
                return "Test result per commit (background tests come with a later version)"
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell data; IS_BASE_ROLE marks the base row."""
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        row, col = index.row(), index.column()
        commit = self.commit_at(row)
        if commit is None:
            return self._base_data(col, role)
        position = len(self._commits) - row
        test = self._tests.get(commit.id, T_NOT_RUN)
        if role == Qt.ItemDataRole.DisplayRole:
            # Commit text escaped as it is shown (display.py); the rows keep it raw.
            return (str(position), shown(commit.subject) or "(no subject)", TEST_BADGES[test].glyph,
                    shown(commit.author_name or commit.author_email), format_date(commit.author_time))[col]
        if role == COMMIT_ID_ROLE:
            return commit.id
        if role == IS_BASE_ROLE:
            return False
        if role == POSITION_ROLE:
            return position
        if role == TEST_STATE_ROLE:
            return test
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_TESTS:
            return TEST_BADGES[test].color(QApplication.palette())
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_POS, COL_TESTS):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_TESTS:
                return TEST_BADGES[test].label
            # The subject on a line of its own: on the first line, a subject like "<b>x" would make Qt
            # take the whole tooltip for rich text.
            return (f"#{position}  {commit.id[:12]}\n{shown(commit.subject)}\n"
                    f"{shown(commit.author_name)} <{shown(commit.author_email)}>")
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return TEST_BADGES[test].label if col == COL_TESTS else self.data(index, Qt.ItemDataRole.DisplayRole)
        return None

    def _base_data(self, col: int, role: int) -> Any:
        base = self._base
        assert base is not None
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_SUBJECT:
                where = f"{shown(self._base_label)} " if self._base_label else ""
                when = format_date(base.author_time)
                return f"── base: {where}{base.id[:10]} ({when}) {shown(base.subject)} ──"
            if col == COL_DATE:
                return format_date(base.author_time)
            return ""
        if role == COMMIT_ID_ROLE:
            return base.id
        if role == IS_BASE_ROLE:
            return True
        if role == POSITION_ROLE:
            return 0
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole:
            return QApplication.palette().placeholderText().color()
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"The queue's upstream base {base.id}\n{shown(base.subject)}"
        if role == Qt.ItemDataRole.AccessibleTextRole and col == COL_SUBJECT:
            return f"Queue base {base.id[:10]} {shown(base.subject)}"
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        """Commits can be dragged when reordering is available; drops land between rows only."""
        if not index.isValid():
            # Drop-enabled root, items not: the view offers "between rows" drops, not "on a row"
            # (dropping on a row will mean squash/fixup later).
            return Qt.ItemFlag.ItemIsDropEnabled
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.reorder_enabled and self.commit_at(index.row()) is not None:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    def mimeTypes(self) -> list[str]:
        """Our own commit-ids type."""
        return [COMMIT_IDS_MIME]

    def supportedDropActions(self) -> Qt.DropAction:
        """Copy (a pick from downstream) and move (a reorder)."""
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        """Move, within the queue."""
        return Qt.DropAction.MoveAction

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """Dragged queue commits, oldest first."""
        rows = sorted({i.row() for i in indexes if i.isValid()}, reverse=True)
        ids = [c.id for c in (self.commit_at(r) for r in rows) if c is not None]
        return commit_ids_mime(ids, SOURCE_QUEUE)

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: AnyIndex) -> bool:
        """Downstream commits anywhere between rows; queue commits only when reordering works."""
        payload = read_commit_ids(data)
        if payload is None or not payload[0]:
            return False
        if payload[1] == SOURCE_QUEUE:
            return self.reorder_enabled
        return payload[1] == SOURCE_DOWNSTREAM

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: AnyIndex) -> bool:
        """Turn a drop before ROW into a pick (or reorder) request; the window runs the command."""
        if action == Qt.DropAction.IgnoreAction:
            return True
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        payload = read_commit_ids(data)
        assert payload is not None
        ids, source = payload
        if parent.isValid():
            row = parent.row()
        position = self.position_for_row(row)
        if source == SOURCE_DOWNSTREAM:
            self.pick_requested.emit(ids, position)
            return True
        order = [c for c in self.commit_ids() if c not in ids]
        below = [c for c in self.commit_ids()[:position] if c not in ids]
        new_order = below + ids + order[len(below):]
        if new_order != self.commit_ids():
            self.reorder_requested.emit(new_order)
        # False: the model itself moves nothing; the view must not delete the dragged rows.
        return False
