"""Frozen entry point of `uq` (the console script `uq = uqgui.cli:main`).

Named launch_*.py, not uq.py/uqgui.py: PyInstaller puts this folder first on sys.path,
and a script called uqgui.py would shadow the uqgui package.
"""

import sys

from uqgui.cli import main

if __name__ == "__main__":
    sys.exit(main())
