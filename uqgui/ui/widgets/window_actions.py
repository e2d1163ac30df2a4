"""The main window's actions, menus, toolbar and status bar, and when each action is enabled."""

# Each method takes `self: MainWindow`, which mypy calls an erased self type not a supertype of the
# mixin (misc): it is the class the mixin is only ever part of, and the bodies are checked against it.
# mypy: disable-error-code="misc"

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QMenu, QToolBar

from .. import icons
from ..models.queue import REORDER_UNAVAILABLE, queue_description
from .status_pane import ProgressPane
from .window_shared import short_ref

if TYPE_CHECKING:
    from .main_window import MainWindow  # types only: main_window imports this module

ADD_TOP_TIP = "Pick the selected downstream commits onto the top of the queue (Enter)"
ADD_HERE_TIP = "Pick the selected downstream commits just above the selected queue row (Ctrl+Enter)"
MOVE_UP_TIP = "Move the selected queue commit one place up (Alt+Up)"
MOVE_DOWN_TIP = "Move the selected queue commit one place down (Alt+Down)"
NO_QUEUE = "Open a repository with a queue profile first."
QUEUE_UNREAD = "The queue could not be read: the queue pane says why."


def unique_key_sequences(shortcuts: list[Any]) -> list[QKeySequence]:
    """SHORTCUTS (strings or standard keys, each with all its platform bindings), each sequence once.

    A sequence given twice makes Qt call the shortcut ambiguous and trigger nothing: on X11 the
    standard Redo key is Ctrl+Shift+Z itself.
    """
    sequences: list[QKeySequence] = []
    for shortcut in shortcuts:
        bindings = (QKeySequence.keyBindings(shortcut) if isinstance(shortcut, QKeySequence.StandardKey)
                    else [QKeySequence(shortcut)])
        sequences.extend(seq for seq in bindings if not seq.isEmpty() and seq not in sequences)
    return sequences


class ActionsMixin:
    """MainWindow's actions, menus, toolbar and status bar (a part of MainWindow, never used alone)."""

    def _action(self: MainWindow, name: str, text: str, slot: Any, shortcuts: list[Any] | None = None, icon: str | None = None,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if icon:
            action.setIcon(icons.icon(icon))
        if shortcuts:
            action.setShortcuts(unique_key_sequences(shortcuts))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _make_actions(self: MainWindow) -> None:
        a = self._action
        self.action_open = a("actionOpen", "&Open Repository…", self.choose_repository,
                             [QKeySequence.StandardKey.Open], "open", "Open a clone holding both trees (Ctrl+O)")
        self.action_open_demo = a("actionOpenDemo", "Open &Demo", lambda: self.open_demo(), None, "demo",
                                  "Build the demo repository in a temporary folder and open it")
        self.action_quit = a("actionQuit", "&Quit", self.close, [QKeySequence.StandardKey.Quit])
        self.action_fetch = a("actionFetch", "&Fetch", lambda: self.fetch(), ["Ctrl+Shift+F"], "fetch",
                              "Fetch the remotes of the downstream and upstream refs (Ctrl+Shift+F)")
        self.action_refresh = a("actionRefresh", "&Refresh", lambda: self.refresh(), ["Ctrl+R", "F5"], "refresh",
                                "Read the refs again and recompute the states (Ctrl+R)")
        self.action_undo = a("actionUndo", "&Undo", lambda: self.undo(), [QKeySequence.StandardKey.Undo], "undo")
        self.action_redo = a("actionRedo", "&Redo", lambda: self.redo(), ["Ctrl+Shift+Z", QKeySequence.StandardKey.Redo],
                             "redo")
        self.action_find = a("actionFind", "&Filter Commits", self.downstream_pane.focus_filter,
                             [QKeySequence.StandardKey.Find])
        self.action_add_top = a("actionAddTop", "Add to Queue &Top", lambda: self.add_selected(None),
                                ["Return", "Enter"], "add-to-queue", ADD_TOP_TIP)
        # Enter picks only while the downstream list itself has the focus: elsewhere it keeps its
        # usual meaning. Not WidgetWithChildrenShortcut: the action sits in the toolbar too, and
        # Enter in any of the toolbar's children (the profile box) would pick.
        self.action_add_top.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.downstream_pane.view.addAction(self.action_add_top)
        self.action_add_here = a("actionAddHere", "Add to Queue &Above Selection",
                                 lambda: self.add_selected(self.queue_selection_position()), ["Ctrl+Return"],
                                 "add-to-queue", ADD_HERE_TIP)
        self.action_add_here.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.downstream_pane.view.addAction(self.action_add_here)
        self.action_move_up = a("actionMoveUp", "Move &Up", lambda: self.move_selected(1), ["Alt+Up"], "move-up",
                                MOVE_UP_TIP)
        self.action_move_down = a("actionMoveDown", "Move &Down", lambda: self.move_selected(-1), ["Alt+Down"],
                                  "move-down", MOVE_DOWN_TIP)
        for action in (self.action_move_up, self.action_move_down):
            self.queue_pane.view.addAction(action)
        self.action_new_profile = a("actionNewProfile", "&New Profile…", self.new_profile, None, "profile",
                                    "Add a queue profile: downstream, upstream and queue refs")
        self.action_history = self.history_dock.toggleViewAction()
        self.action_history.setObjectName("actionHistory")
        self.action_history.setText("Operation &History")
        self.action_history.setShortcut(QKeySequence("Ctrl+H"))
        self.action_history.setIcon(icons.icon("history"))
        self.action_cancel = a("actionCancel", "&Cancel Background Work", self.ops.cancel, None, "cancel")
        self.action_about = a("actionAbout", "&About uqgui", self.about)
        self.action_palette = a("actionPalette", "Command &Palette…", lambda: self.open_palette(), ["Ctrl+Shift+P"],
                                "palette", "Every command by name: type to filter, Enter runs it (Ctrl+Shift+P)")
        self.action_palette.setProperty("inPalette", False)
        # Pane focus: Tab walks the panes too, these jump straight there.
        self.action_focus_downstream = a("actionFocusDownstream", "Go to &Downstream List",
                                         lambda: self.focus_pane(0), ["Ctrl+1"])
        self.action_focus_queue = a("actionFocusQueue", "Go to &Queue", lambda: self.focus_pane(1), ["Ctrl+2"])
        self.action_focus_details = a("actionFocusDetails", "Go to D&etails", lambda: self.focus_pane(2), ["Ctrl+3"])
        self.action_side_by_side = a("actionSideBySide", "&Side-by-Side Diff",
                                     lambda on: self.details_pane.diff.set_side_by_side(on), ["Ctrl+Shift+D"])
        self.action_side_by_side.setCheckable(True)
        self.action_copy_id = a("actionCopyId", "Copy Commit &Id", self.copy_current_id, None)
        self.downstream_pane.view.addAction(self.action_copy_id)

    def _make_menus(self: MainWindow) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.action_open)
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addMenu(self.recent_menu)
        file_menu.addAction(self.action_open_demo)
        file_menu.addSeparator()
        file_menu.addAction(self.action_quit)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self.action_undo)
        edit_menu.addAction(self.action_redo)
        edit_menu.addSeparator()
        edit_menu.addAction(self.action_find)
        edit_menu.addAction(self.action_copy_id)
        queue_menu = bar.addMenu("&Queue")
        queue_menu.addAction(self.action_add_top)
        queue_menu.addAction(self.action_add_here)
        queue_menu.addSeparator()
        queue_menu.addAction(self.action_move_up)
        queue_menu.addAction(self.action_move_down)
        queue_menu.addSeparator()
        queue_menu.addAction(self.action_new_profile)
        view_menu = self.view_menu = bar.addMenu("&View")
        view_menu.addAction(self.action_fetch)
        view_menu.addAction(self.action_refresh)
        view_menu.addAction(self.action_history)
        view_menu.addAction(self.action_side_by_side)
        view_menu.addSeparator()
        view_menu.addAction(self.action_focus_downstream)
        view_menu.addAction(self.action_focus_queue)
        view_menu.addAction(self.action_focus_details)
        view_menu.addSeparator()
        view_menu.addAction(self.action_palette)
        view_menu.addAction(self.action_cancel)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.action_about)

    def _make_toolbar(self: MainWindow) -> None:
        bar = QToolBar("Main", self)
        bar.setObjectName("mainToolBar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(bar)
        # Tab walks the panes (tab_stops()); Alt+P reaches the profile box.
        label = QLabel(" &Profile: ", bar)
        bar.addWidget(label)
        self.profile_chooser = QComboBox(bar)
        self.profile_chooser.setObjectName("profileChooser")
        self.profile_chooser.setAccessibleName("Queue profile")
        self.profile_chooser.setToolTip("The queue profile: downstream, upstream and queue branch")
        self.profile_chooser.setMinimumContentsLength(14)
        self.profile_chooser.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.profile_chooser.activated.connect(self._profile_chosen)
        label.setBuddy(self.profile_chooser)
        bar.addWidget(self.profile_chooser)
        bar.addAction(self.action_new_profile)
        bar.addSeparator()
        bar.addAction(self.action_fetch)
        bar.addAction(self.action_refresh)
        bar.addSeparator()
        bar.addAction(self.action_undo)
        bar.addAction(self.action_redo)
        bar.addSeparator()
        bar.addAction(self.action_add_top)
        bar.addAction(self.action_history)
        self.toolbar = bar
        # Its toggle says what it does (the palette and the toolbar's context menu list it).
        self.action_toolbar = bar.toggleViewAction()
        self.action_toolbar.setObjectName("actionToolbar")
        self.action_toolbar.setText("Show &Toolbar")
        self.view_menu.insertAction(self.action_history, self.action_toolbar)

    def _make_status_bar(self: MainWindow) -> None:
        status = self.statusBar()
        self.progress_pane = ProgressPane(self)
        self.location = QLabel(self)
        self.location.setAccessibleName("Repository and profile")
        status.addPermanentWidget(self.progress_pane)
        status.addPermanentWidget(self.location)

    def _update_actions(self: MainWindow) -> None:
        state = self.queue_state
        has_queue = state is not None and state.profile is not None and state.series_problem is None
        self.action_refresh.setEnabled(self.ctx.has_repo)
        self.action_fetch.setEnabled(self.ctx.has_repo and state is not None and state.profile is not None)
        self.action_new_profile.setEnabled(self.ctx.has_repo)
        # Every command on the queue moves its branch, which git keeps where it is while a work tree
        # has it checked out: say so on the actions rather than after Enter, in an error.
        why_not = "" if has_queue else NO_QUEUE if state is None or state.profile is None else QUEUE_UNREAD
        where = getattr(state, "branch_checked_out", None) if has_queue else None
        checked_out = ""
        if where and state is not None and state.branch_ref is not None:
            branch = short_ref(state.branch_ref)
            checked_out = why_not = (
                f"{branch} is checked out in {where}: git keeps a checked-out branch where it is, and every "
                f"queue command moves it. Switch that work tree to another branch (git switch --detach) to "
                f"work on the queue here.")
        for action, op, verb in ((self.action_undo, state.undo if state else None, "Undo"),
                                 (self.action_redo, state.redo if state else None, "Redo")):
            moves_queue = op is not None and state is not None and any(r.name == state.branch_ref for r in op.refs)
            blocked = checked_out if moves_queue else ""
            tip = f"{verb}: {queue_description(op.description)}" if op is not None else f"Nothing to {verb.lower()}"
            _enable(action, op is not None and not blocked, tip, blocked)
        _enable(self.action_add_top, not why_not, ADD_TOP_TIP, why_not)
        _enable(self.action_add_here, not why_not, ADD_HERE_TIP, why_not)
        if not why_not and not self._can_reorder():
            why_not = REORDER_UNAVAILABLE
        up, down = why_not, why_not
        if not why_not:
            # Only where the selected commit can go: Alt+Up on the top row would do nothing, silently.
            row = self.queue_pane.view.currentIndex().row()
            if row < 0:
                up = down = "Select a queue commit to move it."
            elif self.queue_model.commit_at(row) is None:
                up = down = "The base row is the upstream commit the queue sits on: it does not move."
            else:
                up = "The selected commit is on top of the queue already." if row == 0 else ""
                down = ("The selected commit is at the bottom of the queue already, just above its base."
                        if row == self.queue_model.commit_count - 1 else "")
        _enable(self.action_move_up, not up, MOVE_UP_TIP, up)
        _enable(self.action_move_down, not down, MOVE_DOWN_TIP, down)


def _enable(action: QAction, enabled: bool, tip: str, why_not: str) -> None:
    """Enable ACTION, or disable it with WHY_NOT as its tips (TIP says what it does when it can)."""
    action.setEnabled(enabled)
    shown = tip if enabled or not why_not else why_not
    action.setToolTip(shown)
    action.setStatusTip(shown)
