"""What a kernel and every process it started use, read from /proc: memory, CPU time, processes.

The fork-server's watchdog uses it to hold a kernel to its limits as a whole where no control
group is available (a teacher grading from a normal account): a limit per process alone would let
six children hold six times the memory. Memory is the proportional set size (shared pages are
split between the processes sharing them) plus the kernel's in-memory folders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Usage:
    memory_bytes: int = 0
    cpu_seconds: float = 0.0
    processes: int = 0


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stream:
            text = stream.read().decode(errors="replace")
    except OSError:
        return None
    return text[text.rfind(")") + 2:].split()  # fields from "state" on; the name may hold spaces


def process_tree(root: int) -> list[tuple[int, list[str]]]:
    """`root` and all its descendants (pid, stat fields). A kernel's orphans are reparented to its init,
    which is `root`, so nothing escapes the walk."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields:
                stats[int(entry)] = fields
                children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            tree.append((pid, stats[pid]))
            todo.extend(children.get(pid, []))
    return tree


def _proportional_bytes(pid: int, fields: list[str]) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as stream:
            for line in stream:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return int(fields[21]) * os.sysconf("SC_PAGE_SIZE")  # rss, when smaps cannot be read


def folder_bytes(path: str) -> int:
    try:
        info = os.statvfs(path)
    except OSError:
        return 0
    return (info.f_blocks - info.f_bfree) * info.f_frsize


def measure(root: int, folders: tuple[str, ...] = ()) -> Usage:
    """Everything the kernel whose init process is `root` uses now. `folders`: its in-memory mounts,
    as this process sees them (for example /proc/<root>/root/tmp)."""
    usage = Usage()
    for pid, fields in process_tree(root):
        usage.processes += 1
        usage.memory_bytes += _proportional_bytes(pid, fields)
        usage.cpu_seconds += sum(int(fields[i]) for i in (11, 12, 13, 14)) / _TICKS
    usage.memory_bytes += sum(folder_bytes(folder) for folder in folders)
    return usage
