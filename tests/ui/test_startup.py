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
    # The details pane waits for the first paint, its module too.
    seen["details_before_paint"] = "uqgui.ui.widgets.details_pane" in sys.modules

    def later():
        seen["after"] = gc.isenabled()
        seen["frozen"] = gc.get_freeze_count()
        seen["rows"] = window.downstream_model.rowCount()
        seen["states"] = window.divergence is not None
        from uqgui.ui.widgets.details_pane import DetailsPane

        panes = window.findChildren(DetailsPane)
        seen["details_panes"] = len(panes)
        seen["details_in_splitter"] = bool(panes) and window.details_splitter.widget(1) is panes[0]
        seen["details_height"] = panes[0].height() if panes else 0
        seen["splitter_widgets"] = window.details_splitter.count()
        window.close()

    QTimer.singleShot(int((app.STARTUP_GC_PAUSE_S + 1.0) * 1000), later)

status = app.main([sys.argv[1]], on_window=on_window)
seen["status"] = status
seen["on_exit"] = gc.isenabled()
print(json.dumps(seen))
"""


def test_startup_paints_before_asyncio_and_the_details_pane_and_pauses_the_collector(tmp_path: Path) -> None:
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
    assert seen["details_before_paint"] is False
    # ...and is built right after it, in the place (and size) kept for it.
    assert seen["details_panes"] == 1 and seen["details_in_splitter"] is True
    assert seen["splitter_widgets"] == 2 and seen["details_height"] > 100
    # A cold cache: the window adopted the profile and queue before the loop ran, and the
    # downstream rows it could not take then (git log's parts) came once the loop did.
    assert seen["rows"] == 7 and seen["states"] is True
