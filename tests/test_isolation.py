"""Isolation that holds: what a hostile submission tries against the class and the teacher's machine.

One Unit 1 course, graded with `notalone grade` as root and from a normal teacher account (each in a
subprocess, whose terminal output is checked too). Every case is a perfect submission with an attack
added in front of its answer, and the outcome it must get. Students are graded in name order by two
workers, so the observers (named "zz-...") run after the attacks, and some attacks run side by side.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from nbgrader_harness import (REPO, build_submission, copy_course, load_specs, nbgrader, private_course_folder,
                              teacher_account)

ASSIGNMENT = "unit01-online-kidnapping"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
SPEC = load_specs()[ASSIGNMENT]["submissions"]
LIMITS = {"cell_seconds": 15, "notebook_seconds": 45, "memory_mb": 600, "processes": 48, "output_kb": 512,
          "cpu_seconds": 6, "disk_mb": 64}
DAEMON_MARK = "notalone-leftover-daemon"
FAKE_PROGRESS = "[##############################] 40/40 FAKE-PROGRESS-LINE"
pytestmark = pytest.mark.nbgrader


def perfect_total() -> float:
    source = nbformat.read(REPO / "assessments" / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    return float(sum(c.metadata.nbgrader.get("points", 0) for c in source.cells
                     if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.get("solution")))


PERFECT = perfect_total()

# The attacks -----------------------------------------------------------------------------------------

LEFTOVERS = f"""
import ctypes, os, socket, subprocess, sys
open('/tmp/notalone-leak', 'w').write('secret from an earlier student')
open('/dev/shm/notalone-leak', 'w').write('secret from an earlier student')
libc = ctypes.CDLL(None, use_errno=True)
segment = libc.shmget(0x4E414C54, 4096, 0o1666)   # IPC_CREAT, readable by anyone
daemon = '''
import os, socket, time
if os.fork(): os._exit(0)
os.setsid()
tcp = socket.socket(); tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind(('127.0.0.1', 45678)); tcp.listen(5)
unix = socket.socket(socket.AF_UNIX); unix.bind('\\\\0notalone-leak'); unix.listen(5)
time.sleep(90)
'''
subprocess.Popen([sys.executable, '-c', daemon, '{DAEMON_MARK}'], start_new_session=True)
import time; time.sleep(1)
"""

OBSERVE = f"""
import ctypes, glob, os, socket
_seen = []
for _path in ('/tmp/notalone-leak', '/dev/shm/notalone-leak'):
    if os.path.exists(_path): _seen.append(_path)
if ctypes.CDLL(None).shmget(0x4E414C54, 0, 0) >= 0: _seen.append('system-v-segment')
for _family, _address in ((socket.AF_INET, ('127.0.0.1', 45678)), (socket.AF_UNIX, '\\0notalone-leak')):
    try:
        socket.socket(_family).connect(_address); _seen.append(f'listening {{_address!r}}')
    except OSError:
        pass
for _pid in [p for p in os.listdir('/proc') if p.isdigit()]:
    try:
        if b'{DAEMON_MARK}' in open(f'/proc/{{_pid}}/cmdline', 'rb').read(): _seen.append('daemon process')
    except OSError:
        pass
_scratch = os.path.dirname(os.path.dirname(os.getcwd()))
_seen += [f'scratch:{{n}}' for n in os.listdir(_scratch) if not os.getcwd().startswith(os.path.join(_scratch, n))]
print('OBSERVED:', _seen or 'nothing')
import subprocess
print('ECHO:', subprocess.run(['echo', 'hi'], capture_output=True, text=True, timeout=10).stdout.strip())
"""

MEMORY_BY_CHILDREN = """
import subprocess, sys
_hog = "b = bytearray(150 * 2**20)\\nfor i in range(0, len(b), 4096): b[i] = 1\\nimport time; time.sleep(20)"
_kids = [subprocess.Popen([sys.executable, '-c', _hog]) for _ in range(6)]
import time; time.sleep(6)
"""

MEMORY_IN_FOLDERS = """
import os
_chunk = b'x' * 2**20
for _folder in ('.', '/tmp', '/dev/shm'):
    try:
        with open(os.path.join(_folder, 'fill.bin'), 'wb') as _f:
            for _ in range(60): _f.write(_chunk)
    except OSError:
        pass
import subprocess, sys
_hog = "b = bytearray(440 * 2**20)\\nfor i in range(0, len(b), 4096): b[i] = 1\\nimport time; time.sleep(8)"
subprocess.run([sys.executable, '-c', _hog])
"""

DISK_FILL = """
import errno, os
_written, _error = 0, None
try:
    with open('big.bin', 'wb') as _f:
        for _ in range(4096):
            _f.write(b'x' * 2**20); _f.flush(); _written += 1
except OSError as e:
    _error = errno.errorcode.get(e.errno)
os.remove('big.bin')
print('DISK:', _written, _error)
"""

PROCESS_TREE_BOMB = """
import os, time
for _ in range(12):
    try:
        if os.fork() == 0:
            for _ in range(12):
                try:
                    if os.fork() == 0:
                        time.sleep(30); os._exit(0)
                except OSError:
                    pass
            time.sleep(30); os._exit(0)
    except OSError:
        pass
time.sleep(3)
"""

CPU_BY_CHILDREN = """
import subprocess, sys, time
_kids = [subprocess.Popen([sys.executable, '-c', 'while True: pass']) for _ in range(3)]
time.sleep(14)   # under the cell time limit: the CPU limit must come first
"""

ESCAPES = """
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
_tries = {
    'unshare-user': lambda: libc.unshare(0x10000000),
    'unshare-mount': lambda: libc.unshare(0x00020000),
    'mount-tmpfs': lambda: libc.mount(b'none', b'/tmp', b'tmpfs', 0, None),
    'setns': lambda: libc.setns(os.open('/proc/1/ns/mnt', os.O_RDONLY), 0),
    'ptrace-init': lambda: libc.ptrace(16, 1, None, None),
    'chroot': lambda: libc.chroot(b'/tmp'),
}
_allowed = []
for _name, _call in _tries.items():
    try:
        if _call() == 0: _allowed.append(_name)
    except OSError:
        pass
try:
    socket.create_connection(('1.1.1.1', 53), timeout=2); _allowed.append('network')
except OSError:
    pass
try:
    open('/dev/tty', 'w').write('hi'); _allowed.append('terminal')
except OSError:
    pass
_visible = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
print('ESCAPES:', _allowed or 'none', 'PROCESSES:', len(_visible))
"""

FAKE_TERMINAL = f"""
import os, subprocess, sys
os.write(1, b'\\r{FAKE_PROGRESS}\\n'); os.write(2, b'\\r{FAKE_PROGRESS}\\n')
subprocess.run(['sh', '-c', 'printf "\\\\r{FAKE_PROGRESS}\\\\n" >&2; printf "{FAKE_PROGRESS}" > /proc/1/fd/2'])
sys.__stderr__.write('{FAKE_PROGRESS}\\n')
"""

DISPLAY_UPDATE_FLOOD = """
from IPython.display import display
_handle = display('start', display_id=True)
for _ in range(400):
    _handle.update('y' * 10000)
"""

WIDGET_FLOOD = """
import ipywidgets
_text = ipywidgets.Text()
for _ in range(400):
    _text.value = 'w' * 10000 + str(_)
"""

HELPER_PRINTS = """
import subprocess, sys
subprocess.run([sys.executable, '-c', "print('h' * 150000)"])
"""

SETUID_FILE = """
import os
print('MODE:', oct(os.stat('tool.bin').st_mode))
"""


def prepend(code):
    def change(notebook, folder):
        cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "red-flags-solution")
        cell.source = code + "\n\n" + cell.source
    return change


def with_setuid_file(notebook, folder):
    prepend(SETUID_FILE)(notebook, folder)
    (folder / "tool.bin").write_bytes(b"\x7fELF not really")
    os.chmod(folder / "tool.bin", 0o6755)


# name -> (change, expected total or None when only the flag is fixed, flag that must be raised or None)
CASES = {
    "a-leftovers": (prepend(LEFTOVERS), PERFECT, None),
    "b-memory-by-children": (prepend(MEMORY_BY_CHILDREN), None, "memory limit"),
    "c-memory-in-folders": (prepend(MEMORY_IN_FOLDERS), None, "memory limit"),
    "d-disk-fill": (prepend(DISK_FILL), PERFECT, None),
    "e-process-tree-bomb": (prepend(PROCESS_TREE_BOMB), None, None),
    "f-cpu-by-children": (prepend(CPU_BY_CHILDREN), None, "CPU time limit"),
    "g-escapes": (prepend(ESCAPES), PERFECT, None),
    "h-fake-terminal": (prepend(FAKE_TERMINAL), PERFECT, None),
    "i-display-update-flood": (prepend(DISPLAY_UPDATE_FLOOD), None, "output limit"),
    "j-widget-flood": (prepend(WIDGET_FLOOD), None, "output limit"),
    "k-helper-prints-150kb": (prepend(HELPER_PRINTS), PERFECT, None),
    "l-setuid-file": (with_setuid_file, PERFECT, None),
    "zz-observer": (prepend(OBSERVE), PERFECT, None),
    "zz-observer-alone": (prepend(OBSERVE), PERFECT, None),
}

_GRADE = """
import json, sys
from dataclasses import asdict
from pathlib import Path
from notalone.grader import grade
from notalone.sandbox import Limits
students = json.loads(sys.argv[5]) if len(sys.argv) > 5 else None
outcomes = grade(Path(sys.argv[1]), sys.argv[2], students=students, workers=int(sys.argv[4]),
                 limits=Limits(**json.loads(sys.argv[3])), announce=lambda ms: [print(m.line(), file=sys.stderr) for m in ms])
print("NOTALONE-OUTCOMES " + json.dumps([asdict(o) for o in outcomes]))
"""


def grade_in_subprocess(course: Path, account: str | None, students: list[str] | None = None) -> tuple[dict, str]:
    """Grade as `account` (None: as root) in a process of its own; returns outcomes and all it printed."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "LANG": "C.UTF-8"}
    command = [sys.executable, "-c", _GRADE, str(course), ASSIGNMENT, json.dumps(LIMITS), "2"] + (
        [json.dumps(students)] if students else [])
    if account is not None and os.geteuid() != 0:
        account = None  # the tests already run as that normal account
    if account is not None:
        subprocess.run(["chown", "-R", f"{account}:{account}", str(course)], check=True)
        env["HOME"] = str(Path("~" + account).expanduser())
        command = ["runuser", "-u", account, "--", "env", "-i", *[f"{k}={v}" for k, v in env.items()], *command]
    else:
        env["HOME"] = os.path.expanduser("~")
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=str(course),
                            env=env if account is None else None)
    line = next((l for l in result.stdout.splitlines() if l.startswith("NOTALONE-OUTCOMES ")), None)
    assert result.returncode == 0 and line, f"grading failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return {o["student"]: o for o in json.loads(line.split(" ", 1)[1])}, result.stdout + result.stderr


@pytest.fixture(scope="module", params=["root", "normal-user"])
def graded(request):
    if os.geteuid() != 0 and request.param == "root":
        pytest.skip("grading as root needs root")  # CI runs as root, so both modes run there
    account = teacher_account() if request.param == "normal-user" else None
    course = copy_course(private_course_folder()).resolve()
    try:
        nbgrader(course, "db", "assignment", "add", ASSIGNMENT)
        nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
        for name, (change, *_rest) in CASES.items():
            build_submission(course, ASSIGNMENT, name, SPEC["perfect"])
            folder = course / "submitted" / name / ASSIGNMENT
            notebook = nbformat.read(folder / NOTEBOOK, as_version=4)
            change(notebook, folder)
            nbformat.write(notebook, folder / NOTEBOOK)
        alone = "zz-observer-alone"
        outcomes, printed = grade_in_subprocess(course, account, [s for s in CASES if s != alone])
        alone_outcomes, _ = grade_in_subprocess(course, account, [alone])
        outcomes.update(alone_outcomes)
        leftovers = subprocess.run(["pgrep", "-f", DAEMON_MARK], capture_output=True, text=True).stdout.split()
        yield request.param, course, outcomes, printed, leftovers
    finally:
        subprocess.run(["pkill", "-9", "-f", DAEMON_MARK])
        shutil.rmtree(course, ignore_errors=True)


def total(course: Path, student: str) -> float:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="not-alone") as gb:
        return gb.find_submission(ASSIGNMENT, student).score


def solution_output(course: Path, student: str) -> str:
    notebook = nbformat.read(course / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "red-flags-solution")
    return "".join(o.get("text", "") for o in cell.get("outputs", []))


def test_the_corpus_has_at_least_twelve_attacks():
    assert len([name for name in CASES if not name.startswith("zz-")]) >= 12


@pytest.mark.parametrize("case", list(CASES))
def test_each_attack_gets_its_expected_outcome(graded, case):
    mode, course, outcomes, _, _ = graded
    _change, expected, flag = CASES[case]
    outcome = outcomes[case]
    assert outcome["graded"], f"{mode}: {case} was not graded: {outcome['flags']}"
    reasons = " | ".join(f["reason"] for f in outcome["flags"])
    if flag:
        assert flag in reasons, f"{mode}: {case} should be flagged for {flag!r}, got {reasons!r}"
    if expected is not None:
        assert total(course, case) == pytest.approx(expected), f"{mode}: {case}: {reasons}"


def test_an_honest_student_after_the_attacks_scores_as_when_graded_alone(graded):
    mode, course, outcomes, _, _ = graded
    assert total(course, "zz-observer") == total(course, "zz-observer-alone") == pytest.approx(PERFECT)
    assert not outcomes["zz-observer"]["flags"]


def test_nothing_crosses_from_one_kernel_to_the_next(graded):
    mode, course, _, _, _ = graded
    for observer in ("zz-observer", "zz-observer-alone"):
        seen = solution_output(course, observer)
        assert "OBSERVED: nothing" in seen, f"{mode}: {observer} saw what another kernel left: {seen}"
        assert "ECHO: hi" in seen


def test_no_process_of_a_kernel_survives_grading(graded):
    mode, _, _, _, leftovers = graded
    assert leftovers == [], f"{mode}: processes started by a kernel outlived it: {leftovers}"
    if mode == "root":
        from notalone.sandbox import FIRST_KERNEL_UID

        owners = [os.stat(f"/proc/{p}").st_uid for p in os.listdir("/proc") if p.isdigit() and os.path.exists(f"/proc/{p}")]
        assert not [uid for uid in owners if uid >= FIRST_KERNEL_UID], "a kernel user still has processes"


def test_the_in_memory_disk_is_bounded(graded):
    mode, course, _, _, _ = graded
    match = re.search(r"DISK: (\d+) (\w+)", solution_output(course, "d-disk-fill"))
    assert match and match.group(2) == "ENOSPC" and int(match.group(1)) <= LIMITS["disk_mb"], solution_output(course, "d-disk-fill")


def test_a_process_bomb_stays_within_the_kernel(graded):
    mode, course, outcomes, _, _ = graded
    reasons = " ".join(f["reason"] for f in outcomes["e-process-tree-bomb"]["flags"])
    assert "process limit" in reasons or total(course, "e-process-tree-bomb") == pytest.approx(PERFECT), reasons


def test_no_escape_from_the_kernels_namespaces(graded):
    mode, course, _, _, _ = graded
    seen = solution_output(course, "g-escapes")
    assert "ESCAPES: none" in seen, f"{mode}: {seen}"
    processes = int(re.search(r"PROCESSES: (\d+)", seen).group(1))
    assert processes <= 4, f"{mode}: the kernel sees {processes} processes"


def test_nothing_a_kernel_prints_reaches_the_teachers_terminal(graded):
    mode, _, _, printed, _ = graded
    assert "FAKE-PROGRESS-LINE" not in printed
    assert "namespaces" in printed and "seccomp" in printed  # the mechanisms are announced at the start


def test_floods_leave_a_small_graded_notebook(graded):
    mode, course, _, _, _ = graded
    for case in ("i-display-update-flood", "j-widget-flood"):
        size = (course / "autograded" / case / ASSIGNMENT / NOTEBOOK).stat().st_size
        assert size < 3 * LIMITS["output_kb"] * 1024, f"{mode}: {case} saved {size} bytes"


def test_staged_files_carry_no_setuid_bit_and_stay_private(graded):
    mode, course, _, _, _ = graded
    seen = solution_output(course, "l-setuid-file")
    mode_bits = int(re.search(r"MODE: 0o(\d+)", seen).group(1), 8)
    assert not mode_bits & (stat.S_ISUID | stat.S_ISGID), f"{mode}: the kernel saw {oct(mode_bits)}"
    staged = course / ".notalone"
    assert stat.S_IMODE(staged.stat().st_mode) == 0o700
    for path in staged.rglob("*"):
        assert not path.stat().st_mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX), path


def _worker_that_hangs_or_dies(index, root, assignment, tasks, results):
    from notalone.grader import Outcome

    while (student := tasks.get()) is not None:
        results.put(("started", index, student))
        if student == "stuck":
            time.sleep(3600)
        if student == "crashes":
            os._exit(1)
        results.put(Outcome(student, assignment, True, 0.0))


def test_one_stuck_or_dead_worker_costs_one_student_not_the_class():
    from notalone.grader import run_workers

    students = ["a", "stuck", "b", "crashes", "c", "d"]
    started = time.monotonic()
    outcomes = {o.student: o for o in run_workers(_worker_that_hangs_or_dies, ("course", "a1"), students, 2, deadline=3)}
    assert time.monotonic() - started < 60
    assert {s for s, o in outcomes.items() if o.graded} == {"a", "b", "c", "d"}
    assert "longer than 3 s" in outcomes["stuck"].flags[0].reason
    assert "worker stopped" in outcomes["crashes"].flags[0].reason
