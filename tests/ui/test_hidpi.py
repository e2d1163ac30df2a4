"""High-DPI: at a device pixel ratio of 2 the window renders at twice the pixels, not blurred or empty."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]


def shoot(tmp_path: Path, scale: str) -> QImage:
    """Take the README screenshot of the demo offscreen at QT_SCALE_FACTOR=SCALE and load it."""
    out = tmp_path / f"shot-{scale}.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR=scale)
    proc = subprocess.run([sys.executable, str(ROOT / "packaging" / "screenshot.py"), str(out), "--size", "900x600"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    image = QImage(str(out))
    assert not image.isNull()
    return image


def distinct_colours(image: QImage, step: int = 7) -> int:
    """How many different colours a sparse grid of pixels holds (an empty window has a handful)."""
    return len({image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)})


def test_window_renders_at_twice_the_pixels_at_scale_two(qapp: object, tmp_path: Path) -> None:
    """Scale 2 doubles the pixel size of the same layout and still draws text, badges and icons."""
    one, two = shoot(tmp_path, "1"), shoot(tmp_path, "2")
    assert (two.width(), two.height()) == (2 * one.width(), 2 * one.height())
    assert distinct_colours(two) > 20
