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


def test_a_task_waiting_for_the_user_is_not_busy_and_is_busy_again_from_the_answer(qtbot, runner):
    states = []
    runner.busy_changed.connect(states.append)
    asked = []

    async def go():
        await runner.run("undo", "Undoing", lambda report: None)
        question = runner.ask()
        asked.append(question)
        answer = await question
        await runner.run("undo", "Undoing anyway", lambda report: answer)
        return answer

    task = runner.spawn(go())
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT_MS)
    assert not runner.busy and runner.current() is None and states[-1] is False
    runner.answer(asked[0], "yes")
    assert runner.busy and states[-1] is True  # at once: a check right after the answer sees it busy
    runner.answer(asked[0], "no")  # a dialog may report both its button and its closing: the first counts
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    assert task.result() == "yes" and not runner.busy and states[-1] is False


def test_cancel_all_ends_a_task_waiting_for_the_user(qtbot, runner):
    asked = []

    async def go():
        asked.append(runner.ask())
        await asked[0]

    task = runner.spawn(go())
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT_MS)
    assert not runner.busy
    runner.cancel_all()
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    assert task.cancelled() and not runner.busy
    runner.answer(asked[0], True)  # the dialog closing after the window gave up on it
    assert not runner.busy


def test_a_failed_job_names_itself_and_a_cancelled_one_does_not(qtbot, runner):
    errored = []
    runner.job_errored.connect(lambda key, label, exc: errored.append((key, label, exc)))

    def broken(report):
        raise UqError("it conflicts", title="Conflict")

    async def go():
        await runner.run("command", "Picking 1 commit", broken)

    task = runner.spawn(go())
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    assert [(k, label, e.title) for k, label, e in errored] == [("command", "Picking 1 commit", "Conflict")]

    release = threading.Event()

    def waits(report):
        while not release.wait(0.02):
            report("waiting", 0, 0)

    async def cancelled():
        await runner.run("command", "Waiting", waits)

    task = runner.spawn(cancelled())
    qtbot.waitUntil(lambda: runner.current() is not None, timeout=WAIT_MS)
    runner.cancel()
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    release.set()
    assert len(errored) == 1
