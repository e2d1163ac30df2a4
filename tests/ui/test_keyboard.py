"""The keyboard and assistive technology: command palette, Tab between panes, accessible names, side by side."""

from __future__ import annotations

import pytest

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit, QMenu, QWidget

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


def shown_and_active(qtbot, win) -> None:
    """Show WIN and make it the active window (keys go to its focus widget)."""
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=WAIT_MS)


def walk(qtbot, start: QWidget, key: Qt.Key, steps: int) -> list[QWidget]:
    """Put the focus on START and press KEY STEPS times; the focus widgets met, START first."""
    start.setFocus()
    qtbot.waitUntil(start.hasFocus, timeout=WAIT_MS)
    met = [start]
    for _ in range(steps):
        qtbot.keyClick(QApplication.focusWidget(), key)
        met.append(QApplication.focusWidget())
    return met


def test_tab_goes_round_the_panes_and_shift_tab_back_on_every_details_tab(qtbot, opened):
    """Tab: filters, downstream list, queue, the details' tab bar and current tab, then the filters again."""
    shown_and_active(qtbot, opened)
    pane, details = opened.downstream_pane, opened.details_pane
    panes = [pane.text_filter, pane.state_filter, pane.path_filter, pane.author_filter, pane.view,
             opened.queue_pane.view, details.tabs.tabBar()]
    views = {0: [details.message], 1: [details.diff.switch, details.diff.unified], 2: [details.files],
             # The interdiff is there only beside a twin: hidden, Tab leaves it out.
             3: [details.match_summary] + ([] if details.interdiff.isHidden() else [details.interdiff])}
    for tab, inside in views.items():
        details.tabs.setCurrentIndex(tab)
        ring = panes + inside
        forward = walk(qtbot, ring[0], Qt.Key.Key_Tab, len(ring) + 1)
        assert forward == ring + ring[:2], f"tab {tab}: {[w.accessibleName() for w in forward]}"
        backward = walk(qtbot, ring[0], Qt.Key.Key_Backtab, len(ring))
        assert backward == [ring[0]] + ring[::-1], f"tab {tab}: {[w.accessibleName() for w in backward]}"
    details.tabs.setCurrentIndex(1)
    details.diff.set_side_by_side(True)
    ring = panes + [details.diff.switch, details.diff.split.old, details.diff.split.new]
    assert walk(qtbot, ring[0], Qt.Key.Key_Tab, len(ring)) == ring + ring[:1]
    details.diff.set_side_by_side(False)
    # From the toolbar's profile box (Alt+P), Tab goes into the ring; the shown history joins it last.
    assert walk(qtbot, opened.profile_chooser, Qt.Key.Key_Tab, 1)[1] is pane.text_filter
    opened.history_dock.show()
    assert walk(qtbot, details.diff.unified, Qt.Key.Key_Tab, 2)[1:] == [opened.history_pane.view, pane.text_filter]


def test_tab_moves_from_pane_to_pane(qtbot, opened):
    shown_and_active(qtbot, opened)
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


def test_enter_picks_only_from_the_downstream_list(qtbot, opened, scenario):
    """Enter in the toolbar's profile box (or the menu bar) keeps its meaning; the toolbar button still picks."""
    shown_and_active(qtbot, opened)
    view = opened.downstream_pane.view
    view.select_commit(scenario.msix)
    picks: list[bool] = []
    opened.action_add_top.triggered.connect(lambda *_: picks.append(True))
    for widget in (opened.profile_chooser, opened.menuBar(), opened.queue_pane.view, opened.details_pane.message):
        widget.setFocus()
        qtbot.waitUntil(widget.hasFocus, timeout=WAIT_MS)
        qtbot.keyClick(widget, Qt.Key.Key_Return)
        qtbot.keyClick(widget, Qt.Key.Key_Enter)
        popup = QApplication.activePopupWidget()
        if popup is not None:  # the profile box or a menu opened its list: that is Enter's own meaning
            popup.close()
        wait_idle(qtbot, opened)
        assert picks == [], f"Enter in {widget.accessibleName() or type(widget).__name__} picked"
    assert opened.queue_model.commit_count == 2
    with qtbot.waitSignal(opened.command_finished, timeout=WAIT_MS) as finished:
        qtbot.mouseClick(opened.toolbar.widgetForAction(opened.action_add_top), Qt.MouseButton.LeftButton)
    assert finished.args[0].startswith("Picked 1 commit")
    wait_idle(qtbot, opened)
    assert opened.queue_model.commit_count == 3


def mnemonic(text: str) -> str | None:
    """The letter after a single '&' in TEXT (lower case), or None."""
    found = re.search(r"(?<!&)&([^&])", text.replace("&&", ""))
    return found.group(1).lower() if found else None


def test_every_menu_has_unique_mnemonics(opened):
    menus = [opened.menuBar()] + [a.menu() for a in opened.menuBar().actions() if a.menu() is not None]
    checked = 0
    for menu in menus:
        letters: dict[str, str] = {}
        for action in menu.actions():
            if action.isSeparator() or not action.isVisible():
                continue
            letter = mnemonic(action.text())
            assert letter is not None, f"{action.text()!r} has no mnemonic"
            assert letter not in letters, f"{action.text()!r} and {letters[letter]!r} both use Alt+{letter.upper()}"
            letters[letter] = action.text()
            checked += isinstance(menu, QMenu)
    assert checked > 20


def test_the_palette_names_the_toolbar_toggle(qtbot, opened):
    shown_and_active(qtbot, opened)
    names = {action_name(a): a for a, _ in window_actions(opened)}
    assert "Main" not in names
    toggle = names["Show Toolbar"]
    assert toggle is opened.toolbar.toggleViewAction() and toggle.isChecked()
    assert toggle in opened.view_menu.actions()


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


@pytest.mark.parametrize("defer", [False, True], ids=["built-at-once", "built-after-paint"])
def test_a_new_window_opens_with_the_remembered_side_by_side(qtbot, qt_loop, defer):
    from uqgui.ui.context import KEY_SIDE_BY_SIDE, UiContext
    from uqgui.ui.widgets.details_pane import DetailsPane
    from uqgui.ui.widgets.main_window import MainWindow

    ctx = UiContext()
    ctx.settings.setValue(KEY_SIDE_BY_SIDE, True)
    win = MainWindow(ctx, defer_details=defer)  # an error in a slot here fails the test (pytest-qt)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: len(win.findChildren(DetailsPane)) == 1, timeout=WAIT_MS)
    assert win.details_pane.diff.switch.isChecked() and win.action_side_by_side.isChecked()


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


def test_home_and_end_go_to_the_first_and_last_commit(qtbot, opened):
    view = opened.downstream_pane.view
    rows = view.model().rowCount()
    assert rows > 3
    view.setFocus()
    view.setCurrentIndex(view.model().index(2, 1))
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert view.currentIndex().row() == rows - 1
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert view.currentIndex().row() == 0
