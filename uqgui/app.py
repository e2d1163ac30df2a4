"""`uqgui [PATH] [--demo]`: the QApplication, the qasync event loop and the main window."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

WORKER_THREADS = 4


def build_parser() -> argparse.ArgumentParser:
    """Command line of the GUI."""
    parser = argparse.ArgumentParser(prog="uqgui", description="A workbench for maintainers of an upstream queue.")
    parser.add_argument("path", nargs="?", help="a clone holding the downstream and upstream trees")
    parser.add_argument("--demo", action="store_true", help="build the demo repository in a temporary folder and open it")
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
    return app


def install_loop_error_handler(loop: asyncio.AbstractEventLoop) -> None:
    """Errors nobody awaited (a failed callback on the loop) go to the same dialog as any other."""
    from .ui.errors import excepthook

    def handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException) and not isinstance(exc, asyncio.CancelledError):
            excepthook(type(exc), exc, exc.__traceback__)
        else:
            _loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the GUI until its last window closes; return the exit status."""
    args = build_parser().parse_args(argv)
    import qasync

    from .ui.errors import install_excepthook
    from .ui.widgets.main_window import MainWindow

    app = create_application(sys.argv[:1])
    install_excepthook()
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
    window = MainWindow()
    window.show()
    if args.demo:
        loop.call_soon(window.open_demo)
    elif args.path:
        loop.call_soon(window.open_repository, args.path)
    elif (recent := window.ctx.recent_repositories()) and Path(recent[0]).exists():
        loop.call_soon(window.open_repository, recent[0])
    with loop:
        status = loop.run_forever()
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
