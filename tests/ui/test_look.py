"""Fonts, icons, the stylesheet and the freedesktop files: what makes the window readable and installable."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QFontDatabase, QIcon
from PySide6.QtSvg import QSvgRenderer

from uqgui.ui import icons

ROOT = Path(__file__).resolve().parents[2]


def test_fonts_are_installed(qapp):
    # Without any font Qt raises nothing and draws empty boxes (STACK.md).
    assert QFontDatabase.families(), "no fonts: apt-get install fonts-dejavu-core"


def test_state_glyphs_have_a_font(qapp):
    from PySide6.QtGui import QFontMetrics

    from uqgui.ui.models.states import BADGES, TEST_BADGES

    metrics = QFontMetrics(qapp.font())
    for badge in [*BADGES.values(), *TEST_BADGES.values()]:
        for ch in badge.glyph:
            assert metrics.inFontUcs4(ord(ch)), f"{ch!r} ({badge.label}) has no glyph in {qapp.font().family()}"


@pytest.mark.parametrize("name", icons.names())
def test_every_icon_is_a_valid_bundled_svg(qapp, name):
    path = icons.icon_path(name)
    assert path is not None and path.is_relative_to(ROOT / "icons")
    assert QSvgRenderer(str(path)).isValid()
    icon = icons.icon(name)
    assert isinstance(icon, QIcon) and not icon.isNull()
    assert not icon.pixmap(24, 24).isNull()


def test_application_icon_pngs_match_the_svg_sizes():
    for size in (16, 32, 48, 64, 128, 256):
        png = ROOT / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "uqgui.png"
        assert png.exists(), f"run icons/render_png.py ({png} missing)"


def test_icon_file_names_appear_only_in_icons_py():
    names = [p.name for p in (ROOT / "icons").glob("*.svg")]
    for source in (ROOT / "uqgui").rglob("*.py"):
        if source.name == "icons.py":
            continue
        text = source.read_text(encoding="utf-8")
        for name in names:
            assert name not in text, f"{source} names {name}: go through uqgui.ui.icons"


def test_stylesheet_loads(qapp):
    from uqgui.app import create_application

    app = create_application(["uqgui"])
    assert app is qapp
    assert "QLabel#banner" in app.styleSheet()
    assert app.applicationName() == "uqgui"
    assert not app.windowIcon().isNull()


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_file_validates():
    proc = subprocess.run(["desktop-file-validate", str(ROOT / "packaging" / "uqgui.desktop")],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream not installed")
def test_metainfo_validates():
    files = list((ROOT / "packaging").glob("*.metainfo.xml"))
    assert files
    for path in files:
        proc = subprocess.run(["appstreamcli", "validate", "--no-net", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_command_line_help_and_version():
    for args in (["-m", "uqgui", "--help"], ["-m", "uqgui", "--version"]):
        proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
    assert "--demo" in subprocess.run([sys.executable, "-m", "uqgui", "--help"], capture_output=True,
                                      text=True, timeout=60).stdout


def test_none_survives_many_qt_calls(qapp):
    # PySide6 6.12 on CPython 3.11 drops a reference to None on every void call (uqgui/ui/compat.py).
    from PySide6.QtCore import QObject

    from uqgui.ui.compat import protect_singletons

    protect_singletons()
    obj = QObject()
    for _ in range(100_000):
        obj.setObjectName("x")
    assert sys.getrefcount(None) > 1000
