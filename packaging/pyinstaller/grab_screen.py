"""Save the whole X screen ($DISPLAY) as a PNG, with Qt: no imagemagick or xwd needed.

    python packaging/pyinstaller/grab_screen.py OUT.png

Used to photograph the bundled GUI under Xvfb (see tests/test_bundle.py). Runs with the
project's venv Python, not from the bundle.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: grab_screen.py OUT.png", file=sys.stderr)
        return 2
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv[:1])
    screen = app.primaryScreen()
    if screen is None:
        print("grab_screen: no screen", file=sys.stderr)
        return 1
    pixmap = screen.grabWindow(0)  # 0: the root window, i.e. everything on the screen
    if pixmap.isNull() or not pixmap.save(argv[0], "PNG"):
        print(f"grab_screen: could not grab or save {argv[0]}", file=sys.stderr)
        return 1
    print(f"{argv[0]}: {pixmap.width()}x{pixmap.height()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
