"""Drive the real app in a real X window (run under xvfb-run with QT_QPA_PLATFORM=xcb).

    python tests/ui/xvfb_driver.py RESULT.json [SHOT.png] [--scenario]

Opens the demo (or, with --scenario, the small UI test scenario), picks the first remaining
commit with the keyboard (Enter on the downstream list), undoes it with Ctrl+Z, redoes it with
Ctrl+Shift+Z, and writes what it saw as JSON. The test in test_xvfb.py reads it; nothing here blocks on a modal dialog.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

TIMEOUT_S = 120


async def until(predicate: Any, timeout: float = TIMEOUT_S) -> None:
    """Await until PREDICATE() is true, letting Qt and the loop run."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.02)


async def drive(result: dict[str, Any], shot: Path | None, use_demo: bool) -> None:
    """Open, pick, undo; record the observations in RESULT."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtTest import QTest

    from uqgui.ui.errors import ErrorDialog
    from uqgui.ui.models.downstream import STATE_ROLE
    from uqgui.ui.models.states import S_REMAINING
    from uqgui.ui.widgets.main_window import MainWindow

    window = MainWindow()
    window.resize(1280, 860)
    window.show()
    result["platform"] = QGuiApplication.platformName()
    errors: list[str] = []
    window.error_shown.connect(lambda d: errors.append(f"{d.title}: {d.message}"))
    if use_demo:
        await window.open_demo()
        result["opened"] = "demo"
    else:
        from tests.ui.scenario import build_scenario

        path = build_scenario(Path(tempfile.mkdtemp(prefix="uqgui-xvfb-")) / "repo").path
        await window.open_repository(path)
        result["opened"] = "scenario"
    await until(lambda: not window.ops.busy)
    result["errors"] = errors
    result["exposed"] = window.windowHandle() is not None and window.windowHandle().isExposed()
    result["queue_before"] = window.queue_model.commit_count
    view = window.downstream_pane.view
    model = view.model()
    rows = [r for r in range(model.rowCount()) if model.index(r, 0).data(STATE_ROLE) == S_REMAINING]
    result["remaining"] = len(rows)
    window.activateWindow()
    await until(window.isActiveWindow, 20)  # without a window manager Qt still activates via X focus
    view.setFocus()
    await until(view.hasFocus, 10)
    # Try remaining commits in order: one may conflict with the queue (a dialog says so; that is fine).
    for row in rows[:5]:
        view.setCurrentIndex(model.index(row, 0))
        picked_subject = model.index(row, 1).data()
        seen = len(errors)
        QTest.keyClick(view, Qt.Key.Key_Return)
        await until(lambda: window.queue_model.commit_count == result["queue_before"] + 1 or len(errors) > seen)
        await until(lambda: not window.ops.busy)
        for dialog in window.findChildren(ErrorDialog):
            dialog.close()
        if window.queue_model.commit_count == result["queue_before"] + 1:
            break
        window.activateWindow()
        await until(window.isActiveWindow, 20)
        view.setFocus()
        await until(view.hasFocus, 10)
    else:
        raise RuntimeError(f"no remaining commit could be picked: {errors}")
    result["skipped_errors"] = list(errors)
    errors.clear()
    result["queue_after_pick"] = window.queue_model.commit_count
    result["top_after_pick"] = window.queue_model.index(0, 1).data()
    result["picked_subject"] = picked_subject
    if shot is not None:
        result["shot"] = window.grab().save(str(shot), "PNG")
        image = window.grab().toImage()
        colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
        result["distinct_colours"] = len(colours)
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    await until(lambda: window.queue_model.commit_count == result["queue_before"])
    await until(lambda: not window.ops.busy)
    result["queue_after_undo"] = window.queue_model.commit_count
    result["redo_enabled"] = window.action_redo.isEnabled()
    # Ctrl+Shift+Z, as X11 binds the standard Redo key too: bound twice, Qt would trigger nothing.
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    try:
        await until(lambda: window.queue_model.commit_count == result["queue_before"] + 1, 15)
    except TimeoutError:
        pass
    await until(lambda: not window.ops.busy)
    result["queue_after_redo"] = window.queue_model.commit_count
    result["errors"] = errors
    window.close()
    await until(lambda: not window.ops.busy, 30)


def main() -> int:
    """Run the drive and write the JSON result."""
    import qasync

    from uqgui.app import create_application

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    out = Path(args[0])
    shot = Path(args[1]) if len(args) > 1 else None
    use_demo = "--scenario" not in sys.argv
    app = create_application([sys.argv[0]])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    result: dict[str, Any] = {}
    try:
        with loop:
            loop.run_until_complete(asyncio.wait_for(drive(result, shot, use_demo), TIMEOUT_S))
        result["ok"] = True
    except Exception as exc:  # the test prints it
        result["ok"] = False
        result["exception"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc()
    out.write_text(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
