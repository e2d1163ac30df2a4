#!/usr/bin/env bash
# Install what uqgui needs on a Debian 12 machine, idempotently, then run it.
#   bash packaging/bootstrap.sh demo   # install, then start the GUI on the embedded demo
#   bash packaging/bootstrap.sh test   # install, then run the whole test suite
#   bash packaging/bootstrap.sh install
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
venv=${UQGUI_VENV:-$here/.venv}
python=${PYTHON:-python3}

# Qt's offscreen and xcb platforms, fonts, certificates for pygit2, Xvfb for a real X window,
# git-email for sending, gnome-keyring for a real Secret Service, validators for packaging.
debian_packages=(
  git ca-certificates
  libgl1 libegl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3 fonts-dejavu-core
  xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
  libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0
  dbus gnome-keyring git-email libmailtools-perl libauthen-sasl-perl libio-socket-ssl-perl
  desktop-file-utils appstream binutils
)

install_debian_packages() {
  command -v dpkg-query >/dev/null || { echo "bootstrap: not a Debian system; install the packages listed in packaging/bootstrap.sh by hand" >&2; return 0; }
  local missing=()
  for p in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  "$python" -m venv --help >/dev/null 2>&1 || missing+=(python3-venv)
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_python_package() {
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -e "$here[test]"
  # An editable install leaves the bytecode to the first start; compiling it here keeps about
  # 30 ms or more of compiling off the first start (and off every start where Python may not
  # write bytecode, PYTHONDONTWRITEBYTECODE).
  "$venv/bin/python" -m compileall -q "$here/uqgui" >/dev/null
}

run_demo() {
  if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
    exec "$venv/bin/uqgui" --demo "$@"
  fi
  echo "bootstrap: no display; starting the demo under Xvfb, unseen (Ctrl+C stops it; packaging/screenshot.py shows it)"
  exec xvfb-run -a -s "-screen 0 1600x1000x24" "$venv/bin/uqgui" --demo "$@"
}

run_tests() {
  cd "$here"
  export QT_QPA_PLATFORM=offscreen
  exec "$venv/bin/python" -m pytest -p no:cacheprovider "$@"
}

action=${1:-}
shift || true
case "$action" in
  demo) install_debian_packages; install_python_package; run_demo "$@" ;;
  test) install_debian_packages; install_python_package; run_tests "$@" ;;
  install) install_debian_packages; install_python_package ;;
  *) echo "usage: bash packaging/bootstrap.sh demo|test|install" >&2; exit 2 ;;
esac
