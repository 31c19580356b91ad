#!/usr/bin/env bash
# Build WYNTEK Desktop as a one-folder app with PyInstaller, report its size and run
# the frozen self-test without any Python environment on PATH.
#
#   packaging/build.sh [--no-install] [--no-self-test]
#
# Environment:
#   WYNTEK_BUILD_VENV   venv to build with (default: build/venv, created if missing)
#   WYNTEK_PYTHON       interpreter that creates the venv (default: python3.11)
#   WYNTEK_DIST         output folder (default: dist)
#   WYNTEK_WORK         PyInstaller work folder (default: build/pyinstaller)
#   WYNTEK_EDITION      customer (default; no embedded local stack) or demo (with it)
#
# Output: $WYNTEK_DIST/wyntek-desktop/{wyntek-desktop,wyntek,_internal/}
#         (+ "$WYNTEK_DIST/WYNTEK Desktop.app" on macOS)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${WYNTEK_BUILD_VENV:-$ROOT/build/venv}"
PYTHON="${WYNTEK_PYTHON:-python3.11}"
DIST="${WYNTEK_DIST:-$ROOT/dist}"
WORK="${WYNTEK_WORK:-$ROOT/build/pyinstaller}"
export WYNTEK_EDITION="${WYNTEK_EDITION:-customer}"
case "$WYNTEK_EDITION" in
    customer) EXTRAS=packaging ;;
    demo) EXTRAS=localstack,packaging ;;
    *) echo "build.sh: WYNTEK_EDITION must be customer or demo" >&2; exit 1 ;;
esac
INSTALL=1
SELF_TEST=1
for arg in "$@"; do
    case "$arg" in
        --no-install) INSTALL=0 ;;
        --no-self-test) SELF_TEST=0 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown option $arg (see --help)" >&2; exit 1 ;;
    esac
done

if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating build venv $VENV"
    "$PYTHON" -m venv "$VENV"
    INSTALL=1
fi
if [ "$INSTALL" = 1 ]; then
    echo "==> installing the app ($EXTRAS) and PyInstaller into $VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[$EXTRAS]"
fi

echo "==> PyInstaller $("$VENV/bin/python" -m PyInstaller --version), $WYNTEK_EDITION edition"
started=$(date +%s)
(cd "$ROOT" && "$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" packaging/pyinstaller.spec)
elapsed=$(( $(date +%s) - started ))

APP_DIR="$DIST/wyntek-desktop"
bytes=$(du -sb "$APP_DIR" | cut -f1)
echo "==> built $APP_DIR in ${elapsed} s"
echo "==> unpacked size: $(( bytes / 1000000 )) MB ($(( bytes / 1048576 )) MiB, ${bytes} bytes)"
echo "    largest parts:"
du -sm "$APP_DIR"/_internal/* "$APP_DIR"/wyntek-desktop "$APP_DIR"/wyntek 2>/dev/null \
    | sort -rn | sed -n '1,8s/^/      /p'  # sed reads it all: no SIGPIPE under pipefail

if [ "$SELF_TEST" = 1 ]; then
    echo "==> frozen self-test with no Python environment on PATH"
    home="$(mktemp -d)"
    trap 'rm -rf "$home"' EXIT
    env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 "$APP_DIR/wyntek-desktop" --self-test
    env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 "$APP_DIR/wyntek" --version
fi
