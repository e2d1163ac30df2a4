"""`python -m uqgui`: the GUI, as the `uqgui` command."""

import sys

from .app import main

sys.exit(main())
