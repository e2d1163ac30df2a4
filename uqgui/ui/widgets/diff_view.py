"""A read-only unified diff view, coloured by a QSyntaxHighlighter (no extra dependency)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QWidget


def _format(color: str, bold: bool = False, background: str | None = None) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if background:
        fmt.setBackground(QColor(background))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    return fmt


class DiffHighlighter(QSyntaxHighlighter):
    """Colours added, removed, hunk and file header lines; nested diffs (a diff of two patches) too."""

    def __init__(self, document: QTextDocument, dark: bool | None = None) -> None:
        super().__init__(document)
        if dark is None:
            dark = QApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128
        if dark:
            self.added = _format("#8fe39f", background="#1f3a26")
            self.removed = _format("#ff9a9a", background="#4a2226")
            self.hunk = _format("#7fc8f0")
            self.header = _format("#e0e0e0", bold=True)
            self.meta = _format("#a0a0a0")
        else:
            self.added = _format("#145f26", background="#e6f7e9")
            self.removed = _format("#8c1d18", background="#fbe9e8")
            self.hunk = _format("#1d5fa0")
            self.header = _format("#202020", bold=True)
            self.meta = _format("#6a6a6a")

    def highlightBlock(self, text: str) -> None:
        """Colour one line by its first character(s)."""
        if text.startswith(("diff --git", "+++ ", "--- ")):
            self.setFormat(0, len(text), self.header)
        elif text.startswith(("@@", " @@", "+@@", "-@@")):
            self.setFormat(0, len(text), self.hunk)
        elif text.startswith("+"):
            self.setFormat(0, len(text), self.added)
        elif text.startswith("-"):
            self.setFormat(0, len(text), self.removed)
        elif text.startswith(("index ", "new file", "deleted file", "similarity", "rename ", "old mode", "new mode",
                              "Binary files", "commit ", "Author:", "Date:", "(")):
            self.setFormat(0, len(text), self.meta)


def monospace_font() -> QFont:
    """The system's fixed-width font."""
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class DiffView(QPlainTextEdit):
    """A read-only, non-wrapping, monospace, coloured diff."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(monospace_font())
        self.setUndoRedoEnabled(False)
        self.highlighter = DiffHighlighter(self.document())

    def set_diff(self, text: str) -> None:
        """Show TEXT from its top."""
        self.setPlainText(text)
        self.moveCursor(self.textCursor().MoveOperation.Start)
