"""A real X window under Xvfb (xcb platform): open -> pick -> undo, driven in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DRIVER = Path(__file__).with_name("xvfb_driver.py")

pytestmark = pytest.mark.xvfb


@pytest.mark.skipif(shutil.which("xvfb-run") is None or shutil.which("Xvfb") is None,
                    reason="Xvfb is not installed (apt-get install xvfb xauth)")
@pytest.mark.parametrize("source", ["demo", "scenario"])
def test_real_x_window_open_pick_undo(tmp_path: Path, source: str) -> None:
    if source == "demo":
        pytest.importorskip("uqgui.core.demo", reason="the core has no demo builder yet")
    out = tmp_path / "result.json"
    shot = tmp_path / "window.png"
    env = dict(os.environ, QT_QPA_PLATFORM="xcb")
    env.pop("DISPLAY", None)
    proc = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1400x1000x24", sys.executable, str(DRIVER), str(out), str(shot),
         *(["--scenario"] if source == "scenario" else [])],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert out.exists(), f"driver wrote nothing:\n{proc.stdout}\n{proc.stderr}"
    result = json.loads(out.read_text())
    assert result["ok"], f"{result}\n{proc.stderr[-3000:]}"
    assert result["opened"] == source
    assert result["platform"] == "xcb"
    assert result["exposed"]
    assert result["errors"] == []
    assert result["queue_after_pick"] == result["queue_before"] + 1
    assert result["top_after_pick"] == result["picked_subject"]
    assert result["queue_after_undo"] == result["queue_before"]
    assert result["redo_enabled"]
    assert result["queue_after_redo"] == result["queue_before"] + 1
    assert result["shot"] and shot.stat().st_size > 10_000
    # Text and badges were drawn: a blank or box-only window has a handful of colours.
    assert result["distinct_colours"] > 20
