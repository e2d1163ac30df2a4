"""The keyboard and assistive technology: command palette, Tab between panes, accessible names, side by side."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit, QWidget

from tests.ui.conftest import WAIT_MS, wait_idle
from uqgui.ui.widgets.command_palette import action_name, matches, window_actions
from uqgui.ui.widgets.diff_view import K_ADDED, K_EMPTY, K_HUNK, K_PLAIN, K_REMOVED, side_by_side


def test_action_names_and_matching(qapp):
    action = QAction("Open &Recent…")
    assert action_name(action) == "Open Recent"
    assert action_name(QAction("Fish && &Chips")) == "Fish & Chips"
    assert matches("Add to Queue Top", "queue top") and matches("Add to Queue Top", "atqt")
    assert not matches("Add to Queue Top", "undo")


def test_palette_lists_every_menu_action_and_runs_one(qtbot, opened):
    opened.show()
    qtbot.waitExposed(opened)
    palette = opened.open_palette()
    assert palette.isVisible() and palette.focusWidget() is palette.query
    listed = {palette.model.action_at(r) for r in range(palette.model.rowCount())}
    menu_actions = {a for a, _ in window_actions(opened)}
    assert listed == menu_actions
    for action in (opened.action_fetch, opened.action_refresh, opened.action_undo, opened.action_add_top,
                   opened.action_history, opened.action_focus_queue, opened.action_open):
        assert action in listed, action.text()
    assert opened.action_palette not in listed
    assert not any(a.menu() is not None for a in listed)

    qtbot.keyClicks(palette.query, "operation hist")
    assert palette.model.rowCount() == 1
    assert palette.model.action_at(0) is opened.action_history
    assert not opened.history_dock.isVisible()
    with qtbot.waitSignal(palette.action_run, timeout=WAIT_MS):
        qtbot.keyClick(palette.query, Qt.Key.Key_Return)
    assert not palette.isVisible()
    assert opened.history_dock.isVisible()


def test_palette_arrows_choose_and_disabled_commands_do_not_run(qtbot, opened):
    palette = opened.open_palette()
    qtbot.keyClicks(palette.query, "redo")  # nothing to redo yet: listed, greyed, not runnable
    assert palette.model.rowCount() >= 1 and palette.model.action_at(0) is opened.action_redo
    assert not opened.action_redo.isEnabled()
    qtbot.keyClick(palette.query, Qt.Key.Key_Return)
    assert palette.isVisible()
    palette.query.clear()
    qtbot.keyClick(palette.query, Qt.Key.Key_Down)
    assert palette.list.currentIndex().row() == 1
    qtbot.keyClick(palette.query, Qt.Key.Key_Escape)
    assert not palette.isVisible()


def test_the_shortcut_opens_the_palette(qtbot, opened):
    opened.show()
    qtbot.waitExposed(opened)
    opened.activateWindow()
    qtbot.waitUntil(opened.isActiveWindow, timeout=WAIT_MS)
    view = opened.downstream_pane.view
    view.setFocus()
    qtbot.waitUntil(view.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(view, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: getattr(opened, "palette_dialog", None) is not None and opened.palette_dialog.isVisible(),
                    timeout=WAIT_MS)
    opened.palette_dialog.close()


def test_tab_moves_from_pane_to_pane(qtbot, opened):
    opened.show()
    qtbot.waitExposed(opened)
    opened.activateWindow()
    qtbot.waitUntil(opened.isActiveWindow, timeout=WAIT_MS)
    down, queue = opened.downstream_pane.view, opened.queue_pane.view
    down.setFocus()
    qtbot.waitUntil(down.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(down, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is queue
    qtbot.keyClick(queue, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is opened.details_pane.tabs.tabBar()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is queue
    qtbot.keyClick(queue, Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is down
    for which, widget in ((1, queue), (0, down)):
        opened.focus_pane(which)
        assert QApplication.focusWidget() is widget


def test_every_focusable_widget_has_a_name(opened):
    opened.show()
    opened.history_dock.show()
    unnamed = []
    for widget in opened.findChildren(QWidget):
        if not widget.isVisible() or widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue
        if widget.objectName().startswith("qt_") or isinstance(widget.parentWidget(), QLineEdit):
            continue  # Qt's own parts (viewports, a line edit's clear button) speak for their owner
        text = widget.text() if isinstance(widget, QAbstractButton) else ""
        if not (widget.accessibleName() or text):
            unnamed.append(f"{type(widget).__name__} {widget.objectName()}")
    assert not unnamed, unnamed
    for container in (opened.downstream_pane, opened.queue_pane, opened.details_pane, opened.toolbar):
        assert container.accessibleName()


def test_side_by_side_columns():
    unified = "\n".join([
        "diff --git a/vl.c b/vl.c", "index 1..2 100644", "--- a/vl.c", "+++ b/vl.c", "@@ -1,4 +1,4 @@",
        " int main(void)", "-    return 0;", "-    /* old */", "+    return 1;", " }",
    ])
    left, right, lkinds, rkinds = side_by_side(unified)
    assert len(left) == len(right) == len(lkinds) == len(rkinds)
    row = left.index("    return 0;")
    assert right[row] == "    return 1;" and (lkinds[row], rkinds[row]) == (K_REMOVED, K_ADDED)
    assert (left[row + 1], right[row + 1], rkinds[row + 1]) == ("    /* old */", "", K_EMPTY)
    assert lkinds[left.index("@@ -1,4 +1,4 @@")] == K_HUNK
    assert (lkinds[left.index("int main(void)")], right[left.index("}")]) == (K_PLAIN, "}")


def test_side_by_side_in_the_diff_tab_is_remembered(qtbot, opened, scenario):
    from uqgui.ui.context import KEY_SIDE_BY_SIDE

    with qtbot.waitSignal(opened.details_loaded, timeout=WAIT_MS):
        opened.downstream_pane.view.select_commit(scenario.pit)
    panel = opened.details_pane.diff
    assert not panel.switch.isChecked()
    opened.action_side_by_side.trigger()
    assert panel.switch.isChecked() and panel.stack.currentWidget() is panel.split
    assert "int pit_irq = 0;" in panel.split.new.toPlainText()
    assert panel.split.new.kind_at(panel.split.new.toPlainText().split("\n").index("int pit_irq = 0;")) == K_ADDED
    assert opened.ctx.settings.value(KEY_SIDE_BY_SIDE, type=bool) is True
    wait_idle(qtbot, opened)
    panel.set_side_by_side(False)
    assert opened.ctx.settings.value(KEY_SIDE_BY_SIDE, type=bool) is False
    assert not opened.action_side_by_side.isChecked()


def test_no_key_sequence_is_bound_twice(opened):
    """A sequence on two actions (or twice on one) is ambiguous to Qt, which then triggers nothing."""
    seen: dict[str, str] = {}
    for action in opened.findChildren(QAction):
        for sequence in action.shortcuts():
            key = sequence.toString()
            assert key not in seen, f"{key} is bound to {seen[key]} and {action.objectName()}"
            seen[key] = action.objectName()
    assert "Ctrl+Shift+Z" in seen and seen["Ctrl+Shift+Z"] == "actionRedo"


def test_ctrl_z_and_ctrl_shift_z_from_the_keyboard(qtbot, opened, scenario):
    opened.show()
    qtbot.waitExposed(opened)
    opened.activateWindow()
    opened.queue_pane.view.setFocus()
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        opened.pick([scenario.msix], None)
    wait_idle(qtbot, opened)
    picked = opened.queue_model.commit_count
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        qtbot.keyClick(opened.queue_pane.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, opened)
    assert opened.queue_model.commit_count == picked - 1
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS):
        qtbot.keyClick(opened.queue_pane.view, Qt.Key.Key_Z,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    wait_idle(qtbot, opened)
    assert opened.queue_model.commit_count == picked
