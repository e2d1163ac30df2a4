"""Start-up of the real app in its own process: the garbage collector pauses for it, then resumes."""

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

    def later():
        seen["after"] = gc.isenabled()
        seen["frozen"] = gc.get_freeze_count()
        window.close()

    QTimer.singleShot(int((app.STARTUP_GC_PAUSE_S + 1.0) * 1000), later)

status = app.main([sys.argv[1]], on_window=on_window)
seen["status"] = status
seen["on_exit"] = gc.isenabled()
print(json.dumps(seen))
"""


def test_collector_pauses_for_startup_then_resumes_with_startup_objects_frozen(tmp_path: Path) -> None:
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
