"""The one place icon file names appear: a theme icon when the desktop has one, else our own SVG."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon

# Logical name -> (freedesktop theme name, bundled file in icons/).
_ICONS: dict[str, tuple[str | None, str]] = {
    "app": (None, "uqgui.svg"),
    "open": ("document-open", "open.svg"),
    "refresh": ("view-refresh", "refresh.svg"),
    "fetch": (None, "fetch.svg"),
    "palette": (None, "palette.svg"),
    "undo": ("edit-undo", "undo.svg"),
    "redo": ("edit-redo", "redo.svg"),
    "add-to-queue": (None, "add-to-queue.svg"),
    "move-up": ("go-up", "move-up.svg"),
    "move-down": ("go-down", "move-down.svg"),
    "history": (None, "history.svg"),
    "cancel": ("process-stop", "cancel.svg"),
    "profile": (None, "profile.svg"),
    "demo": (None, "demo.svg"),
}
APP_PNG = ("hicolor", "256x256", "apps", "uqgui.png")


def data_dirs() -> list[Path]:
    """Folders that may hold icons/ and resources/: override, source tree, installed share/."""
    return list(_data_dirs(os.environ.get("UQGUI_DATA_DIR")))


@cache
def _data_dirs(override: str | None) -> tuple[Path, ...]:
    # Cached: resolving the source tree's path took ~0.3 ms per icon at start-up.
    dirs: list[Path] = []
    if override:
        dirs.append(Path(override))
    # Editable installs and source checkouts keep icons/ beside the uqgui package.
    dirs.append(Path(__file__).resolve().parents[2])
    dirs.append(Path(sys.prefix) / "share" / "uqgui")
    return tuple(dirs)


def data_file(*parts: str) -> Path | None:
    """The first existing data file icons/... or resources/... among data_dirs(), or None."""
    for base in data_dirs():
        path = base.joinpath(*parts)
        if path.exists():
            return path
    return None


def icon_path(name: str) -> Path | None:
    """The bundled SVG file of a logical icon name, or None when it is not installed."""
    return data_file("icons", _ICONS[name][1])


@cache
def icon(name: str) -> QIcon:
    """The icon for a logical name: the desktop theme's when it has one, else the bundled SVG."""
    theme, _ = _ICONS[name]
    path = icon_path(name)
    fallback = QIcon(str(path)) if path is not None else QIcon()
    if name == "app":
        png = data_file("icons", *APP_PNG)
        if png is not None:
            fallback.addFile(str(png))
    if theme and QIcon.hasThemeIcon(theme):
        return QIcon.fromTheme(theme, fallback)
    return fallback


def names() -> list[str]:
    """Every logical icon name."""
    return list(_ICONS)
