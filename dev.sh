#!/usr/bin/env bash
# WYNTEK Desktop: one entry point for a fresh machine.
#
#   ./dev.sh demo     set everything up, then launch the app on the embedded local stack
#                     (demo account signed in)
#   ./dev.sh test     set everything up, lint (ruff, mypy, import contracts), then run the
#                     whole test suite (what CI runs)
#   ./dev.sh lint     set everything up, lint only
#   ./dev.sh setup    set everything up only
#
# Extra arguments after `test` go to pytest (e.g. `./dev.sh test -k outbox --run-slow`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

# Debian packages the GUI needs on Linux: Qt's xcb platform, Mesa (software OpenGL) and
# Xvfb for the OpenGL tests and screenshots.
DEBIAN_PACKAGES=(xvfb xauth libgl1 libgl1-mesa-dri libglx-mesa0 libegl1 libfontconfig1
  libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0
  libxcb-xkb1 libxrender1 libxi6
  # A real browser for the tests of the local checkout page and mail catcher.
  chromium chromium-driver
  # Packaging: ICU tools and a compiler to trim ICU data, strip, .deb checks, zstd archives.
  icu-devtools gcc binutils desktop-file-utils shared-mime-info zstd)

setup_system() {
  command -v dpkg-query >/dev/null || return 0
  local missing=()
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Please install these system packages first: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
}

setup_python() {
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "WYNTEK Desktop needs Python 3.11 or newer (set PYTHON=python3.12, for example)." >&2
    exit 1
  }
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e ".[localstack,service,functions,dev,packaging]"
}

# The Edge Functions' npm packages, fetched once into Deno's cache at the versions that
# supabase/functions/deno.lock pins (later runs work offline).
setup_functions() {
  local deno
  deno="$(cd "$VENV/bin" && pwd)/deno"
  (cd supabase/functions && "$deno" install --frozen --quiet --entrypoint ./*/index.ts)
}

# ruff, mypy over every package (pyproject.toml lists them) and the import contracts.
lint() {
  echo "ruff…";  "$VENV/bin/ruff" check .
  echo "mypy…";  "$VENV/bin/mypy"
  echo "import contracts…"; "$VENV/bin/lint-imports" --no-cache
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  setup) setup_system; setup_python; setup_functions ;;
  lint) setup_system; setup_python; lint ;;
  test)
    setup_system; setup_python; setup_functions
    lint
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  demo)
    setup_system; setup_python; setup_functions
    exec "$VENV/bin/wyntek-desktop" --local "$@"
    ;;
  *)
    sed -n '2,12p' "$0"
    exit 1
    ;;
esac
