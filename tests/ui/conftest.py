"""UI test fixtures: a qasync loop over pytest-qt's QApplication, a scenario repository, a window.

The pattern is STACK.md's second one: `QEventLoop(qapp, already_running=True)` so synchronous
tests wait with qtbot while the window's coroutines run on the same Qt event loop. The loop is
never stop()ped (that calls app.exit() and breaks later Qt waits); it is detached and closed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import qasync

from tests.ui.scenario import Scenario, build_scenario
from uqgui.ui.compat import protect_singletons

# The whole UI suite makes far more Qt calls than PySide6 6.12 on CPython 3.11 survives (compat.py).
protect_singletons()

WAIT_MS = 20_000


@pytest.fixture
def qt_loop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop that runs inside the Qt event loop pytest-qt spins."""
    loop = qasync.QEventLoop(qapp, already_running=True)
    loop.set_default_executor(ThreadPoolExecutor(2, thread_name_prefix="uqgui-test-worker"))
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        deadline = time.monotonic() + 10
        while any(not t.done() for t in pending) and time.monotonic() < deadline:
            qapp.processEvents()
            time.sleep(0.005)
        asyncio.events._set_running_loop(None)
        try:
            qapp.aboutToQuit.disconnect(loop._after_run_forever)
        except (RuntimeError, TypeError):
            pass
        loop._QEventLoop__is_running = False  # already_running loops are never "stopped" by us
        loop.close()


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    """The small two-tree repository with one profile."""
    return build_scenario(tmp_path / "repo")


@pytest.fixture
def window(qtbot: Any, qt_loop: asyncio.AbstractEventLoop) -> Iterator[Any]:
    """A MainWindow with nothing open (settings under the isolated XDG config dir)."""
    from uqgui.ui.widgets.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    yield win
    win.ops.cancel_all()
    qtbot.waitUntil(lambda: not win.ops.busy, timeout=WAIT_MS)


def wait_idle(qtbot: Any, win: Any) -> None:
    """Wait until the window's background work is finished."""
    qtbot.waitUntil(lambda: not win.ops.busy, timeout=WAIT_MS)


@pytest.fixture
def opened(qtbot: Any, window: Any, scenario: Scenario) -> Any:
    """The window with the scenario opened and both panes loaded."""
    window.open_repository(scenario.path)
    wait_idle(qtbot, window)
    assert window.divergence is not None, "the divergence did not load"
    return window
