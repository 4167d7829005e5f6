"""A seccomp filter for grading kernels: no new namespaces, no mounts, no looking into other processes.

Everything else a notebook may do (files, threads, subprocesses, multiprocessing) still works. A
refused call fails with EPERM, so student code sees an ordinary OSError. The filter is a small
classic-BPF program written here, so nothing outside the standard library is needed.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

from .namespaces import PR_SET_NO_NEW_PRIVS, _check, _libc

PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
RET_ALLOW, RET_ERRNO, RET_KILL_PROCESS = 0x7FFF0000, 0x00050000, 0x80000000
NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET

REFUSED = ("unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen",
           "fsconfig", "fsmount", "fspick", "mount_setattr", "ptrace", "process_vm_readv", "process_vm_writev",
           "keyctl", "add_key", "request_key", "bpf", "userfaultfd", "perf_event_open", "io_uring_setup",
           "kexec_load", "init_module", "finit_module", "delete_module", "acct", "swapon", "swapoff", "reboot")

# Per architecture: the audit id, and the system call numbers used above (clone's flags are checked,
# clone3 says "not implemented" so the C library falls back to clone).
ARCHITECTURES = {
    "x86_64": (0xC000003E, {
        "clone": 56, "clone3": 435, "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155,
        "chroot": 161, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
        "fspick": 433, "mount_setattr": 442, "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
        "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "userfaultfd": 323, "perf_event_open": 298,
        "io_uring_setup": 425, "kexec_load": 246, "init_module": 175, "finit_module": 313, "delete_module": 176,
        "acct": 163, "swapon": 167, "swapoff": 168, "reboot": 169}),
    "aarch64": (0xC00000B7, {
        "clone": 220, "clone3": 435, "unshare": 97, "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41,
        "chroot": 51, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
        "fspick": 433, "mount_setattr": 442, "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
        "keyctl": 219, "add_key": 217, "request_key": 218, "bpf": 280, "userfaultfd": 282, "perf_event_open": 241,
        "io_uring_setup": 425, "kexec_load": 104, "init_module": 105, "finit_module": 273, "delete_module": 106,
        "acct": 89, "swapon": 224, "swapoff": 225, "reboot": 142}),
}

# Classic BPF opcodes.
_LD_W_ABS, _JEQ_K, _JSET_K, _RET_K = 0x20, 0x15, 0x45, 0x06
_X32_BIT = 0x40000000


def available() -> bool:
    return platform.machine() in ARCHITECTURES


def _instruction(code: int, jt: int = 0, jf: int = 0, k: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def program(machine: str | None = None) -> bytes:
    """The filter for this CPU, as bytes of struct sock_filter."""
    machine = machine or platform.machine()
    arch, numbers = ARCHITECTURES[machine]
    refuse = RET_ERRNO | errno.EPERM
    code = [_instruction(_LD_W_ABS, k=4),                        # seccomp_data.arch
            _instruction(_JEQ_K, 1, 0, arch),
            _instruction(_RET_K, k=RET_KILL_PROCESS),            # another ABI: refuse everything
            _instruction(_LD_W_ABS, k=0)]                        # seccomp_data.nr
    if machine == "x86_64":
        code += [_instruction(_JSET_K, 0, 1, _X32_BIT), _instruction(_RET_K, k=refuse)]
    for name in REFUSED:
        code += [_instruction(_JEQ_K, 0, 1, numbers[name]), _instruction(_RET_K, k=refuse)]
    code += [_instruction(_JEQ_K, 0, 1, numbers["clone3"]), _instruction(_RET_K, k=RET_ERRNO | errno.ENOSYS),
             _instruction(_JEQ_K, 0, 4, numbers["clone"]),
             _instruction(_LD_W_ABS, k=16),                      # low 32 bits of args[0]: clone's flags
             _instruction(_JSET_K, 0, 1, NAMESPACE_FLAGS),
             _instruction(_RET_K, k=refuse),
             _instruction(_RET_K, k=RET_ALLOW),
             _instruction(_RET_K, k=RET_ALLOW)]
    return b"".join(code)


def install() -> None:
    """Apply the filter to this process and everything it starts (irreversible)."""
    filter_bytes = program()
    buffer = ctypes.create_string_buffer(filter_bytes, len(filter_bytes))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(filter_bytes) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), 0, 0, 0), "prctl no_new_privs")
    _check(_libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER), ctypes.byref(fprog), 0, 0), "seccomp")
