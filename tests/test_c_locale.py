"""The state marks follow the user's locale: ASCII in C or POSIX, whatever Python makes of that locale.

Python switches its UTF-8 mode on by itself in the C and POSIX locales (PEP 540), and with only
LANG=C it coerces the locale to C.UTF-8, setting LC_CTYPE in its own environment (PEP 538): its
stdout is UTF-8 either way. The terminal of someone who chose the C locale may not be, so `uq`
looks at the locale as the user set it; PYTHONIOENCODING or PYTHONUTF8 ask for an encoding outright.
Every test runs the installed `uq` as a real process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_bad_input import UQ
from uqgui.core.demo import build_demo

UNICODE = {"●", "◐", "✓", "✓~", "○"}
ASCII = {"*", "q", "+", "+~", "o"}
# Everything that decides the locale or Python's encodings, cleared before each case sets its own.
_LOCALE_VARS = ("LC_ALL", "LC_CTYPE", "LANG", "LANGUAGE", "PYTHONUTF8", "PYTHONIOENCODING", "PYTHONCOERCECLOCALE",
                "PYTHONLEGACYWINDOWSSTDIO")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo repository (only read here)."""
    return build_demo(tmp_path_factory.mktemp("locale") / "demo")


def marks_under(demo: Path, env: dict[str, str], command: list[str] | None = None) -> set[str]:
    """The marks `uq status` prints with ENV as the whole locale setting."""
    base = {k: v for k, v in os.environ.items() if k not in _LOCALE_VARS}
    proc = subprocess.run([*(command or [UQ]), "--repo", str(demo), "status"], capture_output=True, timeout=120,
                          check=False, env={**base, **env})
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr
    lines = proc.stdout.decode("utf-8").splitlines()[2:]
    assert lines
    return {line.split(" ", 1)[0] for line in lines}


@pytest.mark.parametrize("env", [
    {"LC_ALL": "C"},
    {"LANG": "C"},  # coerced to C.UTF-8 by Python: still the C locale the user chose
    {"LC_ALL": "POSIX"},
    {"LC_ALL": "C", "LANG": "C"},
    {"LANG": "POSIX", "LC_CTYPE": ""},
    {},  # no locale at all is the C locale
    {"LANG": "C", "PYTHONCOERCECLOCALE": "0"},
    {"LC_ALL": "C", "PYTHONUTF8": "0"},
    {"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "ascii"},  # an ASCII output asked for outright
], ids=lambda env: " ".join(f"{k}={v}" for k, v in env.items()) or "nothing")
def test_the_c_and_posix_locales_get_ascii_marks(demo: Path, env: dict[str, str]) -> None:
    marks = marks_under(demo, env)
    assert marks <= ASCII and {"*", "q", "+"} <= marks, marks


@pytest.mark.parametrize("env", [
    {"LC_ALL": "C.UTF-8"},
    {"LANG": "C.UTF-8"},
    {"LANG": "C", "LC_CTYPE": "C.UTF-8"},  # the user's own LC_CTYPE, not Python's coercion
    {"LC_ALL": "C", "PYTHONIOENCODING": "utf-8"},  # UTF-8 asked for outright
    {"LANG": "C", "PYTHONUTF8": "1"},
], ids=lambda env: " ".join(f"{k}={v}" for k, v in env.items()))
def test_a_utf8_locale_or_an_explicit_utf8_gets_the_gui_glyphs(demo: Path, env: dict[str, str]) -> None:
    marks = marks_under(demo, env)
    assert marks <= UNICODE and {"●", "◐", "✓"} <= marks, marks


def test_python_coerces_lang_c_as_this_module_says() -> None:
    """The premise: with LANG=C alone, Python sets LC_CTYPE=C.UTF-8 itself and writes UTF-8."""
    base = {k: v for k, v in os.environ.items() if k not in _LOCALE_VARS}
    script = "import os, sys; print(os.environ.get('LC_CTYPE'), sys.flags.utf8_mode, sys.stdout.encoding)"
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env={**base, "LANG": "C"})
    ctype, utf8_mode, encoding = proc.stdout.split()
    assert utf8_mode == "1" and encoding == "utf-8"
    assert ctype in ("C.UTF-8", "C.utf8", "UTF-8", "None")  # None where the system has no C.UTF-8


@pytest.mark.parametrize(("env", "expected"), [({"LC_ALL": "C"}, ASCII), ({"LC_ALL": "C.UTF-8"}, UNICODE)])
def test_python_dash_m_uqgui_cli_the_same(demo: Path, env: dict[str, str], expected: set[str]) -> None:
    marks = marks_under(demo, env, [sys.executable, "-m", "uqgui.cli"])
    assert marks <= expected and len(marks) >= 3
