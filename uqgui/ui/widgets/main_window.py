"""The main window: downstream on the left, the queue on the right, details below, work in the background."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence, QPaintEvent
from PySide6.QtWidgets import (QApplication, QComboBox, QDockWidget, QFileDialog, QLabel, QMainWindow, QMenu,
                               QMessageBox, QSplitter, QToolBar, QWidget)

from ... import __version__
from ...core.errors import RefMovedError, UqError
from ...core.listing import DownstreamListing, Prefetch, QuickProfile, QuickStart, quick_listing
from .. import icons
from ..context import (KEY_DETAILS_SPLITTER, KEY_DOWNSTREAM_HEADER, KEY_GEOMETRY, KEY_QUEUE_HEADER,
                       KEY_SIDE_BY_SIDE, KEY_SPLITTER, KEY_STATE, UiContext)
from ..errors import ErrorDialog, show_error
from ..models.downstream import DownstreamModel
from ..models.oplog import OperationLogModel
from ..models.queue import IS_BASE_ROLE, REORDER_UNAVAILABLE, QueueModel, queue_description, queue_numbers
from ..models.states import S_PENDING
from ..ops import OpRunner, ProgressFn, Superseded
from ..worker import CoreWorker, plain, shared_worker
from ..watcher import RefWatcher
from .details_origins import ORIGIN_BASE, ORIGIN_DOWNSTREAM, ORIGIN_QUEUE, PROMPT
from .downstream_pane import DownstreamPane
from .history_pane import HistoryPane
from .queue_pane import QueuePane
from .status_pane import ProgressPane

if TYPE_CHECKING:
    # asyncio is imported in the methods that use it: the window is built and paints its first
    # rows before the application imports asyncio and qasync (uqgui.app), ~25 ms of start-up.
    import asyncio

    # Types only: at run time these objects come from the worker process as stand-ins.
    from ...core.divergence import Divergence, Match
    from ..queries import QueueState
    from .command_palette import CommandPalette
    from .details_pane import DetailsPane
    from .profile_dialog import ProfileDialog

# Fetching, the palette and the profile dialog are imported when first used: a window that is
# not using them yet should not pay for them before its first paint (each costs a few ms).

# Job keys: a newer job with the same key supersedes the older one.
JOB_OPEN, JOB_QUEUE, JOB_DIVERGENCE, JOB_DETAILS, JOB_COMMAND, JOB_FINGERPRINT, JOB_REFS, JOB_DEMO = (
    "open", "queue", "divergence", "details", "command", "fingerprint", "refs", "demo")
JOB_LISTING, JOB_FETCH = "listing", "fetch"
STATUS_MESSAGE_MS = 10_000


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


def _stop(task: asyncio.Task[Any] | None) -> None:
    """Cancel TASK if it is still running."""
    if task is not None and not task.done():
        task.cancel()


def _settle(future: asyncio.Future[bool], value: bool) -> None:
    """Give FUTURE its answer, once (a dialog may report both a button and its closing)."""
    if not future.done():
        future.set_result(value)


def _event_loop_running() -> bool:
    """True when an asyncio event loop runs in this thread (never before uqgui.app made one)."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _state_and_twin(listing: DownstreamListing, commit_id: str) -> tuple[str | None, str | None]:
    """COMMIT_ID's display state in LISTING and the id of its twin (None when it is not listed)."""
    i = listing.index.get(commit_id) if commit_id else None
    if i is None:
        return None, None
    match = listing.match(i)
    return listing.states[i], getattr(match, "id", None)


def short_ref(name: str) -> str:
    """A ref as people say it: qemu/master, not refs/remotes/qemu/master."""
    for prefix in ("refs/heads/", "refs/remotes/", "refs/tags/"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


class MainWindow(QMainWindow):
    """Both trees side by side, drag and drop picking, undo, progress; all git work off the GUI thread."""

    repository_opened = Signal(str)
    queue_loaded = Signal()
    divergence_loaded = Signal()
    details_loaded = Signal(str)
    command_finished = Signal(str)  # the status message it left
    fetch_finished = Signal(str)  # the status message it left
    credentials_asked = Signal(object)  # the CredentialsDialog, opened after a server refused a fetch
    error_shown = Signal(object)  # the ErrorDialog
    confirmation_asked = Signal(object)  # a QMessageBox asking whether to undo or redo anyway

    def __init__(self, context: UiContext | None = None, defer_details: bool = False) -> None:
        """DEFER_DETAILS: build the details pane just after the window's first paint (the app's start-up)."""
        super().__init__()
        self.ctx = context or UiContext()
        self.ops = OpRunner(self)
        # The core runs in a worker process: this process never imports pygit2 (see worker.py).
        self.worker: CoreWorker = shared_worker()
        self._lock: asyncio.Lock | None = None  # see _command_lock
        self.queue_state: QueueState | None = None
        self.divergence: Divergence | None = None
        # Which (profile, downstream tip, upstream tip) the downstream rows list; `complete` once the
        # divergence's states are in. Late quick rows for an older key are dropped.
        self._listing_key: tuple[str, str, str] | None = None
        self._listing_complete = False
        self._adopted: QuickStart | None = None  # shown by adopt_prefetch() before the loop ran
        self._parts_taken = False  # whether adopt_prefetch() could subscribe to a cold listing's parts
        self._replayed_ids: dict[str, str] = {}  # old id -> new, from the last command's replay
        self._wanted_profile: str | None = None
        self._last_details: str = ""  # the commit the details pane shows (or is reading)
        self._details_origin = ORIGIN_DOWNSTREAM  # the list it was chosen in (ORIGIN_*)

        self.setWindowTitle("uqgui")
        self.setWindowIcon(icons.icon("app"))
        self.resize(1400, 900)

        self.downstream_model = DownstreamModel(self)
        self.queue_model = QueueModel(self)
        self.oplog_model = OperationLogModel(self)

        # Each widget is made in its final parent: moving a built pane into a splitter afterwards
        # re-resolves the fonts and palettes of its whole subtree (~5 ms of the first paint).
        self.details_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self.details_splitter)
        self.downstream_pane = DownstreamPane(self.downstream_model, self.splitter)
        self.queue_pane = QueuePane(self.queue_model, self.splitter)
        # The details pane (~20 ms with its imports) waits for the first paint when deferred: the
        # lists are what the first screen is for. A plain widget holds its place in the splitter.
        self._details_pane: DetailsPane | None = None
        self._details_slot: QWidget | None = QWidget(self.details_splitter) if defer_details else None
        self._details_deferred = defer_details
        self.history_dock = QDockWidget("Operation history", self)
        self.history_pane = HistoryPane(self.oplog_model, self.history_dock)

        self.splitter.addWidget(self.downstream_pane)
        self.splitter.addWidget(self.queue_pane)
        # Halves, as UI.md sketches them: both lists are read by their subjects.
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.details_splitter.addWidget(self.splitter)
        self.details_splitter.addWidget(self._details_slot or self._make_details_pane())
        self.details_splitter.setStretchFactor(0, 3)
        self.details_splitter.setStretchFactor(1, 2)
        self.setCentralWidget(self.details_splitter)
        # First-start proportions; a saved window state replaces them.
        self.splitter.setSizes([700, 700])
        self.details_splitter.setSizes([540, 360])

        self.history_dock.setObjectName("historyDock")
        self.history_dock.setWidget(self.history_pane)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.history_dock)
        self.history_dock.hide()

        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self._make_status_bar()
        self.menuBar().installEventFilter(self)

        self.watcher = RefWatcher(self)
        self.watcher.changed.connect(self._outside_change)
        self.ops.job_failed.connect(self.report_error)
        self.ops.progressed.connect(self.progress_pane.set_progress)
        self.ops.busy_changed.connect(self._busy_changed)
        self.progress_pane.cancel_clicked.connect(self.ops.cancel)
        self.queue_model.pick_requested.connect(self.pick)
        self.queue_model.reorder_requested.connect(self.reorder)
        self.downstream_pane.current_commit_changed.connect(self._downstream_current)
        self.queue_pane.current_commit_changed.connect(self._queue_current)
        self.queue_pane.view.drop_hint_changed.connect(self._drop_hint)
        self._update_actions()
        self.restore_window_state()
        self._set_tab_order()
        self._name_for_assistive_technology()

    @property
    def details_pane(self) -> DetailsPane:
        """The details pane (built now if the first paint has not come yet)."""
        return self._details_pane or self._build_details_pane()

    def _make_details_pane(self) -> DetailsPane:
        from .details_pane import DetailsPane

        pane = DetailsPane(self.details_splitter)  # made in its splitter, like the other panes
        pane.diff.side_by_side_changed.connect(self._side_by_side_changed)
        pane.diff.set_side_by_side(bool(self.ctx.settings.value(KEY_SIDE_BY_SIDE, False, type=bool)))
        pane.setAccessibleName("Details pane")
        self._details_pane = pane
        return pane

    def _build_details_pane(self) -> DetailsPane:
        """The deferred details pane, put where its slot was, at the slot's size."""
        if self._details_pane is not None:
            return self._details_pane
        splitter, slot = self.details_splitter, self._details_slot
        state = splitter.saveState()  # the sizes, also before the window is shown (sizes() is not)
        pane = self._make_details_pane()
        if slot is not None:
            splitter.insertWidget(splitter.indexOf(slot), pane)
            slot.hide()
            slot.setParent(None)  # out of the splitter now, not at the next loop turn
            slot.deleteLater()
            self._details_slot = None
        splitter.restoreState(state)
        self._set_tab_order()
        return pane

    def paintEvent(self, event: QPaintEvent) -> None:
        """The first paint of a deferring window sends for its details pane, built once the paint is out."""
        super().paintEvent(event)
        if self._details_deferred:
            self._details_deferred = False
            QTimer.singleShot(0, self._build_details_pane)

    @property
    def _command_lock(self) -> asyncio.Lock:
        """Held while a command moves refs (the ref watcher waits for it); made on first use, on the loop."""
        if self._lock is None:
            import asyncio

            self._lock = asyncio.Lock()
        return self._lock

    # -- building -----------------------------------------------------------------------
    def _action(self, name: str, text: str, slot: Any, shortcuts: list[Any] | None = None, icon: str | None = None,
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

    def _make_actions(self) -> None:
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
                                ["Return", "Enter"], "add-to-queue",
                                "Pick the selected downstream commits onto the top of the queue (Enter)")
        # Enter picks only while the downstream list itself has the focus: elsewhere it keeps its
        # usual meaning. Not WidgetWithChildrenShortcut: the action sits in the toolbar too, and
        # Enter in any of the toolbar's children (the profile box) would pick.
        self.action_add_top.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.downstream_pane.view.addAction(self.action_add_top)
        self.action_add_here = a("actionAddHere", "Add to Queue &Above Selection",
                                 lambda: self.add_selected(self.queue_selection_position()), ["Ctrl+Return"],
                                 "add-to-queue", "Pick the selected downstream commits just above the selected "
                                 "queue row")
        self.action_add_here.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.downstream_pane.view.addAction(self.action_add_here)
        self.action_move_up = a("actionMoveUp", "Move &Up", lambda: self.move_selected(1), ["Alt+Up"], "move-up")
        self.action_move_down = a("actionMoveDown", "Move &Down", lambda: self.move_selected(-1), ["Alt+Down"],
                                  "move-down")
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

    def _make_menus(self) -> None:
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

    def _make_toolbar(self) -> None:
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

    def _make_status_bar(self) -> None:
        status = self.statusBar()
        self.progress_pane = ProgressPane(self)
        self.location = QLabel(self)
        self.location.setAccessibleName("Repository and profile")
        status.addPermanentWidget(self.progress_pane)
        status.addPermanentWidget(self.location)

    # -- opening ----------------------------------------------------------------------------
    def choose_repository(self) -> None:
        """File > Open: a folder chooser, opened without blocking."""
        dialog = QFileDialog(self, "Open a repository holding both trees")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(lambda path: self.open_repository(path))
        dialog.open()

    def open_repository(self, path: str | Path, prefetch: Prefetch | None = None) -> asyncio.Task[Any]:
        """Open the repository at PATH in the background; errors become a dialog.

        PREFETCH, started on PATH with the process, lets the first rows show before the core loads.
        """
        return self.ops.spawn(self._open(Path(path), prefetch))

    def open_demo(self) -> asyncio.Task[Any]:
        """Build the demo repository in a temporary folder, then open it."""
        return self.ops.spawn(self._open_demo())

    async def _open_demo(self) -> None:
        path = await self.ops.run(JOB_DEMO, "Building the demo repository",
                                  lambda p: self.worker.call("build_demo", progress=p), cancellable=False)
        await self._open(path)

    def adopt_prefetch(self, prefetch: Prefetch) -> bool:
        """Show what PREFETCH read now if it is done (before the first paint); True when it was."""
        if not prefetch.future.done():
            return False
        quick = self._usable(prefetch.future.result())
        if quick is None:
            return False
        self._clear_views()
        # At start-up there is no event loop yet to hand the parts of a cold listing over: _open() takes them.
        self._parts_taken = _event_loop_running()
        self._show_quick_start(quick, prefetch, take_parts=self._parts_taken)
        self._adopted = quick
        return True

    def _usable(self, quick: QuickStart | None) -> QuickStart | None:
        wanted = self.ctx.last_profile(quick.shown) if quick is not None else None
        if quick is not None and wanted and wanted != quick.profile.name:
            return None  # the prefetch guessed another profile than the one chosen last time
        return quick

    async def _open(self, path: Path, prefetch: Prefetch | None = None) -> None:
        import asyncio

        quick: QuickStart | None = None
        if prefetch is not None and prefetch.path == path:
            quick = self._usable(await asyncio.wrap_future(prefetch.future))
        shown_early = quick is not None and prefetch is not None
        if quick is not None and prefetch is not None:
            if quick is not self._adopted:
                self._clear_views()
                self._show_quick_start(quick, prefetch)
            elif quick.downstream is None and not self._parts_taken:
                self._take_listed_parts(prefetch)  # adopted before the loop ran: the parts come now
        self._adopted = None
        # Without a quick start, the views keep the repository shown so far until PATH has opened:
        # a path that is no repository leaves it there, whole, behind the error.
        shown, git_dir = await self.ops.run(JOB_OPEN, f"Opening {path}",
                                            lambda p: self.worker.call("open_repository", path, progress=p))
        if not shown_early:
            self._clear_views()
        self.ctx.repo_path, self.ctx.git_dir, self.ctx.profile = shown, git_dir, None
        self.ctx.remember_repository(shown)
        self._wanted_profile = self.ctx.last_profile(shown)
        self.watcher.watch(git_dir)
        self._update_location()
        self.repository_opened.emit(str(shown))
        current = self.downstream_pane.current_commit()
        if current:  # selected while the repository was still opening
            self._downstream_current(current)
        await self._reload()

    def _clear_views(self) -> None:
        self.queue_state = None
        self.divergence = None
        self._listing_key = None
        self._listing_complete = False
        self.downstream_model.set_listing(DownstreamListing())
        self.queue_model.set_series(None, [])
        self.downstream_pane.show_banner("")
        self.queue_pane.show_banner("")
        self._last_details = ""
        if self._details_pane is not None:  # a pane not built yet shows the prompt when it is
            self._details_pane.clear(PROMPT)

    def _show_quick_start(self, quick: QuickStart, prefetch: Prefetch, take_parts: bool = True) -> None:
        """Fill both panes from what the prefetch read (states still pending), before the core runs.

        With a cold cache the downstream rows come later, in parts from the prefetch's `git log`:
        TAKE_PARTS subscribes to them (which needs the running event loop).
        """
        profile = quick.profile
        upstream = short_ref(profile.upstream)
        self.queue_model.set_series(quick.queue_base, quick.queue_commits, upstream)
        self.queue_pane.set_title(short_ref(profile.branch), upstream, len(quick.queue_commits))
        self.downstream_pane.set_title(short_ref(profile.downstream), upstream)
        self.profile_chooser.blockSignals(True)
        self.profile_chooser.clear()
        self.profile_chooser.addItem(profile.name)
        self.profile_chooser.blockSignals(False)
        self._listing_key = (profile.name, quick.tips[0], quick.tips[1])
        if quick.downstream is not None:
            self.downstream_model.set_listing(quick.downstream)
        elif take_parts:
            self._take_listed_parts(prefetch)

    def _take_listed_parts(self, prefetch: Prefetch) -> None:
        """A cold cache: the prefetch thread goes on listing with git log; take its parts as they come."""
        import asyncio

        key = self._listing_key
        if key is None:
            return  # nothing listed to add to (the quick start set the key)
        loop = asyncio.get_running_loop()

        def hand_over(part: DownstreamListing) -> None:  # on the prefetch thread
            loop.call_soon_threadsafe(self._listing_part, key, part)

        prefetch.subscribe(hand_over)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.ctx.recent_repositories()
        if not recent:
            action = self.recent_menu.addAction("(none yet)")
            action.setEnabled(False)
        for i, path in enumerate(recent):
            label = f"&{i + 1} {path}" if i < 9 else path
            action = self.recent_menu.addAction(label)
            action.triggered.connect(lambda _=False, p=path: self.open_repository(p))

    # -- loading --------------------------------------------------------------------------
    def refresh(self) -> asyncio.Task[Any] | None:
        """Ctrl+R: read everything again."""
        if not self.ctx.has_repo:
            return None
        return self.ops.spawn(self._reload())

    async def _reload(self, divergence: bool = True) -> None:
        path = self.ctx.repo_path
        assert path is not None
        wanted = self._wanted_profile
        state = await self.ops.run(JOB_QUEUE, "Reading the queue",
                                   lambda p: self.worker.call("load_queue_state", path, wanted, progress=p))
        self._apply_queue_state(state)
        if not divergence:
            return
        profile = state.profile
        if profile is None:
            self._apply_divergence(None, DownstreamListing())
            return
        tips: tuple[Any, ...] = state.fingerprint[1] if len(state.fingerprint) > 1 else ()
        missing = [short_ref(ref) for ref, tip in zip((profile.downstream, profile.upstream), tips) if not tip]
        if len(tips) == 3 and missing:
            # Nothing to compare: say which ref is gone, instead of a list that looks like a result.
            self._apply_divergence(None, DownstreamListing())
            self.downstream_pane.show_banner(
                f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not in this repository, so "
                "downstream cannot be compared with upstream. Fetch (Ctrl+Shift+F) if it comes from a remote, "
                "or make a profile with refs that exist (Queue > New Profile…).")
            return
        # A missing queue branch (the queue pane says so) still leaves downstream and upstream to compare.
        branch = profile.branch if len(tips) != 3 or tips[2] else None
        listing_task = None
        if len(tips) == 3 and tips[0] and tips[1]:
            key = (profile.name, str(tips[0]), str(tips[1]))
            if key != self._listing_key:
                # Other commits than the ones listed: list them now (cache or git log, well under a
                # second), so the pane is not empty while a cold divergence takes its time.
                self._listing_key, self._listing_complete = key, False
                listing_task = self.ops.spawn(self._quick_listing(key))
        try:
            down, up = profile.downstream, profile.upstream
            divergence_, listing = await self.ops.run(
                JOB_DIVERGENCE, "Comparing downstream with upstream",
                lambda p: self.worker.call("load_listing", path, down, up, branch, progress=p))
        except Superseded:
            _stop(listing_task)  # a newer comparison is on its way, with its own listing
            raise
        except BaseException:
            # Cancelled or failed: the listing goes on, so its rows show without states; say how to get them.
            self.downstream_pane.show_banner("The comparison with upstream did not finish, so these commits have no "
                                             "state yet. Refresh (Ctrl+R) to compare again.")
            raise
        _stop(listing_task)  # the divergence lists them all, with states
        if len(tips) == 3 and tips[0] and tips[1]:
            self._listing_key = (profile.name, str(tips[0]), str(tips[1]))
        self._apply_divergence(divergence_, listing)

    async def _quick_listing(self, key: tuple[str, str, str]) -> None:
        import asyncio

        git_dir = self.ctx.git_dir
        assert git_dir is not None
        loop = asyncio.get_running_loop()
        _name, down_id, up_id = key

        def part(listing: DownstreamListing) -> None:
            loop.call_soon_threadsafe(self._listing_part, key, listing)

        def work(progress: ProgressFn) -> str:
            return quick_listing(git_dir, down_id, up_id, part, progress)

        # Not cancellable: the cancel button stops the comparison, and these rows (a git log of the
        # downstream-only commits) are what the window shows when it has no states.
        await self.ops.run(JOB_LISTING, "Listing downstream-only commits", work, cancellable=False)

    def _listing_part(self, key: tuple[str, str, str], part: DownstreamListing) -> None:
        """Rows listed before their states (from the prefetch or a listing job); dropped once the states are in."""
        if key != self._listing_key or self._listing_complete:
            return
        model = self.downstream_model
        if len(model.listing) and not model.listing.complete and model.listing.source == part.source \
                and model.listing.ids[:1] != part.ids[:1]:
            model.extend_listing(part)
        else:
            model.set_listing(part)

    def _apply_queue_state(self, state: QueueState) -> None:
        self.queue_state = state
        self.ctx.profile = state.profile
        names = [p.name for p in state.profiles]
        self.profile_chooser.blockSignals(True)
        self.profile_chooser.clear()
        self.profile_chooser.addItems(names)
        if state.profile is not None:
            self.profile_chooser.setCurrentIndex(names.index(state.profile.name))
        self.profile_chooser.blockSignals(False)
        self.profile_chooser.setEnabled(bool(names))
        self.queue_pane.set_reorder_available(self._can_reorder())
        current = self.queue_pane.current_commit()
        current, self._replayed_ids = self._replayed_ids.get(current, current), {}
        if state.profile is not None:
            upstream = short_ref(state.profile.upstream)
            self.queue_model.set_series(state.base, state.commits, upstream)
            self.queue_pane.set_title(short_ref(state.profile.branch), upstream, len(state.commits))
            self.downstream_pane.set_title(short_ref(state.profile.downstream), upstream)
        else:
            self.queue_model.set_series(None, [])
            self.queue_pane.set_title("", "", 0)
            self.downstream_pane.set_title("", "")
        if current:
            self.queue_pane.view.select_commit(current)
        if self._details_origin != ORIGIN_DOWNSTREAM:
            self._drop_details_unless(self.queue_model.row_of(self._last_details) is not None)
        if state.profile is None:
            # The core's message names uq's options; with no profile at all the window says it its way.
            problem = (state.profile_problem.message if state.profile_problem and state.profiles
                       else "This repository has no queue profile yet.")
            self.downstream_pane.show_banner(f"{problem}\nUse Queue > New Profile… to pick the three refs.")
        if state.series_problem is not None:
            self.queue_pane.show_banner(state.series_problem.message)
        else:
            self.queue_pane.show_banner("")
        self.oplog_model.set_operations(state.operations)
        self._update_location()
        self._update_actions()
        self.queue_loaded.emit()

    def _apply_divergence(self, divergence: Divergence | None, listing: DownstreamListing) -> None:
        """Show the states (LISTING was prepared from DIVERGENCE in the worker)."""
        selected = self.downstream_pane.current_commit()
        # The rows listed before the states (a new profile's) lost the selection: the details keep the commit.
        current = selected or (self._last_details if self._details_origin == ORIGIN_DOWNSTREAM else "")
        model = self.downstream_model
        before = _state_and_twin(model.listing, current)
        self.divergence = divergence
        self._listing_complete = True
        model.set_listing(listing)
        if current and current in listing.index:
            # Selecting it again shows its details anew (the selection signal) when it was not current.
            self.downstream_pane.view.select_commit(current)
            # Its details show its state and twin (pending at first; queued once picked): redo
            # them when those changed, unless the details pane shows a queue commit meanwhile.
            if selected and self._last_details == current and _state_and_twin(listing, current) != before:
                self._downstream_current(current)
        if self._details_origin == ORIGIN_DOWNSTREAM:
            self._drop_details_unless(self._last_details in listing.index)
        if divergence is not None:
            warnings = listing.warnings
            text = ""
            if warnings:
                more = f" (and {len(warnings) - 2} more)" if len(warnings) > 2 else ""
                text = "⚠ " + "\n⚠ ".join(warnings[:2]) + more
            self.downstream_pane.show_banner(text)
        self._update_actions()
        self.divergence_loaded.emit()

    # -- details ----------------------------------------------------------------------------
    def _drop_details_unless(self, still_listed: bool) -> None:
        """Clear the details when the commit they show is listed no more (the refs moved under it).

        A queue commit a command replayed is selected again under its new id before this runs.
        """
        if self._last_details and not still_listed:
            self._last_details = ""  # a details job still reading it drops its result
            self.details_pane.clear(PROMPT)

    def _downstream_current(self, commit_id: str) -> None:
        if not commit_id or self.ctx.repo_path is None:
            return  # still opening: _open shows it once the repository is open
        listing = self.downstream_model.listing
        i = listing.index.get(commit_id)
        state = listing.states[i] if i is not None else None
        match = listing.match(i) if i is not None else None
        self.show_details(commit_id, match, state if state != S_PENDING else None, "", ORIGIN_DOWNSTREAM)
        self._update_actions()

    def _queue_current(self, commit_id: str) -> None:
        if not commit_id or self.ctx.repo_path is None:
            return
        is_base = bool(self.queue_pane.view.currentIndex().data(IS_BASE_ROLE))
        listing = self.downstream_model.listing
        row = listing.queued_source.get(commit_id)
        source = listing.match(row) if row is not None else None
        match: Any = None
        if source is not None and row is not None:
            # Show where this queue commit came from: its downstream original is its twin.
            match = SimpleNamespace(id=listing.ids[row], how=source.how, score=source.score, where="downstream",
                                    evidence=source.evidence, chain=[])
        self.show_details(commit_id, match, None, "downstream" if match else "",
                          ORIGIN_BASE if is_base else ORIGIN_QUEUE)
        self._update_actions()

    def show_details(self, commit_id: str, match: Match | None, state: str | None, where: str,
                     origin: str = ORIGIN_DOWNSTREAM) -> asyncio.Task[Any]:
        """Load COMMIT_ID's details (chosen in ORIGIN's list) in the background; a newer selection drops this result."""
        self._last_details, self._details_origin = commit_id, origin
        self.details_pane.show_loading(commit_id)
        return self.ops.spawn(self._load_details(commit_id, match, state, where, origin))

    async def _load_details(self, commit_id: str, match: Match | None, state: str | None, where: str,
                            origin: str) -> None:
        path = self.ctx.repo_path
        assert path is not None
        details = await self.ops.run(JOB_DETAILS, f"Reading {commit_id[:12]}",
                                     lambda p: self.worker.call("load_details", path, commit_id, plain(match),
                                                                progress=p))
        if self._last_details != commit_id:
            return  # cleared meanwhile: its commit is listed no more
        self.details_pane.show_details(details, state, where, origin)
        self.details_loaded.emit(commit_id)

    # -- commands -------------------------------------------------------------------------------
    def queue_selection_position(self) -> int | None:
        """The queue position just above the selected queue row (None: no selection, i.e. the top)."""
        index = self.queue_pane.view.currentIndex()
        if not index.isValid():
            return None
        return self.queue_model.position_for_row(index.row())

    def add_selected(self, position: int | None) -> asyncio.Task[Any] | None:
        """Pick the selected downstream commits at POSITION (None: the top)."""
        ids = self.downstream_pane.selected_ids_oldest_first()
        if not ids:
            self.statusBar().showMessage("Select downstream commits to add to the queue first.", STATUS_MESSAGE_MS)
            return None
        return self.pick(ids, position)

    def pick(self, ids: list[str], position: int | None) -> asyncio.Task[Any]:
        """Pick IDS (oldest first) into the queue at POSITION, in the background (one undo step)."""
        return self.ops.spawn(self._pick(list(ids), position))

    async def _pick(self, ids: list[str], position: int | None) -> None:
        path, state = self.ctx.repo_path, self.queue_state
        if path is None or state is None or state.profile is None or state.branch_ref is None:
            raise UqError("Open a repository with a queue profile before picking.", title="No queue")
        branch_ref, upstream = state.branch_ref, state.profile.upstream
        # The list knows what is queued, landed or empty already: say so, rather than let the core
        # report the conflict such a pick would be.
        listing = self.downstream_model.listing
        refused = {c: why for c in ids if (i := listing.index.get(c)) is not None
                   and (why := listing.why_not_pickable(i)) is not None}
        ids = [c for c in ids if c not in refused]
        skipped = "; ".join(list(refused.values())[:3]) + ("; …" if len(refused) > 3 else "")
        if not ids:
            message = f"Nothing picked: {skipped}."
            self.statusBar().showMessage(message, STATUS_MESSAGE_MS)
            self.command_finished.emit(message)
            return
        count = f"{len(ids)} commit{'s' if len(ids) != 1 else ''}"
        async with self._command_lock:
            outcome = await self.ops.run(
                JOB_COMMAND, f"Picking {count}",
                lambda p: self.worker.call("run_pick", path, branch_ref, upstream, ids, position, progress=p),
                cancellable=False)
        self._follow_replayed(outcome)
        where = outcome.result.get("position") if isinstance(outcome.result, dict) else position
        numbers = queue_numbers(int(where), len(ids)) if isinstance(where, int) else "the top"
        message = f"Picked {count} as {numbers}; Ctrl+Z to undo" + (f" (skipped: {skipped})" if refused else "")
        await self._after_command(message)

    def reorder(self, order: list[str]) -> asyncio.Task[Any] | None:
        """Replay the queue in ORDER (oldest first) through the core's reorder command, when it has one."""
        if not self._can_reorder():
            self.statusBar().showMessage(REORDER_UNAVAILABLE, STATUS_MESSAGE_MS)
            return None
        return self.ops.spawn(self._reorder(order))

    def _can_reorder(self) -> bool:
        return bool(getattr(self.queue_state, "can_reorder", False))

    async def _reorder(self, order: list[str]) -> None:
        path, state = self.ctx.repo_path, self.queue_state
        assert path is not None and state is not None and state.profile is not None
        branch_ref, upstream = state.branch_ref, state.profile.upstream
        async with self._command_lock:
            outcome = await self.ops.run(
                JOB_COMMAND, "Reordering the queue",
                lambda p: self.worker.call("run_reorder", path, branch_ref, upstream, order, progress=p),
                cancellable=False)
        self._follow_replayed(outcome)
        await self._after_command("Reordered the queue; Ctrl+Z to undo")

    def _follow_replayed(self, outcome: Any) -> None:
        """Let the queue's selection follow its commit to the id a replay gave it (Alt+Up, then again)."""
        result = getattr(outcome, "result", None)
        replayed = result.get("replayed") if isinstance(result, dict) else None
        self._replayed_ids = dict(replayed) if isinstance(replayed, dict) else {}

    def move_selected(self, delta: int) -> asyncio.Task[Any] | None:
        """Alt+Up/Down: move the selected queue commit one place up (+1) or down (-1)."""
        commit = self.queue_model.commit_at(self.queue_pane.view.currentIndex().row())
        if commit is None:
            return None
        order = self.queue_model.commit_ids()
        i = order.index(commit.id)
        j = i + delta
        if not 0 <= j < len(order):
            return None
        order[i], order[j] = order[j], order[i]
        return self.reorder(order)

    def undo(self) -> asyncio.Task[Any]:
        """Ctrl+Z: undo the latest operation in the background."""
        return self.ops.spawn(self._undo_redo("undo", "Undoing", "Undid", "Ctrl+Shift+Z to redo"))

    def redo(self) -> asyncio.Task[Any]:
        """Ctrl+Shift+Z: redo the operation undone last."""
        return self.ops.spawn(self._undo_redo("redo", "Redoing", "Redid", "Ctrl+Z to undo"))

    async def _undo_redo(self, which: str, label: str, verb: str, hint: str) -> None:
        path = self.ctx.repo_path
        if path is None:
            return
        try:
            async with self._command_lock:
                op = await self.ops.run(JOB_COMMAND, label, lambda p: self.worker.call(which, path, progress=p),
                                        cancellable=False)
        except RefMovedError as exc:
            # Another git moved a ref since: ask, in the window's terms, whether to put them back anyway.
            asked = getattr(exc, "operation_id", None)
            if asked is None:
                raise
            if not await self._confirm_anyway(which, exc):
                self.statusBar().showMessage(f"Nothing to {which}: left as it is.", STATUS_MESSAGE_MS)
                return
            async with self._command_lock:
                # Only the operation asked about: if another undo or redo ran meanwhile, the core refuses.
                op = await self.ops.run(JOB_COMMAND, label,
                                        lambda p: self.worker.call(f"{which}_anyway", path, asked, progress=p),
                                        cancellable=False)
        await self._after_command(f"{verb}: {queue_description(op.description)}; {hint}")

    async def _confirm_anyway(self, which: str, exc: UqError) -> bool:
        """Ask (non-modal) whether to undo or redo although refs moved since; True for yes."""
        import asyncio

        # The core's message ends with uq's way to go on (--force); this dialog is the window's way.
        sentences = re.split(r"(?<=\.)\s+", queue_description(exc.message))
        text = " ".join(part for part in sentences if "--force" not in part)
        box = QMessageBox(QMessageBox.Icon.Warning, f"{which.capitalize()} anyway?", text, parent=self)
        box.setInformativeText(f"{which.capitalize()} anyway puts back the refs the operation recorded, over "
                               "what moved them since (that stays in the reflog and the operation log).")
        anyway = box.addButton(f"{which.capitalize()} Anyway", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        answered: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        box.finished.connect(lambda _result: _settle(answered, box.clickedButton() is anyway))
        box.open()
        self.confirmation_asked.emit(box)
        return await answered

    async def _after_command(self, message: str) -> None:
        self.statusBar().showMessage(message, STATUS_MESSAGE_MS)
        self.command_finished.emit(message)
        await self._reload()

    def new_profile(self) -> None:
        """Queue > New Profile: list the refs in the background, then open the dialog."""
        if not self.ctx.has_repo:
            self.statusBar().showMessage("Open a repository first.", STATUS_MESSAGE_MS)
            return
        self.ops.spawn(self._new_profile())

    async def _new_profile(self) -> ProfileDialog:
        path = self.ctx.repo_path
        assert path is not None
        refs = await self.ops.run(JOB_REFS, "Listing refs",
                                  lambda p: self.worker.call("profile_refs", path, progress=p))
        profiles = self.queue_state.profiles if self.queue_state else []
        from .profile_dialog import ProfileDialog

        dialog = ProfileDialog(refs["refs"], self, [p.name for p in profiles], branches=refs["branches"],
                               used_branches=[*(short_ref(p.branch) for p in profiles), *refs["busy"]])
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.profile_accepted.connect(lambda profile: self.ops.spawn(self._add_profile_from(dialog, profile)))
        self.profile_dialog = dialog
        dialog.open()
        return dialog

    async def _add_profile_from(self, dialog: ProfileDialog, profile: QuickProfile) -> None:
        """Add PROFILE for DIALOG: it closes when that worked and says why in itself when not.

        The user may close the dialog meanwhile (it is deleted then): the outcome goes to the
        status bar, or to the error dialog, as for any command.
        """
        from shiboken6 import isValid

        try:
            await self._add_profile(profile)
        except UqError as exc:
            if not isValid(dialog):
                raise
            dialog.failed(exc.message)
            return
        except BaseException:
            if isValid(dialog):
                dialog.failed("Adding the profile failed (see the error).")
            raise
        if isValid(dialog):
            dialog.succeeded()

    def add_profile(self, profile: QuickProfile) -> asyncio.Task[Any]:
        """Run AddProfile in the background and switch to it."""
        return self.ops.spawn(self._add_profile(profile))

    async def _add_profile(self, profile: QuickProfile) -> None:
        path = self.ctx.repo_path
        assert path is not None
        fields = (profile.name, profile.downstream, profile.upstream, profile.branch)
        async with self._command_lock:
            await self.ops.run(JOB_COMMAND, f"Adding profile {profile.name}",
                               lambda p: self.worker.call("run_add_profile", path, *fields, progress=p),
                               cancellable=False)
        self._wanted_profile = profile.name
        self.ctx.remember_profile(path, profile.name)
        await self._after_command(f"Added profile {profile.name}; Ctrl+Z to undo")

    def _profile_chosen(self, index: int) -> None:
        self.choose_profile(self.profile_chooser.itemText(index))

    def choose_profile(self, name: str) -> asyncio.Task[Any] | None:
        """Switch to the profile NAME and reload both panes."""
        if not self.ctx.has_repo or not name:
            return None
        self._wanted_profile = name
        assert self.ctx.repo_path is not None
        self.ctx.remember_profile(self.ctx.repo_path, name)
        return self.ops.spawn(self._reload())

    # -- fetching ---------------------------------------------------------------------------------
    def fetch(self) -> asyncio.Task[Any] | None:
        """Fetch the remotes the profile's downstream and upstream refs follow, then refresh."""
        state = self.queue_state
        if not self.ctx.has_repo or state is None or state.profile is None:
            self.statusBar().showMessage("Open a repository with a queue profile before fetching.", STATUS_MESSAGE_MS)
            return None
        return self.ops.spawn(self._fetch([state.profile.downstream, state.profile.upstream]))

    async def _fetch(self, refs: list[str], env: dict[str, str] | None = None) -> None:
        import asyncio

        from ...core import fetch as core_fetch

        git_dir = self.ctx.git_dir
        assert git_dir is not None

        def prepare() -> tuple[list[str], dict[str, str]]:
            remotes = core_fetch.remotes_for_refs(git_dir, refs)
            return remotes, core_fetch.fetchable_refs(git_dir, remotes)

        remotes, before = await self.ops.run(JOB_FETCH, "Finding the remotes", lambda p: prepare())
        names = ", ".join(remotes) or "nothing"
        moved: list[tuple[str, str | None, str | None]] = []  # cancelled while waiting for the lock: none
        try:
            # The lock keeps the ref watcher from refreshing at every ref git moves; one refresh follows.
            async with self._command_lock:
                results = None
                try:
                    results = await self.ops.run_async(JOB_FETCH, f"Fetching {names}",
                                                       lambda p: core_fetch.fetch_remotes(git_dir, remotes, p, env))
                finally:
                    # Whatever the end (done, failed, cancelled half-way), what git moved is logged:
                    # Ctrl+Z puts it back like any other change.
                    moved = await self._record_fetch(git_dir, remotes, names, before)
                    if moved and results is None:  # half-way: the lists and the undo action follow anyway
                        self.ops.spawn(self._reload())
        except asyncio.CancelledError:
            kept = f"; {len(moved)} ref{'s' if len(moved) != 1 else ''} git had updated stay (Ctrl+Z undoes)" \
                if moved else "; nothing was changed"
            self.statusBar().showMessage(f"Fetching {names} was cancelled{kept}.", STATUS_MESSAGE_MS)
            raise
        except core_fetch.AuthError as exc:
            # Ask once for an https remote; a second refusal (env given) shows the error.
            if env is not None or not exc.url.startswith(("https://", "http://")):
                raise
            env = await self._ask_credentials(exc.url)
            if env is None:
                self.statusBar().showMessage(f"Fetching {names} needs a username and password; nothing was fetched.",
                                             STATUS_MESSAGE_MS)
                return
            return await self._fetch(refs, env)
        updated = [ref for r in results for ref in r.updated]
        if updated:
            count = f"{len(updated)} ref{'s' if len(updated) != 1 else ''}"
            message = f"Fetched {names}: {count} updated ({', '.join(updated[:4])}{'…' if len(updated) > 4 else ''})"
        else:
            message = f"Fetched {names}: already up to date"
        self.statusBar().showMessage(message, STATUS_MESSAGE_MS)
        self.fetch_finished.emit(message)
        if updated:
            await self._reload()

    async def _record_fetch(self, git_dir: Path, remotes: list[str], names: str,
                            before: dict[str, str]) -> list[tuple[str, str | None, str | None]]:
        """Log the refs that moved since BEFORE as one operation; the moves."""
        import asyncio

        from ...core import fetch as core_fetch

        moved = await asyncio.shield(asyncio.to_thread(
            lambda: core_fetch.moved_refs(before, core_fetch.fetchable_refs(git_dir, remotes))))
        if moved:
            path = self.ctx.repo_path
            assert path is not None
            await self.ops.run(JOB_COMMAND, "Recording the fetch",
                               lambda p: self.worker.call("record_fetch", path, names, moved, progress=p),
                               cancellable=False)
        return moved

    async def _ask_credentials(self, url: str) -> dict[str, str] | None:
        """Ask for URL's username and password (non-modal); the environment that hands them to git, or None."""
        import asyncio

        from keyring.errors import KeyringError

        from ...core import credentials
        from .credentials_dialog import CredentialsDialog

        dialog = CredentialsDialog(credentials.site_of(url), self)
        answered: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        dialog.accepted.connect(lambda: _settle(answered, True))
        dialog.rejected.connect(lambda: _settle(answered, False))
        dialog.open()
        self.credentials_asked.emit(dialog)
        try:
            if not await answered:
                return None
            username, password, remember = dialog.take()
        finally:
            dialog.close()
            dialog.deleteLater()
        if remember:
            try:
                # The Secret Service may take a moment (or unlock the keyring): off the GUI thread.
                await asyncio.to_thread(credentials.save_credential, url, username, password)
            except (credentials.NoKeyringAvailable, KeyringError) as exc:  # the password still serves this fetch
                reason = ("no system keyring is available" if isinstance(exc, credentials.NoKeyringAvailable)
                          else f"the system keyring failed ({exc})")
                self.statusBar().showMessage(f"The password was not remembered: {reason}; it is used for this "
                                             "fetch only.", STATUS_MESSAGE_MS)
        return credentials.session_environment(url, username, password)

    # -- outside changes ------------------------------------------------------------------------
    def _outside_change(self) -> None:
        if not self.ctx.has_repo or self._command_lock.locked():
            return
        self.ops.spawn(self._check_fingerprint())

    async def _check_fingerprint(self) -> None:
        path, state = self.ctx.repo_path, self.queue_state
        if path is None or state is None:
            return
        wanted = self._wanted_profile or (state.profile.name if state.profile else None)
        now = await self.ops.run(JOB_FINGERPRINT, "Checking refs",
                                 lambda p: self.worker.call("current_fingerprint", path, wanted, progress=p))
        if self.queue_state is not None and now != self.queue_state.fingerprint and not self._command_lock.locked():
            self.statusBar().showMessage("Refs changed outside uqgui: refreshing", STATUS_MESSAGE_MS)
            await self._reload()

    # -- keyboard and palette ---------------------------------------------------------------------
    def open_palette(self) -> CommandPalette:
        """Ctrl+Shift+P: the command palette over every action (opened, never exec()ed)."""
        from .command_palette import CommandPalette, window_actions

        palette = getattr(self, "palette_dialog", None)
        if palette is None:
            palette = self.palette_dialog = CommandPalette(self)
        palette.open_for(window_actions(self))
        return palette

    def panes(self) -> list[QWidget]:
        """The widgets Tab and Ctrl+1/2/3 move between: downstream list, queue, details."""
        return [self.downstream_pane.view, self.queue_pane.view, self.details_pane.tabs]

    def focus_pane(self, which: int) -> None:
        """Put the keyboard focus in pane WHICH (0 downstream, 1 queue, 2 details)."""
        target: QWidget = self.panes()[which]
        if which == 2:
            # The current tab's text or list, not the Diff tab's switch: that is what the keys should reach.
            views = [w for w in self.details_pane.current_views() if w is not self.details_pane.diff.switch]
            target = views[0] if views else target
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def tab_stops(self) -> list[QWidget]:
        """What Tab visits, in order: filters, downstream list, queue, the details' tab bar and current tab, history."""
        pane = self.downstream_pane
        stops: list[QWidget] = [pane.text_filter, pane.state_filter, pane.path_filter, pane.author_filter,
                                pane.view, self.queue_pane.view, self.details_pane.tabs.tabBar(),
                                *self.details_pane.current_views(), self.history_pane.view]
        # A floating history dock is a window of its own, with its own Tab ring.
        return [w for w in stops if w.window() is self and w.isVisibleTo(self) and w.isEnabled()
                and w.focusPolicy() & Qt.FocusPolicy.TabFocus]

    def focusNextPrevChild(self, next: bool) -> bool:
        """Tab and Shift+Tab go round tab_stops(), from whichever widget of the window has the focus.

        Qt's focus chain cannot say this: a tab widget's pages are in it whether shown or not, and
        on PySide6 6.11 ordering through the tab widget's focus proxy split the ring in two.
        """
        stops = self.tab_stops()
        focus = QApplication.focusWidget()
        if not stops or focus is None or focus.window() is not self:
            return super().focusNextPrevChild(next)
        here = [i for i, w in enumerate(stops) if w is focus or w.isAncestorOf(focus)]
        if here:
            target = stops[(here[0] + (1 if next else -1)) % len(stops)]
        else:  # outside the ring (the toolbar's profile box): into it at either end
            target = stops[0] if next else stops[-1]
        target.setFocus(Qt.FocusReason.TabFocusReason if next else Qt.FocusReason.BacktabFocusReason)
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The menu bar keeps Enter while it has the keyboard (after Alt): it opens the highlighted menu.

        Otherwise Enter would be Add to Queue Top's shortcut there, the Queue menu being in the bar.
        """
        if watched is self.menuBar() and event.type() == QEvent.Type.ShortcutOverride \
                and isinstance(event, QKeyEvent) and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return True
        return super().eventFilter(watched, event)

    def _set_tab_order(self) -> None:
        """The focus chain in tab_stops() order, for what walks it (focusNextPrevChild does not need it)."""
        pane = self.downstream_pane
        # The tab widget as a whole (Qt orders its tab bar and pages inside it), never a hidden page.
        chain: list[QWidget] = [pane.text_filter, pane.state_filter, pane.path_filter, pane.author_filter,
                                pane.view, self.queue_pane.view]
        if self._details_pane is not None:
            chain.append(self._details_pane.tabs)
        chain.append(self.history_pane.view)
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    def _name_for_assistive_technology(self) -> None:
        """Accessible names of the containers (the lists and fields name themselves)."""
        for widget, name in ((self.downstream_pane, "Downstream pane"), (self.queue_pane, "Queue pane"),
                             (self.history_pane, "Operation history pane"),
                             (self.splitter, "Downstream and queue"), (self.toolbar, "Main toolbar"),
                             (self.statusBar(), "Status bar"), (self.progress_pane, "Background work")):
            widget.setAccessibleName(name)

    def _side_by_side_changed(self, on: bool) -> None:
        self.ctx.settings.setValue(KEY_SIDE_BY_SIDE, on)
        self.action_side_by_side.setChecked(on)

    # -- small things --------------------------------------------------------------------------
    def report_error(self, exc: BaseException) -> ErrorDialog:
        """Show a failed job's error (the one path from a core error to a dialog)."""
        if isinstance(exc, UqError):
            # An operation it names ("undo is now 'pick … at position 4'") is numbered as the # column does.
            exc.message = queue_description(exc.message)
        dialog = show_error(exc, self)
        self.error_shown.emit(dialog)
        return dialog

    def _drop_hint(self, text: str) -> None:
        if text:
            self.statusBar().showMessage(text)
        else:
            self.statusBar().clearMessage()

    def _busy_changed(self, busy: bool) -> None:
        if not busy:
            self.progress_pane.set_idle()
        self.action_cancel.setEnabled(busy)

    def _update_location(self) -> None:
        if self.ctx.repo_path is None:
            self.location.setText("no repository")
            self.setWindowTitle("uqgui")
            return
        profile = self.ctx.profile.name if self.ctx.profile else "no profile"
        self.location.setText(f"{self.ctx.repo_path.name}  ·  {profile}")
        self.setWindowTitle(f"{self.ctx.repo_path} [{profile}] — uqgui")

    def _update_actions(self) -> None:
        state = self.queue_state
        has_queue = state is not None and state.profile is not None and state.series_problem is None
        self.action_refresh.setEnabled(self.ctx.has_repo)
        self.action_fetch.setEnabled(self.ctx.has_repo and state is not None and state.profile is not None)
        self.action_new_profile.setEnabled(self.ctx.has_repo)
        for action, op, verb in ((self.action_undo, state.undo if state else None, "Undo"),
                                 (self.action_redo, state.redo if state else None, "Redo")):
            action.setEnabled(op is not None)
            tip = f"{verb}: {queue_description(op.description)}" if op is not None else f"Nothing to {verb.lower()}"
            action.setToolTip(tip)
            action.setStatusTip(tip)
        self.action_add_top.setEnabled(has_queue)
        self.action_add_here.setEnabled(has_queue)
        can_reorder = has_queue and self._can_reorder()
        for action in (self.action_move_up, self.action_move_down):
            action.setEnabled(can_reorder)
            action.setToolTip("Move the selected queue commit" if can_reorder else REORDER_UNAVAILABLE)

    def copy_current_id(self) -> None:
        """Copy the current commit's id to the clipboard."""
        commit_id = self.downstream_pane.current_commit() or self.queue_pane.current_commit()
        if commit_id:
            QApplication.clipboard().setText(commit_id)

    def about(self) -> None:
        """Help > About (non-blocking)."""
        box = QMessageBox(QMessageBox.Icon.Information, "About uqgui",
                          f"<b>uqgui {__version__}</b><br>A workbench for maintainers of an upstream queue.",
                          QMessageBox.StandardButton.Close, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setIconPixmap(icons.icon("app").pixmap(64, 64))
        box.open()

    # -- window state -----------------------------------------------------------------------------
    def restore_window_state(self) -> None:
        """Geometry, docks, splitters and column widths from the last session."""
        s = self.ctx.settings
        for key, restore in ((KEY_GEOMETRY, self.restoreGeometry), (KEY_STATE, self.restoreState),
                             (KEY_SPLITTER, self.splitter.restoreState),
                             (KEY_DETAILS_SPLITTER, self.details_splitter.restoreState),
                             (KEY_DOWNSTREAM_HEADER, self.downstream_pane.view.header().restoreState),
                             (KEY_QUEUE_HEADER, self.queue_pane.view.header().restoreState)):
            value = s.value(key)
            if isinstance(value, QByteArray) and not value.isEmpty():
                restore(value)

    def save_window_state(self) -> None:
        """Store geometry, docks, splitters and column widths."""
        s = self.ctx.settings
        s.setValue(KEY_GEOMETRY, self.saveGeometry())
        s.setValue(KEY_STATE, self.saveState())
        s.setValue(KEY_SPLITTER, self.splitter.saveState())
        s.setValue(KEY_DETAILS_SPLITTER, self.details_splitter.saveState())
        s.setValue(KEY_DOWNSTREAM_HEADER, self.downstream_pane.view.header().saveState())
        s.setValue(KEY_QUEUE_HEADER, self.queue_pane.view.header().saveState())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the window state and stop background work."""
        self.save_window_state()
        self.ops.cancel_all()
        self.watcher.watch(None)
        super().closeEvent(event)
