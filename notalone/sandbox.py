"""Where a student's notebook runs when it is graded: a fresh kernel in a Bubblewrap sandbox.

The sandbox has no network and sees only the system, Python, the course's widgets and the
kernel's own in-memory folders: not the instructor's source notebooks, the gradebook, other
students' files, the teacher's home or environment. One sandbox holds a fork-server
(notalone.zygote) that has already imported the kernel and the widgets and forks one confined
kernel per notebook, in milliseconds, as root (each kernel under its own user id) and from a
normal account alike (each kernel in its own user namespace). Limits (memory, processes, disk,
CPU time) count everything a kernel starts, and every process a kernel starts dies with it.
`Sandbox.mechanisms` says which protections are active on this machine and how to get the others.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

from .zygote import read_message

PRELOAD = ["ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "IPython", "IPython.core.completerlib",
           "IPython.core.debugger", "IPython.core.logger", "IPython.core.oinspect", "IPython.extensions.storemagic",
           "IPython.utils.wildcard", "ipywidgets", "widgets", "widgets.views.chat", "widgets.views.quiz",
           "widgets.views.help_card", "widgets.checks", "yaml", "jsonschema", "PIL.Image", "tornado.gen", "tornado.locks",
           "tornado.queues", "tornado.platform.asyncio", "sqlite3", "pdb", "pydoc", "runpy", "faulthandler", "code",
           "http.server", "xmlrpc.server", "email.parser", "gzip", "encodings.idna", "encodings.latin_1", "stringprep"]
FIRST_KERNEL_UID = 42000
SYSTEM_DIRS = ["/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc/alternatives", "/etc/ssl", "/etc/localtime"]


@dataclass(frozen=True)
class Limits:
    """What one notebook may use. Hitting a limit is reported with its reason."""

    cell_seconds: int = 60
    notebook_seconds: int = 300
    memory_mb: int = 2048
    processes: int = 64
    output_kb: int = 2048
    file_mb: int = 64
    cpu_seconds: int = 300
    disk_mb: int = 256

    def rlimits(self) -> dict:
        return {"memory_bytes": self.memory_mb * 2**20, "processes": self.processes,
                "file_bytes": self.file_mb * 2**20, "cpu_seconds": self.cpu_seconds}

    def kernel_limits(self) -> dict:
        """What the fork-server holds each kernel to: the resource limits and the size of each in-memory folder."""
        return {**self.rlimits(), "disk_bytes": self.disk_mb * 2**20, "seconds": self.notebook_seconds + 60}


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be set up here; grading refuses to run unless the teacher opts out."""


def bwrap_problem() -> str | None:
    """Why the sandbox cannot run here, or None when it can."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return ("Bubblewrap (bwrap) is not installed. Install it (Debian: sudo apt-get install bubblewrap), "
                "or pass --no-sandbox to grade without isolation (student code then runs as you).")
    args = [bwrap, "--unshare-all", "--die-with-parent", *_read_only_binds(), "--proc", "/proc", "--dev", "/dev",
            sys.executable, "-c", "print('ok')"]
    if os.geteuid() == 0:
        args[1] = "--unshare-pid"
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"Bubblewrap could not start ({error}). Pass --no-sandbox to grade without isolation."
    if result.returncode != 0 or result.stdout.strip() != "ok":
        return (f"Bubblewrap cannot create a sandbox here: {result.stderr.strip() or result.returncode}. "
                "User namespaces may be disabled (sysctl kernel.unprivileged_userns_clone=1), or run as root. "
                "Pass --no-sandbox to grade without isolation.")
    return None


def _python_dirs() -> list[Path]:
    """Folders the kernel needs to read: the interpreter, the environment and this checkout's packages."""
    import notalone
    import widgets

    dirs = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
            Path(widgets.__file__).resolve().parent, Path(notalone.__file__).resolve().parent}
    executable = Path(sys.executable)
    dirs.add(executable.parent)
    dirs.add(executable.resolve().parent.parent)
    ordered = sorted(dirs, key=lambda p: len(p.parts))
    return [d for i, d in enumerate(ordered) if not any(d.is_relative_to(o) for o in ordered[:i])]


def _read_only_folders() -> list[Path]:
    return [Path(f) for f in SYSTEM_DIRS if os.path.exists(f)] + _python_dirs()


def _read_only_binds() -> list[str]:
    """bwrap arguments: a private /tmp, then the system and Python read-only. Folders that only lead
    to a bound folder (such as /root for a pyenv Python) are created traversable (0755), since
    bwrap would otherwise copy the host's 0700 and lock kernels out."""
    folders = _read_only_folders()
    args, made = ["--tmpfs", "/tmp"], {Path("/"), Path("/tmp")}
    for folder in folders:
        for ancestor in reversed(folder.parents):
            if ancestor not in made and ancestor not in folders:
                args += ["--perms", "0755", "--dir", str(ancestor)]
                made.add(ancestor)
    for folder in folders:
        args += ["--ro-bind", str(folder), str(folder)]
    return args


def kernel_environment(home: str, private: str | None = None) -> dict:
    """A clean environment: nothing of the teacher's (tokens, passwords, paths) reaches the kernel. Python
    ignores the working folder and the user's site folder (PYTHONSAFEPATH, PYTHONNOUSERSITE), and IPython's
    profile lives outside it, so nothing handed in can replace a module or run at start-up."""
    config_home = private or home
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONSAFEPATH": "1", "PYTHONNOUSERSITE": "1",
            "IPYTHONDIR": f"{config_home}/ipython", "JUPYTER_CONFIG_DIR": f"{config_home}/jupyter",
            "MPLBACKEND": "Agg", "NBGRADER_EXECUTION": "autograde",
            "JUPYTER_PLATFORM_DIRS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


@dataclass
class KernelSlot:
    """One kernel's folders on the teacher's side: `work` (what the kernel starts with, copied into its
    in-memory working folder) and `private` (connection file, sockets, IPython's settings)."""

    root: Path
    uid: int | None
    work: Path = field(init=False)
    private: Path = field(init=False)

    def __post_init__(self):
        self.work, self.private = self.root / "work", self.root / "private"
        for folder in (self.root, self.work, self.private):
            folder.mkdir(mode=0o700)
            if self.uid is not None:
                os.chown(folder, self.uid, self.uid)

    def add_files(self, source: Path, skip=("*.ipynb",), keep=None) -> None:
        """Copy the notebook's folder (not the notebooks themselves) for the kernel: plain files only, with no
        setuid, setgid or sticky bit and readable by the kernel alone. `keep(relative, path)` may refuse a file."""
        skipped = shutil.ignore_patterns(*skip)

        def ignore(folder, names):
            ignored = set(skipped(folder, names))
            if keep is not None:
                for name in names:
                    path = Path(folder) / name
                    if name not in ignored and path.is_file() and not keep(path.relative_to(source), path):
                        ignored.add(name)
            return ignored

        shutil.copytree(source, self.work, dirs_exist_ok=True, ignore=ignore, copy_function=shutil.copyfile, symlinks=False)
        for path in [self.work, *self.work.rglob("*")]:
            if path.is_symlink():
                path.unlink()
                continue
            os.chmod(path, 0o700 if path.is_dir() else 0o600, follow_symlinks=False)
            if self.uid is not None:
                os.chown(path, self.uid, self.uid, follow_symlinks=False)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass(frozen=True)
class Mechanism:
    """One protection: whether it is active here, what it does, and how to get it when it is not."""

    name: str
    active: bool
    detail: str
    how_to_get: str = ""

    def line(self) -> str:
        text = f"{'on ' if self.active else 'OFF'}  {self.name}: {self.detail}"
        return text + (f" To get it: {self.how_to_get}" if not self.active and self.how_to_get else "")


class ZygoteProvisioner(LocalProvisioner):
    """Starts the kernel by asking the fork-server, and relays signals to it."""

    def __init__(self, *args, zygote: "ZygoteSandbox", slot: KernelSlot, **kwargs):
        super().__init__(*args, **kwargs)
        self.zygote, self.slot, self.kernel_pid, self.stopped_because = zygote, slot, None, None

    @property
    def has_process(self) -> bool:
        return self.kernel_pid is not None

    async def launch_kernel(self, cmd, **kwargs):
        connection_file = self.parent.connection_file
        if self.slot.uid is not None:
            os.chown(connection_file, self.slot.uid, self.slot.uid)
        arguments = cmd[cmd.index(connection_file) + 1:] if connection_file in cmd else []
        reply = self.zygote.request({"op": "spawn", "name": self.slot.root.name, "connection_file": connection_file,
                                     "scratch": str(self.zygote.scratch), "keep": self.zygote.kept_under_tmp,
                                     "work": str(self.slot.work),
                                     "private": str(self.slot.private), "uid": self.slot.uid,
                                     "env": kernel_environment(str(self.slot.work), str(self.slot.private)),
                                     "limits": self.zygote.limits.kernel_limits(), "arguments": arguments})
        self.kernel_pid = reply["pid"]
        self.pid = self.pgid = None
        return self.connection_info

    async def poll(self):
        if self.kernel_pid is None:
            return 0
        reply = self.zygote.request({"op": "poll", "pid": self.kernel_pid})
        self.stopped_because = reply.get("reason") or self.stopped_because
        return reply.get("returncode")

    async def wait(self):
        import asyncio

        while (code := await self.poll()) is None:
            await asyncio.sleep(0.02)
        return code

    async def send_signal(self, signum: int) -> None:
        if self.kernel_pid is not None:
            self.zygote.request({"op": "signal", "pid": self.kernel_pid, "signum": int(signum)})

    async def kill(self, restart: bool = False) -> None:
        if self.kernel_pid is not None:
            await self.poll()
            self.zygote.request({"op": "kill", "pid": self.kernel_pid})
            self.kernel_pid = None

    async def terminate(self, restart: bool = False) -> None:
        await self.kill(restart)

    async def cleanup(self, restart: bool = False) -> None:
        pass


class PromptKernelClient(AsyncKernelClient):
    """A client that is ready as soon as the kernel has answered and its IOPub messages reach us, without
    jupyter_client's fixed waits for more messages (a fifth of a second or more per notebook)."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        import time
        from queue import Empty

        deadline = time.monotonic() + (timeout or 60)
        while time.monotonic() < deadline:
            request = self.kernel_info()
            replied = idle = False
            attempt_ends = time.monotonic() + 0.5
            while not (replied and idle) and time.monotonic() < min(attempt_ends, deadline):
                if not replied:
                    try:
                        message = await self.shell_channel.get_msg(timeout=0.02)
                        if message["parent_header"].get("msg_id") == request and message["msg_type"] == "kernel_info_reply":
                            replied = True
                            self._handle_kernel_info_reply(message)
                            attempt_ends = time.monotonic() + 0.1  # IOPub should follow at once, or we ask again
                    except Empty:
                        pass
                try:
                    message = await self.iopub_channel.get_msg(timeout=0.005 if not replied else 0.02)
                    idle = idle or (message["parent_header"].get("msg_id") == request and message["msg_type"] == "status"
                                    and message["content"].get("execution_state") == "idle")
                except Empty:
                    pass
            if replied and idle:
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
        raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")


class Sandbox:
    """Makes kernels for grading. Use as a context manager; `new_kernel()` returns (manager, slot)."""

    mechanisms: list[Mechanism] = []

    def __init__(self, limits: Limits | None = None):
        self.limits = limits or Limits()
        self.scratch = Path(tempfile.mkdtemp(prefix="notalone-grade-"))
        os.chmod(self.scratch, 0o700)
        self._counter = 0
        self._lock = threading.Lock()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)

    def _next_slot(self, uid: int | None) -> KernelSlot:
        with self._lock:
            self._counter += 1
            number = self._counter
        return KernelSlot(self.scratch / f"kernel-{os.getpid()}-{number}", uid)

    def _manager(self, slot: KernelSlot) -> AsyncKernelManager:
        manager = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=str(slot.private / "kernel"))
        manager.connection_file = str(slot.private / "connection.json")
        manager.client_class = "notalone.sandbox.PromptKernelClient"
        manager.shutdown_wait_time = 0.5
        return manager

    def new_kernel(self):
        raise NotImplementedError

    def ready(self) -> "Sandbox":
        return self

    def stopped_because(self, manager) -> str | None:
        """Why the sandbox stopped this kernel (a limit), if it did."""
        return getattr(manager.provisioner, "stopped_because", None)

    @property
    def description(self) -> str:
        raise NotImplementedError


def _launcher(limits: Limits) -> list[str]:
    """A kernel command that applies the limits, silences the standard streams, then starts ipykernel."""
    code = ("import json,sys;from notalone.zygote import apply_limits,quiet_standard_streams;"
            f"apply_limits(json.loads({json.dumps(limits.rlimits())!r}), relative_processes=True);quiet_standard_streams();"
            "from ipykernel.kernelapp import launch_new_instance;sys.argv=['ipykernel']+sys.argv[1:];launch_new_instance()")
    return [sys.executable, "-s", "-P", "-c", code, "-f", "{connection_file}"]


class NoSandbox(Sandbox):
    """The teacher opted out: kernels run as the teacher, with resource limits per process but no isolation."""

    description = "no sandbox (opted out): student code runs as you, with resource limits only"
    mechanisms = [Mechanism("sandbox", False, "opted out with --no-sandbox: student code runs as you and can read "
                                              "your files; limits apply per process only.", "leave out --no-sandbox.")]

    def new_kernel(self):
        slot = self._next_slot(None)
        manager = self._manager(slot)
        manager.kernel_spec.argv = _launcher(self.limits)
        return manager, slot


class ZygoteSandbox(Sandbox):
    """One Bubblewrap sandbox with a fork-server; each kernel is a fork in namespaces of its own."""

    def __init__(self, limits: Limits | None = None, preload=PRELOAD):
        super().__init__(limits)
        self.root = os.geteuid() == 0
        self.socket_path = str(self.scratch / "zygote.sock")
        # Kernels get an empty /tmp and /dev/shm of their own; read-only folders they need from there are put back.
        self.kept_under_tmp = [str(folder) for folder in _read_only_folders()
                               if any(folder.is_relative_to(place) for place in ("/tmp", "/dev/shm"))]
        from .cgroups import CgroupParent

        self.cgroup_parent, cgroup_problem = CgroupParent.create()
        binds = _read_only_binds() + ["--bind", str(self.scratch), str(self.scratch)]
        cgroups = None
        if self.cgroup_parent is not None:
            inside = {name: f"/run/notalone-cgroup/{name}" for name in self.cgroup_parent.folders}
            for name, folder in self.cgroup_parent.folders.items():
                binds += ["--bind", str(folder), inside[name]]
            cgroups = {"version": self.cgroup_parent.version, "parents": inside}
        if self.root:
            privileges = ["--cap-drop", "ALL", *[arg for cap in ("SETUID", "SETGID", "KILL", "SYS_ADMIN", "SYS_PTRACE", "DAC_READ_SEARCH")
                                                 for arg in ("--cap-add", f"CAP_{cap}")]]
        else:
            privileges = ["--unshare-user"]
        config = {"socket": self.socket_path, "preload": list(preload), "cgroups": cgroups}
        # The fork-server keeps the grader's cgroup namespace, so it can move kernels into their groups (each
        # kernel gets a namespace of its own).
        command = ["bwrap", *privileges, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                   "--die-with-parent", "--new-session", *binds, "--proc", "/proc", "--dev", "/dev",
                   "--chdir", str(self.scratch), "--clearenv", "--setenv", "PATH", "/usr/bin:/bin",
                   "--setenv", "HOME", str(self.scratch), "--setenv", "LANG", "C.UTF-8",
                   sys.executable, "-s", "-P", "-m", "notalone.zygote", json.dumps(config)]
        self._log = self.scratch / "zygote.log"
        with open(self._log, "w") as log:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                            text=True, start_new_session=True)
        self._cgroup_problem, self._ready = cgroup_problem, False
        self.use_uid_block(0)

    def ready(self) -> "ZygoteSandbox":
        """Wait until the fork-server has imported everything and one confined kernel has started (the start-up
        runs while the grader prepares, so call this as late as possible)."""
        if self._ready:
            return self
        line = self.process.stdout.readline().strip()
        self.process.stdout.close()
        if line != "ready":
            self.close()
            raise SandboxUnavailable(f"the grading sandbox did not start: {self._log.read_text()[-2000:]}")
        os.chmod(self.socket_path, 0o600)
        self.mechanisms = self._mechanisms(self._cgroup_problem)
        self._check_a_kernel_starts()
        self._ready = True
        return self

    def _mechanisms(self, cgroup_problem: str) -> list[Mechanism]:
        from . import cgroups, seccomp

        limits = self.limits
        found = [Mechanism("namespaces", True, "each kernel has its own files, processes, IPC, network (none) and "
                                                "host name; it sees no other kernel, folder or socket."),
                 Mechanism("own user id", self.root, "each kernel runs under a user id of its own."
                           if self.root else "kernels run under your user id, each in a user namespace it cannot leave.",
                           "grade as root (for example with sudo) for a separate user id per kernel.")]
        if self.cgroup_parent is not None:
            found.append(Mechanism("cgroup", True, f"cgroup v{self.cgroup_parent.version} per kernel: {limits.memory_mb} MiB "
                                   f"and {limits.processes} processes count every process it starts, its shared memory "
                                   "and its in-memory folders."))
        else:
            found.append(Mechanism("cgroup", False, f"{cgroup_problem}. A watchdog measures each kernel as a whole every "
                                   f"{int(1000 * 0.2)} ms instead: a sudden burst can pass the memory limit until the next "
                                   "check (each process is also held to the limit by itself).", cgroups.HOW_TO_GET))
        found.append(Mechanism("seccomp", seccomp.available(), "kernels cannot create namespaces, mount, trace other "
                               "processes or gain privileges." if seccomp.available() else
                               f"no filter for this CPU ({os.uname().machine}); kernels still cannot gain privileges.",
                               "grade on an x86_64 or arm64 machine."))
        found.append(Mechanism("disk", True, f"the working folder, /tmp and /dev/shm are in memory, {limits.disk_mb} MiB "
                               "each, and count toward the memory limit; nothing is left when the kernel ends."))
        return found

    def _check_a_kernel_starts(self) -> None:
        """Start and stop one confined process, so a machine that cannot confine kernels is told now, not per student."""
        slot = self._next_slot(self._take_uid())
        try:
            reply = self.request({"op": "spawn", "name": slot.root.name, "connection_file": str(slot.private / "none.json"),
                                  "scratch": str(self.scratch), "keep": self.kept_under_tmp, "work": str(slot.work),
                                  "private": str(slot.private),
                                  "uid": slot.uid, "env": {}, "limits": self.limits.kernel_limits(),
                                  "arguments": ["--check-only-no-such-option"]})
            self.request({"op": "kill", "pid": reply["pid"]})
        except RuntimeError as error:
            self.close()
            raise SandboxUnavailable(f"kernels cannot be confined on this machine: {error}") from None
        finally:
            slot.remove()

    def use_uid_block(self, index: int) -> None:
        """Give this process (a grading worker) its own block of kernel user ids."""
        self._uids = iter(range(FIRST_KERNEL_UID + index * 100_000, FIRST_KERNEL_UID + (index + 1) * 100_000))

    def _take_uid(self) -> int | None:
        if not self.root:
            return None
        with self._lock:
            return next(self._uids)

    @property
    def description(self) -> str:
        return "Bubblewrap sandbox with a fork-server, one confined kernel per notebook"

    def request(self, message: dict) -> dict:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(self.socket_path)
            connection.sendall(json.dumps(message).encode() + b"\n")
            reply = read_message(connection)
        if "error" in reply:
            raise RuntimeError(f"grading sandbox: {reply['error']}")
        return reply

    def new_kernel(self):
        slot = self._next_slot(self._take_uid())
        manager = self._manager(slot)
        manager.provisioner = ZygoteProvisioner(kernel_id=manager.kernel_id or slot.root.name, kernel_spec=manager.kernel_spec,
                                                parent=manager, zygote=self, slot=slot)
        return manager, slot

    def stopped_because(self, manager) -> str | None:
        provisioner = manager.provisioner
        if isinstance(provisioner, ZygoteProvisioner) and provisioner.kernel_pid is not None:
            try:
                reason = self.request({"op": "poll", "pid": provisioner.kernel_pid}).get("reason")
            except (OSError, RuntimeError):
                reason = None
            provisioner.stopped_because = reason or provisioner.stopped_because
        return getattr(provisioner, "stopped_because", None)

    def _remove_cgroups(self) -> None:
        if self.cgroup_parent is not None:
            self.cgroup_parent.remove()
            self.cgroup_parent = None

    def close(self) -> None:
        if self.process.stdout and not self.process.stdout.closed:
            self.process.stdout.close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._remove_cgroups()
        super().close()


_SHARED: dict = {"sandbox": None, "owned": False}
_SHARED_LOCK = threading.Lock()


def shared_sandbox(limits: Limits, *, enabled: bool = True) -> Sandbox:
    """The sandbox this process grades with: the one `notalone grade` opened before its workers forked (see
    `sharing`), or else one opened on first use and kept until the process ends (plain `nbgrader autograde`,
    formgrader's Autograde button). A change of limits or of `enabled` opens a new one."""
    with _SHARED_LOCK:
        current = _SHARED["sandbox"]
        if current is not None and current.limits == limits and isinstance(current, NoSandbox) != enabled:
            return current
        if current is not None and _SHARED["owned"]:
            current.close()
        sandbox = open_sandbox(limits, enabled=enabled)
        if not _SHARED["owned"]:
            atexit.register(_close_shared)
        _SHARED.update(sandbox=sandbox, owned=True, pid=os.getpid())
        return sandbox


def _close_shared() -> None:
    if _SHARED["owned"] and _SHARED["sandbox"] is not None and _SHARED.get("pid") == os.getpid():
        _SHARED["sandbox"].close()
    _SHARED.update(sandbox=None, owned=False)


@contextlib.contextmanager
def sharing(sandbox: Sandbox):
    """Make `sandbox` the one `shared_sandbox` returns in this process and the processes it forks."""
    previous = dict(_SHARED)
    _SHARED.update(sandbox=sandbox, owned=False)
    try:
        yield sandbox
    finally:
        _SHARED.clear()
        _SHARED.update(previous)


def open_sandbox(limits: Limits | None = None, *, enabled: bool = True, wait: bool = True) -> Sandbox:
    """The best sandbox this machine allows; SandboxUnavailable (with the reason) if there is none. With
    wait=False it is still starting: call `ready()` before the first kernel."""
    if not enabled:
        return NoSandbox(limits)
    problem = bwrap_problem()
    if problem:
        raise SandboxUnavailable(problem)
    sandbox = ZygoteSandbox(limits)
    return sandbox.ready() if wait else sandbox
