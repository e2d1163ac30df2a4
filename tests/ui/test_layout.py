"""Sizes: the window fits half a 1920 screen, the profile dialog shows its words whole and suggests free branches."""

from __future__ import annotations

import subprocess

from PySide6.QtWidgets import QLabel

from tests.ui.conftest import WAIT_MS, wait_idle
from tests.ui.scenario import UPSTREAM
from uqgui.ui.models.queue import COL_AUTHOR, COL_DATE, COL_POS, COL_SUBJECT, COL_TESTS
from uqgui.ui.widgets.profile_dialog import ProfileDialog, branch_choices, suggested_branch

HALF_A_1920_SCREEN = 960
LONG_ERROR = ("The downstream ref 'nope/master' does not exist in /home/maintainer/src/qemu-kvm/.git. Check the "
              "name (git branch -a), or fetch the remote that holds it.")


def test_the_window_fits_half_a_1920_screen_with_readable_queue_subjects(qtbot, opened):
    pane = opened.downstream_pane
    pane.text_filter.setText("kvm")  # the longest counts line: "… — showing 3 of 7"
    pane.apply_filters()
    opened.resize(HALF_A_1920_SCREEN, 700)
    opened.show()
    qtbot.waitExposed(opened)
    assert opened.minimumSizeHint().width() <= HALF_A_1920_SCREEN
    assert opened.width() == HALF_A_1920_SCREEN
    # Neither the counts nor a title sets the pane's width: they wrap.
    assert pane.minimumSizeHint().width() < HALF_A_1920_SCREEN // 2
    assert pane.counts.height() >= pane.counts.heightForWidth(pane.counts.width())
    header, view = opened.queue_pane.view.header(), opened.queue_pane.view
    chars = view.fontMetrics().averageCharWidth()
    assert header.sectionSize(COL_SUBJECT) >= 22 * chars  # a subject of some twenty characters reads whole
    assert sum(header.sectionSize(c) for c in (COL_POS, COL_TESTS, COL_AUTHOR, COL_DATE)) \
        + header.sectionSize(COL_SUBJECT) <= view.viewport().width() + 1  # and no sideways scrolling


def wrapped_labels(dialog: ProfileDialog) -> list[QLabel]:
    return [label for label in dialog.findChildren(QLabel) if label.wordWrap() and label.isVisible()]


def test_the_profile_dialog_grows_to_show_its_error_whole(qtbot):
    dialog = ProfileDialog(["qemu-kvm/master", "qemu/master", "uq/master"], None, ["master"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.width() >= 50 * dialog.fontMetrics().averageCharWidth()
    before = dialog.height()
    dialog.failed(LONG_ERROR)
    qtbot.waitUntil(lambda: dialog.height() > before, timeout=WAIT_MS)
    assert dialog.problem in wrapped_labels(dialog)
    for label in wrapped_labels(dialog):  # no line clipped
        assert label.height() >= label.heightForWidth(label.width()), label.text()
    geometries = [w.geometry() for w in (dialog.branch, dialog.problem, dialog.buttons)]
    assert not any(a.intersects(b) for a, b in zip(geometries, geometries[1:]))  # nor overlapping
    assert dialog.buttons.geometry().bottom() <= dialog.height()


def test_queue_branch_suggestions():
    assert suggested_branch("master", {"uq/master"}) == "uq/master-2"
    assert suggested_branch("stable", {"uq/master"}) == "uq/stable"
    assert branch_choices("uq/stable", ["uq/master", "uq/stable", "feature", "feature"], {"uq/master"}) \
        == ["uq/stable", "feature"]


def test_the_profile_dialog_offers_each_free_queue_branch_once(qtbot, window, scenario, tmp_path):
    upstream_tip = str(scenario.builder.repo.references[UPSTREAM].target)
    scenario.builder.ref("refs/heads/master", upstream_tip)  # HEAD's branch: checked out
    scenario.builder.ref("refs/heads/uq/spare", upstream_tip)
    scenario.builder.ref("refs/heads/uq/held", upstream_tip)  # checked out in a linked work tree
    subprocess.run(["git", "-C", str(scenario.path), "worktree", "add", "-q", str(tmp_path / "held"), "uq/held"],
                   check=True, capture_output=True)
    window.open_repository(scenario.path)
    wait_idle(qtbot, window)
    window.new_profile()
    qtbot.waitUntil(lambda: getattr(window, "profile_dialog", None) is not None and window.profile_dialog.isVisible(),
                    timeout=WAIT_MS)
    dialog = window.profile_dialog
    offered = [dialog.branch.itemText(i) for i in range(dialog.branch.count())]
    assert len(offered) == len(set(offered)), offered
    assert "master" not in offered  # checked out: the queue could never move it
    assert "uq/master" not in offered  # profile master's queue
    assert "uq/held" not in offered
    assert offered == ["uq/queue2", "uq/spare"]
    assert dialog.name.text() == "queue2" and dialog.branch.currentText() == "uq/queue2"
    dialog.name.clear()
    qtbot.keyClicks(dialog.name, "mine")  # the suggestion follows the name typed
    assert dialog.branch.currentText() == "uq/mine"
    dialog.branch.setCurrentText("uq/master")  # still the user's choice to type
    assert dialog.profile().branch == "uq/master"
    qtbot.keyClicks(dialog.name, "2")  # a branch of the user's own stays
    assert dialog.branch.currentText() == "uq/master"
    dialog.branch.setCurrentText(dialog.branch.itemText(0))
    dialog.name.clear()
    qtbot.keyClicks(dialog.name, "held")  # uq/held is checked out: never suggested
    assert dialog.branch.currentText() == "uq/held-2"
    dialog.reject()


def queue_hint_is_true(win) -> None:
    """The queue's hint says reordering works, and how: dragging, and the Move actions' real shortcuts."""
    hint = win.queue_pane.hint.text()
    assert "not available" not in hint and "drag queue commits to reorder" in hint, hint
    keys = [s.toString() for a in (win.action_move_up, win.action_move_down) for s in a.shortcuts()]
    assert keys and all(k in hint for k in keys), (keys, hint)


def test_the_queue_hint_says_how_to_reorder_with_or_without_a_repository(qtbot, window, scenario, tmp_path):
    queue_hint_is_true(window)  # nothing open yet
    with qtbot.waitSignal(window.error_shown, timeout=WAIT_MS):
        window.open_repository(tmp_path / "nonexistent")
    wait_idle(qtbot, window)
    queue_hint_is_true(window)  # opening failed
    window.open_repository(scenario.path)
    wait_idle(qtbot, window)
    assert window.queue_model.reorder_enabled
    queue_hint_is_true(window)


def test_commits_whose_state_is_being_computed_are_counted_in_words(qtbot):
    from uqgui.core.listing import DownstreamListing
    from uqgui.ui.models.downstream import DownstreamModel
    from uqgui.ui.widgets.downstream_pane import DownstreamPane

    model = DownstreamModel()
    pane = DownstreamPane(model)
    qtbot.addWidget(pane)
    for n, words in ((1, "state being computed for 1 commit"), (4000, "state being computed for 4,000 commits")):
        model.set_listing(DownstreamListing.pending_columns(
            [(f"{i:040x}", f"kvm: change {i}", "Avi", "avi@redhat.com", i, None) for i in range(n)], "git"))
        text = pane.counts.text().replace("\u00a0", " ")
        assert words in text and f"{n:,} state" not in text, text
        assert not text.rstrip().endswith(f"{words}s")


def test_a_queue_that_could_not_be_read_is_not_counted_as_empty(qtbot, window, scenario):
    """A profile naming a missing upstream: the queue pane says what to fix, and no '0 commits'."""
    scenario.builder.git("config", "uq.master.upstream", "refs/remotes/qemu/nonexistent")
    window.open_repository(scenario.path)
    wait_idle(qtbot, window)
    title = window.queue_pane.title.text()
    assert "not read" in title and "0 commits" not in title, title
    assert "git config uq.master.upstream" in window.queue_pane.banner.text()
