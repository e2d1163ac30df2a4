"""Start-up of the real app in its own process: what comes before the first paint, and what after."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.ui.scenario import build_scenario

# Runs `uqgui REPO` offscreen; reports the collector's state while the window starts and after.
CHILD = """
import gc, json, sys
from PySide6.QtCore import QTimer
from uqgui import app

seen = {}

def on_window(window):
    seen["during"] = gc.isenabled()
    # The first paint comes before asyncio and qasync are imported (and the event loop made).
    seen["asyncio_before_paint"] = "asyncio" in sys.modules or "qasync" in sys.modules

    def later():
        seen["after"] = gc.isenabled()
        seen["frozen"] = gc.get_freeze_count()
        seen["rows"] = window.downstream_model.rowCount()
        seen["states"] = window.divergence is not None
        window.close()

    QTimer.singleShot(int((app.STARTUP_GC_PAUSE_S + 1.0) * 1000), later)

status = app.main([sys.argv[1]], on_window=on_window)
seen["status"] = status
seen["on_exit"] = gc.isenabled()
print(json.dumps(seen))
"""


def test_startup_paints_before_asyncio_and_pauses_the_collector(tmp_path: Path) -> None:
    repo = build_scenario(tmp_path / "repo").path
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", UQGUI_SETTINGS=str(tmp_path / "settings.ini"))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(repo)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["status"] == 0
    assert seen["during"] is False
    assert seen["after"] is True
    assert seen["frozen"] > 10_000  # Qt's wrappers and the modules: out of every later collection
    assert seen["on_exit"] is True
    assert seen["asyncio_before_paint"] is False
    # A cold cache: the window adopted the profile and queue before the loop ran, and the
    # downstream rows it could not take then (git log's parts) came once the loop did.
    assert seen["rows"] == 7 and seen["states"] is True
