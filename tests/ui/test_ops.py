"""Background jobs: results on the GUI thread, progress, cancel, late results dropped, errors reported."""

from __future__ import annotations

import threading
import time

import pytest

from uqgui.core.errors import UqError
from uqgui.ui.ops import Cancelled, OpRunner, Superseded

WAIT_MS = 10_000


@pytest.fixture
def runner(qt_loop):
    return OpRunner()


def test_result_progress_and_worker_thread(qtbot, runner):
    seen_threads = []
    progress = []
    runner.progressed.connect(lambda text, done, total: progress.append((text, done, total)))

    def work(report):
        seen_threads.append(threading.current_thread())
        for i in range(3):
            report("Counting", i + 1, 3)
            time.sleep(0.06)
        return 42

    async def go():
        return await runner.run("count", "Counting things", work)

    task = runner.spawn(go())
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    assert task.result() == 42
    assert seen_threads[0] is not threading.main_thread()
    assert ("Counting things: Counting", 3, 3) in progress
    qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT_MS)


def test_cancel_stops_the_worker(qtbot, runner):
    stopped = threading.Event()

    def work(report):
        try:
            while True:
                report("Spinning", 0, 0)
                time.sleep(0.01)
        except Cancelled:
            stopped.set()
            raise

    async def go():
        await runner.run("spin", "Spinning", work)

    task = runner.spawn(go())
    qtbot.waitUntil(lambda: runner.current() is not None, timeout=WAIT_MS)
    runner.cancel()
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    assert task.cancelled()
    assert stopped.wait(5), "the worker did not see the cancel"
    qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT_MS)


def test_newer_job_with_the_same_key_drops_the_late_result(qtbot, runner):
    release = threading.Event()

    def slow(report):
        release.wait(5)
        return "old"

    async def first():
        return await runner.run("details", "first", slow, cancellable=False)

    async def second():
        return await runner.run("details", "second", lambda report: "new")

    old = runner.spawn(first())
    qtbot.waitUntil(lambda: runner.current() is not None, timeout=WAIT_MS)
    new = runner.spawn(second())
    qtbot.waitUntil(new.done, timeout=WAIT_MS)
    release.set()
    qtbot.waitUntil(old.done, timeout=WAIT_MS)
    assert new.result() == "new"
    assert isinstance(old.exception(), Superseded)


def test_errors_are_reported_once(qtbot, runner):
    failures = []
    runner.job_failed.connect(failures.append)

    def broken(report):
        raise UqError("no such thing", title="Broken")

    async def go():
        await runner.run("x", "Breaking", broken)

    task = runner.spawn(go())
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    assert len(failures) == 1 and failures[0].title == "Broken"


def test_async_job_reports_progress_and_cancels_where_it_awaits(qtbot, runner):
    import asyncio

    progress = []
    runner.progressed.connect(lambda text, done, total: progress.append((text, done, total)))
    reached = []

    async def work(report):
        report("Fetching", 1, 4)
        reached.append(True)
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            reached.append("cancelled")
            raise

    async def go():
        await runner.run_async("fetch", "Fetching things", work)

    task = runner.spawn(go())
    qtbot.waitUntil(lambda: bool(reached), timeout=WAIT_MS)
    assert ("Fetching things: Fetching", 1, 4) in progress
    runner.cancel()
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    assert task.cancelled() and reached[-1] == "cancelled"
    qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT_MS)
