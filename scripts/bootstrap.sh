#!/usr/bin/env bash
# Make this checkout runnable: a virtualenv with gamesched and its tools, and (with --browser) Chromium.
# Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=".venv"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "bootstrap: gamesched needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1))" >&2
    exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "bootstrap: creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi

stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -e "$stamp" ]; then
    echo "bootstrap: installing gamesched and its development tools"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e '.[dev]'
    rm -f "$VENV"/.installed-*
    touch "$stamp"
fi

# axe-core (npm) for the accessibility checks of the browser tests, pinned in tests/axe/package-lock.json.
AXE="tests/axe/node_modules/axe-core/axe.min.js"
if [ ! -e "$AXE" ] || [ tests/axe/package-lock.json -nt "$AXE" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "bootstrap: installing npm (Debian package) for axe-core"
        SUDO=""
        [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null
    fi
    echo "bootstrap: installing axe-core for the browser tests"
    npm ci --prefix tests/axe --no-audit --no-fund --silent
    touch "$AXE"
fi

if [ "${1:-}" = "--browser" ] && [ -z "${GAMESCHED_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
    echo "bootstrap: installing Chromium (Debian package) for the browser tests"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
