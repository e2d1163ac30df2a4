"""The core knows no Qt: importing every uqgui.core module must not load PySide6, shiboken6 or qasync."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import uqgui.core


def test_no_core_module_imports_qt() -> None:
    """Import each core module in a fresh interpreter and check no Qt module got loaded."""
    names = [m.name for m in pkgutil.walk_packages(uqgui.core.__path__, "uqgui.core.")]
    assert "uqgui.core.divergence" in names and len(names) >= 10
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync'))\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "", f"uqgui.core loaded Qt modules: {proc.stdout}"


def test_cli_does_not_import_qt() -> None:
    """The headless `uq` command works on machines without a display: it must not load Qt either."""
    code = "import sys, uqgui.cli; print(any(m.startswith('PySide6') for m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"
