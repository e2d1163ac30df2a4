"""The downstream-only commits of a divergence, and the filter model in front of them.

Built for 100,000 rows: data() is O(1) on precomputed lists, sorting happens once in Python in
the source model (the proxy would call data() millions of times), and the filter is one pass
that leaves the proxy's filterAcceptsRow a list lookup.
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from PySide6.QtCore import (QAbstractItemModel, QAbstractTableModel, QMimeData, QModelIndex, QPersistentModelIndex,
                            QSortFilterProxyModel, Qt, Signal)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from ...core.divergence import Divergence, Entry
from .mime import COMMIT_IDS_MIME, SOURCE_DOWNSTREAM, commit_ids_mime
from .states import BADGES, DISPLAY_STATES, S_QUEUED, display_state

COMMIT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 2
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 3
SORT_ROLE = Qt.ItemDataRole.UserRole + 4
QUEUE_POSITION_ROLE = Qt.ItemDataRole.UserRole + 5
ORDER_ROLE = Qt.ItemDataRole.UserRole + 6  # index in the divergence (0: newest)

COL_STATE, COL_SUBJECT, COL_AUTHOR, COL_DATE = range(4)
HEADERS = ("State", "Subject", "Author", "Date")

AnyIndex = QModelIndex | QPersistentModelIndex


def format_date(timestamp: int) -> str:
    """An author date as the lists show it (UTC, day precision)."""
    if not timestamp:
        return ""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")


class DownstreamModel(QAbstractTableModel):
    """Downstream-only commits with their state badge, subject, author and date."""

    entries_changed = Signal()  # after a new divergence was taken in (the filter recomputes)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._entries: list[Entry] = []
        self._states: list[str] = []
        self._rows: list[int] = []  # row -> index in _entries
        self._queue_pos: dict[str, int] = {}
        self._sort: tuple[int, Qt.SortOrder] = (-1, Qt.SortOrder.AscendingOrder)
        self.generation = 0
        self.divergence: Divergence | None = None

    # -- taking data in -----------------------------------------------------------------
    def set_divergence(self, divergence: Divergence | None) -> None:
        """Show DIVERGENCE; when the commits are the same ones, update states in place."""
        entries = divergence.entries if divergence else []
        queue_ids = divergence.queue_ids if divergence else []
        # queue_ids is newest first; the queue's '#' counts from its base.
        self._queue_pos = {cid: len(queue_ids) - i for i, cid in enumerate(queue_ids)}
        same = [e.meta.id for e in entries] == [e.meta.id for e in self._entries] and bool(entries)
        self.divergence = divergence
        if same:
            self.layoutAboutToBeChanged.emit()
            old_rows = self._rows
            self._entries = list(entries)
            self._states = [display_state(e) for e in entries]
            self.generation += 1
            self._rows = self._sorted_rows(*self._sort)
            self._remap_persistent(old_rows)
            # layoutChanged repaints every row already; a dataChanged over 100k rows would refilter twice.
            self.layoutChanged.emit()
        else:
            self.beginResetModel()
            self._entries = list(entries)
            self._states = [display_state(e) for e in entries]
            self.generation += 1
            self._rows = self._sorted_rows(*self._sort)
            self.endResetModel()
        self.entries_changed.emit()

    # -- access for the filter and the panes -----------------------------------------------
    def entries(self) -> Sequence[Entry]:
        """The entries in divergence order (newest first)."""
        return self._entries

    def display_states(self) -> Sequence[str]:
        """The display state of each entry, in divergence order."""
        return self._states

    def entry_index(self, row: int) -> int:
        """The divergence index of the entry shown at ROW."""
        return self._rows[row]

    def entry_at(self, row: int) -> Entry:
        """The entry shown at ROW."""
        return self._entries[self._rows[row]]

    def row_of(self, commit_id: str) -> int | None:
        """The row showing COMMIT_ID, or None."""
        for row, i in enumerate(self._rows):
            if self._entries[i].meta.id == commit_id:
                return row
        return None

    def queue_position(self, commit_id: str) -> int | None:
        """The queue '#' of a queue commit id, as of the last divergence."""
        return self._queue_pos.get(commit_id)

    # -- QAbstractItemModel ---------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """Number of commits (0 under any item: this is a flat table)."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """Number of columns."""
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column titles."""
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole and section == COL_STATE:
                return "  ".join(f"{b.glyph} {b.label}" for b in BADGES.values())
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell data; custom roles give the commit id, display state, entry and sort key."""
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < len(self._rows)):
            return None
        i = self._rows[row]
        entry = self._entries[i]
        state = self._states[i]
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_STATE:
                pos = self._queue_pos.get(entry.match.id) if state == S_QUEUED and entry.match else None
                return f"{BADGES[state].glyph} #{pos}" if pos else BADGES[state].glyph
            if col == COL_SUBJECT:
                return entry.meta.subject or "(no subject)"
            if col == COL_AUTHOR:
                return entry.meta.author_name or entry.meta.author_email
            if col == COL_DATE:
                return format_date(entry.meta.author_time)
            return None
        if role == COMMIT_ID_ROLE:
            return entry.meta.id
        if role == STATE_ROLE:
            return state
        if role == ENTRY_ROLE:
            return entry
        if role == ORDER_ROLE:
            return i
        if role == QUEUE_POSITION_ROLE:
            return self._queue_pos.get(entry.match.id) if state == S_QUEUED and entry.match else None
        if role == SORT_ROLE:
            return self._sort_key(col, i)
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_STATE:
            return BADGES[state].color(QApplication.palette())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(entry, state)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_STATE:
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and col == COL_SUBJECT and not entry.meta.subject:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if col == COL_STATE:
                return BADGES[state].label
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        return None

    def _tooltip(self, entry: Entry, state: str) -> str:
        badge = BADGES[state]
        lines = [f"{badge.glyph} {badge.label}", f"{entry.meta.id[:12]}  {entry.meta.subject}",
                 f"{entry.meta.author_name} <{entry.meta.author_email}>"]
        if entry.match is not None:
            lines.append(f"{entry.match.where}: {entry.match.id[:12]} — {entry.match.evidence}")
        if entry.unreadable:
            lines.append("could not be read (missing objects?)")
        return "\n".join(lines)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        """Rows are selectable and can be dragged to the queue."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    def mimeTypes(self) -> list[str]:
        """Our own commit-ids type."""
        return [COMMIT_IDS_MIME]

    def supportedDragActions(self) -> Qt.DropAction:
        """Copy: dragging to the queue picks, the downstream list does not lose the commit."""
        return Qt.DropAction.CopyAction

    def supportedDropActions(self) -> Qt.DropAction:
        """Nothing can be dropped here."""
        return Qt.DropAction.IgnoreAction

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """The dragged commits' ids, oldest first (the order in which they will be picked)."""
        order = sorted({self._rows[i.row()] for i in indexes if i.isValid()}, reverse=True)
        return commit_ids_mime([self._entries[i].meta.id for i in order], SOURCE_DOWNSTREAM)

    def ids_oldest_first(self, rows: Iterable[int]) -> list[str]:
        """Commit ids of ROWS in pick order (oldest first)."""
        order = sorted({self._rows[r] for r in rows}, reverse=True)
        return [self._entries[i].meta.id for i in order]

    # -- sorting (in the source: the proxy keeps this order) ---------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by COLUMN; column -1 restores the default order (remaining first, newest first)."""
        self.layoutAboutToBeChanged.emit()
        old_rows = self._rows
        self._sort = (column, order)
        self._rows = self._sorted_rows(column, order)
        self._remap_persistent(old_rows)
        self.layoutChanged.emit()

    def _sort_key(self, column: int, i: int) -> Any:
        entry = self._entries[i]
        if column == COL_STATE:
            return (BADGES[self._states[i]].rank, i)
        if column == COL_SUBJECT:
            return (entry.meta.subject.casefold(), i)
        if column == COL_AUTHOR:
            return ((entry.meta.author_name or entry.meta.author_email).casefold(), i)
        if column == COL_DATE:
            return (-entry.meta.author_time, i)  # ascending = newest first, like git log
        return (BADGES[self._states[i]].rank, i)

    def _sorted_rows(self, column: int, order: Qt.SortOrder) -> list[int]:
        rows = sorted(range(len(self._entries)), key=lambda i: self._sort_key(column, i))
        if order == Qt.SortOrder.DescendingOrder and column >= 0:
            rows.reverse()
        return rows

    def _remap_persistent(self, old_rows: list[int]) -> None:
        """Keep selections and the current index on the same commits across a reorder."""
        old = self.persistentIndexList()
        if not old:
            return
        new_pos = {entry_index: row for row, entry_index in enumerate(self._rows)}
        new = []
        for index in old:
            r = index.row()
            target = new_pos.get(old_rows[r]) if 0 <= r < len(old_rows) else None
            new.append(self.index(target, index.column()) if target is not None else QModelIndex())
        self.changePersistentIndexList(old, new)


def compile_globs(text: str) -> re.Pattern[str] | None:
    """One regex for space- or comma-separated path globs; a glob without wildcards is a prefix."""
    parts = [p for p in re.split(r"[\s,]+", text.strip()) if p]
    if not parts:
        return None
    regexes = []
    for p in parts:
        if not any(c in p for c in "*?["):
            p = p + "*"
        regexes.append(fnmatch.translate(p))
    return re.compile("|".join(f"(?:{r})" for r in regexes))


class DownstreamFilterModel(QSortFilterProxyModel):
    """Filters by free text (subject or id), display states, path globs and author; counts per state."""

    counts_changed = Signal(dict, int, int)  # counts per display state (state filter aside), shown, total

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.text = ""
        self.states: frozenset[str] | None = None
        self.path_glob = ""
        self.author = ""
        self._mask: list[bool] = []
        self._mask_generation = -1
        self.counts: dict[str, int] = {s: 0 for s in DISPLAY_STATES}
        self.shown = 0
        self.setDynamicSortFilter(True)

    def setSourceModel(self, model: QAbstractItemModel) -> None:
        """Attach a DownstreamModel; recompute the filter whenever it takes in new entries."""
        assert isinstance(model, DownstreamModel)
        super().setSourceModel(model)
        model.entries_changed.connect(self._entries_changed)

    def downstream(self) -> DownstreamModel:
        """The source model."""
        model = self.sourceModel()
        assert isinstance(model, DownstreamModel)
        return model

    def set_filters(self, text: str | None = None, states: Iterable[str] | None | bool = False,
                    path_glob: str | None = None, author: str | None = None) -> None:
        """Change some filters (None/False keeps one; states=None shows every state) and refilter."""
        if text is not None:
            self.text = text.strip()
        if states is not False:
            self.states = None if states is None else frozenset(states)  # type: ignore[arg-type]
        if path_glob is not None:
            self.path_glob = path_glob.strip()
        if author is not None:
            self.author = author.strip()
        self._refilter()

    @property
    def is_filtering(self) -> bool:
        """True when some filter hides rows."""
        return bool(self.text or self.states is not None or self.path_glob or self.author)

    def _entries_changed(self) -> None:
        self._refilter()

    def _refilter(self) -> None:
        self._compute()
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # Qt < 6.10
            self.invalidateRowsFilter()

    def _compute(self) -> None:
        """One pass over the entries: the mask and the counts."""
        model = self.downstream()
        entries, states = model.entries(), model.display_states()
        text = self.text.casefold()
        is_hex = len(text) >= 4 and all(c in "0123456789abcdef" for c in text)
        author = self.author.casefold()
        globs = compile_globs(self.path_glob)
        wanted = self.states
        mask: list[bool] = []
        counts: Counter[str] = Counter()
        for entry, state in zip(entries, states):
            meta = entry.meta
            ok = True
            if text and text not in meta.subject.casefold() and not (is_hex and meta.id.startswith(text)):
                ok = False
            if ok and author and author not in meta.author_name.casefold() and author not in meta.author_email.casefold():
                ok = False
            if ok and globs is not None and not any(globs.match(p) for p in meta.paths):
                ok = False
            if ok:
                counts[state] += 1
                ok = wanted is None or state in wanted
            mask.append(ok)
        self._mask = mask
        self._mask_generation = model.generation
        self.counts = {s: counts.get(s, 0) for s in DISPLAY_STATES}
        self.shown = sum(mask)
        self.counts_changed.emit(dict(self.counts), self.shown, len(entries))

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        """A lookup in the mask computed by the last pass."""
        model = self.downstream()
        if self._mask_generation != model.generation:
            # The source reset before our entries_changed slot ran: compute now.
            self._compute()
        try:
            return self._mask[model.entry_index(source_row)]
        except IndexError:
            return True

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Let the source sort itself once (the proxy would call data() millions of times)."""
        self.downstream().sort(column, order)

    def ids_oldest_first(self, proxy_rows: Iterable[int]) -> list[str]:
        """Commit ids of proxy ROWS in pick order."""
        rows = [self.mapToSource(self.index(r, 0)).row() for r in proxy_rows]
        return self.downstream().ids_oldest_first(rows)

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """Delegate to the source with mapped indexes."""
        return self.downstream().mimeData([self.mapToSource(i) for i in indexes])
