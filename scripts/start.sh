#!/usr/bin/env bash
# Set up the course in an isolated environment (.venv) and open JupyterLab on the lessons.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c "import venv, ensurepip" 2>/dev/null; then
    echo "Python's venv module is missing. On Debian: sudo apt-get install python3-venv" >&2
    exit 1
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .

# Bubblewrap: the sandbox `notalone grade` (and `notalone demo`) runs each student's notebook in.
if ! command -v bwrap >/dev/null; then
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
    echo "Installing bubblewrap, the sandbox notalone grades in"
    if ! command -v apt-get >/dev/null || ! { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; } ||
       ! { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
           as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }; then
        echo "Could not install bubblewrap: the lessons work, but notalone cannot grade yet." >&2
        echo "To grade, run:  sudo apt-get install bubblewrap   then check with:  .venv/bin/notalone doctor" >&2
    fi
fi

# Fonts with Vietnamese letters (proportional and monospace) and colour emoji; a bare Debian lacks them.
fonts=(fonts-noto-core fonts-noto-mono fonts-noto-color-emoji)
if command -v dpkg-query >/dev/null; then
    missing=()
    for font in "${fonts[@]}"; do
        dpkg-query -W -f='${Status}' "$font" 2>/dev/null | grep -q "ok installed" || missing+=("$font")
    done
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
    if [ ${#missing[@]} -gt 0 ]; then
        echo "Installing fonts for Vietnamese and emoji: ${missing[*]}"
        if ! { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; } ||
           ! { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
               as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
            echo "Could not install the fonts, so some Vietnamese letters and emoji may show as boxes." >&2
            echo "Ask the person who looks after this computer to run:  sudo apt-get install ${missing[*]}" >&2
        fi
    fi
fi

# Open Markdown (the lessons' table of contents) rendered, code in Noto Sans Mono, and never look for news online.
mkdir -p .venv/share/jupyter/lab/settings
cp scripts/jupyterlab-overrides.json .venv/share/jupyter/lab/settings/overrides.json
.venv/bin/python -m notalone.student_lab scripts/jupyterlab-overrides.json   # the code font (only from user settings)
# The students' JupyterLab: lessons saved without widget views (no "model not found" on reopening) and
# nbgrader's teacher menus hidden; see notalone/student_lab.py. Teachers start plain `jupyter lab`.
export JUPYTER_CONFIG_PATH="$PWD/scripts/student-jupyter${JUPYTER_CONFIG_PATH:+:$JUPYTER_CONFIG_PATH}"
extra=()
[ "$(id -u)" != 0 ] || extra+=(--allow-root)   # e.g. a container; students normally run as themselves
exec .venv/bin/jupyter lab --ServerApp.root_dir=lessons --LabApp.default_url=/lab/tree/README.md "${extra[@]}" "$@"
