"""A kernel fork-server: imports the kernel and the course's modules once, then forks one fresh,
confined kernel per notebook.

It runs inside the grading sandbox (see notalone.sandbox), as root or as the teacher. Each kernel
it forks gets, before any student code runs:
- its own namespaces: mount (it sees only the system, Python, its own in-memory working folder,
  /tmp and /dev/shm, never the fork-server's socket or another kernel's folder), process (its init
  is process 1: when it ends, every process the kernel started ends with it), IPC, network and host
  name; as the teacher, also its own user namespace, which it cannot leave;
- its own user id when the fork-server is root, and a control group that counts the memory and
  processes of everything the kernel starts (see notalone.cgroups);
- resource limits, a seccomp filter (no new namespaces, mounts or tracing: notalone.seccomp), no way
  to gain privileges, clean standard streams and no inherited descriptors.
Where no control group can be had, a watchdog here measures each kernel as a whole (notalone.usage)
and stops it at its limit.

Protocol: one JSON request per connection on a Unix socket, one JSON reply.
  {"op": "spawn", "connection_file", "work", "private", "uid", "env", "limits", "arguments"} -> {"pid": ...}
  {"op": "poll", "pid": ...} -> {"returncode": null | int, "reason": null | str}
  {"op": "signal", "pid": ..., "signum": ...} -> {"ok": true}
  {"op": "kill", "pid": ...} -> {"ok": true}   (every process of the kernel)
  {"op": "ping"} -> {"ok": true}
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import select
import shutil
import signal
import socket
import sys
import time

from . import namespaces, seccomp, usage
from .cgroups import KernelCgroup
from .namespaces import MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT

RLIMITS = {"memory_bytes": resource.RLIMIT_AS, "processes": resource.RLIMIT_NPROC,
           "file_bytes": resource.RLIMIT_FSIZE, "cpu_seconds": resource.RLIMIT_CPU}
WATCH_SECONDS = 0.2


def apply_limits(limits: dict, *, relative_processes: bool = False) -> None:
    """Set resource limits (hard and soft) before any student code runs."""
    for name, value in limits.items():
        if value is None or name not in RLIMITS:
            continue
        if name == "processes" and relative_processes:
            value += count_processes(os.getuid())
        resource.setrlimit(RLIMITS[name], (int(value), int(value)))


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


def quiet_standard_streams() -> None:
    """Standard input, output and error lead nowhere: nothing a kernel prints reaches a terminal or a pipe."""
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    if quiet > 2:
        os.close(quiet)


def _report(pipe: int, message: dict) -> None:
    os.write(pipe, json.dumps(message).encode() + b"\n")


def start_kernel(request: dict, pipe: int, cgroup) -> None:
    """In the forked child: enter new namespaces, start the kernel's init, and wait for it. Never returns."""
    try:
        os.setsid()
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        if cgroup is not None:
            cgroup.add(os.getpid())
        if os.getuid() == 0:
            namespaces.unshare(namespaces.ALL_BUT_USER)
        else:
            uid, gid = os.getuid(), os.getgid()
            namespaces.unshare(namespaces.CLONE_NEWUSER | namespaces.ALL_BUT_USER)
            namespaces.map_own_ids(uid, gid)
        namespaces.mount(None, "/", None, MS_REC | MS_PRIVATE)
        init = os.fork()
        if init == 0:
            run_init(request, pipe)
        _report(pipe, {"init": init})
        os.close(pipe)
        quiet_standard_streams()
        _, status = os.waitpid(init, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    except BaseException as error:  # noqa: BLE001 - the child must never return into the server loop
        try:
            _report(pipe, {"error": f"{type(error).__name__}: {error}"})
        finally:
            os._exit(70)


def run_init(request: dict, pipe: int) -> None:
    """Process 1 of the kernel's namespaces: build its file system view, drop every privilege, then run
    the kernel as its only child and end when it ends (which ends every process left in the namespace)."""
    try:
        limits = request["limits"]
        uid = request.get("uid")
        disk = f"size={limits['disk_bytes']}"
        scratch, work, private = request["scratch"], request["work"], request["private"]
        namespaces.mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        folders = {name: os.open(request[name], os.O_PATH | os.O_DIRECTORY) for name in ("work", "private")}
        # Read-only folders the kernel needs that live under /tmp (a checkout or its .venv there): put back on
        # the kernel's own, empty /tmp.
        kept = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in request.get("keep", []) if os.path.isdir(path)}
        for shared in ("/tmp", "/dev/shm"):
            if os.path.isdir(shared):
                namespaces.mount("tmpfs", shared, "tmpfs", MS_NOSUID | MS_NODEV, f"{disk},mode=1777")
        for path, fd in kept.items():
            os.makedirs(path, mode=0o755, exist_ok=True)
            namespaces.mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            namespaces.mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
            os.close(fd)
        # The shared scratch folder (every kernel's folders, the fork-server's socket) is covered by an
        # empty, read-only file system; only this kernel's own folders are put back.
        os.makedirs(scratch, mode=0o755, exist_ok=True)
        namespaces.mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
        for folder in (work, private):
            os.makedirs(folder, mode=0o755)
        namespaces.mount(f"/proc/self/fd/{folders['private']}", private, None, MS_BIND)
        owner = f",uid={uid},gid={uid}" if uid is not None else ""
        namespaces.mount("tmpfs", work, "tmpfs", MS_NOSUID | MS_NODEV, f"{disk},mode=0700{owner}")
        namespaces.mount(None, scratch, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
        _limit_system_v_memory(limits["disk_bytes"])
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        namespaces.drop_capabilities()
        namespaces.die_with_parent(signal.SIGKILL)  # after the change of user, which clears it
        shutil.copytree(f"/proc/self/fd/{folders['work']}", work, dirs_exist_ok=True, symlinks=True)
        for fd in folders.values():
            os.close(fd)
        os.chdir(work)
        apply_limits({k: v for k, v in limits.items() if k in RLIMITS})
        if seccomp.available():
            seccomp.install()
        else:
            namespaces.no_new_privileges()
        quiet_standard_streams()
        os.closerange(3, pipe)
        os.closerange(pipe + 1, 1 << 16)
        _report(pipe, {"ready": True})
        os.close(pipe)
        kernel = os.fork()
        if kernel == 0:
            run_kernel(request)
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                os._exit(0)
            except InterruptedError:
                continue
            if pid == kernel:
                os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    except BaseException as error:  # noqa: BLE001
        try:
            _report(pipe, {"error": f"{type(error).__name__}: {error}"})
        finally:
            os._exit(70)


def _limit_system_v_memory(size: int) -> None:
    """System V shared memory lives in the kernel's own IPC namespace; cap it like the in-memory folders."""
    for name, value in (("shmmax", size), ("shmall", max(1, size // os.sysconf("SC_PAGE_SIZE")))):
        try:
            with open(f"/proc/sys/kernel/{name}", "w") as stream:
                stream.write(str(value))
        except OSError:
            pass  # older kernels keep these read-only in a namespace; the memory limit still counts them


def run_kernel(request: dict) -> None:
    """The kernel process: a clean environment and module path, then ipykernel. Never returns."""
    try:
        os.setpgid(0, 0)
        os.closerange(3, 1 << 16)
        os.environ.clear()
        os.environ.update(request.get("env", {}))
        # Nothing in the kernel's folder may stand in for a module: no '' or relative entries on the path.
        sys.path[:] = [entry for entry in sys.path if entry and os.path.isabs(entry) and not entry.startswith(request["work"])]
        sys.argv = ["ipykernel"]
        from ipykernel.kernelapp import IPKernelApp

        # No command history: nothing to write, and no SQLite file per kernel.
        IPKernelApp.launch_instance(argv=["-f", request["connection_file"], "--HistoryManager.enabled=False",
                                          *request.get("arguments", [])])
        os._exit(0)
    except BaseException:  # noqa: BLE001 - the reason is kept where the grader can read it
        try:
            import traceback

            with open(os.path.join(request["private"], "kernel-start-error.txt"), "w") as stream:
                stream.write(traceback.format_exc()[-4000:])
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


class Kernel:
    """What the fork-server knows of one kernel it started."""

    def __init__(self, pid: int, init: int | None, limits: dict, work: str, cgroup):
        self.pid, self.init, self.limits, self.work, self.cgroup = pid, init, limits, work, cgroup
        self.returncode: int | None = None
        self.reason: str | None = None
        self.leader: int | None = None
        self.started = time.monotonic()

    def folders(self) -> tuple[str, ...]:
        return tuple(f"/proc/{self.init}/root{path}" for path in (self.work, "/tmp", "/dev/shm"))

    def stop(self, reason: str | None = None) -> None:
        if reason and self.reason is None:
            self.reason = reason
        for pid in (self.init, self.pid):
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def cgroup_memory_reason(self) -> str | None:
        """The memory limit, when the kernel's control group hit it (its OOM killer stopped a process)."""
        if self.cgroup is None or not self.cgroup.memory_exceeded():
            return None
        return f"memory limit ({self.limits['memory_bytes'] // 2**20} MiB for the kernel and every process it started)"

    def kernel_group(self) -> int | None:
        """The ipykernel process (the init's child), for interrupts."""
        if self.leader is None and self.init:
            self.leader = next((pid for pid, fields in usage.process_tree(self.init) if int(fields[1]) == self.init), None)
        return self.leader


class Zygote:
    def __init__(self, config: dict):
        self.socket_path = config["socket"]
        self.cgroups = config.get("cgroups")  # {"version": 1|2, "parents": {...}} or None
        self.kernels: dict[int, Kernel] = {}
        self.last_watch = 0.0

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            kernel = self.kernels.get(pid)
            if kernel is not None:
                kernel.returncode = os.waitstatus_to_exitcode(status)
                kernel.reason = kernel.reason or kernel.cgroup_memory_reason()
                kernel.stop()
                if kernel.cgroup is not None:
                    kernel.cgroup.remove()
                    kernel.cgroup = None

    def watch(self) -> None:
        """Hold each running kernel to its limits as a whole: memory (where no control group does), CPU time
        and number of processes, counting every process it started."""
        for kernel in list(self.kernels.values()):
            if kernel.returncode is not None or not kernel.init:
                continue
            limits = kernel.limits
            if time.monotonic() - kernel.started > limits.get("seconds", float("inf")):
                kernel.stop(f"notebook time limit ({limits['seconds']} s)")
                continue
            used = usage.measure(kernel.init, kernel.folders() if kernel.cgroup is None else ())
            if kernel.cgroup is None and used.memory_bytes > limits["memory_bytes"]:
                kernel.stop(f"memory limit ({limits['memory_bytes'] // 2**20} MiB for the kernel, every process it "
                            "started and its in-memory folders)")
            elif used.cpu_seconds > limits["cpu_seconds"]:
                kernel.stop(f"CPU time limit ({limits['cpu_seconds']} s across every process of the kernel)")
            elif used.processes > limits["processes"] + 1:
                kernel.stop(f"process limit ({limits['processes']} processes)")

    def spawn(self, request: dict) -> dict:
        limits = request["limits"]
        cgroup = None
        if self.cgroups:
            cgroup = KernelCgroup(self.cgroups["version"], self.cgroups["parents"], request["name"],
                                  limits["memory_bytes"], limits["processes"] + 1)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            self.server.close()
            os.close(read_end)
            start_kernel(request, write_end, cgroup)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as stream:
            replies = [json.loads(line) for line in stream.read().splitlines() if line.strip()]
        kernel = Kernel(pid, next((r["init"] for r in replies if "init" in r), None), limits, request["work"], cgroup)
        self.kernels[pid] = kernel
        error = next((r["error"] for r in replies if "error" in r), None)
        if error or not any(r.get("ready") for r in replies):
            kernel.stop()
            return {"error": f"the kernel's sandbox could not be set up: {error or 'no reply'}"}
        return {"pid": pid}

    def handle(self, request: dict) -> dict:
        op = request.get("op")
        if op == "ping":
            return {"ok": True}
        if op == "spawn":
            return self.spawn(request)
        kernel = self.kernels.get(int(request.get("pid", 0)))
        if kernel is None:
            return {"error": f"unknown kernel {request.get('pid')}"}
        self.reap()
        if op == "poll":
            return {"returncode": kernel.returncode, "reason": kernel.reason or kernel.cgroup_memory_reason()}
        if op == "signal":
            leader = kernel.kernel_group() if kernel.returncode is None else None
            if leader:
                try:
                    os.killpg(leader, int(request["signum"]))
                except ProcessLookupError:
                    pass
            return {"ok": True}
        if op == "kill":
            kernel.stop()
            deadline = time.monotonic() + 5
            while kernel.returncode is None and time.monotonic() < deadline:
                time.sleep(0.005)
                self.reap()
            if kernel.returncode is not None:
                del self.kernels[kernel.pid]
            return {"ok": True}
        return {"error": f"unknown op {op!r}"}

    def serve(self) -> None:
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.socket_path)
        self.server.listen(64)
        print("ready", flush=True)
        quiet_standard_streams()
        while True:
            readable, _, _ = select.select([self.server], [], [], WATCH_SECONDS)
            self.reap()
            if time.monotonic() - self.last_watch >= WATCH_SECONDS:
                self.watch()
                self.last_watch = time.monotonic()
            if not readable:
                continue
            connection, _ = self.server.accept()
            with connection:
                try:
                    reply = self.handle(read_message(connection))
                except Exception as error:  # noqa: BLE001 - report, keep serving
                    reply = {"error": repr(error)}
                try:
                    connection.sendall(json.dumps(reply).encode() + b"\n")
                except OSError:
                    pass


def main(argv: list[str]) -> None:
    config = json.loads(argv[0])
    for module in config.get("preload", []):
        try:
            importlib.import_module(module)
        except Exception as error:  # noqa: BLE001 - a missing optional module only costs speed
            print(f"notalone zygote: could not preload {module}: {error!r}", file=sys.stderr)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    Zygote(config).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
