"""The left pane: downstream-only commits, their filters and the counts per state."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QPersistentModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QStyledItemDelegate, QStyleOptionViewItem, QTableView, QTreeView, QVBoxLayout, QWidget)

from ...core.display import shown, shown_message
from ..models.downstream import COL_AUTHOR, COL_DATE, COL_STATE, COL_SUBJECT, COMMIT_ID_ROLE, DownstreamModel
from ..models.states import (BADGES, DISPLAY_STATES, S_LANDED_EXACT, S_LANDED_MORPHED, S_NO_DIFF, S_PENDING,
                             S_QUEUED, S_REMAINING, counted)

# The state chooser: label -> display states (None: all).
STATE_CHOICES: list[tuple[str, frozenset[str] | None]] = [
    ("All states", None),
    ("Remaining", frozenset({S_REMAINING})),
    ("Queued", frozenset({S_QUEUED})),
    ("Landed", frozenset({S_LANDED_EXACT, S_LANDED_MORPHED})),
    ("Landed exact", frozenset({S_LANDED_EXACT})),
    ("Landed morphed", frozenset({S_LANDED_MORPHED})),
    ("Not landed", frozenset({S_REMAINING, S_QUEUED, S_NO_DIFF})),
    ("No diff", frozenset({S_NO_DIFF})),
]
FILTER_DELAY_MS = 150
NBSP = "\u00a0"  # keeps "14 remaining ·" on one line when the counts wrap


def muted_color(palette: QPalette) -> str:
    """The colour for secondary words in rich text: window text faded a third of the way to the window.

    Not PlaceholderText: some styles give it as half-transparent black, and rich text drops the
    transparency (black on a dark window). The blend keeps about 5:1 contrast in both palettes.
    """
    text, window = palette.color(QPalette.ColorRole.WindowText), palette.color(QPalette.ColorRole.Window)
    mix = [round(t + (w - t) * 0.35) for t, w in ((text.red(), window.red()), (text.green(), window.green()),
                                                 (text.blue(), window.blue()))]
    return "#{:02x}{:02x}{:02x}".format(*mix)


def size_columns(header: QHeaderView, stretch: int, widths: dict[int, int]) -> None:
    """Let column STRETCH take the spare width and give the others fixed starting WIDTHS."""
    header.setStretchLastSection(False)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    for column, width in widths.items():
        header.resizeSection(column, width)


def fitted_widths(view: QAbstractItemView, header: QHeaderView, samples: dict[int, str]) -> dict[int, int]:
    """Starting widths for columns: what each one's title and its SAMPLES value need in VIEW's font.

    Measured rather than fixed pixels, and no wider: the subject gets the rest, and must stay
    readable in a window half a 1920 screen wide (panes of 450 px).
    """
    metrics = view.fontMetrics()
    pad = 2 * metrics.averageCharWidth()
    return {column: max(header.sectionSizeFromContents(column).width(), metrics.horizontalAdvance(sample) + pad)
            for column, sample in samples.items()}


class _CommitViewMixin:
    """Selection helpers shared by the commit lists."""

    def selected_rows(self) -> list[int]:
        """Selected rows, top to bottom."""
        model = self.selectionModel()  # type: ignore[attr-defined]
        if model is None:
            return []
        return sorted(i.row() for i in model.selectedRows())

    def select_commit(self, commit_id: str) -> bool:
        """Make COMMIT_ID current and selected; False when it is not shown."""
        model = self.model()  # type: ignore[attr-defined]
        finder = getattr(model, "row_of", None)
        if finder is not None:  # an id index: no walk over 100,000 rows
            row = finder(commit_id)
            if row is None:
                return False
            rows = [row]
        else:
            rows = [r for r in range(model.rowCount()) if model.index(r, 0).data(COMMIT_ID_ROLE) == commit_id][:1]
        if not rows:
            return False
        index = model.index(rows[0], 0)
        self.selectionModel().setCurrentIndex(  # type: ignore[attr-defined]
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.scrollTo(index)  # type: ignore[attr-defined]
        return True


def row_height(widget: QWidget) -> int:
    """The height of a commit row: the font's line plus some air (the same in every list)."""
    return widget.fontMetrics().height() + 6


class _RowHeightDelegate(QStyledItemDelegate):
    """Gives a tree's rows the table's height (uniform rows: asked once, for the first row)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        """The default hint, at least row_height() tall."""
        hint = super().sizeHint(option, index)
        parent = self.parent()
        if isinstance(parent, QWidget):
            hint.setHeight(max(hint.height(), row_height(parent)))
        return hint


class CommitListView(_CommitViewMixin, QTreeView):
    """A flat list of a few hundred commits at most (the queue, the operation log).

    QTreeView lays out every row in Python-visible calls (flags, rowCount per row): fine for a
    queue, far too slow for 100,000 downstream commits (see CommitTableView).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setItemDelegate(_RowHeightDelegate(self))
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAllColumnsShowFocus(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)


class CommitTableView(_CommitViewMixin, QTableView):
    """A list of commits that stays fast at 100,000 rows: a table dressed as a list.

    Measured on 100,000 rows (offscreen): QTreeView spends 160-590 ms laying out a reset model
    (two to four Python calls per row), QTableView with fixed row heights about 5 ms.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # Tab leaves the list (to the next pane) instead of walking its cells.
        self.setTabKeyNavigation(False)
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setMinimumSectionSize(1)
        rows.setDefaultSectionSize(row_height(self))
        columns = self.horizontalHeader()
        columns.setHighlightSections(False)
        columns.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

    def header(self) -> QHeaderView:
        """The column header (QTreeView's name for it, so panes treat both views alike)."""
        return self.horizontalHeader()

    def moveCursor(self, action: QAbstractItemView.CursorAction,  # noqa: N802 (Qt's name)
                   modifiers: Qt.KeyboardModifier) -> QModelIndex:
        """Home and End go to the first and last commit, as in a list (a table moves along the row)."""
        if action in (QAbstractItemView.CursorAction.MoveHome, QAbstractItemView.CursorAction.MoveEnd):
            modifiers = modifiers | Qt.KeyboardModifier.ControlModifier
        return super().moveCursor(action, modifiers)


class DownstreamPane(QWidget):
    """Filters on top, counts, then the list of downstream-only commits."""

    current_commit_changed = Signal(str)  # commit id ('' when none)

    def __init__(self, model: DownstreamModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        self.title = QLabel(self)
        self.title.setObjectName("paneTitle")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)  # long ref names must not set the pane's (and window's) minimum width
        layout.addWidget(self.title)

        filters = QHBoxLayout()
        self.text_filter = QLineEdit(self)
        self.text_filter.setPlaceholderText("Filter subject or id…  (Ctrl+F)")
        self.text_filter.setClearButtonEnabled(True)
        self.text_filter.setAccessibleName("Filter by subject or commit id")
        self.state_filter = QComboBox(self)
        for label, _ in STATE_CHOICES:
            self.state_filter.addItem(label)
        self.state_filter.setAccessibleName("Filter by state")
        self.state_filter.setToolTip("Show only commits in this state")
        self.path_filter = QLineEdit(self)
        self.path_filter.setPlaceholderText("path glob (hw/*.c)")
        self.path_filter.setClearButtonEnabled(True)
        self.path_filter.setAccessibleName("Filter by path glob")
        self.path_filter.setToolTip("Commits touching a path that matches; a name without * matches as a prefix")
        self.author_filter = QLineEdit(self)
        self.author_filter.setPlaceholderText("author")
        self.author_filter.setClearButtonEnabled(True)
        self.author_filter.setAccessibleName("Filter by author")
        filters.addWidget(self.text_filter, 3)
        filters.addWidget(self.state_filter, 1)
        filters.addWidget(self.path_filter, 2)
        filters.addWidget(self.author_filter, 1)
        layout.addLayout(filters)

        self.counts = QLabel(self)
        self.counts.setTextFormat(Qt.TextFormat.RichText)
        # On one line it kept the pane over 650 px wide: it wraps between states instead.
        self.counts.setWordWrap(True)
        self.counts.setAccessibleName("Commit counts per state")
        layout.addWidget(self.counts)
        self.banner = QLabel(self)
        self.banner.setTextFormat(Qt.TextFormat.PlainText)  # a message quoting "<b>" must not turn bold
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setObjectName("banner")
        self.banner.hide()
        layout.addWidget(self.banner)

        self.view = CommitTableView(self)
        self.view.setModel(model)
        self.view.setAccessibleName("Downstream-only commits")
        self.view.setDragEnabled(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.view.setDefaultDropAction(Qt.DropAction.CopyAction)
        # Start in the model's default order (remaining first) with no sort arrow shown.
        self.view.header().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        header = self.view.header()
        size_columns(header, COL_SUBJECT, fitted_widths(self.view, header, {
            COL_STATE: f"{BADGES[S_QUEUED].glyph} #99", COL_AUTHOR: "Marcelo Tosatti", COL_DATE: "2010-01-20"}))
        layout.addWidget(self.view, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FILTER_DELAY_MS)
        self._timer.timeout.connect(self.apply_filters)
        for edit in (self.text_filter, self.path_filter, self.author_filter):
            edit.textChanged.connect(self._timer.start)
        self.state_filter.currentIndexChanged.connect(self.apply_filters)
        model.counts_changed.connect(self._show_counts)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.set_title("", "")
        self._show_counts(dict.fromkeys(DISPLAY_STATES, 0), 0, 0)

    def set_title(self, downstream: str, upstream: str) -> None:
        """Name the refs this pane compares."""
        self._title = (downstream, upstream)
        muted = muted_color(self.palette())
        # Ref names may hold bidi controls (git allows them): shown escaped, as commit text is.
        what = (f"&nbsp;&nbsp;{html.escape(shown(downstream))} <span style='color: {muted}'>not in "
                f"{html.escape(shown(upstream))}</span>") if downstream else ""
        self.title.setText(f"<b>DOWNSTREAM</b>{what}")

    def changeEvent(self, event: QEvent) -> None:
        """Redraw the rich-text parts in the new palette's colours (dark mode switched on or off)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_counts"):
            self.set_title(*self._title)
            self._show_counts(*self._counts)

    def apply_filters(self) -> None:
        """Push the filter fields into the filter model now."""
        self._timer.stop()
        _, states = STATE_CHOICES[max(0, self.state_filter.currentIndex())]
        self.model.set_filters(self.text_filter.text(), states, self.path_filter.text(), self.author_filter.text())

    def set_state_filter(self, label: str) -> None:
        """Choose a state filter by its label."""
        for i, (text, _) in enumerate(STATE_CHOICES):
            if text == label:
                self.state_filter.setCurrentIndex(i)
                return
        raise KeyError(label)

    def focus_filter(self) -> None:
        """Ctrl+F: put the cursor in the text filter."""
        self.text_filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.text_filter.selectAll()

    def show_banner(self, text: str) -> None:
        """A non-blocking notice above the list (warnings, missing profile); empty hides it."""
        # Core messages (their command-line hints are not passed here), commit text in them escaped.
        self.banner.setText(shown_message(text))
        self.banner.setVisible(bool(text))

    def _show_counts(self, counts: dict[str, int], shown: int, total: int) -> None:
        self._counts = (counts, shown, total)
        palette = self.palette()
        parts = []
        pending = counts.get(S_PENDING, 0)
        for state in (S_PENDING,) if pending else DISPLAY_STATES:
            badge = BADGES[state]
            color = badge.color(palette).name()
            words = counted(state, counts.get(state, 0)).replace(" ", NBSP)
            parts.append(f"<span style='color: {color}'>{badge.glyph}</span>{NBSP}{words}")
        text = f"{NBSP}· ".join(parts)
        if self.model.is_filtering:
            text += f"  —{NBSP}" + f"showing {shown:,} of {total:,}".replace(" ", NBSP)
        self.counts.setText(text)

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self.current_commit_changed.emit(str(current.data(COMMIT_ID_ROLE) or "") if current.isValid() else "")

    def selected_ids_oldest_first(self) -> list[str]:
        """The selected commits in pick order."""
        return self.model.ids_oldest_first(self.view.selected_rows())

    def current_commit(self) -> str:
        """The current commit id, or ''."""
        index = self.view.currentIndex()
        return str(index.data(COMMIT_ID_ROLE) or "") if index.isValid() else ""
