"""Notice when git outside the app moves refs or edits the config: watch, debounce, then ask."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from ..core.gitcli import common_dir  # pygit2-free: the GUI process never loads pygit2

DEBOUNCE_MS = 400


class RefWatcher(QObject):
    """Watches the git dir, the config and every folder under refs/; emits `changed` once per burst.

    For a linked work tree, the refs and config are the common dir's, and HEAD is the work tree's own.
    """

    changed = Signal()

    def __init__(self, parent: QObject | None = None, debounce_ms: int = DEBOUNCE_MS) -> None:
        super().__init__(parent)
        self._watcher = QFileSystemWatcher(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._fire)
        self._watcher.directoryChanged.connect(self._poke)
        self._watcher.fileChanged.connect(self._poke)
        self.git_dir: Path | None = None
        self.paused = False

    def watch(self, git_dir: Path | None) -> None:
        """Watch GIT_DIR (None: stop watching)."""
        self._clear()
        self.git_dir = git_dir
        if git_dir is not None:
            self._add_paths()

    def _clear(self) -> None:
        paths = self._watcher.files() + self._watcher.directories()
        if paths:
            self._watcher.removePaths(paths)

    def _add_paths(self) -> None:
        """The git dirs (files there are replaced by rename), their files and each refs/ folder."""
        assert self.git_dir is not None
        known = set(self._watcher.files() + self._watcher.directories())
        new = [p for p in self._wanted(self.git_dir) if p not in known]
        if new:
            self._watcher.addPaths(new)

    @staticmethod
    def _wanted(git_dir: Path) -> list[str]:
        """Every path to watch for GIT_DIR, a main git dir or a linked work tree's."""
        # A linked work tree's git dir holds only its own HEAD (and per-work-tree refs such as
        # refs/bisect); branches, packed-refs and the config live in the common dir.
        common = common_dir(git_dir)
        dirs = list(dict.fromkeys((common, git_dir)))  # one entry for a main work tree
        wanted = [str(d) for d in dirs]
        for folder, name in ((git_dir, "HEAD"), (common, "packed-refs"), (common, "config")):
            if (folder / name).exists():
                wanted.append(str(folder / name))
        for folder in dirs:
            for root, _dirs, _files in os.walk(folder / "refs"):
                wanted.append(root)
        return wanted

    def _poke(self, path: str) -> None:
        self._timer.start()

    def _fire(self) -> None:
        if self.git_dir is None:
            return
        # New ref folders (a new remote) and files replaced by rename need watching again.
        self._add_paths()
        if not self.paused:
            self.changed.emit()
