"""The details pane: never a commit no list shows any more, a Match tab true to the commit, the Files columns."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView

from tests.ui.conftest import WAIT_MS, wait_idle
from tests.ui.scenario import QUEUE, build_scenario
from uqgui.ui.widgets.details_origins import PROMPT
from uqgui.ui.widgets.details_pane import FILE_ADDED, FILE_DELETED, FILE_PATH, TAB_FILES, TAB_MATCH


def shows(win, commit_id: str) -> bool:
    """True when the details pane shows COMMIT_ID."""
    details = win.details_pane.details
    return details is not None and details.info.id == commit_id


def cleared(win) -> bool:
    """True when the details pane shows nothing but the prompt."""
    return win.details_pane.details is None and PROMPT in win.details_pane.message.toPlainText()


def select_in_queue(qtbot, win, commit_id: str) -> None:
    with qtbot.waitSignal(win.details_loaded, timeout=WAIT_MS):
        assert win.queue_pane.view.select_commit(commit_id)
    assert shows(win, commit_id)


def test_details_of_a_queue_commit_another_git_dropped_are_cleared(qtbot, opened, scenario):
    top = opened.queue_model.commit_at(0).id
    select_in_queue(qtbot, opened, top)
    scenario.builder.git("update-ref", QUEUE, f"{QUEUE}~1")
    qtbot.waitUntil(lambda: opened.queue_model.commit_count == 1, timeout=WAIT_MS)
    wait_idle(qtbot, opened)
    assert opened.queue_pane.current_commit() == ""
    assert cleared(opened)


def test_details_of_a_queue_commit_an_undo_removed_are_cleared(qtbot, opened, scenario):
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        opened.pick([scenario.msix], None)
    wait_idle(qtbot, opened)
    picked = opened.queue_model.commit_at(0).id
    select_in_queue(qtbot, opened, picked)
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        opened.undo()
    wait_idle(qtbot, opened)
    assert opened.queue_model.row_of(picked) is None
    assert cleared(opened)


def test_details_follow_a_queue_commit_a_reorder_replayed(qtbot, opened):
    top = opened.queue_model.commit_at(0)
    select_in_queue(qtbot, opened, top.id)
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        opened.move_selected(-1)
    wait_idle(qtbot, opened)
    current = opened.queue_pane.current_commit()
    assert current != top.id and opened.queue_model.commit_at(1).subject == top.subject
    assert shows(opened, current)


def test_switching_profile_clears_details_the_new_lists_do_not_hold(qtbot, window, tmp_path):
    scenario = build_scenario(tmp_path / "two", profiles=("master", "old"))
    # The "old" profile's downstream stops at msix: tpr and what follows it are not listed there.
    scenario.builder.ref("refs/remotes/qemu-kvm/old", scenario.msix)
    scenario.builder.git("config", "uq.old.downstream", "qemu-kvm/old")
    window.open_repository(scenario.path)
    wait_idle(qtbot, window)

    def switch(name: str) -> None:
        with qtbot.waitSignal(window.divergence_loaded, timeout=WAIT_MS):
            window.choose_profile(name)
        wait_idle(qtbot, window)

    for commit_id, kept in ((scenario.msix, True), (scenario.tpr, False)):
        with qtbot.waitSignal(window.details_loaded, timeout=WAIT_MS):
            assert window.downstream_pane.view.select_commit(commit_id)
        switch("old")
        assert shows(window, commit_id) if kept else cleared(window), commit_id
        # A commit still listed is selected there again (the new profile's rows replaced the old ones).
        assert window.downstream_pane.current_commit() == (commit_id if kept else "")
        switch("master")
    # A queue commit of master's queue: the "old" profile's queue (uq/old) is empty.
    select_in_queue(qtbot, window, window.queue_model.commit_at(0).id)
    switch("old")
    assert cleared(window)


def test_the_match_tab_says_what_a_commit_without_a_twin_is(qtbot, opened, scenario):
    pane = opened.details_pane
    pane.tabs.setCurrentIndex(TAB_MATCH)

    def summary() -> str:
        return pane.match_summary.toPlainText()

    select_in_queue(qtbot, opened, opened.queue_model.commit_at(0).id)  # "vl: return 2", made in the queue
    assert "is in the queue" in summary() and "neither upstream nor in the queue" not in summary()
    base = opened.queue_model.index(opened.queue_model.commit_count, 0)
    with qtbot.waitSignal(opened.details_loaded, timeout=WAIT_MS):
        opened.queue_pane.view.setCurrentIndex(base)
    assert "queue's base" in summary() and "upstream" in summary() and "neither" not in summary()
    for commit_id, words in ((scenario.msix, "neither upstream nor in the queue"),
                             (scenario.empty, "changes no file")):
        with qtbot.waitSignal(opened.details_loaded, timeout=WAIT_MS):
            opened.downstream_pane.view.select_commit(commit_id)
        assert words in summary()
        assert pane.interdiff.isHidden() and pane.interdiff_label.isHidden()  # no twin: no empty box
    with qtbot.waitSignal(opened.details_loaded, timeout=WAIT_MS):
        opened.downstream_pane.view.select_commit(scenario.pit)  # landed morphed: its twin's difference
    assert not pane.interdiff.isHidden() and not pane.interdiff_label.isHidden()


def test_the_files_tab_gives_the_spare_width_to_the_path(qtbot, opened, scenario):
    opened.resize(1500, 900)
    opened.show()
    qtbot.waitExposed(opened)
    with qtbot.waitSignal(opened.details_loaded, timeout=WAIT_MS):
        opened.downstream_pane.view.select_commit(scenario.msix)
    files = opened.details_pane.files
    opened.details_pane.tabs.setCurrentIndex(TAB_FILES)
    qtbot.waitUntil(files.isVisible, timeout=WAIT_MS)
    header = files.header()
    assert not header.stretchLastSection()
    assert header.sectionResizeMode(FILE_PATH) == QHeaderView.ResizeMode.Stretch
    chars = files.fontMetrics().averageCharWidth()
    for column in (FILE_ADDED, FILE_DELETED):
        assert header.sectionResizeMode(column) == QHeaderView.ResizeMode.ResizeToContents
        assert header.sectionSize(column) < 14 * chars  # the numbers sit under their own header
    assert header.sectionSize(FILE_PATH) > files.viewport().width() // 2
    assert files.topLevelItem(0).text(FILE_PATH) == "hw/device-assignment.c"


def focus_successor(widget):
    """The first widget after WIDGET's own subtree in Qt's focus chain (what Tab order says)."""
    nxt = widget.nextInFocusChain()
    while nxt is not widget and widget.isAncestorOf(nxt):
        nxt = nxt.nextInFocusChain()
    return nxt


def test_a_deferring_window_builds_its_details_pane_after_its_first_paint(qtbot, qt_loop, scenario):
    from uqgui.ui.widgets.details_pane import DetailsPane
    from uqgui.ui.widgets.main_window import MainWindow

    win = MainWindow(defer_details=True)
    qtbot.addWidget(win)
    assert win.findChildren(DetailsPane) == []
    win.open_repository(scenario.path)
    wait_idle(qtbot, win)  # opened and loaded (views cleared, lists filled) before any paint
    assert win.findChildren(DetailsPane) == []
    win.show()
    qtbot.waitUntil(lambda: len(win.findChildren(DetailsPane)) == 1, timeout=WAIT_MS)
    pane = win.findChildren(DetailsPane)[0]
    assert win.details_pane is pane and win.details_splitter.widget(1) is pane
    assert win.details_splitter.count() == 2
    # Qt's focus chain goes from the queue into the pane's tabs, as in a window built at once.
    after_queue = focus_successor(win.queue_pane.view)
    assert after_queue is pane.tabs or pane.tabs.isAncestorOf(after_queue)
    first = win.downstream_model.commit_at(0)
    assert win.downstream_pane.view.select_commit(first)
    qtbot.waitUntil(lambda: shows(win, first), timeout=WAIT_MS)
    win.ops.cancel_all()
    wait_idle(qtbot, win)


def test_a_deferred_details_pane_takes_the_place_a_built_one_has(qtbot, qt_loop):
    """Same window size, same settings: the lists keep the height they were first painted with."""
    from uqgui.ui.widgets.details_pane import DetailsPane
    from uqgui.ui.widgets.main_window import MainWindow

    heights = {}
    for defer in (False, True):
        win = MainWindow(defer_details=defer)
        qtbot.addWidget(win)
        win.resize(1000, 800)
        win.show()
        qtbot.waitExposed(win)
        painted = win.details_splitter.sizes()  # before a deferred pane is in (its timer has not run)
        qtbot.waitUntil(lambda w=win: len(w.findChildren(DetailsPane)) == 1, timeout=WAIT_MS)
        qtbot.wait(50)
        heights[defer] = (painted, win.details_splitter.sizes())
        win.close()
    (eager_painted, eager), (deferred_painted, deferred) = heights[False], heights[True]
    assert deferred == deferred_painted  # no jump when the pane comes in
    assert abs(deferred[0] - eager[0]) <= 2 and abs(deferred[1] - eager[1]) <= 2
