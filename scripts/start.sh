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
# Open Markdown (the lessons' table of contents) rendered, and never look for news online.
mkdir -p .venv/share/jupyter/lab/settings
cp scripts/jupyterlab-overrides.json .venv/share/jupyter/lab/settings/overrides.json
extra=()
[ "$(id -u)" != 0 ] || extra+=(--allow-root)   # e.g. a container; students normally run as themselves
exec .venv/bin/jupyter lab --ServerApp.root_dir=lessons --LabApp.default_url=/lab/tree/README.md "${extra[@]}" "$@"
