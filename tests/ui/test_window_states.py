"""The main window in the states a session meets: a repository gone, an empty one, a busy queue branch,
actions that cannot act, failed commands and questions waiting for the user."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.ui.conftest import WAIT_MS, wait_idle
from tests.ui.scenario import DOWNSTREAM, PROFILE, QUEUE, UPSTREAM, build_scenario
from uqgui.ui.queries import QueueState


def git(path, *args: str) -> str:
    """Run git in the work tree at PATH (checkout needs one: the builder's git has only --git-dir)."""
    done = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def repository_actions(win) -> list:
    return [win.action_add_top, win.action_add_here, win.action_undo, win.action_redo, win.action_refresh,
            win.action_fetch, win.action_move_up, win.action_move_down, win.action_new_profile]


def test_a_repository_deleted_while_open_is_said_once_and_closed(qtbot, opened, scenario):
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        opened.pick([scenario.msix], None)
    wait_idle(qtbot, opened)
    assert opened.statusBar().currentMessage().startswith("Picked 1 commit")
    assert opened.action_undo.isEnabled() and opened.action_add_top.isEnabled()
    dialogs: list = []
    opened.error_shown.connect(dialogs.append)

    shutil.rmtree(scenario.path)
    # What the tester did: select a downstream commit, whose details the worker can no longer read.
    with qtbot.waitSignal(opened.error_shown, timeout=WAIT_MS):
        opened.downstream_pane.view.select_commit(scenario.pit)
    wait_idle(qtbot, opened)
    qtbot.wait(1000)  # the ref watcher's burst (400 ms) comes too, and must not say it again
    wait_idle(qtbot, opened)

    assert len(dialogs) == 1, [d.title for d in dialogs]
    assert dialogs[0].title == "Repository gone" and str(scenario.path) in dialogs[0].message
    assert "Reading" not in opened.details_pane.message.toPlainText()
    assert opened.downstream_model.rowCount() == 0 and opened.queue_model.rowCount() == 0
    assert str(scenario.path) in opened.downstream_pane.banner.text()
    assert "Picked" not in opened.statusBar().currentMessage()
    assert not opened.ctx.has_repo and opened.windowTitle() == "uqgui"
    assert [a.text() for a in repository_actions(opened) if a.isEnabled()] == []
    assert not opened.profile_chooser.isEnabled()
    assert opened.action_open.isEnabled() and opened.action_open_demo.isEnabled()
    for d in dialogs:
        d.close()


def test_details_that_cannot_be_read_never_stay_on_reading(qtbot, opened):
    missing = "0123456789" * 4
    with qtbot.waitSignal(opened.error_shown, timeout=WAIT_MS) as shown:
        opened.show_details(missing, None, None, "")
    shown.args[0].close()
    wait_idle(qtbot, opened)
    text = opened.details_pane.message.toPlainText()
    assert "Reading" not in text and missing[:12] in text and "could not be read" in text


def test_a_new_selection_while_reading_is_not_cleared_by_the_old_read(qtbot, opened, scenario):
    """A read cancelled by a newer one for the same commit leaves that newer one's result."""
    opened.show_details(scenario.pit, None, None, "")
    with qtbot.waitSignal(opened.details_loaded, timeout=WAIT_MS):
        opened.show_details(scenario.pit, None, None, "")
    wait_idle(qtbot, opened)
    assert "kvm: in-kernel pit" in opened.details_pane.message.toPlainText()


def test_opening_a_bad_path_after_a_good_one_is_not_a_gone_repository(qtbot, opened, scenario, tmp_path):
    plain = tmp_path / "not-a-repo"
    plain.mkdir()
    with qtbot.waitSignal(opened.error_shown, timeout=WAIT_MS) as shown:
        opened.open_repository(plain)
    assert shown.args[0].title == "Not a git repository"
    shown.args[0].close()
    wait_idle(qtbot, opened)
    assert opened.ctx.has_repo and opened.action_refresh.isEnabled()


@pytest.mark.skipif("branch_checked_out" not in {f.name for f in dataclasses.fields(QueueState)},
                    reason="needs QueueState.branch_checked_out from uqgui/ui/queries.py")
def test_a_checked_out_queue_branch_disables_picking_and_says_why(qtbot, window, scenario):
    git(scenario.path, "checkout", "-q", "uq/master")
    window.open_repository(scenario.path)
    wait_idle(qtbot, window)
    assert window.divergence is not None
    for action in (window.action_add_top, window.action_add_here, window.action_move_up, window.action_move_down):
        assert not action.isEnabled(), action.text()
    assert "uq/master is checked out" in window.action_add_top.toolTip()
    assert window.action_add_top.statusTip() == window.action_add_top.toolTip()
    # Switched away in the terminal: the ref watcher sees HEAD move, and picking comes back.
    git(scenario.path, "checkout", "-q", "--detach")
    qtbot.waitUntil(window.action_add_top.isEnabled, timeout=WAIT_MS)
    assert "checked out" not in window.action_add_top.toolTip()


def test_move_actions_are_enabled_only_where_they_can_move(qtbot, opened):
    view, model = opened.queue_pane.view, opened.queue_model
    assert model.rowCount() == 3  # the top commit, the bottom commit, the base
    enabled = {}
    for row in (0, 1, 2):
        view.setCurrentIndex(model.index(row, 0))
        enabled[row] = (opened.action_move_up.isEnabled(), opened.action_move_down.isEnabled())
    assert enabled == {0: (False, True), 1: (True, False), 2: (False, False)}
    assert "base" in opened.action_move_up.toolTip()
    view.setCurrentIndex(model.index(0, 0))
    assert "top" in opened.action_move_up.toolTip()
    view.setCurrentIndex(model.index(-1, -1))
    assert not opened.action_move_up.isEnabled() and not opened.action_move_down.isEnabled()
    wait_idle(qtbot, opened)


def test_add_above_the_base_row_picks_at_the_bottom_of_the_queue(qtbot, opened, scenario):
    """The base row is a place to add above (position 0): the action stays, and acts."""
    opened.queue_pane.view.setCurrentIndex(opened.queue_model.index(2, 0))
    opened.downstream_pane.view.select_commit(scenario.msix)
    assert opened.action_add_here.isEnabled()
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS) as finished:
        opened.action_add_here.trigger()
    assert "as #1" in finished.args[0]
    wait_idle(qtbot, opened)
    assert opened.queue_model.index(2, 1).data() == "device-assignment: msix"


def test_a_failed_command_replaces_the_last_command_message(qtbot, opened, scenario):
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        opened.pick([scenario.msix], None)
    wait_idle(qtbot, opened)
    assert opened.statusBar().currentMessage().startswith("Picked 1 commit as #3")
    with qtbot.waitSignal(opened.error_shown, timeout=WAIT_MS) as shown:
        opened.pick([scenario.conflicting], None)
    assert shown.args[0].title == "Conflict"
    message = opened.statusBar().currentMessage()
    assert "Picked" not in message and "failed" in message and "Conflict" in message
    shown.args[0].close()
    wait_idle(qtbot, opened)


def test_an_empty_repository_stays_open_and_refresh_loads_its_commits(qtbot, window, tmp_path):
    empty = tmp_path / "E"
    subprocess.run(["git", "init", "-q", str(empty)], check=True)
    dialogs: list = []
    window.error_shown.connect(dialogs.append)
    window.open_repository(empty)
    wait_idle(qtbot, window)
    assert window.ctx.has_repo and str(empty) in window.windowTitle()
    assert "no commits yet" in window.downstream_pane.banner.text()
    assert window.action_refresh.isEnabled()
    assert dialogs == []
    window.refresh()  # still empty: still said in the pane, no dialog
    wait_idle(qtbot, window)
    assert dialogs == [] and "no commits yet" in window.downstream_pane.banner.text()

    # Commits and a profile arrive from the terminal.
    source = build_scenario(tmp_path / "source")
    # A local fetch (the isolated git config allows no transport unless told so).
    git(empty, "-c", "protocol.file.allow=always", "fetch", "-q", str(source.path), "refs/remotes/*:refs/remotes/*",
        "refs/heads/uq/*:refs/heads/uq/*")
    for key, value in (("downstream", "qemu-kvm/master"), ("upstream", "qemu/master"), ("branch", "uq/master")):
        git(empty, "config", f"uq.{PROFILE}.{key}", value)
    assert {DOWNSTREAM, UPSTREAM, QUEUE} <= set(git(empty, "for-each-ref", "--format=%(refname)").split())
    with qtbot.waitSignal(window.divergence_loaded, timeout=WAIT_MS):
        window.refresh()
    wait_idle(qtbot, window)
    assert dialogs == []
    assert window.downstream_model.rowCount() == 7 and window.queue_model.commit_count == 2
    assert "no commits yet" not in window.downstream_pane.banner.text()
    assert window.action_fetch.isEnabled() and window.action_add_top.isEnabled()


def test_the_undo_anyway_question_waits_without_a_busy_status(qtbot, opened, scenario):
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        opened.pick([scenario.msix], None)
    wait_idle(qtbot, opened)
    scenario.builder.git("update-ref", QUEUE, "refs/remotes/qemu/master")  # another git moves the branch
    wait_idle(qtbot, opened)
    with qtbot.waitSignal(opened.confirmation_asked, timeout=WAIT_MS) as asked:
        opened.undo()
    box = asked.args[0]
    # The undo job is over: nothing runs while the question waits, and nothing failed yet either.
    assert box.isVisible() and not opened.ops.busy
    assert "failed" not in opened.statusBar().currentMessage()
    pane = opened.progress_pane
    assert pane.bar.isHidden() and pane.cancel.isHidden() and pane.label.text() == ""
    assert not opened.action_cancel.isEnabled()
    labels: list[str] = []
    opened.ops.progressed.connect(lambda text, done, total: labels.append(text))
    anyway = next(b for b in box.buttons() if b.text() == "Undo Anyway")
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        anyway.click()
        assert opened.ops.busy  # busy again from the answer on, not a loop turn later
    assert labels and labels[0] == "Undoing"
    wait_idle(qtbot, opened)


def test_a_cancelled_undo_question_leaves_the_window_idle(qtbot, opened, scenario):
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        opened.pick([scenario.msix], None)
    wait_idle(qtbot, opened)
    scenario.builder.git("update-ref", QUEUE, "refs/remotes/qemu/master")
    wait_idle(qtbot, opened)
    with qtbot.waitSignal(opened.confirmation_asked, timeout=WAIT_MS) as asked:
        opened.undo()
    asked.args[0].button(QMessageBox.StandardButton.Cancel).click()
    wait_idle(qtbot, opened)
    assert opened.statusBar().currentMessage() == "Not undone: the refs stay as the other git left them."
    assert opened.progress_pane.bar.isHidden()


def test_undo_of_a_queue_step_is_disabled_while_the_branch_is_checked_out(qtbot, opened, scenario):
    """Undo would move the checked-out branch: the action says why instead of failing after the click."""
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        opened.pick([scenario.msix], None)
    wait_idle(qtbot, opened)
    assert opened.action_undo.isEnabled()
    git(scenario.path, "checkout", "-q", "uq/master")
    qtbot.waitUntil(lambda: not opened.action_undo.isEnabled(), timeout=WAIT_MS)
    assert "uq/master is checked out" in opened.action_undo.toolTip()
    git(scenario.path, "checkout", "-q", "--detach")
    qtbot.waitUntil(opened.action_undo.isEnabled, timeout=WAIT_MS)
    assert opened.action_undo.toolTip().startswith("Undo: pick 1 commit")
