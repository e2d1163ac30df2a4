"""UiContext: what every widget needs to know (repository, profile, settings), in one object."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QStandardPaths

if TYPE_CHECKING:
    from ..core.profile import Profile

APP_NAME = "uqgui"
ORGANIZATION = "uqgui"

# Settings keys: the one place they are spelled.
KEY_GEOMETRY = "window/geometry"
KEY_STATE = "window/state"
KEY_SPLITTER = "window/splitter"
KEY_DETAILS_SPLITTER = "window/detailsSplitter"
KEY_DOWNSTREAM_HEADER = "window/downstreamHeader"
KEY_QUEUE_HEADER = "window/queueHeader"
KEY_SIDE_BY_SIDE = "details/sideBySide"
KEY_RECENT = "recent/repositories"
KEY_LAST_PROFILE = "profiles/lastByRepository"
MAX_RECENT = 10


def settings_path() -> Path:
    """Where settings live: the XDG config dir (read now, so tests that move HOME are isolated)."""
    override = os.environ.get("UQGUI_SETTINGS")
    if override:
        return Path(override)
    # Qt's own answer ($XDG_CONFIG_HOME, else ~/.config): Qt is loaded already; platformdirs cost the first paint ~4 ms.
    config = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    return Path(config) / APP_NAME / f"{APP_NAME}.ini"


def open_settings() -> QSettings:
    """An INI QSettings at settings_path()."""
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return QSettings(str(path), QSettings.Format.IniFormat)


@dataclass
class UiContext:
    """The opened repository (a path: each worker thread opens its own Repo), profile and settings."""

    settings: QSettings = field(default_factory=open_settings)
    repo_path: Path | None = None
    git_dir: Path | None = None
    profile: Profile | None = None

    @property
    def has_repo(self) -> bool:
        """True once a repository is open."""
        return self.repo_path is not None

    # -- recent repositories ----------------------------------------------------------
    def recent_repositories(self) -> list[str]:
        """Recently opened repositories, most recent first."""
        value = self.settings.value(KEY_RECENT, [])
        # An INI file gives back a single-item list as a plain string.
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return [str(v) for v in items if v]

    def remember_repository(self, path: Path) -> None:
        """Put PATH at the head of the recent list."""
        text = str(path)
        recent = [p for p in self.recent_repositories() if p != text]
        self.settings.setValue(KEY_RECENT, [text, *recent][:MAX_RECENT])

    def forget_repository(self, path: str) -> None:
        """Drop PATH from the recent list (it no longer opens)."""
        self.settings.setValue(KEY_RECENT, [p for p in self.recent_repositories() if p != path])

    # -- last profile per repository ------------------------------------------------
    def last_profile(self, path: Path) -> str | None:
        """The profile last chosen for the repository at PATH."""
        value = self.settings.value(f"{KEY_LAST_PROFILE}/{_key(path)}")
        return str(value) if value else None

    def remember_profile(self, path: Path, name: str) -> None:
        """Remember NAME as the profile chosen for the repository at PATH."""
        self.settings.setValue(f"{KEY_LAST_PROFILE}/{_key(path)}", name)


def _key(path: Path) -> str:
    # QSettings treats '/' as a group separator; keep one key per repository.
    return str(path).replace("/", "|")
