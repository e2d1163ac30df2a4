"""The status bar's permanent part: what runs, how far it got, a cancel button, repo and profile."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from .. import icons


class ProgressPane(QWidget):
    """Label, progress bar (busy indicator when the total is unknown) and cancel button."""

    cancel_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(self)
        self.label.setAccessibleName("Background work")
        self.bar = QProgressBar(self)
        self.bar.setFixedWidth(180)
        self.bar.setMaximumHeight(16)
        self.bar.setAccessibleName("Progress")
        self.cancel = QToolButton(self)
        self.cancel.setIcon(icons.icon("cancel"))
        self.cancel.setToolTip("Cancel the running job")
        self.cancel.setAccessibleName("Cancel")
        self.cancel.setAutoRaise(True)
        self.cancel.clicked.connect(self.cancel_clicked)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel)
        self.set_idle()

    def set_progress(self, text: str, done: int, total: int) -> None:
        """Show TEXT and DONE of TOTAL (TOTAL 0: unknown)."""
        self.label.setText(text)
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
            self.bar.setFormat(f"{done:,} / {total:,}")
        else:
            self.bar.setRange(0, 0)
        for w in (self.label, self.bar, self.cancel):
            w.show()

    def set_idle(self) -> None:
        """Hide everything: nothing runs."""
        self.label.setText("")
        for w in (self.label, self.bar, self.cancel):
            w.hide()
