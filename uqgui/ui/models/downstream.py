"""The downstream-only commits as one table model that filters and sorts itself.

Built for 100,000 rows with no per-row Python work on the GUI thread when data arrives: the
worker prepares a DownstreamListing (states, case-folded text, sort keys, an id index), data()
is O(1) on its columns, and filtering and sorting are list passes in the model. There is no
QSortFilterProxyModel in front: it calls filterAcceptsRow() (Python) once per row on every reset,
about 40 ms per 100,000 rows each time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from ...core.listing import S_PENDING, DownstreamListing, ListingFilter, compile_globs
from ...core.display import shown
from .mime import COMMIT_IDS_MIME, SOURCE_DOWNSTREAM, commit_ids_mime
from .states import BADGES, DISPLAY_STATES, S_QUEUED

__all__ = ["COL_AUTHOR", "COL_DATE", "COL_STATE", "COL_SUBJECT", "COMMIT_ID_ROLE", "DownstreamModel",
           "ENTRY_ROLE", "ORDER_ROLE", "QUEUE_POSITION_ROLE", "STATE_ROLE", "compile_globs", "format_date"]

COMMIT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 2
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 3
QUEUE_POSITION_ROLE = Qt.ItemDataRole.UserRole + 5
ORDER_ROLE = Qt.ItemDataRole.UserRole + 6  # index in the divergence (0: newest)

COL_STATE, COL_SUBJECT, COL_AUTHOR, COL_DATE = range(4)
HEADERS = ("State", "Subject", "Author", "Date")
SORT_COLUMNS = {COL_STATE: "state", COL_SUBJECT: "subject", COL_AUTHOR: "author", COL_DATE: "date"}

# Roles as plain ints: data() compares them for every visible cell, and enum comparisons cost more.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_INITIAL_SORT = int(Qt.ItemDataRole.InitialSortOrderRole)
_ID, _STATE, _ENTRY, _ORDER, _QPOS = (int(COMMIT_ID_ROLE), int(STATE_ROLE), int(ENTRY_ROLE), int(ORDER_ROLE),
                                      int(QUEUE_POSITION_ROLE))
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled \
    | Qt.ItemFlag.ItemNeverHasChildren
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

AnyIndex = QModelIndex | QPersistentModelIndex


def format_date(timestamp: int) -> str:
    """An author date as the lists show it (UTC, day precision)."""
    if not timestamp:
        return ""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")


class DownstreamModel(QAbstractTableModel):
    """Downstream-only commits with their state badge, subject, author and date; filtered and sorted."""

    entries_changed = Signal()  # after a new listing was taken in
    counts_changed = Signal(dict, int, int)  # counts per display state (state filter aside), shown, total

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.listing = DownstreamListing()
        self.filter = ListingFilter()
        self._order: list[int] = []  # every listing row, in the current sort order
        self._rows: list[int] = []  # view row -> listing row (what the filter keeps, in order)
        self._row_of: dict[int, int] | None = None  # listing row -> view row, built when asked
        self._sort: tuple[int, Qt.SortOrder] = (-1, Qt.SortOrder.AscendingOrder)
        self._mask: list[bool] = []
        self.counts: dict[str, int] = dict.fromkeys((*DISPLAY_STATES, S_PENDING), 0)
        self.shown = 0
        self.generation = 0

    # -- taking data in -----------------------------------------------------------------
    def set_listing(self, listing: DownstreamListing) -> None:
        """Show LISTING; when it lists the same commits, update in place (selection kept)."""
        if len(listing) and self.listing.same_commits(listing):
            self._relayout(lambda: self._take(listing))
        else:
            self.beginResetModel()
            self._take(listing)
            self.endResetModel()
        self.entries_changed.emit()
        self._emit_counts()

    def extend_listing(self, more: DownstreamListing) -> None:
        """Append a later batch of a listing that is still streaming in (states pending)."""
        if not len(more):
            return
        if not len(self.listing) or self.listing.complete:
            self.set_listing(more)
            return
        start = self.listing.extend(more)
        self.generation += 1
        new = range(start, len(self.listing))
        mask, counts = self.filter.apply(self.listing, new)
        self._mask.extend(mask)
        for state, n in counts.items():
            self.counts[state] = self.counts.get(state, 0) + n
        if self._sort[0] < 0:
            # Pending rows all rank alike: the default order appends them.
            self._order.extend(new)
            kept = [i for i, keep in zip(new, mask) if keep]
            if kept:
                first = len(self._rows)
                self.beginInsertRows(QModelIndex(), first, first + len(kept) - 1)
                self._rows.extend(kept)
                self._row_of = None
                self.endInsertRows()
        else:
            self._relayout(self._resort)
        self.shown = len(self._rows)
        self._emit_counts()

    def set_divergence(self, divergence: Any) -> None:
        """Show a core Divergence (prepared here: tests and small repositories; workers use listings)."""
        self.set_listing(DownstreamListing.from_divergence(divergence) if divergence is not None
                         else DownstreamListing())

    def _take(self, listing: DownstreamListing) -> None:
        self.listing = listing
        self.generation += 1
        self._compute_mask()
        self._order = self._sorted_rows()
        self._rows = self._visible()

    # -- filters --------------------------------------------------------------------------
    def set_filters(self, text: str | None = None, states: Iterable[str] | None | bool = False,
                    path_glob: str | None = None, author: str | None = None) -> None:
        """Change some filters (None/False keeps one; states=None shows every state) and refilter."""
        f = self.filter
        new = ListingFilter(
            f.text if text is None else text.strip(),
            f.states if states is False else (None if states is None else frozenset(states)),  # type: ignore[arg-type]
            f.path_glob if path_glob is None else path_glob.strip(),
            f.author if author is None else author.strip(),
        )
        if new == f:
            return
        self.filter = new
        self._relayout(self._refilter)
        self._emit_counts()

    @property
    def is_filtering(self) -> bool:
        """True when some filter hides rows."""
        return self.filter.active

    def _refilter(self) -> None:
        self._compute_mask()
        self._rows = self._visible()

    def _compute_mask(self) -> None:
        """One pass over the listing: which rows the filters keep, and the counts per state."""
        listing = self.listing
        if not self.filter.active:
            # The common case, in C: every row shown, counts straight from the states.
            self._mask = [True] * len(listing)
            counts: Counter[str] = Counter(listing.states)
        else:
            self._mask, counts = self.filter.apply(listing)
        self.counts = {s: counts.get(s, 0) for s in (*DISPLAY_STATES, S_PENDING)}

    def _visible(self) -> list[int]:
        mask = self._mask
        rows = self._order if all(mask) else [i for i in self._order if mask[i]]
        self._row_of = None
        self.shown = len(rows)
        return list(rows)

    def _emit_counts(self) -> None:
        self.counts_changed.emit(dict(self.counts), self.shown, len(self.listing))

    # -- access for the panes ---------------------------------------------------------------
    def entry_index(self, row: int) -> int:
        """The listing row (divergence order) shown at ROW."""
        return self._rows[row]

    def entry_at(self, row: int) -> Any:
        """The core's Entry shown at ROW (None while its state is pending)."""
        return self.listing.entries[self._rows[row]]

    def commit_at(self, row: int) -> str:
        """The commit id shown at ROW."""
        return self.listing.ids[self._rows[row]]

    def row_of(self, commit_id: str) -> int | None:
        """The row showing COMMIT_ID, or None (not listed, or filtered out)."""
        i = self.listing.index.get(commit_id)
        if i is None:
            return None
        if self._row_of is None:
            self._row_of = {entry: row for row, entry in enumerate(self._rows)}
        return self._row_of.get(i)

    def queue_position(self, commit_id: str) -> int | None:
        """The queue '#' of a queue commit id, as of the last divergence."""
        return self.listing.queue_positions.get(commit_id)

    def ids_oldest_first(self, rows: Iterable[int]) -> list[str]:
        """Commit ids of ROWS in pick order (oldest first)."""
        order = sorted({self._rows[r] for r in rows}, reverse=True)
        return [self.listing.ids[i] for i in order]

    # -- QAbstractItemModel ---------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """Number of commits shown (0 under any item: this is a flat table)."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """Number of columns."""
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column titles."""
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == _DISPLAY:
                return HEADERS[section]
            if role == _TOOLTIP and section == COL_STATE:
                return "  ".join(f"{b.glyph} {b.label}" for b in BADGES.values())
            if role == _INITIAL_SORT and section == COL_DATE:
                return Qt.SortOrder.DescendingOrder.value  # a first click on Date lists the newest first
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell data; custom roles give the commit id, display state, entry and queue position."""
        row = index.row()
        if not index.isValid() or not 0 <= row < len(self._rows):
            return None
        col = index.column()
        i = self._rows[row]
        listing = self.listing
        role = int(role)
        if role == _DISPLAY:
            if col == COL_STATE:
                state = listing.states[i]
                pos = listing.queue_position(i) if state == S_QUEUED else None
                return f"{BADGES[state].glyph} #{pos}" if pos else BADGES[state].glyph
            # Commit text is escaped here, as it is shown; the listing keeps it raw for the filters.
            if col == COL_SUBJECT:
                return shown(listing.subjects[i]) or "(no subject)"
            if col == COL_AUTHOR:
                return shown(listing.author_names[i] or listing.author_emails[i])
            if col == COL_DATE:
                return format_date(listing.author_times[i])
            return None
        if role == _ID:
            return listing.ids[i]
        if role == _STATE:
            return listing.states[i]
        if role == _ENTRY:
            return listing.entries[i]
        if role == _ORDER:
            return i
        if role == _QPOS:
            return listing.queue_position(i)
        if role == _FOREGROUND and col == COL_STATE:
            return BADGES[listing.states[i]].color(QApplication.palette())
        if role == _TOOLTIP:
            return self._tooltip(i)
        if role == _ALIGN and col == COL_STATE:
            return _LEFT
        if role == _FONT and col == COL_SUBJECT and not listing.subjects[i]:
            font = QFont()
            font.setItalic(True)
            return font
        if role == _ACCESSIBLE:
            if col == COL_STATE:
                return BADGES[listing.states[i]].label
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        return None

    def _tooltip(self, i: int) -> str:
        listing = self.listing
        badge = BADGES[listing.states[i]]
        # The badge leads: with commit text on the first line, a subject like "<b>x" would make Qt
        # take the whole tooltip for rich text.
        lines = [f"{badge.glyph} {badge.label}", f"{listing.ids[i][:12]}  {shown(listing.subjects[i])}",
                 f"{shown(listing.author_names[i])} <{shown(listing.author_emails[i])}>"]
        match = listing.match(i)
        if match is not None:
            lines.append(f"{match.where}: {match.id[:12]} — {shown(match.evidence)}")
        entry = listing.entries[i]
        if entry is not None and entry.unreadable:
            lines.append("could not be read (missing objects?)")
        return "\n".join(lines)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        """Rows are selectable and can be dragged to the queue."""
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

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
        return commit_ids_mime(self.ids_oldest_first({i.row() for i in indexes if i.isValid()}), SOURCE_DOWNSTREAM)

    # -- sorting ------------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by COLUMN (ascending: A to Z, oldest first); column -1 restores the default order.

        The default order is remaining first, then newest first within a state.
        """
        self._sort = (column, order)
        self._relayout(self._resort)

    def _resort(self) -> None:
        self._order = self._sorted_rows()
        self._rows = self._visible()

    def _sorted_rows(self) -> list[int]:
        """Every listing row in the order of the sort column and order (see sort())."""
        column, order = self._sort
        descending = order == Qt.SortOrder.DescendingOrder
        if column == COL_DATE:
            # The listing sorts dates newest first when ascending, as git log lists them; Qt's
            # arrow says ascending is oldest first, as A to Z is for the other columns.
            descending = not descending
        return self.listing.sort_order(SORT_COLUMNS.get(column, ""), descending)

    # -- keeping selections across a new order --------------------------------------------------
    def _relayout(self, change: Any) -> None:
        """Run CHANGE (it sets _rows) as a layout change that keeps persistent indexes on their commits.

        Rows may appear or disappear (a filter): an index whose commit is no longer shown becomes
        invalid, which is what QSortFilterProxyModel does to it too.
        """
        self.layoutAboutToBeChanged.emit()
        old_rows = self._rows
        change()
        self._remap_persistent(old_rows)
        self.layoutChanged.emit()

    def _remap_persistent(self, old_rows: list[int]) -> None:
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
