"""The main window: downstream on the left, the queue on the right, details below, work in the background."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QPaintEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QFileDialog, QMainWindow, QMessageBox, QSplitter, QWidget

from ... import __version__
from ...core.errors import EmptyRepositoryError, RefMovedError, UqError
from ...core.listing import DownstreamListing
from ...core.location import locate_repository
from ...core.quickstart import Prefetch, QuickStart, quick_listing
from .. import icons
from ...core.display import shown
from ..context import (KEY_DETAILS_SPLITTER, KEY_DOWNSTREAM_HEADER, KEY_GEOMETRY, KEY_QUEUE_HEADER, KEY_SIDE_BY_SIDE,
                       KEY_SPLITTER, KEY_STATE, UiContext)
from ..errors import ErrorDialog, show_error
from ..models.downstream import DownstreamModel
from ..models.oplog import OperationLogModel
from ..models.queue import IS_BASE_ROLE, QueueModel, queue_description
from ..models.states import S_PENDING
from ..ops import Cancelled, OpRunner, ProgressFn, Superseded
from ..watcher import RefWatcher
from ..worker import CoreWorker, plain, shared_worker
from .details_origins import ORIGIN_BASE, ORIGIN_DOWNSTREAM, ORIGIN_QUEUE, PROMPT
from .downstream_pane import DownstreamPane
from .history_pane import HistoryPane
from .queue_pane import QueuePane
from .window_actions import ActionsMixin
from .window_commands import CommandsMixin
from .window_fetch import FetchMixin
from .window_keyboard import KeyboardMixin
from .window_shared import (JOB_COMMAND, JOB_DEMO, JOB_DETAILS, JOB_DIVERGENCE, JOB_FETCH, JOB_FINGERPRINT, JOB_LISTING,
                            JOB_OPEN, JOB_QUEUE, STATUS_MESSAGE_MS, short_ref)

if TYPE_CHECKING:
    # asyncio is imported in the methods that use it: the window is built and paints its first
    # rows before the application imports asyncio and qasync (uqgui.app), ~25 ms of start-up.
    import asyncio

    # Types only: at run time these objects come from the worker process as stand-ins.
    from ...core.divergence import Divergence, Match
    from ..queries import QueueState
    # Imported when first used, like fetching, the palette and the profile dialog: a window that
    # is not using them yet should not pay for them before its first paint.
    from .details_pane import DetailsPane


def _stop(task: asyncio.Task[Any] | None) -> None:
    """Cancel TASK if it is still running."""
    if task is not None and not task.done():
        task.cancel()


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


class MainWindow(ActionsMixin, CommandsMixin, FetchMixin, KeyboardMixin, QMainWindow):
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
        self._details_reads = 0  # counts show_details() calls: only the latest read speaks in the pane
        self._empty = False  # the open repository has no commits yet
        # The repository that vanished while open: said once; its jobs' late errors say nothing more.
        self._gone_path: Path | None = None

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
        self.ops.job_errored.connect(self._job_errored)
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
        if self._details_pane is not None:
            self._wire_details_pane(self._details_pane)  # its side-by-side switch drives an action made above
        self._set_tab_order()
        self._name_for_assistive_technology()

    @property
    def details_pane(self) -> DetailsPane:
        """The details pane (built now if the first paint has not come yet)."""
        return self._build_details_pane() if self._details_pane is None else self._details_pane

    def _make_details_pane(self) -> DetailsPane:
        from .details_pane import DetailsPane

        pane = DetailsPane(self.details_splitter)  # made in its splitter, like the other panes
        pane.setAccessibleName("Details pane")
        self._details_pane = pane
        return pane

    def _wire_details_pane(self, pane: DetailsPane) -> None:
        pane.diff.side_by_side_changed.connect(self._side_by_side_changed)
        pane.diff.set_side_by_side(bool(self.ctx.settings.value(KEY_SIDE_BY_SIDE, False, type=bool)))

    def _build_details_pane(self) -> DetailsPane:
        """The deferred details pane, put where its slot was, at the slot's size."""
        if self._details_pane is not None:
            return self._details_pane
        splitter, slot = self.details_splitter, self._details_slot
        # Laid out, the sizes are what the user sees (the state would give back the requested
        # sizes, not the ones shown); before the first show, sizes() is zeros and the state is right.
        shown = splitter.isVisible()
        sizes, state = splitter.sizes(), splitter.saveState()
        pane = self._make_details_pane()
        if slot is not None:
            splitter.insertWidget(splitter.indexOf(slot), pane)
            slot.hide()
            slot.setParent(None)  # out of the splitter now, not at the next loop turn
            slot.deleteLater()
            self._details_slot = None
        if shown:
            splitter.setSizes(sizes)
        else:
            splitter.restoreState(state)
        self._wire_details_pane(pane)
        self._set_tab_order()
        return pane

    def paintEvent(self, event: QPaintEvent) -> None:
        """The first paint of a deferring window sends for its details pane, built once the paint is out."""
        super().paintEvent(event)
        if self._details_deferred:
            self._details_deferred = False
            QTimer.singleShot(0, self, self._build_details_pane)  # not after the window is gone

    @property
    def _command_lock(self) -> asyncio.Lock:
        """Held while a command moves refs (the ref watcher waits for it); made on first use, on the loop."""
        if self._lock is None:
            import asyncio

            self._lock = asyncio.Lock()
        return self._lock

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
        self._gone_path = None  # a new request: its errors are its own
        return self.ops.spawn(self._open(Path(path), prefetch))

    def open_demo(self) -> asyncio.Task[Any]:
        """Build the demo repository in a temporary folder, then open it."""
        self._gone_path = None
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
        try:
            shown, git_dir = await self.ops.run(JOB_OPEN, f"Opening {path}",
                                                lambda p: self.worker.call("open_repository", path, progress=p))
        except EmptyRepositoryError:
            # A repository all the same: open it, so that Refresh (or the ref watcher) shows its
            # commits once they are fetched; _reload says in the pane that it has none yet.
            shown, git_dir = await self.ops.run(JOB_OPEN, f"Opening {path}", lambda p: locate_repository(path))
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
        self._empty = False
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
        self.profile_chooser.addItem(shown(profile.name), profile.name)  # shown escaped, chosen by its real name
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
        try:
            state = await self.ops.run(JOB_QUEUE, "Reading the queue",
                                       lambda p: self.worker.call("load_queue_state", path, wanted, progress=p))
        except EmptyRepositoryError as exc:
            self._show_empty(exc)
            return
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
        # A missing queue branch, or one that is no series on upstream (the queue pane says so), still
        # leaves downstream and upstream to compare: without it, so that no commit shows as queued at
        # a number the queue pane does not list.
        branch = profile.branch if (len(tips) != 3 or tips[2]) and state.series_problem is None else None
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
            # Not once the repository is closed (gone): the pane says that instead.
            if self.ctx.repo_path == path:
                self.downstream_pane.show_banner("The comparison with upstream did not finish, so these commits "
                                                 "have no state yet. Refresh (Ctrl+R) to compare again.")
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

    def _show_empty(self, exc: UqError) -> None:
        """The open repository has no commits yet: say so in the pane; Refresh reads it again."""
        self._clear_views()
        self._empty = True
        self.ctx.profile = None
        self._show_no_repository_parts()
        self.downstream_pane.show_banner(f"{exc.message}\nThe lists fill once it has commits: Refresh (Ctrl+R) "
                                         "reads it again.")
        self._update_location()
        self._update_actions()

    def _show_no_repository_parts(self) -> None:
        """Titles, profiles and history as they are with nothing to show."""
        self.profile_chooser.clear()
        self.profile_chooser.setEnabled(False)
        self.queue_pane.set_title("", "", 0)
        self.downstream_pane.set_title("", "")
        self.queue_pane.set_reorder_available(False)
        self.oplog_model.set_operations([])

    def _apply_queue_state(self, state: QueueState) -> None:
        self.queue_state = state
        self._empty = False
        self.ctx.profile = state.profile
        names = [p.name for p in state.profiles]
        self.profile_chooser.blockSignals(True)
        self.profile_chooser.clear()
        for name in names:
            self.profile_chooser.addItem(shown(name), name)  # shown escaped, chosen by its real name
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
            count = None if state.series_problem is not None and state.base is None else len(state.commits)
            self.queue_pane.set_title(short_ref(state.profile.branch), upstream, count)
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
        self._update_actions()  # Move Up/Down follow the row: none, the top, the bottom, the base
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

    def show_details(self, commit_id: str, match: Match | None, state: str | None, where: str,
                     origin: str = ORIGIN_DOWNSTREAM) -> asyncio.Task[Any]:
        """Load COMMIT_ID's details (chosen in ORIGIN's list) in the background; a newer selection drops this result."""
        self._last_details, self._details_origin = commit_id, origin
        self._details_reads += 1
        self.details_pane.show_loading(commit_id)
        return self.ops.spawn(self._load_details(commit_id, match, state, where, origin, self._details_reads))

    async def _load_details(self, commit_id: str, match: Match | None, state: str | None, where: str,
                            origin: str, read: int) -> None:
        import asyncio

        path = self.ctx.repo_path
        assert path is not None
        try:
            details = await self.ops.run(JOB_DETAILS, f"Reading {commit_id[:12]}",
                                         lambda p: self.worker.call("load_details", path, commit_id, plain(match),
                                                                    progress=p))
        except BaseException as exc:
            # "Reading…" must not stay on screen: say what became of it, unless a newer read (of this
            # commit or another) has the pane, or the commit is listed no more.
            if read == self._details_reads and self._last_details == commit_id:
                if isinstance(exc, (Cancelled, asyncio.CancelledError)):
                    self.details_pane.clear(f"Reading {commit_id[:12]} was cancelled: select it again to read it.")
                else:
                    why = exc.title if isinstance(exc, UqError) else "an unexpected error"
                    self.details_pane.clear(f"{commit_id[:12]} could not be read: {why} (see the message).")
            raise
        if self._last_details != commit_id:
            return  # cleared meanwhile: its commit is listed no more
        self.details_pane.show_details(details, state, where, origin)
        self.details_loaded.emit(commit_id)

    # -- outside changes ------------------------------------------------------------------------
    def _outside_change(self) -> None:
        if not self.ctx.has_repo or self._command_lock.locked():
            return
        self.ops.spawn(self._check_fingerprint())

    async def _check_fingerprint(self) -> None:
        path, state = self.ctx.repo_path, self.queue_state
        if path is None:
            return
        if state is None:
            if self._empty:
                await self._reload()  # commits may have come: reading the queue is the check
            return
        wanted = self._wanted_profile or (state.profile.name if state.profile else None)
        now = await self.ops.run(JOB_FINGERPRINT, "Checking refs",
                                 lambda p: self.worker.call("current_fingerprint", path, wanted, progress=p))
        if self.queue_state is not None and now != self.queue_state.fingerprint and not self._command_lock.locked():
            self.statusBar().showMessage("Refs changed outside uqgui: refreshing", STATUS_MESSAGE_MS)
            await self._reload()

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

    def _side_by_side_changed(self, on: bool) -> None:
        self.ctx.settings.setValue(KEY_SIDE_BY_SIDE, on)
        self.action_side_by_side.setChecked(on)

    # -- small things --------------------------------------------------------------------------
    def report_error(self, exc: BaseException) -> ErrorDialog | None:
        """Show a failed job's error (the one path from a core error to a dialog); None when it was said already.

        When the open repository has vanished (deleted or moved), whatever failed, the window closes
        it and says that, once.
        """
        if self._gone_path is not None:
            return None  # a late failure of the vanished repository's jobs: said already
        # A stat or two, on the error path only: the work tree (what the worker opens) and the git dir.
        shown, git_dir = self.ctx.repo_path, self.ctx.git_dir
        if shown is not None and git_dir is not None and (_vanished(shown) or _vanished(git_dir)):
            return self._close_gone_repository()
        if isinstance(exc, UqError):
            # An operation it names ("undo is now 'pick … at position 4'") is numbered as the # column does.
            exc.message = queue_description(exc.message)
        dialog = show_error(exc, self)
        self.error_shown.emit(dialog)
        return dialog

    def _close_gone_repository(self) -> ErrorDialog:
        """The open repository vanished: close it, empty the views, say so once; File > Open goes on."""
        path = self.ctx.repo_path
        self._gone_path = path
        # Its jobs can only fail now, each with the same story: stop them.
        self.ops.cancel_all()
        self.watcher.watch(None)
        self.ctx.repo_path, self.ctx.git_dir, self.ctx.profile = None, None, None
        self._clear_views()
        self._show_no_repository_parts()
        message = (f"The repository at {path} is gone: it was deleted or moved while uqgui had it open, so "
                   "nothing more can be read from it or done in it. Open it again (File > Open) once it is back, "
                   "or open another one.")
        self.downstream_pane.show_banner(message)
        self.statusBar().showMessage(f"{path} is gone.", STATUS_MESSAGE_MS)
        self._update_location()
        self._update_actions()
        dialog = show_error(UqError(message, title="Repository gone"), self)
        self.error_shown.emit(dialog)
        return dialog

    def _job_errored(self, key: str, label: str, exc: object) -> None:
        """A failed command or fetch replaces the status message: it told of the command before."""
        if key in (JOB_COMMAND, JOB_FETCH):
            if isinstance(exc, RefMovedError) and exc.operation_id is not None:
                return  # not a failure yet: the window asks whether to undo (or redo) anyway
            what = exc.title if isinstance(exc, UqError) else "an unexpected error"
            self.statusBar().showMessage(f"{label} failed: {what}.", STATUS_MESSAGE_MS)

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
        profile = ("no commits yet" if self._empty else
                   self.ctx.profile.name if self.ctx.profile else "no profile")
        self.location.setText(shown(f"{self.ctx.repo_path.name}  ·  {profile}"))
        self.setWindowTitle(shown(f"{self.ctx.repo_path} [{profile}] — uqgui"))

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


def _vanished(path: Path) -> bool:
    """True only when PATH is known not to exist: an error that says nothing of it (a network file
    system's ESTALE or EIO, a permission) is no reason to close the repository."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False
