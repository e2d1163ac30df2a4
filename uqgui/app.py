"""`uqgui [PATH] [--demo]`: the QApplication, the qasync event loop and the main window."""

from __future__ import annotations

import argparse
import gc
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__

# asyncio, Qt and the core are imported inside main(): the prefetch thread starts first.
if TYPE_CHECKING:
    import asyncio

    import qasync

    from PySide6.QtWidgets import QApplication

    from .ui.widgets.main_window import MainWindow

WORKER_THREADS = 4
# The cyclic garbage collector is off while the window starts: start-up creates ~300,000 objects
# (Qt's wrappers, modules) and collecting them again and again cost 10-15 ms of the first paint.
# It comes back this long after the window is shown, with the start-up objects frozen out of it.
STARTUP_GC_PAUSE_S = 2.0
PREFETCH_WAIT_S = 0.15  # longest wait for the prefetch before the first paint
WORKER_FLAG = "--uqgui-core-worker"  # the same flag as uqgui.ui.worker.WORKER_FLAG (a test checks)


def build_parser() -> argparse.ArgumentParser:
    """Command line of the GUI."""
    parser = argparse.ArgumentParser(prog="uqgui", description="A workbench for maintainers of an upstream queue.")
    parser.add_argument("path", nargs="?", help="a clone holding the downstream and upstream trees")
    parser.add_argument("--demo", action="store_true", help="build the demo repository in a temporary folder and open it")
    parser.add_argument("--theme", choices=("system", "light", "dark"), default="system",
                        help="colours: the system's (default), or uqgui's light or dark palette (on the Fusion style)")
    parser.add_argument("--style", help="Qt widget style, e.g. Fusion (default: the system's)")
    parser.add_argument("--version", action="version", version=f"uqgui {__version__}")
    return parser


def create_application(argv: Sequence[str]) -> QApplication:
    """The QApplication with our names, icon and stylesheet (an existing one is reused)."""
    from PySide6.QtWidgets import QApplication

    from .ui import icons
    from .ui.compat import protect_singletons
    from .ui.context import APP_NAME, ORGANIZATION

    protect_singletons()

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(list(argv))
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("uqgui")
    app.setWindowIcon(icons.icon("app"))
    style = icons.data_file("resources", "style.qss")
    if style is not None:
        app.setStyleSheet(style.read_text(encoding="utf-8"))
        # The desktop switching to dark mode (or back) while we run: repolish with its palette.
        from .ui.theme import refresh_style_sheet

        app.styleHints().colorSchemeChanged.connect(lambda _scheme: refresh_style_sheet(app))
    return app


def install_loop_error_handler(loop: asyncio.AbstractEventLoop) -> None:
    """Errors nobody awaited (a failed callback on the loop) go to the same dialog as any other."""
    import asyncio

    from .ui.errors import excepthook

    def handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException) and not isinstance(exc, asyncio.CancelledError):
            excepthook(type(exc), exc, exc.__traceback__)
        else:
            _loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


def main(argv: Sequence[str] | None = None, on_window: Callable[[MainWindow], None] | None = None) -> int:
    """Run the GUI until its last window closes; return the exit status.

    ON_WINDOW is called with the shown window before its first paint and before the event loop
    exists (benchmarks hook in there; QTimer.singleShot(0, ...) runs once the loop does).
    """
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw[:1] == [WORKER_FLAG]:
        # A frozen app started as its own core worker process (uqgui.ui.worker): no Qt, no window.
        from .ui.worker import child_main

        return child_main()
    args = build_parser().parse_args(raw)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(args, on_window, collecting)
    finally:
        if collecting:
            gc.enable()


def resume_collection_after_startup() -> None:
    """Freeze what start-up built (it stays for the whole run) and turn the collector back on."""
    gc.freeze()
    gc.enable()


def _event_loop(app: QApplication) -> qasync.QEventLoop:
    """The qasync loop over APP, set as asyncio's, with our executor, error and signal handlers."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    # A bounded pool: git work is per job, and two cores do not gain from more threads.
    loop.set_default_executor(ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="uqgui-worker"))
    install_loop_error_handler(loop)
    # Ctrl+C in the terminal or a polite kill closes the window normally (its state is saved).
    # The loop's own handler wakes it through its self-pipe; a plain signal.signal() handler would
    # wait until some Python code happens to run.
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, app.quit)
        except (NotImplementedError, RuntimeError):  # not on this platform: keep the default
            pass
    return loop


def _run(args: argparse.Namespace, on_window: Callable[[MainWindow], None] | None, collecting: bool) -> int:
    prefetch = None
    if args.path and not args.demo:
        from .core.quickstart import Prefetch

        # Before Qt is imported: git and the identity cache are read while Python loads Qt, so the
        # first rows are ready by the time the window is (git runs in its own processes; the
        # thread mostly waits on pipes and sqlite, without the GIL).
        prefetch = Prefetch.start(args.path)
    # The core's worker process starts with the window's first request, not here: measured, its
    # start-up (about 0.2 s of imports) competing with this process's Qt import on a two-core
    # machine delayed the window by 65 ms and brought the states no sooner.
    from concurrent.futures import TimeoutError as FutureTimeout

    from .ui.worker import close_shared_worker

    # PySide6 before qasync: qasync takes the Qt binding already imported, instead of trying to
    # import PyQt5, PyQt6 and PySide2 first.
    import PySide6.QtWidgets  # noqa: F401

    from .ui.errors import install_excepthook
    from .ui.widgets.main_window import MainWindow

    app = create_application(sys.argv[:1])
    if args.theme != "system" or args.style:
        from .ui.theme import apply_theme

        try:
            apply_theme(app, args.theme, args.style)
        except ValueError as exc:
            build_parser().error(str(exc))
    install_excepthook()
    window = MainWindow(defer_details=True)
    if prefetch is not None:
        # Its git commands are usually done by now, but the thread may still wait for the GIL,
        # which Qt's module set-up holds for long stretches: waiting here lets it finish (a few ms)
        # so the first paint shows rows, rather than painting empty lists and rows a loop turn later.
        try:
            prefetch.future.result(timeout=PREFETCH_WAIT_S)
        except FutureTimeout:
            pass  # git is slow today: the rows come when it is done
        window.adopt_prefetch(prefetch)
    window.show()
    if on_window is not None:
        on_window(window)
    # The first paint happens here, before asyncio and qasync are imported and the loop is made
    # (about 25 ms of start-up that the rows need not wait for). Where the window system has not
    # exposed the window yet, it paints once the loop runs instead. Input waits for the loop: an
    # action run now would find no event loop for its work.
    from PySide6.QtCore import QEventLoop

    app.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    loop = _event_loop(app)
    if args.demo:
        loop.call_soon(window.open_demo)
    elif args.path:
        loop.call_soon(window.open_repository, args.path, prefetch)
    elif (recent := window.ctx.recent_repositories()) and Path(recent[0]).exists():
        from .core.quickstart import Prefetch

        loop.call_soon(window.open_repository, recent[0], Prefetch.start(recent[0]))
    if collecting:
        loop.call_later(STARTUP_GC_PAUSE_S, resume_collection_after_startup)
    try:
        with loop:
            status = loop.run_forever()
    finally:
        close_shared_worker()
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
