"""The right pane: the queue branch on its upstream base, a drop target for downstream commits."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QModelIndex, Qt, Signal
from PySide6.QtGui import QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QLabel, QVBoxLayout, QWidget

from ...core.display import shown, shown_message
from ..models.downstream import COMMIT_ID_ROLE
from ..models.mime import SOURCE_DOWNSTREAM, read_commit_ids
from ..models.queue import (COL_AUTHOR, COL_DATE, COL_POS, COL_SUBJECT, COL_TESTS, REORDER_UNAVAILABLE, QueueModel,
                            queue_numbers)
from ..models.states import T_PASSED, TEST_BADGES
from .downstream_pane import CommitListView, fitted_widths, muted_color, size_columns

# The Move Up and Move Down actions' shortcuts (window_actions.py; a test holds the two together).
MOVE_KEYS = "Alt+Up and Alt+Down"


class QueueView(CommitListView):
    """Shows a drop line between rows and says what a drop will do."""

    drop_hint_changed = Signal(str)  # '' when no drag is over the view

    def __init__(self, model: QueueModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue_model = model
        self.setModel(model)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropOverwriteMode(False)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDragEnabled(True)

    def drop_row(self, event: QDragMoveEvent | QDropEvent) -> int:
        """The view row a drop at the event's position goes before (-1: the bottom)."""
        index = self.indexAt(event.position().toPoint())
        if not index.isValid():
            return -1
        rect = self.visualRect(index)
        below = event.position().toPoint().y() > rect.center().y()
        return index.row() + (1 if below else 0)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        """Tell the user where the commits will go ("pick 2 commits as #3-#4", numbered as the # column will)."""
        super().dragMoveEvent(event)
        payload = read_commit_ids(event.mimeData())
        if payload is None or not event.isAccepted():
            self.drop_hint_changed.emit("")
            return
        ids, source = payload
        position = self.queue_model.position_for_row(self.drop_row(event))
        count = f"{len(ids)} commit{'s' if len(ids) != 1 else ''}"
        verb = "pick" if source == SOURCE_DOWNSTREAM else "move"
        where = queue_numbers(position, len(ids)) + (", on the base" if position == 0 else "")
        self.drop_hint_changed.emit(f"{verb} {count} as {where}")

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        """Clear the hint."""
        super().dragLeaveEvent(event)
        self.drop_hint_changed.emit("")

    def dropEvent(self, event: QDropEvent) -> None:
        """Clear the hint; the model turns the drop into a request."""
        super().dropEvent(event)
        self.drop_hint_changed.emit("")


class QueuePane(QWidget):
    """Title, then the queue list with its base row."""

    current_commit_changed = Signal(str)

    def __init__(self, model: QueueModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        self.title = QLabel(self)
        self.title.setObjectName("paneTitle")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)  # a long branch name wraps rather than widening the window
        layout.addWidget(self.title)
        self.banner = QLabel(self)
        self.banner.setTextFormat(Qt.TextFormat.PlainText)  # a message quoting "<b>" must not turn bold
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        layout.addWidget(self.banner)
        self.view = QueueView(model, self)
        self.view.setAccessibleName("Queue commits, newest on top, base at the bottom")
        header = self.view.header()
        size_columns(header, COL_SUBJECT, fitted_widths(self.view, header, {
            COL_POS: "999", COL_TESTS: TEST_BADGES[T_PASSED].glyph, COL_AUTHOR: "Gleb Natapov",
            COL_DATE: "2010-01-20"}))
        layout.addWidget(self.view, 1)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setObjectName("hint")
        layout.addWidget(self.hint)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.set_reorder_available(model.reorder_enabled)
        self.set_title("", "", 0)

    def set_title(self, branch: str, upstream: str, count: int | None) -> None:
        """Name the queue branch and its upstream (COUNT None: the queue could not be read)."""
        self._title = (branch, upstream, count)
        if not branch:
            self.title.setText("<b>QUEUE</b>")
            return
        commits = "not read" if count is None else f"{count} commit{'s' if count != 1 else ''}"
        muted = muted_color(self.palette())
        self.title.setText(f"<b>QUEUE</b>&nbsp;&nbsp;{html.escape(shown(branch))} <span style='color: {muted}'>on "
                           f"{html.escape(shown(upstream))} · {commits}</span>")

    def changeEvent(self, event: QEvent) -> None:
        """Redraw the title in the new palette's colours."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_title"):
            self.set_title(*self._title)

    def set_reorder_available(self, available: bool) -> None:
        """Enable or explain reordering inside the queue (off only while there is no queue to reorder)."""
        self.model.reorder_enabled = available
        if available:
            self.hint.setText(f"Drop downstream commits between rows to pick them there (Enter picks onto the top); "
                              f"drag queue commits to reorder, or move the selected one with {MOVE_KEYS}.")
            self.view.setToolTip("")
        else:
            # No queue yet (no repository, no profile, or a queue that did not load): say how it will work.
            self.hint.setText(f"Once a queue is shown: drop downstream commits between rows to pick them there "
                              f"(Enter picks onto the top); drag queue commits to reorder, or move the selected one "
                              f"with {MOVE_KEYS}.")
            self.view.setToolTip(REORDER_UNAVAILABLE)

    def show_banner(self, text: str) -> None:
        """A notice above the list (queue missing or not linear); empty hides it."""
        # Core messages (their command-line hints are not passed here), commit text in them escaped.
        self.banner.setText(shown_message(text))
        self.banner.setVisible(bool(text))

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self.current_commit_changed.emit(str(current.data(COMMIT_ID_ROLE) or "") if current.isValid() else "")

    def current_commit(self) -> str:
        """The current commit id (the base's for the base row), or ''."""
        index = self.view.currentIndex()
        return str(index.data(COMMIT_ID_ROLE) or "") if index.isValid() else ""
