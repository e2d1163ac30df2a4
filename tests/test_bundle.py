"""The PyInstaller bundle (packaging/build-bundle.sh): it builds, and both executables start.

Slow (a build takes ~20 s on two cores, plus ~30 s of checks), so it only runs when asked:

    UQGUI_TEST_BUNDLE=1 python -m pytest tests/test_bundle.py -v

The bundle is built once per run into build/bundle/uqgui/ (gitignored); a screenshot of the
bundled GUI under Xvfb is left at build/bundle-screenshot.png.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD_SCRIPT = ROOT / "packaging" / "build-bundle.sh"
GRAB_SCREEN = ROOT / "packaging" / "pyinstaller" / "grab_screen.py"
SCREENSHOT = ROOT / "build" / "bundle-screenshot.png"
BUILD_TIMEOUT_S = 1200
ALIVE_S = 5
MAX_BUNDLE_BYTES = 180 * 2**20  # 136 MiB when written (PySide6 6.12, pygit2 1.21)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(BUILD_TIMEOUT_S + 300),
    pytest.mark.skipif(os.environ.get("UQGUI_TEST_BUNDLE") != "1",
                       reason="builds the PyInstaller bundle (~1 min); set UQGUI_TEST_BUNDLE=1 to run"),
]


@dataclass
class Bundle:
    path: Path
    build_seconds: float
    stdout: str

    @property
    def uq(self) -> Path:
        return self.path / "uq"

    @property
    def uqgui(self) -> Path:
        return self.path / "uqgui"

    @property
    def internal(self) -> Path:
        return self.path / "_internal"


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    """Build the bundle once for this module, with the Python that runs the tests."""
    env = dict(os.environ)
    if sys.prefix != sys.base_prefix:  # running from a venv: build with it
        env["UQGUI_VENV"] = sys.prefix
    start = time.monotonic()
    proc = subprocess.run(["bash", str(BUILD_SCRIPT)], check=False, env=env, capture_output=True, text=True,
                          timeout=BUILD_TIMEOUT_S)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, f"build-bundle.sh failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return Bundle(Path(proc.stdout.strip().splitlines()[-1]), elapsed, proc.stdout)


def run(cmd: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], check=False, capture_output=True, text=True, timeout=120,
                          **kwargs)  # type: ignore[call-overload]


def source_uq(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """`uq` from the source tree, to compare the bundle with."""
    code = "import sys; from uqgui.cli import main; sys.exit(main())"
    return run([sys.executable, "-c", code, *args], cwd=ROOT)


def test_build_prints_the_bundle_folder(bundle: Bundle, record_property: Callable[[str, object], None]) -> None:
    record_property("build_seconds", round(bundle.build_seconds, 1))
    print(f"bundle built in {bundle.build_seconds:.1f} s")
    assert bundle.path == ROOT / "build" / "bundle" / "uqgui"
    for exe in (bundle.uq, bundle.uqgui):
        assert exe.is_file() and os.access(exe, os.X_OK), exe


def test_bundle_holds_the_data_libgit2_and_only_the_qt_it_needs(bundle: Bundle) -> None:
    internal = bundle.internal
    # What uqgui.ui.icons.data_dirs() finds through sys.prefix/share/uqgui.
    share = internal / "share" / "uqgui"
    assert (share / "resources" / "style.qss").is_file()
    assert (share / "icons" / "uqgui.svg").is_file()
    assert (share / "icons" / "hicolor" / "256x256" / "apps" / "uqgui.png").is_file()
    assert not (share / "icons" / "render_png.py").exists()
    assert list((internal / "pygit2.libs").glob("libgit2*.so*")), "pygit2's libgit2 is missing"
    # The spec keeps the Qt modules the sources import, plus QtSvg for the SVG icons.
    qt_modules = {p.name.split(".")[0] for p in (internal / "PySide6").glob("Qt*.abi3.so")}
    assert {"QtCore", "QtGui", "QtWidgets", "QtSvg"} <= qt_modules
    assert not qt_modules & {"QtQml", "QtQuick", "QtDesigner", "QtUiTools", "QtTest", "QtOpenGL"}
    plugins = internal / "PySide6" / "Qt" / "plugins"
    for plugin in ("platforms/libqxcb.so", "platforms/libqwayland.so", "platforms/libqoffscreen.so",
                   "iconengines/libqsvgicon.so", "imageformats/libqsvg.so"):
        assert (plugins / plugin).is_file(), plugin
    assert not (internal / "libgtk-3.so.0").exists()
    dangling = [p for p in internal.rglob("*") if p.is_symlink() and not p.exists()]
    assert not dangling
    size = sum(p.stat().st_size for p in bundle.path.rglob("*") if p.is_file() and not p.is_symlink())
    assert size < MAX_BUNDLE_BYTES, f"the bundle grew to {size / 2**20:.0f} MiB"


def test_bundled_uq_prints_its_help(bundle: Bundle) -> None:
    proc = run([bundle.uq, "--help"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: uq")


def test_bundled_uq_builds_the_demo_and_reports_like_the_source(bundle: Bundle, tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    made = run([bundle.uq, "demo", demo])
    assert made.returncode == 0, made.stderr
    status = run([bundle.uq, "--repo", demo, "status", "--json"])
    assert status.returncode == 0, status.stderr
    frozen = json.loads(status.stdout)
    assert frozen["commits"] and frozen["summary"]["downstream_only"] == len(frozen["commits"])
    source = source_uq("--repo", demo, "status", "--json")
    assert source.returncode == 0, source.stderr
    assert frozen == json.loads(source.stdout)


def test_bundled_uq_is_a_credential_helper_on_a_real_secret_service(bundle: Bundle, tmp_path: Path) -> None:
    """The helper the bundled GUI gives git (the `uq` beside it) stores and answers through gnome-keyring."""
    missing = [tool for tool in ("dbus-run-session", "gnome-keyring-daemon") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {' and '.join(missing)} (apt-get install dbus gnome-keyring)")
    request = "protocol=https\\nhost=git.example.org\\n"
    script = (
        "echo test-keyring-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null && "
        f"printf '{request}username=maintainer\\npassword=s3cret-for-tests\\n\\n' | {bundle.uq} credential store && "
        f"printf '{request}\\n' | {bundle.uq} credential get && "
        f"printf '{request}username=maintainer\\n\\n' | {bundle.uq} credential erase && "
        f"printf '{request}\\n' | {bundle.uq} credential get && echo end")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS")}
    proc = subprocess.run(["dbus-run-session", "--", "sh", "-c", script], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["username=maintainer", "password=s3cret-for-tests", "end"], proc.stderr


def test_git_runs_with_the_callers_library_path(bundle: Bundle, tmp_path: Path) -> None:
    """The bootloader's LD_LIBRARY_PATH (the bundle's libs) must not reach the system git."""
    real_git = shutil.which("git")
    assert real_git
    fake = tmp_path / "bin"
    fake.mkdir()
    log = tmp_path / "git-env.log"
    (fake / "git").write_text(
        f'#!/bin/sh\necho "${{LD_LIBRARY_PATH-<unset>}}" >> {log}\nexec {real_git} "$@"\n')
    (fake / "git").chmod(0o755)
    demo = tmp_path / "demo"
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}", "LD_LIBRARY_PATH": "/opt/caller"}
    assert run([bundle.uq, "demo", demo], env=env).returncode == 0
    assert run([bundle.uq, "--repo", demo, "status"], env=env).returncode == 0
    seen = set(log.read_text().split())
    assert seen == {"/opt/caller"}


@pytest.fixture
def gui_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_bundled_gui_prints_its_version(bundle: Bundle) -> None:
    proc = run([bundle.uqgui, "--version"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("uqgui ")


def test_bundled_gui_starts_offscreen_on_the_demo(bundle: Bundle, gui_env: dict[str, str],
                                                  tmp_path: Path) -> None:
    # The app has no self-test flag: start it, check it is still up after a while, stop it.
    err = tmp_path / "stderr.txt"
    with err.open("wb") as stderr:
        proc = subprocess.Popen([bundle.uqgui, "--demo"], env={**gui_env, "QT_QPA_PLATFORM": "offscreen"},
                                stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            time.sleep(ALIVE_S)
            alive = proc.poll() is None
        finally:
            stop(proc)
    text = err.read_text(errors="replace")
    assert alive, f"the GUI exited with {proc.returncode}:\n{text}"
    assert "Traceback" not in text, text


@pytest.fixture
def xvfb_run() -> Iterator[str]:
    path = shutil.which("xvfb-run")
    if path is None:
        pytest.skip("xvfb-run is not installed (apt-get install xvfb xauth)")
    yield path


def test_bundled_gui_shows_its_window_under_xvfb(bundle: Bundle, gui_env: dict[str, str],
                                                 xvfb_run: str, tmp_path: Path) -> None:
    """A real X window, photographed with Qt from the test's Python: build/bundle-screenshot.png."""
    script = tmp_path / "shoot.sh"
    err = tmp_path / "stderr.txt"
    script.write_text(
        "set -u\n"
        f'"{bundle.uqgui}" --demo 2>"{err}" & pid=$!\n'
        "sleep 8\n"
        'kill -0 "$pid" || { echo "the GUI died" >&2; exit 1; }\n'
        f'"{sys.executable}" "{GRAB_SCREEN}" "{SCREENSHOT}"; status=$?\n'
        'kill "$pid"; wait "$pid"\n'
        "exit $status\n")
    SCREENSHOT.unlink(missing_ok=True)
    proc = subprocess.run([xvfb_run, "-a", "-s", "-screen 0 1600x1000x24", "bash", str(script)],
                          check=False, env=gui_env, capture_output=True, text=True, timeout=120)
    text = err.read_text(errors="replace") if err.exists() else ""
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\nGUI stderr:\n{text}"
    assert "Traceback" not in text, text
    from PySide6.QtGui import QImage

    image = QImage(str(SCREENSHOT))
    assert (image.width(), image.height()) == (1600, 1000)
    # Xvfb's root is black; the main window paints a light UI over its top-left corner.
    colors = {image.pixel(x, y) for x in range(0, 800, 16) for y in range(0, 500, 16)}
    assert len(colors) > 2, "the screenshot shows no window"
