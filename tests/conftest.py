"""Shared fixtures: a dummy comm so widgets run headless (as in ipywidgets' own tests/utils.py)."""

from __future__ import annotations

import pytest


class DummyComm:
    """Stands in for the kernel comm: records every message a widget sends to the front end."""

    comm_id = "dummy"
    kernel = "Truthy"

    def __init__(self, *args, **kwargs):
        self.messages = []

    def open(self, *args, **kwargs):
        pass

    def on_msg(self, *args, **kwargs):
        pass

    def send(self, *args, **kwargs):
        self.messages.append((args, kwargs))

    def close(self, *args, **kwargs):
        pass


@pytest.fixture
def dummy_comm(monkeypatch):
    """Widgets created in the test talk to DummyComm instead of a kernel; display() is forbidden."""
    import comm

    created = []

    def create_comm(**kwargs):
        created.append(DummyComm())
        return created[-1]

    monkeypatch.setattr(comm, "create_comm", create_comm)
    monkeypatch.setattr(comm, "get_comm_manager", lambda **kwargs: {})

    def no_display(*args, **kwargs):
        raise AssertionError("widgets must not call display(); return the view instead")

    import IPython.display
    monkeypatch.setattr(IPython.display, "display", no_display)
    yield created


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in an empty temporary folder, as a notebook kernel runs in its notebook's folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
