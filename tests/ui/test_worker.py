"""The core worker process: calls, stand-ins, errors rebuilt as their class, cancel, restart, no pygit2 in the GUI."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tests.ui.scenario import DOWNSTREAM, QUEUE, UPSTREAM, Scenario
from uqgui.core.errors import ConflictError, NotARepositoryError, UqError
from uqgui.ui import worker as worker_module
from uqgui.ui.worker import CoreWorker, RemoteObject, WorkerCancelled, error_info, rebuild_error, stand_in

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def core_worker():
    w = CoreWorker()
    yield w
    w.close()


def test_calls_return_results_and_progress(core_worker: CoreWorker, scenario: Scenario):
    shown, git_dir = core_worker.call("open_repository", scenario.path)
    assert shown == scenario.path.resolve() and git_dir == (scenario.path / ".git").resolve()
    reports = []
    divergence, listing = core_worker.call("load_listing", scenario.path, DOWNSTREAM, UPSTREAM, QUEUE,
                                           progress=lambda *a: reports.append(a))
    assert len(listing) == 7 and listing.complete
    assert [e.meta.id for e in divergence.entries] == listing.ids
    state = core_worker.call("load_queue_state", scenario.path, None)
    assert state.profile.name == "master" and [c.subject for c in state.commits] == [
        "qemu-kvm: signalfd support", "vl: return 2"]
    assert core_worker.pid is not None and core_worker.pid != os.getpid()


def test_core_errors_come_back_as_their_class(core_worker: CoreWorker, scenario: Scenario):
    with pytest.raises(ConflictError) as caught:
        core_worker.call("run_pick", scenario.path, "refs/heads/uq/master", "qemu/master", [scenario.conflicting], None)
    assert caught.value.title == "Conflict" and "vl.c" in caught.value.paths
    with pytest.raises(UqError) as caught:
        core_worker.call("open_repository", scenario.path / "no-such-folder")
    assert caught.value.title == "Folder not found" and isinstance(caught.value, NotARepositoryError)


def test_unknown_functions_are_refused(core_worker: CoreWorker):
    with pytest.raises(ValueError):
        core_worker.call("os.system", "true")


def test_a_raising_progress_cancels_and_the_worker_goes_on(core_worker: CoreWorker, scenario: Scenario):
    class Stop(Exception):
        pass

    def progress(*_args):
        raise Stop()

    with pytest.raises(Stop):
        core_worker.call("load_listing", scenario.path, DOWNSTREAM, UPSTREAM, QUEUE, progress=progress)
    stop = threading.Event()
    stop.set()

    def stopped(*_args):
        pass

    stopped.stop = stop  # type: ignore[attr-defined]
    with pytest.raises(WorkerCancelled):
        core_worker.call("load_listing", scenario.path, DOWNSTREAM, UPSTREAM, QUEUE, progress=stopped)
    assert core_worker.call("list_refs", scenario.path)  # still serving


def test_a_dead_worker_is_reported_then_restarted(core_worker: CoreWorker, scenario: Scenario):
    assert core_worker.call("warm_up")
    pid = core_worker.pid
    assert pid is not None

    def die(*_args):  # the worker dies in the middle of a job
        os.kill(pid, signal.SIGKILL)

    with pytest.raises(UqError) as caught:
        core_worker.call("build_demo", progress=die)
    assert caught.value.title == "Worker stopped" and "try again" in caught.value.message
    assert core_worker.call("list_refs", scenario.path)  # a new worker took over
    assert core_worker.pid != pid


def test_a_worker_found_dead_is_replaced_quietly(core_worker: CoreWorker, scenario: Scenario):
    assert core_worker.call("warm_up")
    pid = core_worker.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while core_worker.running and time.monotonic() < deadline:  # its reader thread reaps it
        time.sleep(0.01)
    assert core_worker.call("list_refs", scenario.path)  # no error: the next call starts a new one
    assert core_worker.pid != pid


def test_stand_ins_keep_attributes_and_refuse_to_travel_back():
    cls = stand_in("uqgui.core.profile", "Profile")
    obj = cls.__new__(cls)
    obj.__setstate__({"name": "master", "downstream": "d"})
    assert isinstance(obj, RemoteObject) and type(obj).__name__ == "Profile"
    assert obj.name == "master" and obj.downstream == "d"
    with pytest.raises(TypeError):
        pickle.dumps(obj)
    assert worker_module.plain(obj).name == "master"


def test_error_info_rebuilds_the_nearest_loadable_class():
    exc = ConflictError("it conflicts", "abc", ["vl.c"], details="stderr")
    again = rebuild_error(error_info(exc))
    assert type(again) is ConflictError and again.paths == ["vl.c"] and again.details == "stderr"
    info = error_info(exc)
    info["chain"] = [("uqgui.core.not_loaded_here", "Special"), *info["chain"]]
    info["title"] = "Special title"
    again = rebuild_error(info)
    assert isinstance(again, ConflictError) and again.title == "Special title"


def test_the_frozen_flag_is_the_app_s():
    from uqgui import app

    assert app.WORKER_FLAG == worker_module.WORKER_FLAG


def test_the_child_loads_no_qt_and_the_gui_process_no_pygit2(scenario: Scenario, tmp_path: Path):
    """Open the scenario in a real (offscreen) app in a fresh process: pygit2 stays out of it."""
    out = tmp_path / "result.json"
    script = textwrap.dedent(f"""
        import asyncio, json, os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ["UQGUI_SETTINGS"] = {str(tmp_path / "s.ini")!r}
        import qasync
        from uqgui.app import create_application
        from uqgui.ui.widgets.main_window import MainWindow
        app = create_application(["t"])
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        window = MainWindow()
        async def go():
            await window.open_repository({str(scenario.path)!r})
            while window.ops.busy:
                await asyncio.sleep(0.02)
            child = window.worker.pid
            with open(f"/proc/{{child}}/maps") as maps:
                child_qt = "libQt6Core" in maps.read()
            result = dict(rows=window.downstream_model.rowCount(), complete=window.downstream_model.listing.complete,
                          pygit2="pygit2" in sys.modules, child_qt=child_qt,
                          match_type=type(window.downstream_model.listing.entries[4].match).__name__)
            with open({str(out)!r}, "w") as f:
                json.dump(result, f)
            window.close()
        with loop:
            loop.run_until_complete(go())
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.exists(), proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result == {"rows": 7, "complete": True, "pygit2": False, "child_qt": False, "match_type": "Match"}


def test_names_spelled_out_on_the_gui_side_are_the_core_s():
    # The GUI process does not load the core's modules (they import pygit2): a few of their
    # constants are spelled out on this side, and held to the core here.
    from uqgui.core import divergence, oplog
    from uqgui.ui.models import oplog as oplog_model
    from uqgui.ui.widgets.details_pane import HOW_WORDS

    hows = {getattr(divergence, n) for n in dir(divergence) if n.startswith("HOW_")}
    assert set(HOW_WORDS) == hows
    assert (oplog_model.DONE, oplog_model.UNDONE, oplog_model.ABORTED) == (oplog.DONE, oplog.UNDONE, oplog.ABORTED)


# A GUI-like parent: starts the worker, then Ctrl+C reaches its whole process group (as a terminal
# sends it), which the parent itself ignores from then on; the worker must not see it.
CTRL_C_PARENT = """
import os, signal, sys, time
from uqgui.ui.worker import CoreWorker
w = CoreWorker()
w.call("open_repository", sys.argv[1])
first = w.pid
signal.signal(signal.SIGINT, signal.SIG_IGN)
os.killpg(os.getpgrp(), signal.SIGINT)
time.sleep(0.5)
w.call("open_repository", sys.argv[1])
print(w.pid == first)  # the same worker still serving, not a replacement
w.close()
print(w.exit_status)
"""


def test_ctrl_c_in_the_terminal_is_the_gui_s_and_never_reaches_the_worker(scenario: Scenario):
    proc = subprocess.run([sys.executable, "-c", CTRL_C_PARENT, str(scenario.path)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, start_new_session=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "0"]
    assert "Traceback" not in proc.stderr and "KeyboardInterrupt" not in proc.stderr


# A worker that starts a long process (as the real one starts git), says its pid, and then will
# not exit when its stdin closes.
STUBBORN_WORKER = """
import subprocess, sys, time
child = subprocess.Popen(["sleep", "60"])
open(sys.argv[1], "w").write(str(child.pid))
while True:
    time.sleep(1)
"""


def _dead(pid: int) -> bool:
    """True when PID is gone or a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_worker_that_will_not_stop_is_killed_with_everything_it_started(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Path):
    """close() waits, then kills the worker's whole process group: its git processes too."""
    said = tmp_path / "child.pid"
    monkeypatch.setattr(worker_module, "CLOSE_WAIT_S", 0.3)
    monkeypatch.setattr(worker_module, "child_command", lambda: [sys.executable, "-c", STUBBORN_WORKER, str(said)])
    w = CoreWorker()
    w.start()
    deadline = time.monotonic() + 30
    while not said.exists() or not said.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    child = int(said.read_text())
    try:
        w.close()
        deadline = time.monotonic() + 10
        while not _dead(child):
            assert time.monotonic() < deadline, "the worker's child outlived it"
            time.sleep(0.05)
    finally:
        if not _dead(child):
            os.kill(child, signal.SIGKILL)
