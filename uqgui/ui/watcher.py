"""Notice when git outside the app moves refs or edits the config: watch, debounce, then ask."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

DEBOUNCE_MS = 400


class RefWatcher(QObject):
    """Watches the git dir, its config and every folder under refs/; emits `changed` once per burst."""

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
        """git_dir (packed-refs and config are replaced by rename there) and each refs/ folder."""
        assert self.git_dir is not None
        wanted = [str(self.git_dir)]
        for name in ("packed-refs", "config", "HEAD"):
            if (self.git_dir / name).exists():
                wanted.append(str(self.git_dir / name))
        refs = self.git_dir / "refs"
        for root, _dirs, _files in os.walk(refs):
            wanted.append(root)
        known = set(self._watcher.files() + self._watcher.directories())
        new = [p for p in wanted if p not in known]
        if new:
            self._watcher.addPaths(new)

    def _poke(self, path: str) -> None:
        self._timer.start()

    def _fire(self) -> None:
        if self.git_dir is None:
            return
        # New ref folders (a new remote) and files replaced by rename need watching again.
        self._add_paths()
        if not self.paused:
            self.changed.emit()
