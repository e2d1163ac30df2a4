"""The core in a worker process: the GUI process never loads pygit2 and never shares a GIL with git work.

Why a process and not threads: Python work in any thread of the GUI process holds the GIL
against the GUI thread. Measured on the benchmark repository: importing pygit2 and the core
(about 90 ms, with single C calls such as loading the TLS certificates holding the GIL for tens
of milliseconds) stalled the event loop 45-90 ms, and a busy worker thread made painting 50 rows
take 15-50 ms instead of 1-2 ms. In a child process none of that touches the GUI.

The protocol is private to this module: length-prefixed pickles over the child's stdin/stdout.
A request names a function of `uqgui.ui.queries` (a fixed list) and its arguments; the child
runs it on a thread pool, streams progress, honours cancel requests at the next progress report
and answers with the result, a UqError (rebuilt here as the same class when this process can
load it without pygit2), or a crash with the child's traceback.

Results are core objects. Their classes live in modules that import pygit2, so this process
unpickles them as RemoteObject stand-ins: same class name, same attributes, no methods. This
module and what it imports stay free of Qt, so the child starts fast and a test can drive it.
"""

from __future__ import annotations

import atexit
import io
import itertools
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from types import SimpleNamespace
from typing import IO, Any

from ..core.errors import UqError
from ..core.listing import read_listing_answer, write_listing_answer

WORKER_FLAG = "--uqgui-core-worker"  # the frozen GUI executable runs the child with this flag
PROGRESS_EVERY_S = 0.05
CLOSE_WAIT_S = 2.0  # how long close() lets the child finish its running jobs before killing it
POLL_S = 0.1  # how often a waiting caller checks whether its job was cancelled
CHILD_THREADS = 4
# The worker yields the CPU to the GUI: measured with a cold cache on two cores, its threads and
# git processes at the GUI's priority starved the GUI thread for 50-70 ms at a time.
WORKER_NICENESS = 5
# What the GUI may ask for: functions of uqgui.ui.queries taking (*args, progress).
FUNCTIONS = frozenset({
    "open_repository", "load_queue_state", "current_fingerprint", "load_listing", "run_pick", "run_reorder",
    "run_add_profile", "undo", "redo", "undo_anyway", "redo_anyway", "list_refs", "profile_refs", "build_demo",
    "load_details", "warm_up", "record_fetch",
})
LISTING_RESULTS = frozenset({"load_listing"})  # answered in slices (see uqgui.core.listing)
# Modules whose classes this process may load for real: they import neither Qt nor pygit2.
SAFE_MODULES = frozenset({"uqgui.core.errors", "uqgui.core.listing", "uqgui.core.names"})
_HEADER = struct.Struct("!Q")
_CANCEL = "__cancel__"


class WorkerError(Exception):
    """The worker process failed in an unexpected way (a bug): the child's traceback comes along."""

    def __init__(self, message: str, remote_traceback: str = "") -> None:
        super().__init__(message)
        self.remote_traceback = remote_traceback


class WorkerCancelled(Exception):
    """The child stopped the job because it was asked to."""


# -- stand-ins for core objects ------------------------------------------------------------------
class RemoteObject:
    """A core object received from the worker: its attributes, without its class (not loaded here)."""

    _remote_module = ""

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2:  # (__dict__, __slots__ values)
            for part in state:
                if part:
                    self.__dict__.update(part)
        elif isinstance(state, dict):
            self.__dict__.update(state)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted((k, repr(v)) for k, v in vars(self).items()))))

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in list(vars(self).items())[:6])
        return f"{type(self).__name__}({fields})"

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Sending one back would need its real class: pass plain values to the worker instead.
        raise TypeError(f"a {type(self).__name__} received from the worker cannot be sent back; pass plain values")


_stand_ins: dict[tuple[str, str], type] = {}


def stand_in(module: str, name: str) -> type:
    """The RemoteObject subclass standing for MODULE.NAME (one per class, so type names still tell)."""
    key = (module, name)
    if key not in _stand_ins:
        _stand_ins[key] = type(name, (RemoteObject,), {"_remote_module": module, "__module__": __name__})
    return _stand_ins[key]


def _loadable(module: str) -> bool:
    return module in sys.modules or module in SAFE_MODULES or not module.startswith("uqgui.")


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if _loadable(module):
            return super().find_class(module, name)
        return stand_in(module, name)


def loads(data: bytes) -> Any:
    """Unpickle DATA from the worker, with stand-ins for classes that would load pygit2."""
    return _Unpickler(io.BytesIO(data)).load()


def load(stream: IO[bytes]) -> Any:
    """Unpickle the next pickle of STREAM, as loads() does."""
    return _Unpickler(stream).load()


def plain(obj: Any) -> Any:
    """A picklable copy of a received object's attributes (to send one back, e.g. a Match)."""
    return None if obj is None else SimpleNamespace(**vars(obj))


# -- errors across the process boundary ------------------------------------------------------------
def error_info(exc: UqError) -> dict[str, Any]:
    """What the parent needs to rebuild EXC: its class chain, title, message, details and attributes."""
    chain = [(c.__module__, c.__qualname__) for c in type(exc).__mro__ if issubclass(c, UqError)]
    state = {k: v for k, v in vars(exc).items() if _picklable(v)}
    return {"chain": chain, "title": exc.title, "message": exc.message, "details": exc.details, "state": state}


def _picklable(value: Any) -> bool:
    try:
        pickle.dumps(value)
    except Exception:  # noqa: BLE001 (anything unpicklable is left out, never fatal)
        return False
    return True


def rebuild_error(info: dict[str, Any]) -> UqError:
    """The child's UqError as the closest class this process can load (the real one, or a base)."""
    import importlib

    cls: type[UqError] = UqError
    for module, qualname in info["chain"]:
        if not _loadable(module):
            continue
        found: Any = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part, None)
        if isinstance(found, type) and issubclass(found, UqError):
            cls = found
            break
    exc = cls.__new__(cls)
    Exception.__init__(exc, info["message"])
    exc.__dict__.update(info["state"])
    exc.message, exc.details, exc.title = info["message"], info["details"], info["title"]
    return exc


# -- framing ----------------------------------------------------------------------------------------
def _send(stream: IO[bytes], lock: threading.Lock, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    with lock:
        stream.write(_HEADER.pack(len(data)) + data)
        stream.flush()


def _recv(stream: IO[bytes]) -> bytes | None:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(head)
    data = stream.read(size)
    return data if len(data) == size else None


# -- the parent side ----------------------------------------------------------------------------------
def child_command() -> list[str]:
    """How to start the worker (a frozen app runs its own executable with WORKER_FLAG)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, WORKER_FLAG]
    return [sys.executable, "-m", "uqgui.ui.worker"]


class CoreWorker:
    """One worker process; call() blocks the calling thread (a job thread, never the GUI thread)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()  # start/stop
        self._write_lock = threading.Lock()
        self._calls: dict[int, queue.Queue[tuple[Any, ...]]] = {}
        self._ids = itertools.count(1)
        self.env_key: tuple[tuple[str, str], ...] = ()
        self.exit_status: int | None = None

    @property
    def running(self) -> bool:
        """True while the child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The child's process id, once started."""
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        """Start the child now (it imports the core while the caller goes on)."""
        with self._lock:
            if self.running:
                return
            self.env_key = _env_key()
            # Its own session: Ctrl+C in the terminal is the GUI's to handle (it closes the window,
            # which closes this child); sent to the child and its git too, it printed a
            # KeyboardInterrupt traceback. The child still ends when the GUI goes: its stdin closes.
            self._proc = subprocess.Popen(child_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          env=dict(os.environ), start_new_session=True)
            threading.Thread(target=self._read, args=(self._proc,), name="uqgui-worker-reader", daemon=True).start()

    def close(self) -> None:
        """Stop the child (its pending calls fail)."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            assert proc.stdin is not None
            proc.stdin.close()  # EOF: the child exits after its running jobs
        except OSError:
            pass
        try:
            proc.wait(CLOSE_WAIT_S)
        except subprocess.TimeoutExpired:
            # The whole group: the child leads its own session, and a git it started writes to a
            # file, not a pipe, so it would not die of a broken pipe and would run to its end.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                proc.kill()
            proc.wait()

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        while True:
            data = _recv(proc.stdout)
            if data is None:
                break
            message = loads(data)
            target = self._calls.get(message[1])
            if target is not None:
                target.put(message)
        status = proc.wait()
        self.exit_status = status
        for target in list(self._calls.values()):
            target.put(("died", 0, status))

    def call(self, name: str, *args: Any, progress: Callable[[str, int, int], None] | None = None) -> Any:
        """Run queries.NAME(*ARGS, progress) in the child and return its result (or raise its error).

        PROGRESS gets the child's reports; when it raises (the job was cancelled or superseded)
        or its `stop` event is set, the child is told to stop and the exception goes on.
        """
        if name not in FUNCTIONS:
            raise ValueError(f"{name} is not a worker function")
        self.start()
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        req_id = next(self._ids)
        answers: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._calls[req_id] = answers
        stop: threading.Event | None = getattr(progress, "stop", None)
        if stop is not None and stop.is_set():
            raise WorkerCancelled(name)
        try:
            try:
                _send(proc.stdin, self._write_lock, (req_id, name, args))
            except (OSError, ValueError) as exc:
                raise UqError("The core worker process is not running; try again.", details=str(exc),
                              title="Worker stopped") from exc
            while True:
                try:
                    message = answers.get(timeout=POLL_S)
                except queue.Empty:
                    if stop is not None and stop.is_set():
                        self._cancel(proc, req_id)
                        raise WorkerCancelled(name) from None
                    continue
                kind = message[0]
                if kind == "progress":
                    if progress is not None:
                        try:
                            progress(message[2], message[3], message[4])
                        except BaseException:
                            self._cancel(proc, req_id)
                            raise
                    continue
                return self._answer(name, message)
        finally:
            self._calls.pop(req_id, None)

    def _answer(self, name: str, message: tuple[Any, ...]) -> Any:
        kind = message[0]
        if kind == "ok":
            return message[2]
        if kind == "ok-listing":
            return read_listing_answer(message[2], load)
        if kind == "error":
            raise rebuild_error(message[2])
        if kind == "cancelled":
            raise WorkerCancelled(name)
        if kind == "crash":
            raise WorkerError(f"{message[2]} in the core worker ({name})", message[3])
        raise UqError(f"The core worker process stopped unexpectedly (exit status {message[2]}) while running "
                      f"{name}. It restarts by itself: try again, and report the problem if it comes back.",
                      title="Worker stopped")

    def _cancel(self, proc: subprocess.Popen[bytes], req_id: int) -> None:
        try:
            assert proc.stdin is not None
            _send(proc.stdin, self._write_lock, (0, _CANCEL, (req_id,)))
        except (OSError, ValueError):
            pass


def _env_key() -> tuple[tuple[str, str], ...]:
    return tuple(sorted(os.environ.items()))


_shared: CoreWorker | None = None
_shared_lock = threading.Lock()


def shared_worker() -> CoreWorker:
    """The process-wide worker, restarted when the environment changed (tests give each its own HOME)."""
    global _shared
    with _shared_lock:
        if _shared is not None and _shared.env_key and _shared.env_key != _env_key():
            _shared.close()
            _shared = None
        if _shared is None:
            _shared = CoreWorker()
            atexit.register(_shared.close)
        return _shared


def start_shared_worker() -> CoreWorker:
    """Start the shared worker now (at program start: its imports overlap with Qt's)."""
    worker = shared_worker()
    worker.start()
    return worker


def close_shared_worker() -> None:
    """Stop the shared worker, if any."""
    global _shared
    with _shared_lock:
        worker, _shared = _shared, None
    if worker is not None:
        worker.close()


# -- the child side ------------------------------------------------------------------------------------
class _Stop(Exception):
    """Raised in a job of the child when the parent cancelled it."""


def child_main() -> int:
    """Serve requests on stdin until it closes."""
    from concurrent.futures import ThreadPoolExecutor

    from . import queries

    if hasattr(os, "nice"):
        try:
            os.nice(WORKER_NICENESS)  # before any thread starts: they and git inherit it
        except OSError:
            pass
    stdin = sys.stdin.buffer
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print() must not corrupt the protocol
    lock = threading.Lock()
    cancels: dict[int, threading.Event] = {}

    def run(req_id: int, name: str, args: tuple[Any, ...], stop: threading.Event) -> None:
        last = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            if stop.is_set():
                raise _Stop()
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S or (total and done >= total):
                last[0] = now
                _send(out, lock, ("progress", req_id, stage, done, total))

        try:
            result = getattr(queries, name)(*args, progress)
            if name in LISTING_RESULTS:
                buffer = io.BytesIO()
                write_listing_answer(buffer, *result)
                _send(out, lock, ("ok-listing", req_id, buffer.getvalue()))
            else:
                _send(out, lock, ("ok", req_id, result))
        except _Stop:
            _send(out, lock, ("cancelled", req_id))
        except UqError as exc:
            _send(out, lock, ("error", req_id, error_info(exc)))
        except BaseException as exc:  # noqa: BLE001 (a bug: the parent shows it with this traceback)
            _send(out, lock, ("crash", req_id, f"{type(exc).__name__}: {exc}", traceback.format_exc()))
        finally:
            cancels.pop(req_id, None)

    with ThreadPoolExecutor(CHILD_THREADS, thread_name_prefix="uqgui-core") as pool:
        while True:
            data = _recv(stdin)
            if data is None:
                break
            req_id, name, args = pickle.loads(data)
            if name == _CANCEL:
                event = cancels.get(args[0])
                if event is not None:
                    event.set()
                continue
            if name not in FUNCTIONS:
                _send(out, lock, ("crash", req_id, f"unknown function {name}", ""))
                continue
            cancels[req_id] = threading.Event()
            pool.submit(run, req_id, name, args, cancels[req_id])
        for event in cancels.values():  # the parent is gone: stop what runs
            event.set()
    return 0


if __name__ == "__main__":
    # As `python -m`, this file is __main__: serve through the importable module, whose classes
    # are the ones the parent knows.
    from uqgui.ui.worker import child_main as _child_main

    sys.exit(_child_main())
