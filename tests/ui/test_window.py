"""The main window, offscreen: drag and drop picking, undo/redo, profiles, errors, auto-refresh, state."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pygit2
import pytest
from PySide6.QtCore import QModelIndex, QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from tests.ui.conftest import WAIT_MS, wait_idle
from tests.ui.scenario import QUEUE, build_scenario
from uqgui.ui import errors
from uqgui.ui.context import KEY_GEOMETRY, settings_path
from uqgui.ui.errors import ErrorDialog
from uqgui.ui.models.downstream import COMMIT_ID_ROLE, STATE_ROLE
from uqgui.ui.models.states import S_PENDING, S_QUEUED, S_REMAINING
from uqgui.ui.widgets.details_pane import TAB_DIFF, TAB_MATCH


def queue_tip(path) -> str:
    return str(pygit2.Repository(str(path)).references[QUEUE].target)


def proxy_index_of(win, commit_id: str) -> QModelIndex:
    model = win.downstream_model
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if index.data(COMMIT_ID_ROLE) == commit_id:
            return index
    raise AssertionError(f"{commit_id} is not listed")


def counts_words(win) -> str:
    """The counts line as read aloud (it keeps each count with its words by non-breaking spaces)."""
    return win.downstream_pane.counts.text().replace("\u00a0", " ")


def state_of(win, commit_id: str) -> str:
    return proxy_index_of(win, commit_id).data(STATE_ROLE)


def drop_on_queue(win, commit_ids: list[str], row: int) -> None:
    """Drag downstream rows and drop them before queue ROW, through the models' own MIME methods."""
    data = win.downstream_model.mimeData([proxy_index_of(win, c) for c in commit_ids])
    assert win.queue_model.canDropMimeData(data, Qt.DropAction.CopyAction, row, 0, QModelIndex())
    assert win.queue_model.dropMimeData(data, Qt.DropAction.CopyAction, row, 0, QModelIndex())


def test_open_fills_both_panes(opened, scenario):
    assert opened.queue_model.commit_count == 2
    assert opened.queue_model.rowCount() == 3  # two commits and the base row
    assert opened.downstream_model.rowCount() == 7
    assert state_of(opened, scenario.msix) == S_REMAINING
    assert state_of(opened, scenario.signalfd) == S_QUEUED
    assert opened.profile_chooser.currentText() == "master"
    assert "uq/master" in opened.queue_pane.title.text()
    assert "remaining" in opened.downstream_pane.counts.text()
    assert str(scenario.path) in opened.windowTitle()


def test_drop_picks_commit_and_undo_redo_through_actions(qtbot, opened, scenario):
    before = queue_tip(scenario.path)
    assert not opened.action_undo.isEnabled()
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS) as finished:
        drop_on_queue(opened, [scenario.msix], row=0)  # row 0: on top of the queue
    assert "Picked 1 commit as #3" in finished.args[0]  # the # column's number: two commits were below
    wait_idle(qtbot, opened)
    after = queue_tip(scenario.path)
    assert after != before
    assert opened.queue_model.commit_count == 3
    assert opened.queue_model.index(0, 1).data() == "device-assignment: msix"
    assert state_of(opened, scenario.msix) == S_QUEUED
    assert opened.oplog_model.rowCount() == 1
    assert opened.action_undo.isEnabled()
    assert "pick 1 commit" in opened.action_undo.toolTip()

    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        opened.action_undo.trigger()
    wait_idle(qtbot, opened)
    assert queue_tip(scenario.path) == before
    assert opened.queue_model.commit_count == 2
    assert state_of(opened, scenario.msix) == S_REMAINING
    assert opened.action_redo.isEnabled() and not opened.action_undo.isEnabled()

    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        opened.action_redo.trigger()
    wait_idle(qtbot, opened)
    assert queue_tip(scenario.path) == after
    assert opened.queue_model.commit_count == 3


def test_drop_between_rows_picks_at_that_position(qtbot, opened, scenario):
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS) as finished:
        drop_on_queue(opened, [scenario.tpr, scenario.msix], row=2)  # row 2 is the base row: position 0
    assert "Picked 2 commits as #1-#2" in finished.args[0]
    wait_idle(qtbot, opened)
    subjects = [opened.queue_model.index(r, 1).data() for r in range(opened.queue_model.commit_count)]
    # Oldest first onto the base: msix, then tpr, then the old queue replayed above.
    assert subjects == ["vl: return 2", "qemu-kvm: signalfd support", "kvm: tpr patching",
                        "device-assignment: msix"]


def test_enter_adds_selection_to_queue_top(qtbot, opened, scenario):
    view = opened.downstream_pane.view
    opened.show()
    qtbot.waitExposed(opened)
    view.setCurrentIndex(proxy_index_of(opened, scenario.tpr))
    view.setFocus()
    qtbot.waitUntil(view.hasFocus, timeout=WAIT_MS)
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        qtbot.keyClick(view, Qt.Key.Key_Return)
    wait_idle(qtbot, opened)
    assert opened.queue_model.index(0, 1).data() == "kvm: tpr patching"


def test_conflict_is_an_error_dialog_and_changes_nothing(qtbot, opened, scenario):
    before = queue_tip(scenario.path)
    with qtbot.waitSignal(opened.error_shown, timeout=WAIT_MS) as shown:
        opened.pick([scenario.conflicting], None)
    dialog = shown.args[0]
    assert isinstance(dialog, ErrorDialog)
    assert dialog.title == "Conflict"
    assert "vl.c" in dialog.message and "vl.c" in dialog.details
    # open(), not exec(): window-modal, and the event loop (and our coroutines) keep running.
    assert dialog.isVisible() and dialog.windowModality() == Qt.WindowModality.WindowModal
    dialog.close()
    wait_idle(qtbot, opened)
    assert queue_tip(scenario.path) == before


def test_not_a_repository_shows_an_error_dialog(qtbot, window, tmp_path):
    plain = tmp_path / "not-a-repo"
    plain.mkdir()
    with qtbot.waitSignal(window.error_shown, timeout=WAIT_MS) as shown:
        window.open_repository(plain)
    dialog = shown.args[0]
    assert dialog.title == "Not a git repository"
    assert str(plain) in dialog.message
    assert dialog.isVisible()
    assert not window.ctx.has_repo
    dialog.close()


def test_a_bad_path_after_a_good_one_leaves_the_repository_shown(qtbot, opened, scenario, tmp_path):
    title, rows = opened.windowTitle(), opened.downstream_model.rowCount()
    queue = opened.queue_model.commit_count
    plain = tmp_path / "not-a-repo"
    plain.mkdir()
    with qtbot.waitSignal(opened.error_shown, timeout=WAIT_MS) as shown:
        opened.open_repository(plain)
    shown.args[0].close()
    wait_idle(qtbot, opened)
    assert opened.windowTitle() == title and str(scenario.path) in title
    assert opened.downstream_model.rowCount() == rows and opened.queue_model.commit_count == queue
    assert opened.ctx.repo_path == scenario.path.resolve()


def test_missing_upstream_ref_is_said_in_the_panes_not_raised(qtbot, window, scenario):
    scenario.builder.git("config", "uq.master.upstream", "qemu/no-such-branch")
    dialogs: list = []
    window.error_shown.connect(dialogs.append)
    window.open_repository(scenario.path)
    qtbot.waitUntil(lambda: window.ctx.has_repo and not window.ops.busy, timeout=WAIT_MS)
    assert dialogs == []
    banner = window.downstream_pane.banner.text()
    assert "qemu/no-such-branch is not in this repository" in banner and "Fetch" in banner
    assert window.downstream_model.rowCount() == 0 and window.divergence is None
    assert window.queue_pane.banner.text()  # the queue cannot be read on it either, and says why


def test_a_deleted_queue_branch_still_compares_downstream_with_upstream(qtbot, opened, scenario):
    dialogs: list = []
    opened.error_shown.connect(dialogs.append)
    scenario.builder.git("update-ref", "-d", QUEUE)
    with qtbot.waitSignal(opened.divergence_loaded, timeout=WAIT_MS):
        opened.refresh()
    wait_idle(qtbot, opened)
    assert dialogs == []
    assert "uq/master does not exist" in opened.queue_pane.banner.text()
    # No queue: nothing is queued any more, and the rest keep their states.
    assert state_of(opened, scenario.signalfd) == S_REMAINING
    assert state_of(opened, scenario.debugregs) != S_PENDING


def test_unexpected_exception_goes_to_a_dialog(qtbot, window):
    window.show()
    try:
        raise ValueError("boom")
    except ValueError as exc:
        info = sys.exc_info()
        errors.excepthook(info[0], exc, info[2])
    dialogs = [w for w in window.findChildren(ErrorDialog) if w.isVisible()]
    if not dialogs:  # no active window offscreen: the dialog is top-level
        from PySide6.QtWidgets import QApplication
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, ErrorDialog) and w.isVisible()]
    assert dialogs and dialogs[-1].title == "Unexpected error"
    assert "ValueError: boom" in dialogs[-1].details
    assert dialogs[-1].icon() == QMessageBox.Icon.Critical
    for d in dialogs:
        d.close()


def test_profile_chooser_switches_queue(qtbot, window, tmp_path):
    scenario = build_scenario(tmp_path / "two", profiles=("master", "stable"))
    window.open_repository(scenario.path)
    wait_idle(qtbot, window)
    chooser = window.profile_chooser
    assert [chooser.itemText(i) for i in range(chooser.count())] == ["master", "stable"]
    assert window.queue_model.commit_count == 2
    with qtbot.waitSignal(window.queue_loaded, timeout=WAIT_MS):
        chooser.setCurrentIndex(1)
        chooser.activated.emit(1)
    wait_idle(qtbot, window)
    assert window.ctx.profile is not None and window.ctx.profile.name == "stable"
    assert window.queue_model.commit_count == 0
    assert "uq/stable" in window.queue_pane.title.text()
    assert window.ctx.last_profile(scenario.path) == "stable"


def test_new_profile_dialog_adds_a_profile(qtbot, window, scenario):
    scenario.builder.git("config", "--remove-section", "uq.master")
    window.open_repository(scenario.path)
    wait_idle(qtbot, window)
    assert window.ctx.profile is None
    assert "New Profile" in window.downstream_pane.banner.text()
    window.action_new_profile.trigger()
    qtbot.waitUntil(lambda: getattr(window, "profile_dialog", None) is not None and window.profile_dialog.isVisible(),
                    timeout=WAIT_MS)
    dialog = window.profile_dialog
    assert dialog.downstream.currentText() == "qemu-kvm/master"
    assert dialog.upstream.currentText() == "qemu/master"
    # A ref that does not exist: the dialog stays open, says why, and keeps what was typed.
    dialog.name.setText("mine")
    dialog.upstream.setCurrentText("qemu/nonexistent")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: dialog.buttons.isEnabled(), timeout=WAIT_MS)
    wait_idle(qtbot, window)
    assert dialog.isVisible() and "qemu/nonexistent" in dialog.problem.text()
    assert dialog.name.text() == "mine" and window.ctx.profile is None
    dialog.upstream.setCurrentText("qemu/master")
    dialog.name.setText("mine")
    dialog.branch.setCurrentText("uq/mine")
    with qtbot.waitSignal(window.command_finished, timeout=WAIT_MS):
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    wait_idle(qtbot, window)
    assert window.ctx.profile is not None and window.ctx.profile.name == "mine"
    from shiboken6 import isValid

    qtbot.waitUntil(lambda: not isValid(dialog) or not dialog.isVisible(), timeout=WAIT_MS)  # closed (and deleted)
    assert window.queue_model.commit_count == 0 and window.queue_model.rowCount() == 1
    assert window.downstream_model.rowCount() > 0


def test_details_show_message_diff_files_and_match(qtbot, opened, scenario):
    with qtbot.waitSignal(opened.details_loaded, timeout=WAIT_MS):
        opened.downstream_pane.view.setCurrentIndex(proxy_index_of(opened, scenario.pit))
    pane = opened.details_pane
    assert "kvm: in-kernel pit" in pane.message.toPlainText()
    assert "+int pit_irq = 0;" in pane.diff.toPlainText()
    assert pane.files.topLevelItem(0).text(1) == "hw/i8254-kvm.c"
    # What the views show once their tab opens (each is filled when shown), not only the text kept.
    opened.show()
    qtbot.waitExposed(opened)
    pane.tabs.setCurrentIndex(TAB_DIFF)
    assert "+int pit_irq = 0;" in pane.diff.unified.toPlainText()
    pane.tabs.setCurrentIndex(TAB_MATCH)
    summary = pane.match_summary.toPlainText()
    assert "Twin in upstream" in summary and "same subject" in summary
    assert "++int pit_mode = 2;" in pane.interdiff.toPlainText()


def test_queue_commit_details_name_its_downstream_original(qtbot, opened, scenario):
    with qtbot.waitSignal(opened.details_loaded, timeout=WAIT_MS):
        opened.queue_pane.view.setCurrentIndex(opened.queue_model.index(1, 0))
    assert scenario.signalfd in opened.details_pane.match_summary.toPlainText()


def test_outside_ref_change_refreshes_by_itself(qtbot, opened, scenario):
    upstream = str(pygit2.Repository(str(scenario.path)).references["refs/remotes/qemu/master"].target)
    subprocess.run(["git", "-C", str(scenario.path), "update-ref", QUEUE, upstream], check=True)
    qtbot.waitUntil(lambda: opened.queue_model.commit_count == 0, timeout=WAIT_MS)
    wait_idle(qtbot, opened)
    assert state_of(opened, scenario.signalfd) == S_REMAINING


def test_filter_widgets_drive_the_filter_model(qtbot, opened, scenario):
    pane = opened.downstream_pane
    pane.set_state_filter("Remaining")
    assert {pane.model.index(r, 0).data(STATE_ROLE) for r in range(pane.model.rowCount())} == {S_REMAINING}
    pane.path_filter.setText("kvm-tpr")
    pane.apply_filters()
    assert pane.model.rowCount() == 1
    assert "showing 1 of 7" in counts_words(opened)
    opened.action_find.trigger()


def test_window_state_and_recent_repositories_are_saved(qtbot, opened, scenario):
    from uqgui.ui.widgets.main_window import MainWindow

    opened.close()
    path = settings_path()
    assert path.exists()
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    assert not settings.value(KEY_GEOMETRY).isEmpty()
    second = MainWindow()
    qtbot.addWidget(second)
    assert second.ctx.recent_repositories()[0] == str(scenario.path)
    second._fill_recent_menu()
    assert str(scenario.path) in second.recent_menu.actions()[0].text()


def test_settings_live_under_the_isolated_config_dir(isolated_environment):
    assert str(settings_path()).startswith(str(isolated_environment))


@pytest.mark.parametrize("name", ["actionOpen", "actionRefresh", "actionUndo", "actionRedo", "actionFind",
                                  "actionAddTop", "actionMoveUp", "actionMoveDown"])
def test_standard_shortcuts(window, name):
    from PySide6.QtGui import QAction

    action = window.findChild(QAction, name)
    keys = {s.toString() for s in action.shortcuts()}
    expected = {"actionOpen": "Ctrl+O", "actionRefresh": "Ctrl+R", "actionUndo": "Ctrl+Z",
                "actionRedo": "Ctrl+Shift+Z", "actionFind": "Ctrl+F", "actionAddTop": "Return",
                "actionMoveUp": "Alt+Up", "actionMoveDown": "Alt+Down"}[name]
    assert expected in keys


def test_reorder_moves_a_queue_commit_and_undo_puts_it_back(qtbot, opened, scenario):
    assert "drag queue commits to reorder" in opened.queue_pane.hint.text()
    before = queue_tip(scenario.path)
    subjects = [opened.queue_model.index(r, 1).data() for r in range(2)]
    assert subjects == ["vl: return 2", "qemu-kvm: signalfd support"]
    opened.queue_pane.view.setCurrentIndex(opened.queue_model.index(0, 0))
    assert opened.action_move_down.isEnabled()  # (Move Up is not: the top commit is on top already)
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS) as finished:
        opened.action_move_down.trigger()
    assert "Reordered" in finished.args[0]
    wait_idle(qtbot, opened)
    assert [opened.queue_model.index(r, 1).data() for r in range(2)] == list(reversed(subjects))
    # The moved commit (a new id after the replay) stays selected: Alt+Up takes it back at once.
    assert opened.queue_pane.view.currentIndex().row() == 1
    assert opened.action_move_up.isEnabled()
    # Dragging inside the queue goes through the same command: move the top commit back on top.
    data = opened.queue_model.mimeData([opened.queue_model.index(1, 0)])
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        assert opened.queue_model.dropMimeData(data, Qt.DropAction.MoveAction, 0, 0, QModelIndex()) is False
    wait_idle(qtbot, opened)
    assert [opened.queue_model.index(r, 1).data() for r in range(2)] == subjects
    for _ in range(2):
        with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
            opened.action_undo.trigger()
        wait_idle(qtbot, opened)
    assert queue_tip(scenario.path) == before


def test_prefetched_rows_show_before_the_core_then_take_their_states(qtbot, window, scenario):
    from tests.ui.scenario import DOWNSTREAM, UPSTREAM
    from uqgui.core.listing import compute_listing
    from uqgui.core.quickstart import Prefetch

    compute_listing(scenario.path, DOWNSTREAM, UPSTREAM, QUEUE)  # a warm identity cache
    prefetch = Prefetch.start(scenario.path)
    prefetch.future.result(30)
    assert window.adopt_prefetch(prefetch)  # what main() does before the first paint
    assert window.downstream_model.rowCount() == 7 and not window.downstream_model.listing.complete
    assert window.queue_model.commit_count == 2 and window.profile_chooser.currentText() == "master"
    with qtbot.waitSignal(window.divergence_loaded, timeout=WAIT_MS):
        window.open_repository(scenario.path, prefetch)
    wait_idle(qtbot, window)
    assert window.downstream_model.listing.complete
    assert state_of(window, scenario.signalfd) == S_QUEUED


def test_cold_cache_lists_rows_from_git_log_first(qtbot, window, scenario):
    from uqgui.core.quickstart import Prefetch

    prefetch = Prefetch.start(scenario.path)
    prefetch.future.result(30)
    assert window.adopt_prefetch(prefetch)
    assert window.downstream_model.rowCount() == 0  # not in the cache: git log is on it
    prefetch._thread.join(30)
    qtbot.waitUntil(lambda: window.downstream_model.rowCount() == 7, timeout=WAIT_MS)
    assert {window.downstream_model.index(r, 0).data(STATE_ROLE) for r in range(7)} == {"pending"}
    assert "state being computed" in counts_words(window)
    window.open_repository(scenario.path, prefetch)
    wait_idle(qtbot, window)
    assert window.downstream_model.listing.complete and state_of(window, scenario.msix) == S_REMAINING


def test_late_quick_rows_never_replace_states(opened, scenario):
    from uqgui.core.listing import SOURCE_GIT, DownstreamListing

    key = opened._listing_key
    stale = DownstreamListing.pending_columns([("f" * 40, "stale", "n", "e", 1, None)], SOURCE_GIT)
    opened._listing_part(key, stale)
    opened._listing_part(("other", "a", "b"), stale)
    assert opened.downstream_model.listing.complete and opened.downstream_model.rowCount() == 7


def test_details_follow_the_state_after_a_pick(qtbot, opened, scenario):
    """The details of the selected commit say what it is now: remaining, then queued once picked."""
    with qtbot.waitSignal(opened.details_loaded, timeout=WAIT_MS):
        opened.downstream_pane.view.select_commit(scenario.msix)
    assert "remaining" in opened.details_pane.message.toPlainText()
    with qtbot.waitSignal(opened.details_loaded, timeout=WAIT_MS):
        opened.pick([scenario.msix], None)
    wait_idle(qtbot, opened)
    text = opened.details_pane.message.toPlainText()
    assert "queued" in text and "remaining" not in text


def test_commits_the_list_knows_are_queued_landed_or_empty_are_not_picked(qtbot, opened, scenario):
    before = queue_tip(scenario.path)
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS) as finished:
        opened.pick([scenario.signalfd, scenario.debugregs, scenario.empty], None)
    message = finished.args[0]
    assert message.startswith("Nothing picked: ")
    assert f"{scenario.signalfd[:12]} is already queued as #1" in message
    assert f"{scenario.debugregs[:12]} has landed upstream as " in message
    assert f"{scenario.empty[:12]} changes nothing" in message
    wait_idle(qtbot, opened)
    assert queue_tip(scenario.path) == before
    # Mixed with one that can go in: that one is picked, the others named.
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS) as finished:
        opened.pick([scenario.signalfd, scenario.msix], None)
    assert "Picked 1 commit as #3" in finished.args[0] and "skipped: " in finished.args[0]
    wait_idle(qtbot, opened)
    assert state_of(opened, scenario.msix) == S_QUEUED


def test_the_profile_dialog_offers_a_free_name():
    from uqgui.ui.widgets.profile_dialog import free_profile_name

    assert free_profile_name(set()) == "master"
    assert free_profile_name({"master"}) == "queue2"
    assert free_profile_name({"master", "queue2"}) == "queue3"


def test_undo_after_another_git_moved_the_branch_asks_and_can_undo_anyway(qtbot, opened, scenario):
    before = queue_tip(scenario.path)
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        opened.pick([scenario.msix], None)
    wait_idle(qtbot, opened)
    # Another git puts the branch elsewhere: on upstream, dropping the whole queue.
    scenario.builder.git("update-ref", QUEUE, "refs/remotes/qemu/master")
    moved_by_git = queue_tip(scenario.path)
    assert moved_by_git != before
    with qtbot.waitSignal(opened.confirmation_asked, timeout=WAIT_MS) as asked:
        opened.undo()
    box = asked.args[0]
    assert box.isVisible() and "--force" not in box.text() and "changed since" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()  # first: leave it
    wait_idle(qtbot, opened)
    assert queue_tip(scenario.path) == moved_by_git
    with qtbot.waitSignal(opened.confirmation_asked, timeout=WAIT_MS) as asked:
        opened.undo()
    box = asked.args[0]
    anyway = next(b for b in box.buttons() if b.text() == "Undo Anyway")
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS) as finished:
        anyway.click()
    assert finished.args[0].startswith("Undid: pick 1 commit")
    assert "what another git had changed is kept as #" in finished.args[0]
    wait_idle(qtbot, opened)
    assert queue_tip(scenario.path) == before and opened.action_redo.isEnabled()
    # Redo twice: the pick, then what the other git had put there.
    for _ in range(2):
        with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
            opened.redo()
        wait_idle(qtbot, opened)
    assert queue_tip(scenario.path) == moved_by_git


def test_a_cancelled_first_comparison_says_its_rows_have_no_state_yet(qtbot, window, tmp_path):
    """Cold, on a generated history big enough to take a while: cancel the comparison half-way."""
    root = Path(__file__).resolve().parents[2]
    repo = tmp_path / "gen.git"
    subprocess.run([sys.executable, str(root / "benchmarks" / "generate.py"), str(repo), "--upstream", "5000",
                    "--downstream", "400"], check=True, capture_output=True, timeout=300)
    window.open_repository(repo)
    qtbot.waitUntil(lambda: any(job.label.startswith("Comparing") for job in window.ops.jobs()), timeout=WAIT_MS)
    window.ops.cancel()
    wait_idle(qtbot, window)
    assert window.divergence is None
    assert "did not finish" in window.downstream_pane.banner.text()
    assert window.downstream_model.rowCount() == 400  # the rows git log listed stay, without states
    with qtbot.waitSignal(window.divergence_loaded, timeout=WAIT_MS * 3):
        window.refresh()
    wait_idle(qtbot, window)
    assert window.divergence is not None and "did not finish" not in window.downstream_pane.banner.text()


def test_closing_the_profile_dialog_while_it_adds_is_harmless(qtbot, window, scenario):
    scenario.builder.git("config", "--remove-section", "uq.master")
    window.open_repository(scenario.path)
    wait_idle(qtbot, window)
    dialogs: list = []
    window.error_shown.connect(dialogs.append)
    window.action_new_profile.trigger()
    qtbot.waitUntil(lambda: getattr(window, "profile_dialog", None) is not None and window.profile_dialog.isVisible(),
                    timeout=WAIT_MS)
    dialog = window.profile_dialog
    dialog.name.setText("mine")
    dialog.branch.setCurrentText("uq/mine")
    with qtbot.waitSignal(window.command_finished, timeout=WAIT_MS):
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
        dialog.reject()  # Esc while "Adding profile…": the dialog goes (and is deleted)
    wait_idle(qtbot, window)
    assert dialogs == [] and window.ctx.profile is not None and window.ctx.profile.name == "mine"


def test_two_undo_anyway_answers_force_only_the_operation_each_asked_about(qtbot, opened, scenario):
    for commit in (scenario.msix, scenario.tpr):
        with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
            opened.pick([commit], None)
        wait_idle(qtbot, opened)
    # another git puts its own commit on top (not merely where undo would put the branch)
    tip = str(scenario.builder.repo.references[QUEUE].target)
    scenario.builder.git("update-ref", QUEUE, scenario.builder.commit("theirs\n", {"theirs.c": "t\n"}, parents=[tip]))
    boxes = []
    for _ in range(2):  # two presses of Ctrl+Z before answering: both ask about the latest pick
        with qtbot.waitSignal(opened.confirmation_asked, timeout=WAIT_MS) as asked:
            opened.undo()
        boxes.append(asked.args[0])
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        next(b for b in boxes[0].buttons() if b.text() == "Undo Anyway").click()
    with qtbot.waitSignal(opened.error_shown, timeout=WAIT_MS) as shown:
        next(b for b in boxes[1].buttons() if b.text() == "Undo Anyway").click()
    assert "that was asked about" in shown.args[0].message
    shown.args[0].close()
    wait_idle(qtbot, opened)
    states = [op.state for op in opened.queue_state.operations if op.command == "pick"]
    assert states == ["done", "undone"]  # the first pick was not forced back without being asked
