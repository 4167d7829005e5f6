#!/usr/bin/env bash
# Install what the tests need (pip packages in .venv, Debian's chromium) and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v bwrap >/dev/null || missing+=(bubblewrap)
# The fonts scripts/start.sh installs for students (Vietnamese letters, colour emoji): the font test needs them.
for font in fonts-noto-core fonts-noto-mono fonts-noto-color-emoji; do
    dpkg-query -W -f='${Status}' "$font" 2>/dev/null | grep -q "ok installed" || missing+=("$font")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c "import venv, ensurepip" 2>/dev/null; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,lite]"
# npm: `notalone lite build` takes Pyodide's runtime from the npm registry (tests/browser/test_lite_offline.py;
# downloads are cached in ~/.cache/notalone-lite, so re-runs are cheap).
if ! command -v npm >/dev/null; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi
# axe-core, for the accessibility test in the browser (tests/browser/test_accessibility_in_jupyterlab.py).
if [ ! -f tests/browser/.node/node_modules/axe-core/axe.min.js ]; then
    if ! command -v npm >/dev/null; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
    fi
    npm install --silent --no-audit --no-fund --prefix tests/browser/.node axe-core@4
fi
# JupyterHub's proxy, for the class on a real hub (tests/test_jupyterhub_class.py).
if [ ! -x tests/.node/node_modules/.bin/configurable-http-proxy ]; then
    npm install --silent --no-audit --no-fund --prefix tests/.node configurable-http-proxy@4
fi

status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" = 5 ]; then
    echo "pytest collected no tests: that is a failure, not a pass." >&2
fi
exit "$status"
