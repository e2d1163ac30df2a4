"""The one place an error becomes a dialog: title, an actionable message, and a Details part."""

from __future__ import annotations

import re
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


# -- the core's messages in the window's words ---------------------------------------------------
# The core writes one message for both faces, and ends many with the command line's way on
# ("(uq: run it there, or give --repo PATH)", "with --branch", "Use --force to undo anyway"). The
# window has no options to give: those parts go. A git command is advice for both (`git config
# --unset ...`, git fetch --unshallow) and stays, options and all.
_UQ_COMMANDS = "add|cache|credential|demo|fetch|list|oplog|pick|profile|redo|remove|reorder|show|status|undo"
# What is not uq's command line even when it looks like it: a git command, in backticks or bare (it
# runs to the end of its clause), and a quoted subject or name ("kvm: add --foo", 'uq: fix').
_NOT_OURS = re.compile(r"`git\b[^`]*`|\bgit[ \t]+[a-z][\w-]*(?:[ \t]+[^\s,;()`]+)*|\"[^\"\n]*\""
                       r"|(?<!\w)'[^'\n]*'(?!\w)")
# An option (after a space: not a path's "/--x" or a date range's "--"), uq's "uq: " prefix, or a
# uq command (not the prose "uq operation" or the branch "uq/master").
_COMMAND_LINE = re.compile(rf"(?<![^\s(`])--[a-zA-Z][\w-]*|`uq\b|\buq:|\buq[ \t]+(?:{_UQ_COMMANDS})\b")
_ASIDE = re.compile(r"\s*\(([^()\n]*)\)")
_SENTENCE_END = re.compile(r"(?<=[.!?])([ \t]+)")
_ALTERNATIVE = re.compile(r"(,?[ \t]+or[ \t]+)")
_WITH_OPTION = re.compile(r"[ \t]+with[ \t]+--[a-zA-Z][\w-]*(?=[,.;:)]|$)")  # "name with --branch, such as"
_NAMED_COMMIT = re.compile(r'\b[0-9a-f]{12} "')  # how the core names a commit: short id, quoted subject
_DETERMINERS = frozenset({"a", "an", "another", "any", "some", "the"})


def names_command_line(text: str) -> bool:
    """True when TEXT names uq's command line (an option or a uq command) outside any git command."""
    return _COMMAND_LINE.search(_NOT_OURS.sub(" ", text)) is not None


def window_wording(message: str) -> str:
    """MESSAGE as the window says it: the parts only the command line can follow left out."""
    if "--" not in message and "uq" not in message:
        return message  # nearly every message: no work
    if _NAMED_COMMIT.search(message):
        # A commit named with its subject (pick, replay, reorder): the subject is anyone's text,
        # quotes, periods and "--" included, and those messages give no command-line advice.
        return message
    lines = []
    for line in message.split("\n"):
        worded = _line_wording(line)
        if worded.strip() or not line.strip():  # a line that was all command line goes; blank lines stay
            lines.append(worded)
    return "\n".join(lines)


def _line_wording(line: str) -> str:
    line = _ASIDE.sub(_aside_wording, line)
    pieces = _SENTENCE_END.split(line)  # sentence, spaces, sentence, ...
    kept = []
    for k in range(0, len(pieces), 2):
        sentence = _sentence_wording(pieces[k])
        if sentence:
            kept.append((pieces[k - 1] if k else "", sentence))
    return "".join((space if n else "") + sentence for n, (space, sentence) in enumerate(kept))


def _aside_wording(match: re.Match[str]) -> str:
    """A parenthesised aside without its command-line parts ("(uq: ...)" goes whole)."""
    parts = match.group(1).split("; ")
    kept = [p for p in parts if not names_command_line(p)]
    if len(kept) == len(parts):
        return match.group(0)
    if not kept:
        return ""
    space = match.group(0)[:match.group(0).index("(")]
    return f"{space}({'; '.join(kept)})"


def _sentence_wording(sentence: str) -> str:
    if not names_command_line(sentence):
        return sentence
    stripped = sentence.rstrip(".!?")
    end = sentence[len(stripped):]
    clauses = stripped.split("; ")
    kept = [worded for worded in (_clause_wording(c) for c in clauses) if worded]
    if not kept:
        return ""
    text = "; ".join(kept)
    if text[:1] != stripped[:1]:
        text = text[:1].upper() + text[1:]  # it starts a sentence now
    return text + end


def _clause_wording(clause: str) -> str:
    """CLAUSE without its command-line alternatives ("X, or use --force" -> "X"); '' when nothing is left."""
    if not names_command_line(clause):
        return clause
    pieces = _ALTERNATIVE.split(clause)  # alternative, " or ", alternative, ...
    alternatives = pieces[0::2]
    if len(alternatives) == 1:
        clause = _WITH_OPTION.sub("", clause)
        return "" if names_command_line(clause) else clause
    kept = [(pieces[k - 1] if k else "", pieces[k]) for k in range(0, len(pieces), 2)
            if not names_command_line(pieces[k])]
    if not kept:
        return ""
    first = kept[0][1]
    if names_command_line(alternatives[0]):
        first = _instead_of(alternatives[0], first)
    return first + "".join(separator + alternative for separator, alternative in kept[1:])


def _instead_of(dropped: str, kept: str) -> str:
    """KEPT said in place of the command-line alternative DROPPED before it, as a clause of its own."""
    found = _COMMAND_LINE.search(dropped)
    head = dropped[:found.start()].split() if found else []
    words = kept.split()
    if head and words and words[0].lower() == head[-1].lower():
        # "Pick it with --no-signoff, or with git" -> "Pick it with git"
        return " ".join([*head[:-1], kept])
    if head and words and words[0].lower() in _DETERMINERS:
        # "Use --branch x, or another name ..." -> "Use another name ..."
        return f"{head[0]} {kept}"
    return kept[:1].upper() + kept[1:]


def _worded(message: str) -> str:
    # Messages quote subjects and paths from commits: escaped as every view shows them (display.py).
    return shown_message(window_wording(message))


def _shown_details(details: str) -> str:
    # Command output: CRLF line ends are line ends, not a \x0d on each line.
    return shown_message(details.replace("\r\n", "\n"))


def dialog_for(exc: BaseException, parent: QWidget | None = None) -> ErrorDialog:
    """Build (not show) the dialog that tells the user about EXC."""
    if isinstance(exc, ConflictError):
        details = "Conflicting paths:\n" + "\n".join(f"  {shown(p)}" for p in exc.paths)
        details += f"\n\nCommit: {exc.commit}"
        if exc.details:
            details += "\n\n" + exc.details
        return ErrorDialog(exc.title, _worded(exc.message), _shown_details(details), parent)
    if isinstance(exc, UqError):
        return ErrorDialog(exc.title, _worded(exc.message), _shown_details(exc.details), parent)
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
