"""The details of the selected commit: message, diff, files, and its twin with the evidence."""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QHeaderView, QLabel, QTabWidget, QTextBrowser, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout, QWidget)

from ...core.display import shown, shown_message
from ..models.states import BADGES, S_NO_DIFF, S_REMAINING
from .details_origins import ORIGIN_BASE, ORIGIN_DOWNSTREAM, ORIGIN_QUEUE, PROMPT
from .diff_view import DiffPanel, DiffView, monospace_font

if TYPE_CHECKING:
    from ...core.repo import CommitInfo
    from ..queries import CommitDetails

TAB_MESSAGE, TAB_DIFF, TAB_FILES, TAB_MATCH = range(4)
MATCH_SUMMARY_HEIGHT = 150  # above the twin's interdiff, which gets the rest
QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's own "no maximum" (QWIDGETSIZE_MAX is not exported to Python)
FILE_STATUS, FILE_PATH, FILE_ADDED, FILE_DELETED = range(4)

# Keyed by the core's HOW_* values (spelled out so this module loads before the core; a test
# holds the two together).
HOW_WORDS = {
    "patch-id": "the same patch (equal patch-id)",
    "trailer": "a provenance trailer names it",
    "subject": "the same subject",
    "author-date": "the same author and author date",
    "similar": "the same author and files, with similar lines",
}


def format_when(timestamp: int, offset_minutes: int = 0) -> str:
    """A date as git log prints it in ISO style, in the commit's own time zone."""
    tz = timezone(timedelta(minutes=offset_minutes))
    return datetime.fromtimestamp(timestamp, tz).strftime("%Y-%m-%d %H:%M:%S %z")


def header_html(info: CommitInfo) -> str:
    """The commit's id, author and date as a few lines of HTML."""
    return (f"<b>commit</b> <code>{info.id}</code><br>"
            f"<b>Author:</b> {html.escape(shown(info.author_name))} &lt;{html.escape(shown(info.author_email))}&gt;<br>"
            f"<b>Date:</b> {format_when(info.author_time, info.author_offset)}")


def no_twin_text(origin: str, state: str | None) -> str:
    """What the Match tab says when the commit has no twin, true to where it was chosen and its state."""
    if origin == ORIGIN_BASE:
        return "The queue's base: this commit is upstream, and the queue's commits sit on top of it."
    if origin == ORIGIN_QUEUE:
        return ("No downstream original: this commit is in the queue, and no downstream-only commit "
                "matches it.")
    if state == S_NO_DIFF:
        return "No twin: this commit changes no file, so there is no patch to look for."
    if state == S_REMAINING:
        return "No twin: this change is neither upstream nor in the queue."
    return "No twin known yet: the comparison with upstream and the queue has not finished."


class DetailsPane(QWidget):
    """Tabs Message / Diff / Files / Match for one commit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.details: CommitDetails | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.setAccessibleName("Commit details")
        layout.addWidget(self.tabs)

        self.message = QTextBrowser(self)
        self.message.setAccessibleName("Commit message")
        self.message.setOpenLinks(False)
        # The Diff tab: unified, or side by side (the window remembers the choice).
        self.diff = DiffPanel(self, "Diff")
        self.files = QTreeWidget(self)
        self.files.setHeaderLabels(["Status", "Path", "Added", "Deleted"])
        self.files.setRootIsDecorated(False)
        self.files.setUniformRowHeights(True)
        self.files.setAccessibleName("Changed files")
        # The path takes the spare width and the counts only what they need, so each number sits
        # under its own header (a stretched last column put them a window's width away from it);
        # a long path loses its middle (the directory and the file name both stay readable).
        self.files.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.files.header()
        header.setStretchLastSection(False)
        for column in (FILE_STATUS, FILE_ADDED, FILE_DELETED):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(FILE_PATH, QHeaderView.ResizeMode.Stretch)
        match_box = self.match_box = QWidget(self)
        match_layout = QVBoxLayout(match_box)
        match_layout.setContentsMargins(0, 0, 0, 0)
        self.match_summary = QTextBrowser(match_box)
        self.match_summary.setAccessibleName("Match evidence")
        self.match_summary.setMaximumHeight(MATCH_SUMMARY_HEIGHT)
        self.interdiff_label = QLabel("Difference between the two patches ('-' this commit, '+' its twin):", match_box)
        self.interdiff = DiffView(match_box)
        self.interdiff.setAccessibleName("Difference between the two patches")
        match_layout.addWidget(self.match_summary)
        match_layout.addWidget(self.interdiff_label)
        match_layout.addWidget(self.interdiff, 1)

        self.tabs.addTab(self.message, "&Message")
        self.tabs.addTab(self.diff, "&Diff")
        self.tabs.addTab(self.files, "F&iles")
        self.tabs.addTab(match_box, "M&atch")
        # Not clear(): the new views are empty already, and refilling them costs the first paint ~15 ms.
        self.message.setHtml(f"<p><i>{html.escape(PROMPT)}</i></p>")
        self._show_interdiff(False)

    def clear(self, text: str = "") -> None:
        """Show nothing but TEXT."""
        self.details = None
        self.message.setHtml(f"<p><i>{html.escape(text)}</i></p>")
        self.diff.set_diff("")
        self.files.clear()
        self.match_summary.setHtml("")
        self.interdiff.set_diff("")
        self._show_interdiff(False)

    def show_loading(self, commit_id: str) -> None:
        """Say which commit is being read (the worker is on it)."""
        self.message.setHtml(f"<p><i>Reading {commit_id[:12]}…</i></p>")

    def current_views(self) -> list[QWidget]:
        """The widgets of the current tab that Tab should visit, in order (hidden ones left out)."""
        page = self.tabs.currentWidget()
        views: list[QWidget]
        if page is self.diff:
            views = [self.diff.switch, *self.diff.views()]
        elif page is self.match_box:
            views = [self.match_summary, self.interdiff]
        else:
            views = [page] if page is not None else []
        return [w for w in views if w.isVisibleTo(self) and w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus]

    def show_details(self, details: CommitDetails, state: str | None = None, where_label: str = "",
                     origin: str = ORIGIN_DOWNSTREAM) -> None:
        """Fill every tab from DETAILS; STATE is the commit's display state, ORIGIN where it was chosen."""
        self.details = details
        info = details.info
        badge = f"<p>{BADGES[state].glyph} {BADGES[state].label}</p>" if state in BADGES else ""
        # Escaped for display only (display.py): details.info keeps the message as the commit has it.
        body = html.escape(shown_message(info.message.rstrip("\n")))
        self.message.setHtml(
            f"{header_html(info)}{badge}<pre style='font-family: monospace; white-space: pre-wrap'>{body}</pre>")
        if len(info.parents) > 1:
            self.diff.set_diff(f"(merge commit of {len(info.parents)} parents: no single diff to show)")
        else:
            note = "\n… (diff cut here; `git show` prints all of it)" if details.patch_truncated else ""
            self.diff.set_diff(details.patch + note if details.patch else "(empty diff)")
        self.files.clear()
        mono = monospace_font()
        for f in details.files:
            path = f"{shown(f.old_path)} → {shown(f.path)}" if f.old_path else shown(f.path)
            item = QTreeWidgetItem([f.status, path, "bin" if f.binary else str(f.added),
                                    "bin" if f.binary else str(f.deleted)])
            item.setFont(FILE_PATH, mono)
            item.setToolTip(FILE_PATH, path)
            for col in (FILE_ADDED, FILE_DELETED):
                item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.files.addTopLevelItem(item)
        self._show_match(details, where_label, state, origin)

    def _show_interdiff(self, shown_now: bool) -> None:
        """Show the twin's interdiff and its label only with a twin: without one it is an empty box."""
        self.interdiff_label.setVisible(shown_now)
        self.interdiff.setVisible(shown_now)
        # Alone, the evidence takes the tab, as the message does in its own.
        self.match_summary.setMaximumHeight(MATCH_SUMMARY_HEIGHT if shown_now else QWIDGETSIZE_MAX)

    def _show_match(self, details: CommitDetails, where_label: str, state: str | None, origin: str) -> None:
        match = details.match
        self.interdiff.set_diff("")
        self._show_interdiff(False)
        if match is None:
            self.match_summary.setHtml(f"<p><i>{html.escape(no_twin_text(origin, state))}</i></p>")
            return
        where = where_label or match.where
        parts = [f"<p><b>Twin in {html.escape(where)}:</b> <code>{match.id}</code>"]
        if details.twin is not None:
            t = details.twin
            parts.append(f"<br>{html.escape(shown(t.subject))}<br>{html.escape(shown(t.author_name))} "
                         f"&lt;{html.escape(shown(t.author_email))}&gt;, {format_when(t.author_time, t.author_offset)}")
        parts.append("</p>")
        how = HOW_WORDS.get(match.how, match.how)
        parts.append(f"<p><b>Found by:</b> {html.escape(how)} — score {match.score:.0%}<br>"
                     f"<b>Evidence:</b> {html.escape(shown(match.evidence))}</p>")
        if match.chain:
            chain = " → ".join(f"<code>{c[:12]}</code>" for c in match.chain)
            parts.append(f"<p><b>Through:</b> {chain}</p>")
        if details.twin_problem:
            parts.append(f"<p><i>{html.escape(details.twin_problem)}</i></p>")
        self.match_summary.setHtml("".join(parts))
        self._show_interdiff(True)
        if details.interdiff:
            note = "\n… (cut here)" if details.interdiff_truncated else ""
            self.interdiff.set_diff(details.interdiff + note)
        else:
            self.interdiff.set_diff("(the two patches are the same, apart from line numbers)")

