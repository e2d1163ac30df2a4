"""Typing: mypy --strict finds nothing in uqgui/core and the CLI, and plain mypy nothing in the GUI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_core_and_cli_pass_mypy_strict(tmp_path: Path) -> None:
    """Type errors in the core are bugs waiting for an odd repository: keep it strict."""
    pytest.importorskip("mypy")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--ignore-missing-imports", "--cache-dir", str(tmp_path / "mypy"),
         "uqgui/core", "uqgui/cli.py"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_gui_passes_mypy(tmp_path: Path) -> None:
    """The GUI is checked too (not strictly: Qt's overrides and signals are loosely typed)."""
    pytest.importorskip("mypy")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--ignore-missing-imports", "--cache-dir", str(tmp_path / "mypy"),
         "uqgui/ui", "uqgui/app.py"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
