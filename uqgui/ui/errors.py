"""The one place an error becomes a dialog: title, an actionable message, and a Details part."""

from __future__ import annotations

import sys
import traceback
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QWidget

from ..core.errors import ConflictError, UqError
from ..core.display import shown, shown_message


class ErrorDialog(QMessageBox):
    """A non-blocking message box for one error; always opened with open(), never exec()."""

    def __init__(self, title: str, message: str, details: str = "", parent: QWidget | None = None,
                 critical: bool = False) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setIcon(QMessageBox.Icon.Critical if critical else QMessageBox.Icon.Warning)
        self.setWindowTitle(title)
        self.setText(f"<b>{_escape(title)}</b>")
        self.setInformativeText(_escape(message).replace("\n", "<br>"))
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setStandardButtons(QMessageBox.StandardButton.Close)
        if details:
            self.setDetailedText(details)
        self.setAccessibleName(title)
        self.setAccessibleDescription(message)
        self.title = title
        self.message = message
        self.details = details


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _shown_details(details: str) -> str:
    # Command output: CRLF line ends are line ends, not a \x0d on each line.
    return shown_message(details.replace("\r\n", "\n"))


def dialog_for(exc: BaseException, parent: QWidget | None = None) -> ErrorDialog:
    """Build (not show) the dialog that tells the user about EXC.

    The message alone: its hint (uq's options and commands) is the command line's. Subjects and
    paths quoted in it are escaped as every view shows them (display.py).
    """
    if isinstance(exc, ConflictError):
        details = "Conflicting paths:\n" + "\n".join(f"  {shown(p)}" for p in exc.paths)
        details += f"\n\nCommit: {exc.commit}"
        if exc.details:
            details += "\n\n" + exc.details
        return ErrorDialog(exc.title, shown_message(exc.message), _shown_details(details), parent)
    if isinstance(exc, UqError):
        return ErrorDialog(exc.title, shown_message(exc.message), _shown_details(exc.details), parent)
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    remote = getattr(exc, "remote_traceback", "")
    if remote:  # a bug in the core worker process: its own traceback is the useful one
        tb = f"{remote}\n(in the core worker process; the GUI side:)\n{tb}"
    message = (f"{type(exc).__name__}: {exc}\n\nThis is a bug in uqgui. Nothing was changed in the "
               "repository unless the status bar said so. The details below help to report it.")
    return ErrorDialog("Unexpected error", message, tb, parent, critical=True)


# Dialogs without a parent are owned by Python: keep them alive until they close.
_parentless: set[ErrorDialog] = set()


def show_error(exc: BaseException, parent: QWidget | None = None) -> ErrorDialog:
    """Show EXC in a non-blocking dialog (open(), never exec(): callers may be coroutines)."""
    dialog = dialog_for(exc, parent)
    if parent is None:
        _parentless.add(dialog)
        dialog.finished.connect(lambda _result, d=dialog: _parentless.discard(d))
    dialog.open()
    return dialog


def _main_window() -> QWidget | None:
    """The active window, else a visible main window, to parent an error dialog on."""
    active = QApplication.activeWindow()
    if active is not None:
        return active
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMainWindow) and widget.isVisible():
            return widget
    return None


_showing = False


def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """Print the traceback and show it in a dialog instead of letting the app die."""
    global _showing
    traceback.print_exception(exc_type, exc, tb, file=sys.stderr)
    if issubclass(exc_type, KeyboardInterrupt):
        QApplication.quit()
        return
    app = QApplication.instance()
    # A failure while showing the dialog must not recurse into another dialog.
    if app is None or _showing:
        return
    _showing = True
    try:
        if exc.__traceback__ is None and tb is not None:
            exc = exc.with_traceback(tb)
        show_error(exc, _main_window())
    finally:
        _showing = False


def install_excepthook() -> None:
    """Route unexpected exceptions (including those of async slots) to the error dialog."""
    sys.excepthook = excepthook
