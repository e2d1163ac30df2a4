"""Take README screenshots of the main window on the demo repository.

    xvfb-run -a -s '-screen 0 1600x1000x24' python packaging/screenshot.py docs/main.png
    python packaging/screenshot.py OUT.png --repo PATH --tab diff --state landed-morphed
    python packaging/screenshot.py docs/dark.png --theme dark --tab diff --side-by-side

It opens the demo (built in a temporary folder) or --repo, waits until both panes are filled,
selects a commit of the chosen state, shows the chosen details tab, and saves the window as PNG.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

TABS = {"message": 0, "diff": 1, "files": 2, "match": 3}
TIMEOUT_S = 600


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path, help="PNG file to write")
    parser.add_argument("--repo", type=Path, help="open this repository instead of building the demo")
    parser.add_argument("--size", default="1500x940", help="window size WxH (default 1500x940)")
    parser.add_argument("--state", default="landed-morphed",
                        help="select a commit in this display state (remaining, queued, landed-exact, "
                             "landed-morphed, no-diff)")
    parser.add_argument("--tab", choices=sorted(TABS), default="match", help="details tab to show")
    parser.add_argument("--history", action="store_true", help="show the operation history dock")
    parser.add_argument("--theme", choices=("system", "light", "dark"), default="system",
                        help="the palette (light and dark use the Fusion style)")
    parser.add_argument("--style", help="Qt widget style (e.g. Fusion)")
    parser.add_argument("--side-by-side", action="store_true", help="show the diff side by side")
    return parser.parse_args(argv)


async def shoot(args: argparse.Namespace) -> int:
    """Open, wait for the data, select, grab."""
    from PySide6.QtWidgets import QApplication

    from uqgui.ui.models.downstream import STATE_ROLE
    from uqgui.ui.widgets.main_window import MainWindow

    window = MainWindow()
    width, height = (int(v) for v in args.size.split("x"))
    window.resize(width, height)
    window.show()
    task = window.open_repository(args.repo) if args.repo else window.open_demo()
    await asyncio.wait_for(task, TIMEOUT_S)
    while window.ops.busy:
        await asyncio.sleep(0.05)
    if window.divergence is None:
        print("screenshot: the divergence did not load", file=sys.stderr)
        return 1
    view = window.downstream_pane.view
    model = view.model()
    for row in range(model.rowCount()):
        if model.index(row, 0).data(STATE_ROLE) == args.state:
            view.setCurrentIndex(model.index(row, 0))
            break
    else:
        if model.rowCount():
            view.setCurrentIndex(model.index(0, 0))
    window.details_pane.tabs.setCurrentIndex(TABS[args.tab])
    window.details_pane.diff.set_side_by_side(args.side_by_side)
    if args.history:
        window.history_dock.show()
    while window.ops.busy:
        await asyncio.sleep(0.05)
    for _ in range(10):  # let layouts and highlighters settle
        QApplication.processEvents()
        await asyncio.sleep(0.05)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(args.output), "PNG")
    print(f"screenshot: {'wrote' if ok else 'could not write'} {args.output}")
    window.close()
    while window.ops.busy:  # let cancelled jobs wind down before the loop ends
        await asyncio.sleep(0.05)
    from uqgui.ui.worker import close_shared_worker

    close_shared_worker()
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    """Run one screenshot session."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")
    import qasync

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from uqgui.app import create_application
    from uqgui.ui.errors import install_excepthook

    app = create_application([sys.argv[0]])
    if args.theme != "system" or args.style:
        from uqgui.ui.theme import apply_theme

        apply_theme(app, args.theme, args.style)
    install_excepthook()
    # Screenshots must not depend on (or disturb) the user's window state and recent list.
    os.environ["UQGUI_SETTINGS"] = str(Path(tempfile.mkdtemp(prefix="uqgui-shot-")) / "uqgui.ini")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        return int(loop.run_until_complete(shoot(args)) or 0)


if __name__ == "__main__":
    sys.exit(main())
