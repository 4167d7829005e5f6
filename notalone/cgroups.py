"""One control group per grading kernel, so its limits count every process it starts.

A kernel's memory limit then covers all its child processes, its shared memory and the files it
writes to its in-memory folders; its process limit covers every process; and its own group tells
whether the kernel was stopped for memory. Works with cgroup v2 (the usual case on current
systems) where this process may create groups, and with cgroup v1 (older systems and containers)
as root.

The grader creates a parent group (`CgroupParent.create`) and binds it into the fork-server's
sandbox; the fork-server makes a `KernelCgroup` per kernel inside it.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

CONTROLLERS = ("memory", "pids")
HOW_TO_GET = ("grade as root, or from a systemd scope that delegates cgroups: "
              "systemd-run --user --scope -p Delegate=yes notalone grade ...")


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, filesystem type, super options) of every cgroup filesystem."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            found.append((fields[4].replace("\\040", " "), tail[0], set(tail[2].split(","))))
    return found


def _own_groups() -> dict[str, str]:
    """Controller (or "" for v2) -> this process's group path, from /proc/self/cgroup."""
    groups = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in (controllers.split(",") if controllers else [""]):
            groups[controller] = path
    return groups


@dataclass
class CgroupParent:
    """The grader's group(s) for its kernels: version 1 or 2, and one folder per controller ("unified" for v2)."""

    version: int
    folders: dict[str, Path]

    @classmethod
    def create(cls) -> tuple["CgroupParent | None", str]:
        """A new parent group, or None and why not."""
        name = f"notalone-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        mounts, groups = _mounts(), _own_groups()
        unified = next((m for m in mounts if m[1] == "cgroup2"), None)
        if unified and set(CONTROLLERS) <= set(_read(Path(unified[0]) / "cgroup.controllers").split()):
            return cls._create_v2(Path(unified[0]) / groups.get("", "/").lstrip("/"), name)
        v1 = {controller: Path(point) for point, kind, options in mounts if kind == "cgroup"
              for controller in CONTROLLERS if controller in options}
        if set(CONTROLLERS) <= set(v1):
            folders = {}
            try:
                for controller in CONTROLLERS:
                    folder = v1[controller] / groups.get(controller, "/").lstrip("/") / name
                    folder.mkdir()
                    folders[controller] = folder
            except OSError as error:
                for folder in folders.values():
                    _remove(folder)
                return None, f"cgroup v1: cannot create a group ({error.strerror})"
            return cls(1, folders), ""
        return None, "no cgroup memory and pids controllers on this system"

    @classmethod
    def _create_v2(cls, own: Path, name: str) -> tuple["CgroupParent | None", str]:
        wanted = " ".join(f"+{c}" for c in CONTROLLERS)
        if not set(CONTROLLERS) <= set(_read(own / "cgroup.subtree_control").split()):
            try:
                _write(own / "cgroup.subtree_control", wanted)
            except OSError:
                # Our group holds processes, so it cannot hand controllers down. Where it is ours alone (a
                # delegated scope), move this process into a leaf beside the kernels' group.
                try:
                    leaf = own / f"{name}-grader"
                    leaf.mkdir()
                    for pid in _read(own / "cgroup.procs").split():
                        _write(leaf / "cgroup.procs", pid)
                    _write(own / "cgroup.subtree_control", wanted)
                except OSError as error:
                    return None, f"cgroup v2: this account's group does not delegate memory and pids ({error.strerror})"
        parent = own / name
        try:
            parent.mkdir()
            _write(parent / "cgroup.subtree_control", wanted)
        except OSError as error:
            _remove(parent)
            return None, f"cgroup v2: cannot create a group ({error.strerror})"
        return cls(2, {"unified": parent}), ""

    def remove(self) -> None:
        for folder in self.folders.values():
            for child in folder.iterdir() if folder.exists() else []:
                if child.is_dir():
                    _remove(child)
            _remove(folder)


class KernelCgroup:
    """One kernel's group, inside the parent folders (as the fork-server sees them)."""

    def __init__(self, version: int, parents: dict[str, str], name: str, memory_bytes: int, processes: int):
        self.version = version
        self.folders = {controller: Path(parent) / name for controller, parent in parents.items()}
        for folder in self.folders.values():
            folder.mkdir()
        if version == 2:
            unified = self.folders["unified"]
            _write(unified / "memory.max", str(memory_bytes))
            _write_if_present(unified / "memory.swap.max", "0")
            _write_if_present(unified / "memory.oom.group", "1")
            _write(unified / "pids.max", str(processes))
        else:
            memory = self.folders["memory"]
            _write(memory / "memory.limit_in_bytes", str(memory_bytes))
            _write_if_present(memory / "memory.memsw.limit_in_bytes", str(memory_bytes))
            _write(self.folders["pids"] / "pids.max", str(processes))

    def add(self, pid: int) -> None:
        for folder in self.folders.values():
            _write(folder / "cgroup.procs", str(pid))

    def memory_exceeded(self) -> bool:
        if self.version == 2:
            events = _counters(self.folders["unified"] / "memory.events")
            return events.get("oom_kill", 0) > 0 or events.get("max", 0) > 0
        memory = self.folders["memory"]
        return _counters(memory / "memory.oom_control").get("oom_kill", 0) > 0 or int(_read(memory / "memory.failcnt") or 0) > 0

    def remove(self) -> None:
        for folder in self.folders.values():
            _remove(folder)


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _write(path: Path, text: str) -> None:
    with open(path, "w") as stream:
        stream.write(text)


def _write_if_present(path: Path, text: str) -> None:
    if path.exists():
        _write(path, text)


def _counters(path: Path) -> dict[str, int]:
    counters = {}
    for line in _read(path).splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            counters[key] = int(value)
    return counters


def _remove(folder: Path) -> None:
    """Remove an empty group (its processes are already gone; retried briefly while the kernel lets go)."""
    import time

    for _ in range(50):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)
