"""Light and dark: palettes with enough contrast, colours that follow a palette switch, screenshots that read."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import WAIT_MS
from uqgui.ui.models.states import BADGES, TEST_BADGES
from uqgui.ui.theme import THEMES, apply_theme, contrast, dark_palette, light_palette
from uqgui.ui.widgets.diff_view import K_ADDED, DiffColors, DiffView

ROOT = Path(__file__).resolve().parents[2]
Role = QPalette.ColorRole


@pytest.fixture
def restore_look(qapp) -> Iterator[None]:
    """Put the application's style and palette back: later tests expect the default look."""
    style, palette = qapp.style().name(), qapp.palette()
    yield
    qapp.setStyle(style)
    qapp.setPalette(palette)


def foreground(view: DiffView, line: int) -> str | None:
    """The text colour LINE of VIEW is drawn with (None: not coloured)."""
    ranges = view.document().findBlockByNumber(line).layout().formats()
    if not ranges:
        return None
    first = ranges[0]  # keep the range alive while its format is read
    fmt = first.format
    return fmt.foreground().color().name()


@pytest.mark.parametrize("make", [dark_palette, light_palette], ids=["dark", "light"])
def test_palette_contrast(qapp, make):
    palette = make()
    base, alternate, window = (palette.color(r) for r in (Role.Base, Role.AlternateBase, Role.Window))
    assert contrast(palette.color(Role.Text), base) >= 7
    assert contrast(palette.color(Role.WindowText), window) >= 7
    assert contrast(palette.color(Role.PlaceholderText), base) >= 4.5
    assert contrast(palette.color(Role.HighlightedText), palette.color(Role.Highlight)) >= 4.5
    for badge in [*BADGES.values(), *TEST_BADGES.values()]:
        color = badge.color(palette)
        assert min(contrast(color, base), contrast(color, alternate)) >= 4.5, badge.label
    colors = DiffColors.for_palette(palette)
    for fg, bg in (colors.added, colors.removed):
        assert contrast(QColor(fg), QColor(bg)) >= 4.5
    for fg in (colors.hunk, colors.header, colors.meta):
        assert contrast(QColor(fg), base) >= 4.5


def test_unknown_theme_or_style_is_refused(qapp, restore_look):
    with pytest.raises(ValueError):
        apply_theme(qapp, "purple")
    with pytest.raises(ValueError):
        apply_theme(qapp, "dark", "NoSuchStyle")
    assert set(THEMES) == {"system", "light", "dark"}


def test_switching_to_dark_recolours_what_is_on_screen(qtbot, opened, restore_look):
    view = DiffView()
    qtbot.addWidget(view)
    view.resize(600, 300)
    view.show()
    view.set_diff("\n".join(["diff --git a/x b/x", "@@ -1 +1 @@", "-old", "+new"] * 3))
    light_green = foreground(view, 3)
    apply_theme(QApplication.instance(), "dark")
    assert QApplication.palette().color(Role.Base).lightness() < 128
    qtbot.waitUntil(lambda: foreground(view, 3) == DiffColors.for_palette(dark_palette()).added[0], timeout=WAIT_MS)
    assert light_green != DiffColors.for_palette(dark_palette()).added[0]
    assert view.kind_at(3) == K_ADDED
    # The counts line is rich text with colours in it: it is drawn again in the dark ones.
    remaining = BADGES["remaining"].color(dark_palette()).name()
    qtbot.waitUntil(lambda: remaining in opened.downstream_pane.counts.text(), timeout=WAIT_MS)
    from uqgui.ui.widgets.downstream_pane import muted_color

    assert muted_color(dark_palette()) in opened.queue_pane.title.text()
    for palette in (dark_palette(), light_palette(), opened.style().standardPalette()):
        assert contrast(QColor(muted_color(palette)), palette.color(Role.Window)) >= 4.5


def test_lines_are_coloured_when_they_scroll_into_view(qtbot):
    view = DiffView()
    qtbot.addWidget(view)
    view.resize(500, 200)
    view.show()
    view.set_diff("\n".join(["+added line"] * 3000))
    last = view.document().lastBlock()
    assert not last.layout().formats()  # far below: not coloured yet (that is the point)
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    qtbot.waitUntil(lambda: bool(view.document().lastBlock().layout().formats()), timeout=WAIT_MS)


def test_dark_window_renders_readable_text(qtbot, opened, restore_look):
    apply_theme(QApplication.instance(), "dark")
    opened.resize(1200, 800)
    opened.show()
    qtbot.waitExposed(opened)
    # Qt 6.11 hands a new application palette to existing widgets through the event loop.
    qtbot.waitUntil(lambda: opened.downstream_pane.view.palette().color(Role.Base).lightness() < 128,
                    timeout=WAIT_MS)
    image = opened.grab().toImage()
    lightness = [QColor(image.pixel(x, y)).lightness() for x in range(0, image.width(), 9)
                 for y in range(0, image.height(), 9)]
    assert sum(lightness) / len(lightness) < 90  # mostly dark
    assert sum(1 for v in lightness if v > 180) > 50  # and light text on it
    assert len({image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}) > 20


def test_command_line_offers_the_themes():
    out = subprocess.run([sys.executable, "-m", "uqgui", "--help"], capture_output=True, text=True, timeout=60).stdout
    assert "--theme" in out and "--style" in out


@pytest.mark.xvfb
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="Xvfb is not installed (apt-get install xvfb xauth)")
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_screenshot_script_under_xvfb(tmp_path, scenario, theme):
    shot = tmp_path / f"{theme}.png"
    env = dict(os.environ, QT_QPA_PLATFORM="xcb")
    env.pop("DISPLAY", None)
    proc = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable,
                           str(ROOT / "packaging" / "screenshot.py"), str(shot), "--repo", str(scenario.path),
                           "--theme", theme, "--tab", "diff", "--side-by-side"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert shot.exists(), proc.stdout + proc.stderr[-3000:]
    image = QImage(str(shot))
    lightness = [QColor(image.pixel(x, y)).lightness() for x in range(0, image.width(), 9)
                 for y in range(0, image.height(), 9)]
    mean = sum(lightness) / len(lightness)
    assert (mean < 90) if theme == "dark" else (mean > 170), mean
