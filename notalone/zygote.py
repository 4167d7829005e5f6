"""A kernel fork-server: imports the kernel and the course's modules once, then forks one fresh
kernel process per notebook.

It runs inside the grading sandbox (see notalone.sandbox). Every kernel it forks is a new
process with its own user id, scratch folder, resource limits and environment: nothing is
shared between students except read-only, already-imported code. Forking saves the second or
so that starting Python and importing ipykernel, ipywidgets and the widgets costs per kernel.

Protocol: one JSON request per connection on a Unix socket, one JSON reply.
  {"op": "spawn", "connection_file": ..., "cwd": ..., "uid": ..., "env": {...}, "limits": {...}} -> {"pid": ...}
  {"op": "poll", "pid": ...} -> {"returncode": null | int}
  {"op": "signal", "pid": ..., "signum": ...} -> {"ok": true}
  {"op": "kill", "pid": ...} -> {"ok": true}   (every process of the kernel's user)
  {"op": "ping"} -> {"ok": true}
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import signal
import socket
import sys

LIMITS = {"memory_bytes": resource.RLIMIT_AS, "processes": resource.RLIMIT_NPROC,
          "file_bytes": resource.RLIMIT_FSIZE, "cpu_seconds": resource.RLIMIT_CPU}


def apply_limits(limits: dict, *, relative_processes: bool = False) -> None:
    """Set the kernel's resource limits (hard and soft) before it runs any student code."""
    for name, value in limits.items():
        if value is None or name not in LIMITS:
            continue
        if name == "processes" and relative_processes:
            value += count_processes(os.getuid())
        resource.setrlimit(LIMITS[name], (int(value), int(value)))


def count_processes(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def kill_user_processes(uid: int) -> None:
    """SIGKILL every process owned by `uid` (a kernel and anything it started)."""
    for _ in range(3):
        found = False
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat(f"/proc/{entry}").st_uid == uid:
                        os.kill(int(entry), signal.SIGKILL)
                        found = True
                except OSError:
                    pass
        if not found:
            return


def become_kernel(request: dict) -> None:
    """In the forked child: drop to the kernel's user, apply limits, and run ipykernel. Never returns."""
    try:
        os.setsid()
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        uid = request.get("uid")
        if uid is not None and os.getuid() == 0:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        apply_limits(request.get("limits", {}), relative_processes=uid is None)
        os.chdir(request["cwd"])
        # The fork-server's stdout/stderr are pipes nobody reads after "ready": a kernel that wrote there (ipykernel
        # echoes fd 1 and 2 to them) would fill them, and every later kernel would block at start-up.
        quiet = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(quiet, fd)
        if quiet > 2:
            os.close(quiet)
        os.environ.clear()
        os.environ.update(request.get("env", {}))
        # Nothing in the kernel's folder may stand in for a module: no '' or relative entries on the path.
        sys.path[:] = [entry for entry in sys.path if entry and os.path.isabs(entry) and not entry.startswith(request["cwd"])]
        sys.argv = ["ipykernel"]
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=["-f", request["connection_file"], *request.get("arguments", [])])
        os._exit(0)
    except BaseException as error:  # noqa: BLE001 - the child must never return into the server loop
        try:
            sys.stderr.write(f"notalone kernel failed to start: {error!r}\n")
        finally:
            os._exit(70)


def read_message(connection: socket.socket) -> dict:
    """One JSON line from a connection (the protocol's unit, both ways)."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    return json.loads(data or b"{}")


class Zygote:
    def __init__(self, socket_path: str):
        self.socket_path = socket_path
        self.children: dict[int, dict] = {}  # pid -> {"uid": ..., "returncode": ...}

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.children:
                self.children[pid]["returncode"] = os.waitstatus_to_exitcode(status)

    def handle(self, request: dict) -> dict:
        op = request.get("op")
        if op == "ping":
            return {"ok": True}
        if op == "spawn":
            pid = os.fork()
            if pid == 0:
                self.server.close()
                become_kernel(request)
            self.children[pid] = {"uid": request.get("uid"), "returncode": None}
            return {"pid": pid}
        pid = int(request.get("pid", 0))
        child = self.children.get(pid)
        if child is None:
            return {"error": f"unknown kernel {pid}"}
        self.reap()
        if op == "poll":
            return {"returncode": child["returncode"]}
        if op == "signal":
            if child["returncode"] is None:
                try:
                    os.killpg(pid, int(request["signum"]))
                except ProcessLookupError:
                    pass
            return {"ok": True}
        if op == "kill":
            if child["uid"] is not None and os.getuid() == 0:
                kill_user_processes(child["uid"])
            else:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.reap()
            return {"ok": True}
        return {"error": f"unknown op {op!r}"}

    def serve(self) -> None:
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.socket_path)
        self.server.listen(64)
        print("ready", flush=True)
        while True:
            connection, _ = self.server.accept()
            with connection:
                message = read_message(connection)
                self.reap()
                try:
                    reply = self.handle(message)
                except Exception as error:  # noqa: BLE001 - report, keep serving
                    reply = {"error": repr(error)}
                connection.sendall(json.dumps(reply).encode() + b"\n")


def main(argv: list[str]) -> None:
    socket_path, preload = argv[0], [name for name in argv[1:] if name]
    for module in preload:
        try:
            importlib.import_module(module)
        except Exception as error:  # noqa: BLE001 - a missing optional module only costs speed
            print(f"notalone zygote: could not preload {module}: {error!r}", file=sys.stderr)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    Zygote(socket_path).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
