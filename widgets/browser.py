"""Fixes for running in the browser (Pyodide, the `notalone lite build` site); nothing happens elsewhere.

The JupyterLite kernel hands comm messages to JavaScript with Pyodide's default conversion, where None
becomes `undefined` and the key is dropped from the JSON sent to the page. A widget trait set back to None
(`layout.display = None` to show a hidden part) would then never reach the view. Here None in a comm
message becomes JavaScript null, which JSON keeps.
"""

from __future__ import annotations

import importlib
import sys

_patched = False


def _with_nulls(value, jsnull):
    if value is None:
        return jsnull
    if isinstance(value, dict):
        return {key: _with_nulls(item, jsnull) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_with_nulls(item, jsnull) for item in value]
    return value


def keep_nulls_in_comm_messages() -> bool:
    """Wrap the Pyodide kernel's send_comm once; True when it is (now) wrapped."""
    global _patched
    if _patched or sys.platform != "emscripten":
        return _patched
    try:
        from IPython import get_ipython

        # Pyodide's own module: the browser runtime provides it, no package on PyPI does.
        jsnull = importlib.import_module("pyodide.ffi").jsnull
    except (ImportError, AttributeError):
        return False
    shell = get_ipython()
    send = getattr(shell, "send_comm", None)
    if send is None:
        return False

    def send_comm(msg_type, content, metadata, ident, buffers):
        return send(msg_type, _with_nulls(content, jsnull), metadata, ident, buffers)

    shell.send_comm = send_comm
    _patched = True
    return True
