"""Frozen entry point of the GUI (the gui script `uqgui = uqgui.app:main`)."""

import sys

from uqgui.app import main

if __name__ == "__main__":
    sys.exit(main())
