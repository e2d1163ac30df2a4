"""Commit text as the window shows it (controls and bidi overrides escaped), and the core's messages without hints."""

from __future__ import annotations

import re
import time

import pytest
from PySide6 import QtGui
from PySide6.QtCore import Qt

from tests.command_line import names_command_line
from tests.ui.conftest import WAIT_MS, wait_idle
from tests.ui.scenario import DOWNSTREAM, QUEUE
from uqgui.core.errors import UqError
from uqgui.core.listing import CommitRow, DownstreamListing
from uqgui.core.display import shown, shown_message
from uqgui.ui.errors import dialog_for
from uqgui.ui.models.downstream import COL_AUTHOR, COL_SUBJECT, COMMIT_ID_ROLE, DownstreamModel
from uqgui.ui.models.mime import read_commit_ids
from uqgui.ui.models.queue import COL_SUBJECT as QUEUE_SUBJECT
from uqgui.ui.models.queue import QueueModel
from uqgui.ui.widgets.details_pane import FILE_PATH, TAB_FILES

RLO, PDF = "\u202e", "\u202c"
EVIL_SUBJECT = f"rtl: {RLO}evil{PDF} x \x1b[31mred\x07\tgap"
EVIL_SHOWN = "rtl: \\u202eevil\\u202c x \\x1b[31mred\\x07\\tgap"
EVIL_NAME = f"Mallory {RLO}yroK"
EVIL_FILE = f"hw/{RLO}cod.exe\x1b.c"
# Every character that must never reach the screen raw: C0 (newline aside, in messages), DEL, C1, bidi.
HIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


# -- the helper ------------------------------------------------------------------------------------
@pytest.mark.parametrize("char, escape", [
    ("\x00", "\\x00"), ("\x07", "\\x07"), ("\x1b", "\\x1b"), ("\r", "\\x0d"), ("\n", "\\x0a"), ("\t", "\\t"),
    ("\x7f", "\\x7f"), ("\x85", "\\x85"), ("\x9b", "\\x9b"),
    ("\u061c", "\\u061c"), ("\u200e", "\\u200e"), ("\u200f", "\\u200f"), ("\u202a", "\\u202a"),
    ("\u202b", "\\u202b"), ("\u202c", "\\u202c"), ("\u202d", "\\u202d"), ("\u202e", "\\u202e"),
    ("\u2066", "\\u2066"), ("\u2067", "\\u2067"), ("\u2068", "\\u2068"), ("\u2069", "\\u2069"),
    ("\u2028", "\\u2028"), ("\udcff", "\\xff"),
])
def test_each_control_is_shown_as_an_escape(char, escape):
    assert shown(f"a{char}b") == f"a{escape}b"


def test_ordinary_text_is_left_alone_and_costs_no_copy():
    for text in ("kvm: in-kernel pit", "Jan Kiszka", "Ævar Arnfjörð Bjarmason", "中文 日本語", "עברית",
                 "family 👨\u200d👩\u200d👧", "a\u00a0b", ""):
        assert shown(text) is text
        assert shown_message(text) is text


def test_the_reversed_subject_reads_as_written():
    assert shown(EVIL_SUBJECT) == EVIL_SHOWN
    assert not HIDDEN.search(shown(EVIL_SUBJECT))


def test_a_message_keeps_its_lines_and_expands_tabs_as_git_log_does():
    message = f"subject {RLO}x\n\n\tindented\nab\tc\r\nbell\x07\n"
    assert shown_message(message) == "subject \\u202ex\n\n        indented\nab      c\\x0d\nbell\\x07\n"


def test_a_hundred_thousand_subjects_are_shown_quickly():
    subjects = [f"kvm: change {i}" for i in range(100_000)]
    start = time.perf_counter()
    for s in subjects:
        shown(s)
    assert time.perf_counter() - start < 0.25


# -- the models: shown escaped, kept raw ------------------------------------------------------------
def evil_listing() -> DownstreamListing:
    rows = [(CommitRow("a" * 40, EVIL_SUBJECT, EVIL_NAME, f"m{RLO}@example.org", 1262304000), None),
            (CommitRow("b" * 40, "kvm: plain", "Avi Kivity", "avi@redhat.com", 1262304060), None)]
    return DownstreamListing.pending(rows, "git")


def test_the_downstream_model_escapes_what_it_shows_and_keeps_the_real_text(qapp):
    model = DownstreamModel()
    model.set_listing(evil_listing())
    row = model.row_of("a" * 40)
    assert model.index(row, COL_SUBJECT).data() == EVIL_SHOWN
    assert model.index(row, COL_AUTHOR).data() == "Mallory \\u202eyroK"
    assert model.index(row, COL_SUBJECT).data(Qt.ItemDataRole.AccessibleTextRole) == EVIL_SHOWN
    tooltip = model.index(row, COL_SUBJECT).data(Qt.ItemDataRole.ToolTipRole)
    assert EVIL_SHOWN in tooltip and not HIDDEN.search(tooltip.replace("\n", ""))
    # The data keeps the commit's text: the filter finds the real subject, drags carry the id.
    model.set_filters(text=f"{RLO}evil")
    assert model.rowCount() == 1 and model.index(0, 0).data(COMMIT_ID_ROLE) == "a" * 40
    assert model.listing.subjects[model.entry_index(0)] == EVIL_SUBJECT
    assert read_commit_ids(model.mimeData([model.index(0, 0)])) is not None


def test_the_queue_model_escapes_what_it_shows_and_its_tooltip_stays_plain_text(qapp):
    model = QueueModel()
    base = CommitRow("c" * 40, f"base {RLO}esab", "Up Stream", "up@example.org", 1262300000)
    commits = [CommitRow("d" * 40, EVIL_SUBJECT, EVIL_NAME, "m@example.org", 1262304000),
               CommitRow("e" * 40, "<b>bold</b> subject", "Avi Kivity", "avi@redhat.com", 1262304060)]
    model.set_series(base, commits, "qemu/master")
    assert model.index(1, QUEUE_SUBJECT).data() == EVIL_SHOWN
    assert model.commit_at(1).subject == EVIL_SUBJECT
    for row in range(model.rowCount()):
        for col in range(model.columnCount()):
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
                text = model.index(row, col).data(role)
                assert not text or not HIDDEN.search(text.replace("\n", "")), (row, col, role, text)
    # A subject on a tooltip's first line would make Qt take the whole tooltip for rich text.
    assert not QtGui.Qt.mightBeRichText(model.index(0, QUEUE_SUBJECT).data(Qt.ItemDataRole.ToolTipRole))
    assert "\\u202eesab" in model.index(2, QUEUE_SUBJECT).data()


# -- the real window ----------------------------------------------------------------------------------
def test_the_window_shows_commit_text_escaped_in_lists_tooltips_details_and_the_queue(qtbot, window, scenario):
    b = scenario.builder
    evil = b.commit(f"{EVIL_SUBJECT}\n\nbody\x07 with {RLO}override\n\tand a tab\n",
                    {EVIL_FILE: "int x;\n"}, ref=DOWNSTREAM, author=b.signature(EVIL_NAME, "m@example.org"))
    window.open_repository(scenario.path)
    wait_idle(qtbot, window)
    model = window.downstream_model
    row = model.row_of(evil)
    assert row is not None
    assert model.index(row, COL_SUBJECT).data() == EVIL_SHOWN
    assert model.index(row, COL_AUTHOR).data() == "Mallory \\u202eyroK"
    assert EVIL_SHOWN in model.index(row, COL_SUBJECT).data(Qt.ItemDataRole.ToolTipRole)

    with qtbot.waitSignal(window.details_loaded, timeout=WAIT_MS):
        assert window.downstream_pane.view.select_commit(evil)
    pane = window.details_pane
    assert pane.details.info.message.startswith(EVIL_SUBJECT)  # the data is the commit's
    text = pane.message.toPlainText()
    # A message's tab goes to the next 8-column stop, as git log puts it; the lists show it as \t.
    assert "rtl: \\u202eevil\\u202c x \\x1b[31mred\\x07 gap" in text and "Mallory \\u202eyroK" in text
    assert "body\\x07 with \\u202eoverride" in text and "        and a tab" in text
    assert not HIDDEN.search(text.replace("\n", ""))
    pane.tabs.setCurrentIndex(TAB_FILES)
    paths = [pane.files.topLevelItem(i).text(FILE_PATH) for i in range(pane.files.topLevelItemCount())]
    assert paths == ["hw/\\u202ecod.exe\\x1b.c"]

    with qtbot.waitSignal(window.command_finished, timeout=WAIT_MS):
        window.pick([evil], None)
    wait_idle(qtbot, window)
    queue = window.queue_model
    assert queue.index(0, QUEUE_SUBJECT).data() == EVIL_SHOWN
    assert EVIL_SHOWN in queue.index(0, QUEUE_SUBJECT).data(Qt.ItemDataRole.ToolTipRole)
    assert queue.commit_at(0).subject == EVIL_SUBJECT


# -- the core's messages without the command line's hints ------------------------------------------------
def test_a_nonexistent_repository_is_reported_without_command_line_advice(qtbot, window, tmp_path):
    missing = tmp_path / "nonexistent"
    with qtbot.waitSignal(window.error_shown, timeout=WAIT_MS) as shown_signal:
        window.open_repository(missing)
    dialog = shown_signal.args[0]
    assert dialog.message.startswith(str(missing))
    assert not names_command_line(dialog.message), dialog.message
    assert "--repo" not in dialog.message and "uq:" not in dialog.message
    wait_idle(qtbot, window)
    assert "not available" not in window.queue_pane.hint.text()


def test_a_bad_queue_branch_is_reported_without_command_line_advice(qapp, scenario):
    from uqgui.ui.queries import run_add_profile

    with pytest.raises(UqError) as caught:
        run_add_profile(scenario.path, "p2", "qemu-kvm/master", "qemu/master", "bad..branch", lambda *a: None)
    assert "--branch" in caught.value.hint  # the command line's way on
    dialog = dialog_for(caught.value)
    assert "bad..branch" in dialog.message and "such as" in dialog.message
    assert "with --branch" not in dialog.message and not names_command_line(dialog.message)


def test_undo_over_moved_refs_is_reported_without_force(qtbot, opened, scenario):
    from uqgui.ui.queries import undo

    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        opened.pick([scenario.msix], None)
    wait_idle(qtbot, opened)
    # another git puts its own commit on top (not merely where undo would put the branch)
    tip = str(scenario.builder.repo.references[QUEUE].target)
    scenario.builder.git("update-ref", QUEUE, scenario.builder.commit("theirs\n", {"theirs.c": "t\n"}, parents=[tip]))
    with pytest.raises(UqError) as caught:
        undo(scenario.path, lambda *a: None)
    assert "--force" in caught.value.hint
    dialog = dialog_for(caught.value)
    assert "--force" not in dialog.message and dialog.message.endswith("Nothing was changed.")


def test_an_error_quoting_a_subject_shows_it_escaped(qapp):
    dialog = dialog_for(UqError(f"Picking \"{EVIL_SUBJECT}\" failed.", details=f"stderr: {RLO}x"))
    assert "rtl: \\u202eevil\\u202c x \\x1b[31mred\\x07" in dialog.message and "\\u202ex" in dialog.details
    assert not HIDDEN.search(dialog.message + dialog.details)



def test_the_queue_banner_gives_the_core_s_message_in_the_window_s_words(qtbot, window, scenario):
    scenario.builder.git("update-ref", "-d", QUEUE)
    window.open_repository(scenario.path)
    wait_idle(qtbot, window)
    problem = window.queue_state.series_problem
    assert problem is not None and "uq profile" in problem.hint  # the command line's way on
    banner = window.queue_pane.banner
    assert banner.isVisibleTo(window) and "does not exist" in banner.text()
    assert "git branch uq/master" in banner.text() and not names_command_line(banner.text()), banner.text()


def test_profile_names_are_shown_escaped_and_chosen_by_their_real_name(qtbot, window, scenario):
    b = scenario.builder
    for key, value in (("downstream", DOWNSTREAM), ("upstream", "refs/remotes/qemu/master"), ("branch", "uq/master")):
        b.git("config", f"uq.p{RLO}x.{key}", value)
    window.open_repository(scenario.path)
    wait_idle(qtbot, window)
    chooser = window.profile_chooser
    index = chooser.findData(f"p{RLO}x")
    assert index >= 0 and chooser.itemText(index) == "p\\u202ex"
    with qtbot.waitSignal(window.queue_loaded, timeout=WAIT_MS):
        chooser.activated.emit(index)
    wait_idle(qtbot, window)
    assert window.ctx.profile is not None and window.ctx.profile.name == f"p{RLO}x"
    assert RLO not in window.windowTitle() and "p\\u202ex" in window.windowTitle()


def test_a_diff_with_hidden_controls_is_shown_as_it_is_and_said(qtbot):
    """The Diff tab keeps the text git gives (it is what gets copied), and warns of what would not show."""
    from uqgui.ui.widgets.diff_view import DiffPanel

    panel = DiffPanel()
    qtbot.addWidget(panel)
    panel.show()
    trojan = "diff --git a/x.c b/x.c\n@@ -1 +1 @@\n-int a;\n+/* " + RLO + " } if (admin) { */\n"
    panel.set_diff(trojan)
    assert not panel.hidden_warning.isHidden() and RLO in panel.unified.toPlainText()
    panel.set_diff("diff --git a/x.c b/x.c\n@@ -1 +1 @@\n-int a;\r\n+\tint b;\f\n")  # CRLF, tab, form feed: ordinary
    assert panel.hidden_warning.isHidden()


def test_a_queue_branch_that_is_no_series_is_left_out_of_the_comparison(qtbot, window, scenario):
    """Queue branch = the downstream branch (merges): the queue pane says so, and no downstream commit
    shows as queued at a number the queue pane does not list."""
    from uqgui.core.listing import S_QUEUED

    b = scenario.builder
    b.git("branch", "-f", "ds", DOWNSTREAM)
    b.git("config", "uq.master.branch", "ds")
    window.open_repository(scenario.path)
    wait_idle(qtbot, window)
    banner = window.queue_pane.banner
    assert banner.isVisibleTo(window) and "holds merge commit" in banner.text(), banner.text()
    listing = window.downstream_model.listing
    assert listing.states and S_QUEUED not in listing.states
    down_banner = window.downstream_pane.banner
    assert "merge commit" not in down_banner.text()
