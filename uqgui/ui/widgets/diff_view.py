"""Read-only diffs, unified or side by side, coloured only where they are visible.

A QSyntaxHighlighter colours every line of a document as soon as it is set: measured, 5,000 diff
lines cost 30 ms of Python on the GUI thread. Here a line gets its colours when it first scrolls
into view (a screenful is about 50 short calls), so a 6,000-line patch shows as fast as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QRect, Qt, Signal
from PySide6.QtGui import (QColor, QFont, QFontDatabase, QPalette, QShowEvent, QTextCharFormat, QTextLayout,
                           QTextOption)
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QPlainTextEdit, QSplitter, QStackedWidget,
                               QVBoxLayout, QWidget)

from ...core.display import hides_controls

# Line kinds (one per diff line), also what the side-by-side columns carry.
K_PLAIN, K_ADDED, K_REMOVED, K_HUNK, K_HEADER, K_META, K_EMPTY = (
    "plain", "added", "removed", "hunk", "header", "meta", "empty")
_META_PREFIXES = ("index ", "new file", "deleted file", "similarity", "dissimilarity", "rename ", "copy ",
                  "old mode", "new mode", "Binary files", "commit ", "Author:", "Date:", "(", "\\ No newline")


def line_kind(text: str) -> str:
    """The kind of one unified-diff line (nested diffs, as a diff of two patches, included)."""
    if text.startswith(("diff --git", "+++ ", "--- ")):
        return K_HEADER
    if text.startswith(("@@", " @@", "+@@", "-@@")):
        return K_HUNK
    if text.startswith("+"):
        return K_ADDED
    if text.startswith("-"):
        return K_REMOVED
    if text.startswith(_META_PREFIXES):
        return K_META
    return K_PLAIN


def is_dark(palette: QPalette) -> bool:
    """True when PALETTE draws text on a dark base."""
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def _format(color: str, bold: bool = False, background: str | None = None) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if background:
        fmt.setBackground(QColor(background))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    return fmt


@dataclass(frozen=True)
class DiffColors:
    """Foreground/background per line kind for one palette (contrast checked by a test)."""

    added: tuple[str, str]
    removed: tuple[str, str]
    hunk: str
    header: str
    meta: str
    empty: str

    @staticmethod
    def for_palette(palette: QPalette) -> DiffColors:
        """Colours that read well on PALETTE's base."""
        if is_dark(palette):
            return DiffColors(("#a6f0b4", "#1f3a26"), ("#ffb3b3", "#4a2226"), "#8fd0f5", "#f0f0f0", "#b8b8b8",
                              "#2a2a2a")
        return DiffColors(("#0f5421", "#e6f7e9"), ("#8c1d18", "#fbe9e8"), "#1a5694", "#1b1b1b", "#5c5c5c", "#f0f0f0")

    def formats(self) -> dict[str, QTextCharFormat]:
        """A QTextCharFormat per line kind (plain lines keep the palette's text colour)."""
        return {K_ADDED: _format(self.added[0], background=self.added[1]),
                K_REMOVED: _format(self.removed[0], background=self.removed[1]),
                K_HUNK: _format(self.hunk), K_HEADER: _format(self.header, bold=True), K_META: _format(self.meta),
                K_EMPTY: _format(self.meta, background=self.empty)}


def monospace_font() -> QFont:
    """The system's fixed-width font."""
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class DiffView(QPlainTextEdit):
    """A read-only, non-wrapping, monospace diff, coloured lazily by line kind."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setWordWrapMode(QTextOption.WrapMode.NoWrap)
        self.setFont(monospace_font())
        self.setUndoRedoEnabled(False)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self._kinds: list[str] | None = None  # given kinds (side by side), else each line's own
        self._generation = 1  # a block whose userState differs is (re)coloured when shown
        self._formats = DiffColors.for_palette(self.palette()).formats()
        self.updateRequest.connect(self._colour_visible)

    def set_diff(self, text: str) -> None:
        """Show unified diff TEXT from its top."""
        self.set_lines(text, None)

    def set_lines(self, text: str, kinds: list[str] | None) -> None:
        """Show TEXT with one KINDS entry per line (None: each line's kind from its text)."""
        self._kinds = kinds
        if not text and self.document().isEmpty():
            return  # emptying an empty view lays out its font for nothing (~15 ms of the first paint)
        self.setPlainText(text)
        # After, not before: setPlainText() repaints while it fills the document, and a block
        # coloured then (the first one, still empty) must be coloured again with its text.
        self._generation += 1
        self.moveCursor(self.textCursor().MoveOperation.Start)
        self._colour_visible()

    def changeEvent(self, event: QEvent) -> None:
        """Re-colour for a new palette (the system switched to dark mode, or back)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._formats = DiffColors.for_palette(self.palette()).formats()
            self._generation += 1
            self._colour_visible()

    def _colour_visible(self, _rect: QRect | None = None, _dy: int = 0) -> None:
        block = self.firstVisibleBlock()
        offset = self.contentOffset()
        bottom = self.viewport().rect().bottom()
        document = self.document()
        generation = self._generation
        formats, kinds = self._formats, self._kinds
        while block.isValid():
            if self.blockBoundingGeometry(block).translated(offset).top() > bottom:
                break
            if block.userState() != generation:
                text = block.text()
                number = block.blockNumber()
                kind = kinds[number] if kinds is not None and number < len(kinds) else line_kind(text)
                fmt = formats.get(kind)
                ranges = []
                if fmt is not None:
                    whole = QTextLayout.FormatRange()
                    whole.start, whole.length, whole.format = 0, max(1, len(text)), fmt
                    ranges.append(whole)
                block.layout().setFormats(ranges)
                block.setUserState(generation)
                document.markContentsDirty(block.position(), block.length())
            block = block.next()

    def kind_at(self, line: int) -> str:
        """The kind of line LINE (0-based), as the view colours it."""
        if self._kinds is not None and line < len(self._kinds):
            return self._kinds[line]
        return line_kind(self.document().findBlockByNumber(line).text())


def side_by_side(unified: str) -> tuple[list[str], list[str], list[str], list[str]]:
    """Two aligned columns (old, new) from a unified diff: lines and their kinds.

    Removed lines face the added lines of the same run; the shorter side is padded with empty
    lines. File headers and hunk lines span both sides; the +/- markers are dropped.
    """
    left: list[str] = []
    right: list[str] = []
    lkinds: list[str] = []
    rkinds: list[str] = []
    removed: list[str] = []
    added: list[str] = []
    in_hunk = False

    def flush() -> None:
        for i in range(max(len(removed), len(added))):
            left.append(removed[i] if i < len(removed) else "")
            lkinds.append(K_REMOVED if i < len(removed) else K_EMPTY)
            right.append(added[i] if i < len(added) else "")
            rkinds.append(K_ADDED if i < len(added) else K_EMPTY)
        removed.clear()
        added.clear()

    for line in unified.split("\n"):
        if line.startswith("diff --git"):
            in_hunk = False
        if in_hunk and line.startswith("-"):
            removed.append(line[1:])
            continue
        if in_hunk and line.startswith("+"):
            added.append(line[1:])
            continue
        flush()
        if line.startswith("@@"):
            in_hunk = True
            kind = K_HUNK
        elif in_hunk and line.startswith(" "):
            left.append(line[1:])
            right.append(line[1:])
            lkinds.append(K_PLAIN)
            rkinds.append(K_PLAIN)
            continue
        else:
            kind = line_kind(line)
        left.append(line)
        right.append(line)
        lkinds.append(kind)
        rkinds.append(kind)
    flush()
    return left, right, lkinds, rkinds


class SideBySideView(QSplitter):
    """Old on the left, new on the right, scrolling together."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.old = DiffView(self)
        self.old.setAccessibleName("Old version")
        self.new = DiffView(self)
        self.new.setAccessibleName("New version")
        self.addWidget(self.old)
        self.addWidget(self.new)
        self.setChildrenCollapsible(False)
        for a, b in ((self.old, self.new), (self.new, self.old)):
            a.verticalScrollBar().valueChanged.connect(b.verticalScrollBar().setValue)
            a.horizontalScrollBar().valueChanged.connect(b.horizontalScrollBar().setValue)

    def set_diff(self, unified: str) -> None:
        """Show UNIFIED as two aligned columns."""
        left, right, lkinds, rkinds = side_by_side(unified)
        self.old.set_lines("\n".join(left), lkinds)
        self.new.set_lines("\n".join(right), rkinds)


class DiffPanel(QWidget):
    """A diff with a "Side by side" switch; `unified` is the unified view (what tests read)."""

    side_by_side_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, name: str = "Diff") -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 0)
        self.switch = QCheckBox("Side by side", self)
        self.switch.setToolTip("Show the old and the new version next to each other")
        self.switch.setAccessibleName(f"{name}: side by side")
        # The diff is shown as it is (what is copied is what git has), so a hidden control is said.
        self.hidden_warning = QLabel("⚠ This diff holds invisible bidi or control characters: it may read "
                                     "otherwise than it compiles.", self)
        self.hidden_warning.setObjectName("hiddenControls")
        self.hidden_warning.hide()
        bar.addWidget(self.hidden_warning)
        bar.addStretch(1)
        bar.addWidget(self.switch)
        layout.addLayout(bar)
        self.stack = QStackedWidget(self)
        self.unified = DiffView(self.stack)
        self.unified.setAccessibleName(name)
        self.split = SideBySideView(self.stack)
        self.stack.addWidget(self.unified)
        self.stack.addWidget(self.split)
        layout.addWidget(self.stack, 1)
        self._text = ""
        self._split_stale = True
        self._unified_stale = False  # empty, as its text
        self.switch.toggled.connect(self._switch)

    def views(self) -> list[DiffView]:
        """The diff views shown now, left to right: the unified one, or old and new side by side."""
        return [self.unified] if self.stack.currentWidget() is self.unified else [self.split.old, self.split.new]

    def set_diff(self, text: str) -> None:
        """Show unified diff TEXT (each view is filled when it is shown: a big diff costs its layout once)."""
        self._text = text
        self.hidden_warning.setVisible(hides_controls(text))
        self._split_stale = self._unified_stale = True
        if self.isVisible():
            self._fill_shown()

    def showEvent(self, event: QShowEvent) -> None:
        """Fill the view now shown (its tab was opened) if its text changed while it was hidden."""
        super().showEvent(event)
        self._fill_shown()

    def _fill_shown(self) -> None:
        if self.switch.isChecked():
            self._fill_split()
        else:
            self._fill_unified()

    def set_side_by_side(self, on: bool) -> None:
        """Switch between unified and side by side."""
        self.switch.setChecked(on)

    def toPlainText(self) -> str:  # noqa: N802 (reads like the QPlainTextEdit it wraps)
        """The unified text (shown, or shown when side by side is switched off)."""
        return self._text

    def _switch(self, on: bool) -> None:
        if on:
            self._fill_split()
        else:
            self._fill_unified()
        self.stack.setCurrentWidget(self.split if on else self.unified)
        self.side_by_side_changed.emit(on)

    def _fill_unified(self) -> None:
        if self._unified_stale:
            self.unified.set_diff(self._text)
            self._unified_stale = False

    def _fill_split(self) -> None:
        if self._split_stale:
            self.split.set_diff(self._text)
            self._split_stale = False
