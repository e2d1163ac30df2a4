#!/usr/bin/env bash
# Build a one-folder bundle of uqgui with PyInstaller: build/bundle/uqgui/ holds the GUI (`uqgui`)
# and the headless command (`uq`), sharing one _internal/ folder of libraries and data.
#   bash packaging/build-bundle.sh        # the last line printed is the bundle's folder
# The Python used is $UQGUI_VENV (default: the active virtualenv, else .venv/ as made by
# packaging/bootstrap.sh), with uqgui installed in it. PyInstaller is installed there if missing.
# The bundle runs on Linux x86-64 with a glibc at least as new as the build machine's, and
# needs the system's `git` on PATH, as uqgui itself does.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
venv=${UQGUI_VENV:-${VIRTUAL_ENV:-$here/.venv}}
python=$venv/bin/python
spec=$here/packaging/pyinstaller/uqgui.spec
dist=$here/build/bundle
work=$here/build/pyinstaller
bundle=$dist/uqgui

die() { echo "build-bundle: $*" >&2; exit 1; }

[ -x "$python" ] || die "no Python at $python: run 'bash packaging/bootstrap.sh install' or set UQGUI_VENV"
"$python" -c "import uqgui, PySide6, pygit2" 2>/dev/null \
  || die "uqgui is not installed in $venv: run 'bash packaging/bootstrap.sh install'"
# PyInstaller reads binaries' dependencies with objdump and the spec strips libpython with strip.
command -v objdump >/dev/null || die "objdump is missing: apt-get install binutils"

if ! "$python" -c "import PyInstaller" 2>/dev/null; then
  echo "build-bundle: installing PyInstaller into $venv"
  "$python" -m pip install -q "pyinstaller>=6.10,<7"
fi

start=$(date +%s)
"$python" -m PyInstaller --noconfirm --clean --log-level "${PYINSTALLER_LOG_LEVEL:-WARN}" \
  --distpath "$dist" --workpath "$work" "$spec"

# A bundle that cannot even print its usage is no bundle.
"$bundle/uq" --help >/dev/null || die "the bundled uq does not start"
"$bundle/uqgui" --version >/dev/null || die "the bundled uqgui does not start"

echo "build-bundle: built in $(( $(date +%s) - start )) s, $(du -sh "$bundle" | cut -f1); run $bundle/uqgui or $bundle/uq" >&2
echo "$bundle"
