"""One numbering of queue rows in the window: the # column's, in the history, the undo texts and the confirmation."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.ui.conftest import WAIT_MS, wait_idle
from tests.ui.scenario import QUEUE
from uqgui.ui.models.oplog import COL_DESCRIPTION
from uqgui.ui.models.queue import POSITION_ROLE, queue_description


def test_queue_description_numbers_as_the_column():
    assert queue_description("pick 1 commit at position 4 of uq/master") == "pick 1 commit as #5 of uq/master"
    assert queue_description("Cannot undo 'pick 2 commits at position 0 of uq/x': moved.") \
        == "Cannot undo 'pick 2 commits as #1-#2 of uq/x': moved."
    assert queue_description("reorder 2 commits of uq/master") == "reorder 2 commits of uq/master"


def test_the_history_the_undo_texts_and_the_confirmation_number_as_the_queue_column(qtbot, opened, scenario):
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS) as picked:
        opened.pick([scenario.msix], None)
    wait_idle(qtbot, opened)
    assert "as #3" in picked.args[0]
    assert opened.queue_model.index(0, 0).data(POSITION_ROLE) == 3
    history = opened.history_pane.view.model()
    assert history.index(0, COL_DESCRIPTION).data() == "pick 1 commit as #3 of uq/master"
    assert "as #3" in history.index(0, COL_DESCRIPTION).data(Qt.ItemDataRole.ToolTipRole)
    assert opened.action_undo.toolTip() == "Undo: pick 1 commit as #3 of uq/master"
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS) as undone:
        opened.undo()
    wait_idle(qtbot, opened)
    assert undone.args[0].startswith("Undid: pick 1 commit as #3 of uq/master")
    assert opened.action_redo.toolTip() == "Redo: pick 1 commit as #3 of uq/master"
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        opened.redo()
    wait_idle(qtbot, opened)
    # another git puts its own commit on top (not merely where undo would put the branch)
    tip = str(scenario.builder.repo.references[QUEUE].target)
    scenario.builder.git("update-ref", QUEUE, scenario.builder.commit("theirs\n", {"theirs.c": "t\n"}, parents=[tip]))
    with qtbot.waitSignal(opened.confirmation_asked, timeout=WAIT_MS) as asked:
        opened.undo()
    box = asked.args[0]
    assert "pick 1 commit as #3" in box.text() and "position" not in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    wait_idle(qtbot, opened)
    texts = [history.index(r, COL_DESCRIPTION).data() for r in range(history.rowCount())]
    assert not any("position" in text for text in texts), texts
