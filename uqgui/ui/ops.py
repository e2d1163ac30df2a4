"""Run work off the GUI thread: asyncio.to_thread on the qasync loop, progress, cancel, tokens.

Each job gets a function taking a progress callback; it runs in a thread. The window's jobs mostly
hand the work on to the core worker process (uqgui.ui.worker) and wait there without the GIL;
run_async() awaits a coroutine instead (an asyncio subprocess such as git fetch). A newer job
with the same key supersedes an older one: the older one is asked to stop and its late result is
dropped (git-cola's token idea). Cancelling asks the work to stop at its next progress report
(the progress function's `stop` event lets a waiting call notice sooner) and cancels the task.
A task waiting for a person's answer (ask/answer) is not busy: nothing runs meanwhile.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from .worker import WorkerCancelled

# asyncio is imported where it is used, not here: the window paints its first rows before the
# application imports asyncio and qasync (~25 ms of start-up), and this module comes before that.
if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")
ProgressFn = Callable[[str, int, int], None]

PROGRESS_INTERVAL = 0.05  # seconds between two progress reports reaching the GUI


class Cancelled(Exception):
    """Raised inside a worker when its job was cancelled or superseded."""


class Superseded(Exception):
    """A job's result arrived after a newer job with the same key started: it is dropped."""


@dataclass
class Job:
    """One running piece of background work."""

    id: int
    key: str
    label: str
    cancellable: bool
    stop: threading.Event = field(default_factory=threading.Event)
    stage: str = ""
    done: int = 0
    total: int = 0
    task: asyncio.Future[Any] | None = None


class OpRunner(QObject):
    """Runs jobs in worker threads and reports their progress as Qt signals on the GUI thread."""

    progressed = Signal(str, int, int)  # label of the visible job, done, total (0: unknown)
    busy_changed = Signal(bool)
    job_failed = Signal(object)  # the exception of a spawned coroutine
    job_errored = Signal(str, str, object)  # key, label and error of a job that failed (not cancelled)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._jobs: dict[int, Job] = {}
        self._latest: dict[str, int] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        # Spawned tasks waiting for a person's answer, by the future the answer settles: not busy.
        self._waiting: dict[asyncio.Future[Any], asyncio.Task[Any]] = {}

    # -- state ------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """True while a job runs or a spawned coroutine is pending (not one waiting for the user's answer)."""
        return bool(self._jobs) or bool(self._tasks)

    def jobs(self) -> list[Job]:
        """Running jobs, oldest first."""
        return list(self._jobs.values())

    def current(self) -> Job | None:
        """The job the status bar shows: the newest one."""
        return next(reversed(self._jobs.values()), None) if self._jobs else None

    # -- running ----------------------------------------------------------------------
    async def run(self, key: str, label: str, work: Callable[[ProgressFn], T], cancellable: bool = True) -> T:
        """Run WORK(progress) in a thread; raise Superseded if a newer KEY job started meanwhile."""
        import asyncio

        loop = asyncio.get_running_loop()
        previous = self._latest.get(key)
        if previous is not None and previous in self._jobs and self._jobs[previous].cancellable:
            self._jobs[previous].stop.set()
        job = Job(next(self._ids), key, label, cancellable, task=asyncio.current_task())
        self._latest[key] = job.id
        self._add(job)
        last = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            if job.stop.is_set():
                raise Cancelled(label)
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL or (total and done >= total):
                last[0] = now
                loop.call_soon_threadsafe(self._report, job.id, stage, done, total)

        # Work that waits on a worker process polls this to stop waiting when the job is cancelled.
        progress.stop = job.stop  # type: ignore[attr-defined]
        try:
            result = await asyncio.to_thread(work, progress)
        except WorkerCancelled as exc:  # the worker process stopped it for us: a cancel like any other
            job.stop.set()
            raise Cancelled(label) from exc
        except BaseException as exc:
            job.stop.set()  # a cancelled await leaves the thread running: make it stop early
            self._errored(job, exc)
            raise
        finally:
            self._remove(job)
        if self._latest.get(key) != job.id:
            raise Superseded(label)
        return result

    async def run_async(self, key: str, label: str, work: Callable[[ProgressFn], Awaitable[T]],
                        cancellable: bool = True) -> T:
        """Await WORK(progress) on the loop (an asyncio subprocess): a job in the status bar like run().

        Cancel cancels the awaiting task, so WORK sees CancelledError where it awaits.
        """
        import asyncio

        previous = self._latest.get(key)
        if previous is not None and previous in self._jobs and self._jobs[previous].cancellable:
            old = self._jobs[previous]
            old.stop.set()
            if old.task is not None:
                old.task.cancel()
        job = Job(next(self._ids), key, label, cancellable, task=asyncio.current_task())
        self._latest[key] = job.id
        self._add(job)
        last = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL or (total and done >= total):
                last[0] = now
                self._report(job.id, stage, done, total)

        try:
            return await work(progress)
        except BaseException as exc:
            self._errored(job, exc)
            raise
        finally:
            self._remove(job)

    def _errored(self, job: Job, exc: BaseException) -> None:
        """Say that JOB failed with EXC, unless it was only stopped (a cancel is no failure)."""
        # asyncio.CancelledError is a BaseException, not an Exception.
        if isinstance(exc, Exception) and not isinstance(exc, (Cancelled, Superseded)):
            self.job_errored.emit(job.key, job.label, exc)

    def ask(self) -> asyncio.Future[Any]:
        """A question for the user, settled by answer(): until then the asking task is not busy.

        Nothing runs while a person decides: the status bar must show no work and no cancel button.
        """
        import asyncio

        task = asyncio.current_task()
        question: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if task is not None and task in self._tasks:
            self._tasks.discard(task)
            self._waiting[question] = task
            if not self.busy:
                self.busy_changed.emit(False)
        return question

    def answer(self, question: asyncio.Future[Any], value: Any) -> None:
        """Settle QUESTION with VALUE, once; the task that asked is busy again from now, not a loop turn later."""
        self._resume(question)
        if not question.done():
            question.set_result(value)

    def _resume(self, question: asyncio.Future[Any]) -> None:
        task = self._waiting.pop(question, None)
        if task is None or task.done():
            return
        became_busy = not self.busy
        self._tasks.add(task)
        if became_busy:
            self.busy_changed.emit(True)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Start COROUTINE as a task; errors other than cancellation go to job_failed."""
        import asyncio

        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        became_busy = len(self._tasks) == 1 and not self._jobs
        if became_busy:
            self.busy_changed.emit(True)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        for question in [q for q, t in self._waiting.items() if t is task]:
            del self._waiting[question]  # it ended (cancelled, say) before its question was answered
        if not task.cancelled():
            exc = task.exception()
            if exc is not None and not isinstance(exc, (Superseded, Cancelled)):
                self.job_failed.emit(exc)
        if not self.busy:
            self.busy_changed.emit(False)

    def cancel(self) -> None:
        """Cancel every cancellable job (the status bar's cancel button)."""
        for job in list(self._jobs.values()):
            if job.cancellable:
                job.stop.set()
                if job.task is not None:
                    job.task.cancel()

    def cancel_all(self) -> None:
        """Cancel everything, including spawned coroutines (closing the window)."""
        for job in list(self._jobs.values()):
            job.stop.set()
        for task in [*self._tasks, *self._waiting.values()]:
            task.cancel()

    # -- bookkeeping on the GUI thread ------------------------------------------------
    def _add(self, job: Job) -> None:
        self._jobs[job.id] = job
        if len(self._jobs) == 1 and not self._tasks:
            self.busy_changed.emit(True)
        self.progressed.emit(job.label, 0, 0)

    def _remove(self, job: Job) -> None:
        self._jobs.pop(job.id, None)
        current = self.current()
        if current is not None:
            self.progressed.emit(_describe(current), current.done, current.total)
        if not self.busy:
            self.busy_changed.emit(False)

    def _report(self, job_id: int, stage: str, done: int, total: int) -> None:
        job = self._jobs.get(job_id)
        if job is None:
            return
        job.stage, job.done, job.total = stage, done, total
        if job is self.current():
            self.progressed.emit(_describe(job), done, total)


def _describe(job: Job) -> str:
    return f"{job.label}: {job.stage}" if job.stage and job.stage != job.label else job.label
