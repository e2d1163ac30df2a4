"""The main window fetching the profile's remotes, asking for credentials when a server wants them."""

# Each method takes `self: MainWindow`, which mypy calls an erased self type not a supertype of the
# mixin (misc): it is the class the mixin is only ever part of, and the bodies are checked against it.
# mypy: disable-error-code="misc"

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .window_shared import JOB_COMMAND, JOB_FETCH, STATUS_MESSAGE_MS

if TYPE_CHECKING:
    import asyncio

    from .main_window import MainWindow  # types only: main_window imports this module


class FetchMixin:
    """MainWindow fetching its remotes and asking for credentials (a part of MainWindow)."""

    def fetch(self: MainWindow) -> asyncio.Task[Any] | None:
        """Fetch the remotes the profile's downstream and upstream refs follow, then refresh."""
        state = self.queue_state
        if not self.ctx.has_repo or state is None or state.profile is None:
            self.statusBar().showMessage("Open a repository with a queue profile before fetching.", STATUS_MESSAGE_MS)
            return None
        return self.ops.spawn(self._fetch([state.profile.downstream, state.profile.upstream]))

    async def _fetch(self: MainWindow, refs: list[str], env: dict[str, str] | None = None) -> None:
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
                                                       lambda p: core_fetch.fetch_remotes(git_dir, remotes, p, env, refs))
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

    async def _record_fetch(self: MainWindow, git_dir: Path, remotes: list[str], names: str,
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

    async def _ask_credentials(self: MainWindow, url: str) -> dict[str, str] | None:
        """Ask for URL's username and password (non-modal); the environment that hands them to git, or None."""
        import asyncio

        from keyring.errors import KeyringError

        from ...core import credentials
        from .credentials_dialog import CredentialsDialog

        dialog = CredentialsDialog(credentials.site_of(url), self)
        answered = self.ops.ask()  # a question, not work: nothing shows as running while it waits
        dialog.accepted.connect(lambda: self.ops.answer(answered, True))
        dialog.rejected.connect(lambda: self.ops.answer(answered, False))
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
