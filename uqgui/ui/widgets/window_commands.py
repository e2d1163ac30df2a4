"""The main window's commands on the queue: pick, reorder, move, undo and redo, profiles."""

# Each method takes `self: MainWindow`, which mypy calls an erased self type not a supertype of the
# mixin (misc): it is the class the mixin is only ever part of, and the bodies are checked against it.
# mypy: disable-error-code="misc"

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from ...core.errors import RefMovedError, UqError
from ...core.quickstart import QuickProfile
from ..models.queue import REORDER_UNAVAILABLE, queue_description, queue_numbers
from .window_shared import JOB_COMMAND, JOB_REFS, STATUS_MESSAGE_MS, short_ref

if TYPE_CHECKING:
    import asyncio

    from .main_window import MainWindow  # types only: main_window imports this module
    from .profile_dialog import ProfileDialog


class CommandsMixin:
    """MainWindow's commands: pick, reorder, move, undo and redo, profiles (a part of MainWindow)."""

    def queue_selection_position(self: MainWindow) -> int | None:
        """The queue position just above the selected queue row (None: no selection, i.e. the top)."""
        index = self.queue_pane.view.currentIndex()
        if not index.isValid():
            return None
        return self.queue_model.position_for_row(index.row())

    def add_selected(self: MainWindow, position: int | None) -> asyncio.Task[Any] | None:
        """Pick the selected downstream commits at POSITION (None: the top)."""
        ids = self.downstream_pane.selected_ids_oldest_first()
        if not ids:
            self.statusBar().showMessage("Select downstream commits to add to the queue first.", STATUS_MESSAGE_MS)
            return None
        return self.pick(ids, position)

    def pick(self: MainWindow, ids: list[str], position: int | None) -> asyncio.Task[Any]:
        """Pick IDS (oldest first) into the queue at POSITION, in the background (one undo step)."""
        return self.ops.spawn(self._pick(list(ids), position))

    async def _pick(self: MainWindow, ids: list[str], position: int | None) -> None:
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

    def reorder(self: MainWindow, order: list[str]) -> asyncio.Task[Any] | None:
        """Replay the queue in ORDER (oldest first) through the core's reorder command, when it has one."""
        if not self._can_reorder():
            self.statusBar().showMessage(REORDER_UNAVAILABLE, STATUS_MESSAGE_MS)
            return None
        return self.ops.spawn(self._reorder(order))

    def _can_reorder(self: MainWindow) -> bool:
        return bool(getattr(self.queue_state, "can_reorder", False))

    async def _reorder(self: MainWindow, order: list[str]) -> None:
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

    def _follow_replayed(self: MainWindow, outcome: Any) -> None:
        """Let the queue's selection follow its commit to the id a replay gave it (Alt+Up, then again)."""
        result = getattr(outcome, "result", None)
        replayed = result.get("replayed") if isinstance(result, dict) else None
        self._replayed_ids = dict(replayed) if isinstance(replayed, dict) else {}

    def move_selected(self: MainWindow, delta: int) -> asyncio.Task[Any] | None:
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

    def undo(self: MainWindow) -> asyncio.Task[Any]:
        """Ctrl+Z: undo the latest operation in the background."""
        return self.ops.spawn(self._undo_redo("undo", "Undoing", "Undid", "Ctrl+Shift+Z to redo"))

    def redo(self: MainWindow) -> asyncio.Task[Any]:
        """Ctrl+Shift+Z: redo the operation undone last."""
        return self.ops.spawn(self._undo_redo("redo", "Redoing", "Redid", "Ctrl+Z to undo"))

    async def _undo_redo(self: MainWindow, which: str, label: str, verb: str, hint: str) -> None:
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
                self.statusBar().showMessage(f"Not {which}ne: the refs stay as the other git left them.",
                                             STATUS_MESSAGE_MS)
                return
            async with self._command_lock:
                # Only the operation asked about: if another undo or redo ran meanwhile, the core refuses.
                op = await self.ops.run(JOB_COMMAND, label,
                                        lambda p: self.worker.call(f"{which}_anyway", path, asked, progress=p),
                                        cancellable=False)
        if op.kept is not None and which == "undo":  # over another git's change, kept in the history
            hint = f"what another git had changed is kept as #{op.kept}: Ctrl+Shift+Z twice brings it back"
        elif op.forced_over:
            hint = "over what another git had changed: Ctrl+Z brings that back"
        await self._after_command(f"{verb}: {queue_description(op.description)}; {hint}")

    async def _confirm_anyway(self: MainWindow, which: str, exc: UqError) -> bool:
        """Ask (non-modal) whether to undo or redo although refs moved since; True for yes."""
        # uq's way to go on (--force) is the error's hint, left out: this dialog is the window's way.
        text = queue_description(exc.message)
        box = QMessageBox(QMessageBox.Icon.Warning, f"{which.capitalize()} anyway?", text, parent=self)
        box.setInformativeText(f"{which.capitalize()} anyway puts back the refs the operation recorded, over "
                               "what moved them since. What another git changed is kept in the history as an "
                               "operation of its own, so it can be brought back.")
        anyway = box.addButton(f"{which.capitalize()} Anyway", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # Asked as a question, not as work: the undo job is over, and the status bar shows nothing
        # running (nor a cancel button) until the answer starts the next job.
        answered = self.ops.ask()
        box.finished.connect(lambda _result: self.ops.answer(answered, box.clickedButton() is anyway))
        box.open()
        self.confirmation_asked.emit(box)
        return bool(await answered)

    async def _after_command(self: MainWindow, message: str) -> None:
        self.statusBar().showMessage(message, STATUS_MESSAGE_MS)
        self.command_finished.emit(message)
        await self._reload()

    def new_profile(self: MainWindow) -> None:
        """Queue > New Profile: list the refs in the background, then open the dialog."""
        if not self.ctx.has_repo:
            self.statusBar().showMessage("Open a repository first.", STATUS_MESSAGE_MS)
            return
        self.ops.spawn(self._new_profile())

    async def _new_profile(self: MainWindow) -> ProfileDialog:
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

    async def _add_profile_from(self: MainWindow, dialog: ProfileDialog, profile: QuickProfile) -> None:
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

    def add_profile(self: MainWindow, profile: QuickProfile) -> asyncio.Task[Any]:
        """Run AddProfile in the background and switch to it."""
        return self.ops.spawn(self._add_profile(profile))

    async def _add_profile(self: MainWindow, profile: QuickProfile) -> None:
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

    def _profile_chosen(self: MainWindow, index: int) -> None:
        self.choose_profile(self.profile_chooser.itemData(index) or self.profile_chooser.itemText(index))

    def choose_profile(self: MainWindow, name: str) -> asyncio.Task[Any] | None:
        """Switch to the profile NAME and reload both panes."""
        if not self.ctx.has_repo or not name:
            return None
        self._wanted_profile = name
        assert self.ctx.repo_path is not None
        self.ctx.remember_profile(self.ctx.repo_path, name)
        return self.ops.spawn(self._reload())
