"""`notalone grade`: autograde a class in parallel, each notebook in its own fresh, sandboxed kernel.

Grading goes through nbgrader's own Autograde converter and gradebook, so formgrader and
`nbgrader export` work unchanged and the scores are nbgrader's. What differs:
- several students are graded at once (worker processes), and kernels come from a sandbox
  (notalone.sandbox) that starts them cheaply;
- submissions are checked and staged first (wrong names, broken or huge files, symlinks,
  tampered test cells), so one bad submission never stops the batch, and every problem is
  reported as a flag with its reason;
- output on stderr no longer costs a correct answer its points (stock nbgrader gives 0).
"""

from __future__ import annotations

import ast
import functools
import html
import itertools
import json
import multiprocessing
import os
import shutil
import stat
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from traitlets import Bool, Integer
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, Execute,
                                    IgnorePattern, LimitOutput, NbGraderPreprocessor, OverwriteCells, OverwriteKernelspec,
                                    SaveAutoGrades)

from . import scoring
from .feedback import SafeOutputs, without_hidden_tests
from .handin import stage_embedded_progress
from .safe_text import printable
from .sandbox import Limits, open_sandbox, shared_sandbox, sharing
from .withhold import KEYED_FILES, withhold_folder

RESULTS_FILE = "notalone-grading.json"
STAGING = Path(".notalone") / "staged"
MAX_NOTEBOOK_MB = 20
MAX_FILE_MB = 20
# Handed-in files that could stand in for code that grading runs: modules, packages, path hooks, start-up
# and configuration folders. They are never copied to where a kernel runs.
CODE_SUFFIXES = {".py", ".pyc", ".pyo", ".pyw", ".pth", ".so", ".pyd", ".egg-link"}


def could_shadow_code(relative: Path) -> bool:
    return relative.suffix.lower() in CODE_SUFFIXES or any(part.startswith(".") for part in relative.parts)


@dataclass
class Flag:
    """Something a teacher should know about one submission."""

    kind: str  # repaired | limit | invalid | error | review
    reason: str
    notebook: str = ""


@dataclass
class Outcome:
    student: str
    assignment: str
    graded: bool
    seconds: float
    flags: list[Flag] = field(default_factory=list)
    log: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # seconds by phase (see PHASES)


# The flags of the submission being graded in this process (collected by `notalone grade`, logged by nbgrader).
_FLAGS: list[Flag] = []


# Where the time of the current submission went (seconds by phase), for `bench/autograde.py --profile`.
_TIMINGS: dict[str, float] = {}
PHASES = ("staging and checks", "kernel start and stop", "student's cells", "tests", "nbgrader")


class _Timer:
    def __init__(self, phase: str):
        self.phase = phase

    def __enter__(self):
        self.started = time.perf_counter()

    def __exit__(self, *exc):
        _TIMINGS[self.phase] = _TIMINGS.get(self.phase, 0.0) + time.perf_counter() - self.started


def _timed(phase: str):
    """Count a method's time under `phase`."""
    def decorate(method):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            with _Timer(phase):
                return method(*args, **kwargs)
        return wrapper
    return decorate


def _flag(kind: str, reason: str, resources: dict | None = None) -> None:
    notebook = (resources or {}).get("nbgrader", {}).get("notebook", "")
    _FLAGS.append(Flag(kind, reason, notebook))
    from traitlets.config import Application

    if Application.initialized():  # plain `nbgrader autograde` or formgrader: the flag goes to their log
        student = (resources or {}).get("nbgrader", {}).get("student", "")
        Application.instance().log.warning("notalone: %s, %s: %s: %s", printable(student), printable(notebook), kind,
                                           printable(reason))


class CoursePreprocessor(NbGraderPreprocessor):
    """A preprocessor that reads the teacher's own files: the course folder comes from nbgrader's configuration
    (CourseDirectory.root), as in every nbgrader command."""

    @property
    def course(self):
        from nbgrader.coursedir import CourseDirectory

        if getattr(self, "_course", None) is None:
            self._course = CourseDirectory(config=self.config)
        return self._course

    def source_folder(self, assignment: str) -> Path:
        return Path(self.course.format_path(self.course.source_directory, ".", assignment))

    def release_folder(self, assignment: str) -> Path:
        return Path(self.course.format_path(self.course.release_directory, ".", assignment))


def reference_notebook(release_folder: Path, source_folder: Path, notebook: str) -> Path:
    """What the student was given: the release (with the header and nbgrader's metadata), else the source."""
    release = release_folder / f"{notebook}.ipynb"
    return release if release.exists() else source_folder / f"{notebook}.ipynb"


def _link_or_special(submitted: Path, relative: Path) -> bool:
    """Whether the handed-in `relative` is, or passes through, a link, or is not a plain file (a device, a pipe)."""
    for depth in range(1, len(relative.parts) + 1):
        if (submitted / Path(*relative.parts[:depth])).is_symlink():
            return True
    try:
        return not stat.S_ISREG(os.lstat(submitted / relative).st_mode)
    except OSError:
        return False  # not handed in: nbgrader made it, or it came from source/


class RefuseLinkedFiles(CoursePreprocessor):
    """What plain `nbgrader autograde` copies without looking: it follows links, so a link in a submission
    brings in whatever it points at (the answer key, the teacher's files, /proc/self/environ). Before anything
    else, every such copy is removed from the autograded folder (so it reaches neither the kernel nor the
    feedback), and a linked notebook is graded as the notebook the student was given. `notalone grade` never
    stages links, so there this finds nothing."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        assignment, student, notebook = info["assignment"], info["student"], info["notebook"]
        course = self.course
        submitted = Path(course.format_path(course.submitted_directory, student, assignment))
        autograded = Path(course.format_path(course.autograded_directory, student, assignment))
        source = self.source_folder(assignment)
        if _link_or_special(submitted, Path(f"{notebook}.ipynb")):
            _flag("invalid", f"{printable(notebook)}.ipynb is a link, not a file: graded as the notebook you released", resources)
            nb = nbformat.read(reference_notebook(self.release_folder(assignment), source, notebook), as_version=4)
        for path in sorted(autograded.rglob("*")) if autograded.is_dir() else []:
            relative = path.relative_to(autograded)
            if path.suffix == ".ipynb" or not path.is_file() or (source / relative).is_file():
                continue
            if _link_or_special(submitted, relative):
                path.unlink()
                _flag("invalid", f"{printable(relative)} is a link or not a plain file: nbgrader's copy of what it "
                                 "points at was removed", resources)
        return nb, resources


class RepairStructure(CoursePreprocessor):
    """Put back what a student changed in the structure: deleted, duplicated, converted or re-labelled
    test cells and edited nbgrader metadata. Each repair is flagged; the student's answers are kept."""

    @_timed("staging and checks")
    def preprocess(self, nb, resources):
        assignment, notebook = resources["nbgrader"]["assignment"], resources["nbgrader"]["notebook"]
        reference = reference_notebook(self.release_folder(assignment), self.source_folder(assignment), notebook)
        source = nbformat.read(reference, as_version=4)
        source_cells = {c.metadata["nbgrader"]["grade_id"]: c for c in source.cells if "nbgrader" in c.metadata}
        seen, cells = set(), []
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            if meta is None:
                cells.append(cell)
                continue
            original = source_cells.get(grade_id)
            if original is None:
                _flag("repaired", f"cell with unknown grade_id {grade_id!r}: its grading metadata was removed", resources)
                del cell.metadata["nbgrader"]
            elif grade_id in seen:
                _flag("repaired", f"duplicated cell {grade_id!r}: the copy was ignored", resources)
                continue
            else:
                seen.add(grade_id)
                protected = original.metadata.nbgrader.get("locked") or not original.metadata.nbgrader.get("solution")
                if cell.cell_type != original.cell_type and protected:
                    _flag("repaired", f"cell {grade_id!r} was changed to {cell.cell_type}: restored from the source", resources)
                    cell = nbformat.from_dict(json.loads(json.dumps(original)))
                elif protected and cell.cell_type == "code" and cell.source.strip() != original.source.strip():
                    _flag("repaired", f"locked cell {grade_id!r} was edited: the original was run instead", resources)
                    cell.metadata["nbgrader"] = json.loads(json.dumps(original.metadata.nbgrader))
                elif cell.metadata["nbgrader"] != original.metadata.nbgrader:
                    changed = sorted(k for k in set(meta) | set(original.metadata.nbgrader)
                                     if k != "checksum" and meta.get(k) != original.metadata.nbgrader.get(k))
                    if changed:
                        _flag("repaired", f"grading metadata of {grade_id!r} was edited ({', '.join(changed)}): restored", resources)
                    checksum = meta.get("checksum")
                    cell.metadata["nbgrader"] = json.loads(json.dumps(original.metadata.nbgrader))
                    if checksum is not None:
                        cell.metadata["nbgrader"]["checksum"] = checksum
            cells.append(cell)
        order = [c.metadata["nbgrader"]["grade_id"] for c in source.cells if "nbgrader" in c.metadata]
        for index, grade_id in enumerate(order):
            original = source_cells[grade_id]
            if grade_id in seen or original.metadata.nbgrader.get("solution"):
                continue
            _flag("repaired", f"deleted cell {grade_id!r} was put back", resources)
            before = order[:index]
            position = max((i + 1 for i, c in enumerate(cells)
                            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") in before), default=len(cells))
            cells.insert(position, nbformat.from_dict(json.loads(json.dumps(original))))
            seen.add(grade_id)
        nb.cells = cells
        return nb, resources


def _plans(source: Path) -> dict[str, scoring.Plan]:
    """How each autograded cell is decided, from the teacher's source notebook (read once while unchanged)."""
    cache_key = (source, source.stat().st_mtime_ns)
    if cache_key not in _PLANS:
        _PLANS[cache_key] = scoring.plan_notebook(source)
    return _PLANS[cache_key]


_PLANS: dict[tuple[Path, int], dict] = {}


@functools.lru_cache(maxsize=None)
def _model_answer_widgets(source: Path, changed: int) -> frozenset[str]:
    return scoring.model_answer_widgets(source)


def _key(path: Path) -> scoring.Key:
    """The author's key for a chat or quiz (read once per worker while the file is unchanged)."""
    stamp = (path, path.stat().st_mtime_ns)
    if stamp not in _KEYS:
        _KEYS[stamp] = scoring.load_key(path)
    return _KEYS[stamp]


_KEYS: dict[tuple, scoring.Key] = {}


def _grade_id(cell) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) else None


class PlanExternalScores(CoursePreprocessor):
    """Before the kernel starts: read the submission's saved choices, and give the kernel only what it may run
    (decision and quiz cells become comments; code checks lose their expected values)."""

    @_timed("staging and checks")
    def preprocess(self, nb, resources):
        assignment, notebook = resources["nbgrader"]["assignment"], resources["nbgrader"]["notebook"]
        source = self.source_folder(assignment) / f"{notebook}.ipynb"
        plans = _plans(source)
        folder = Path(resources["metadata"]["path"])
        progress, problem = scoring.read_progress(folder)
        if problem and any(plan.kind != "checks" for plan in plans.values()):
            _flag("invalid", problem + ": the chat and quiz score 0", resources)
        resources["notalone"] = {"plans": plans, "progress": progress, "progress_problem": problem, "sources": {}}
        for where in scoring.borrowed_from_the_course(nb, _model_answer_widgets(source, source.stat().st_mtime_ns)):
            _flag("review", where + " where the model answer writes it: check this answer by hand", resources)
        for cell in nb.cells:
            plan = plans.get(_grade_id(cell))
            if plan is not None:
                resources["notalone"]["sources"][_grade_id(cell)] = cell.source
                cell.source = plan.kernel_source
        return nb, resources


class DecideExternalScores(CoursePreprocessor):
    """After the kernel ran: every planned cell's outputs become the grader's verdict, from the key and
    plain data only. Whatever the kernel printed or displayed in those cells is dropped."""

    @_timed("staging and checks")
    def preprocess(self, nb, resources):
        state = resources.get("notalone")
        if not state:
            return nb, resources
        assignment = resources["nbgrader"]["assignment"]
        source_folder = self.source_folder(assignment)
        keys: dict[str, scoring.Key] = {}
        for cell in nb.cells:
            grade_id = _grade_id(cell)
            plan = state["plans"].get(grade_id)
            if plan is None:
                continue
            if plan.kind == "checks":
                passed, lines = scoring.checks_verdict(plan, scoring.outcomes_of(cell), source_folder)
            else:
                if plan.content not in keys:
                    keys[plan.content] = _key(source_folder / plan.content)
                decide = scoring.decision_verdict if plan.kind == "decision" else scoring.answer_verdict
                passed, lines = decide(keys[plan.content], plan.item, state["progress"], state["progress_problem"])
            cell.outputs = scoring.verdict_outputs(passed, lines)
            cell.source = without_hidden_tests(state["sources"].get(grade_id, cell.source))[0]
        _drop_outputs_showing(_hidden_inputs(state["plans"]), nb, state["plans"], resources)
        return nb, resources


def _hidden_inputs(plans: dict) -> set[str]:
    """The text arguments of the hidden checks (6 characters or more): what a student's own code could record
    while the checks ran, and print from a later cell into the notebook and its feedback."""
    found = set()
    for plan in plans.values():
        for check in (check for check in plan.checks if check.hidden):
            try:
                tree = ast.parse(check.call, mode="eval")
            except SyntaxError:
                continue
            found |= {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
                      and isinstance(node.value, str) and len(node.value.strip()) >= 6}
    return found


HIDDEN_INPUT_SHOWN = ("(Not kept: this output showed the input of a hidden test.) · "
                      "(Không giữ lại: kết quả này để lộ dữ liệu của một bài kiểm tra ẩn.)")


def _drop_outputs_showing(inputs: set[str], nb, plans: dict, resources) -> None:
    """Outputs of the student's cells that show a hidden test's input, in any common spelling, are replaced."""
    if not inputs:
        return
    spellings = {form for text in inputs for form in (text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1],
                                                      repr(text)[1:-1], html.escape(text))}
    for cell in nb.cells:
        if cell.cell_type != "code" or _grade_id(cell) in plans or not cell.get("outputs"):
            continue
        shown = json.dumps(cell.outputs, ensure_ascii=False) + json.dumps(cell.outputs)
        if any(form in shown for form in spellings):
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=HIDDEN_INPUT_SHOWN + "\n")]
            _flag("review", "a cell printed the input of a hidden test; its output was not kept", resources)


class SandboxedExecute(Execute):
    """nbgrader's Execute, with a fresh kernel from the sandbox and limits on time and output. The output
    limit counts every message the kernel sends (streams, displays and their updates, results, errors,
    widget messages), and the saved notebook is held to it too.

    Set in nbgrader_config.py (`c.SandboxedExecute.memory_mb = 1024`); seconds per cell is nbgrader's own
    `c.Execute.timeout`. Plain `nbgrader autograde`, formgrader and `notalone grade` read the same options."""

    store_widget_state = False
    shutdown_kernel = "immediate"  # the kernel's work is done; its namespaces end with it

    sandbox = Bool(True, help="Run every kernel in the Bubblewrap sandbox (notalone.sandbox). Grading refuses to "
                              "run where it cannot be set up; False runs student code as you, with limits only.").tag(config=True)
    notebook_seconds = Integer(Limits.notebook_seconds, help="Seconds per notebook, all cells.").tag(config=True)
    memory_mb = Integer(Limits.memory_mb, help="Memory per kernel (MiB), all its processes.").tag(config=True)
    processes = Integer(Limits.processes, help="Processes per kernel.").tag(config=True)
    output_kb = Integer(Limits.output_kb, help="Output per notebook (KiB), every kind of message.").tag(config=True)
    file_mb = Integer(Limits.file_mb, help="Largest file a kernel may write (MiB).").tag(config=True)
    cpu_seconds = Integer(Limits.cpu_seconds, help="CPU seconds per kernel, all its processes.").tag(config=True)
    disk_mb = Integer(Limits.disk_mb, help="Size of each kernel's in-memory working folder, /tmp and /dev/shm "
                                           "(MiB).").tag(config=True)

    def limits(self) -> Limits:
        return Limits(cell_seconds=int(self.timeout or Limits.cell_seconds), notebook_seconds=self.notebook_seconds,
                      memory_mb=self.memory_mb, processes=self.processes, output_kb=self.output_kb,
                      file_mb=self.file_mb, cpu_seconds=self.cpu_seconds, disk_mb=self.disk_mb)

    def preprocess(self, nb, resources, km=None):
        self._sandbox = shared_sandbox(self.limits(), enabled=self.sandbox)
        manager, slot = self._sandbox.new_kernel()
        limits = self._sandbox.limits
        self._output_bytes, self._over_output, self._killed, self._timed_out = 0, False, None, []
        slot.add_files(Path(resources["metadata"]["path"]), keep=self._may_reach_kernel(resources))
        withhold_folder(slot.work)  # the kernel never sees a key, even the copies nbgrader took from source/
        resources = {**resources, "metadata": {**resources.get("metadata", {}), "path": str(slot.work)}}

        def stop(reason: str) -> None:
            if self._killed is None:
                self._killed = reason
                try:
                    manager.provisioner and _run(manager.provisioner.kill())
                except Exception:  # noqa: BLE001 - the kernel may already be gone
                    pass

        watchdog = threading.Timer(limits.notebook_seconds, stop, [f"notebook time limit ({limits.notebook_seconds} s)"])
        self._stop = stop
        watchdog.start()
        try:
            try:
                nb, resources = super().preprocess(nb, resources, km=manager)
                _flag_limits_hit(nb, limits, resources, self._timed_out)
                stopped = self._sandbox.stopped_because(manager)
                if stopped:
                    _flag("limit", f"{stopped} hit: a process of the kernel was stopped", resources)
                return nb, resources
            except Exception as error:  # noqa: BLE001 - a dying kernel must not stop the batch
                reason = self._killed or self._sandbox.stopped_because(manager) or _kernel_death_reason(error)
                _flag("limit", f"{reason}; the cells that did not run score 0", resources)
                _mark_unexecuted(nb, reason)
                return nb, resources
        finally:
            watchdog.cancel()
            with _Timer("kernel start and stop"):
                if getattr(self, "kc", None) is not None:
                    self.kc.stop_channels()
                    self.kc = None
                try:
                    _run(manager.shutdown_kernel(now=True))
                except Exception:  # noqa: BLE001
                    pass
                slot.remove()
            if self._over_output:
                _flag("limit", f"output limit ({limits.output_kb} KiB across all outputs): the rest was dropped", resources)
            _hold_saved_size(nb, limits, resources)

    def _may_reach_kernel(self, resources):
        """Which of the files nbgrader copied next to the notebook the kernel gets. `notalone grade` staged and
        checked them already; plain `nbgrader autograde` copies a submission as it is (following links), so the
        same rules are applied here: nothing that could stand in for code, nothing oversized, and nothing that was
        a link in the submission (nbgrader copied what it pointed at, perhaps one of your files)."""
        from nbgrader.coursedir import CourseDirectory

        info = resources.get("nbgrader", {})
        course = CourseDirectory(config=self.config)
        submitted = Path(course.format_path(course.submitted_directory, info.get("student", "."), info.get("assignment", ".")))
        source = Path(course.format_path(course.source_directory, ".", info.get("assignment", ".")))

        def keep(relative: Path, path: Path) -> bool:
            if (source / relative).is_file():
                return True  # the teacher's own file, which nbgrader copied over the student's
            reason = None
            if could_shadow_code(relative):
                reason = "could replace code that grading runs (a module, package, path file or hidden folder)"
            elif _link_or_special(submitted, relative):
                reason = "is a link, not a file"
            elif path.stat().st_size > MAX_FILE_MB * 2**20:
                reason = f"is larger than {MAX_FILE_MB} MB"
            if reason:
                _flag("invalid", f"{printable(relative)} {reason}: not given to the kernel", resources)
            return reason is None
        return keep

    async def async_start_new_kernel(self, **kwargs):
        with _Timer("kernel start and stop"):
            return await super().async_start_new_kernel(**kwargs)

    async def async_start_new_kernel_client(self):
        with _Timer("kernel start and stop"):
            return await super().async_start_new_kernel_client()

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        with _Timer("tests" if meta.get("grade") and not meta.get("solution") else "student's cells"):
            return super().preprocess_cell(cell, resources, index)

    async def _async_handle_timeout(self, timeout, cell=None):
        self._timed_out.append(cell)
        return await super()._async_handle_timeout(timeout, cell)

    def process_message(self, msg, cell, cell_index):
        if msg.get("msg_type") not in QUIET_MESSAGES:
            self._output_bytes += _message_bytes(msg)
            if self._output_bytes > self._sandbox.limits.output_kb * 1024:
                if not self._over_output:
                    self._over_output = True
                    self._stop(f"output limit ({self._sandbox.limits.output_kb} KiB)")
                if msg.get("msg_type") != "status":
                    return None
        return super().process_message(msg, cell, cell_index)


QUIET_MESSAGES = {"status", "execute_input", "execute_reply", "shutdown_reply", "kernel_info_reply"}


def _message_bytes(msg: dict) -> int:
    """What a kernel message would add to the notebook or the grader's memory: its content and binary buffers."""
    buffers = sum(len(b) for b in msg.get("buffers") or [] if isinstance(b, (bytes, bytearray, memoryview)))
    return len(json.dumps(msg.get("content", {}), default=str)) + buffers


def _hold_saved_size(nb, limits: Limits, resources) -> None:
    """The graded notebook may not grow past the output limit (beyond what the student wrote): outputs are
    dropped, largest first, until it fits."""
    def size(cell) -> int:
        return len(json.dumps(cell.get("outputs", []), default=str)) + len(json.dumps(cell.get("metadata", {}), default=str))

    allowed = limits.output_kb * 1024 * 2
    if sum(size(c) for c in nb.cells) + len(json.dumps(nb.metadata, default=str)) <= allowed:
        return
    nb.metadata.pop("widgets", None)
    for cell in sorted(nb.cells, key=size, reverse=True):
        if sum(size(c) for c in nb.cells) <= allowed:
            break
        if cell.get("outputs"):
            kept = [o for o in cell.outputs if scoring.OUTCOME_MIME in o.get("data", {})]  # what grading decides from
            cell.outputs = kept + [nbformat.v4.new_output("stream", name="stdout", text="[output removed: over the output limit]\n")]
    _flag("limit", f"saved notebook over the output limit ({limits.output_kb} KiB): the largest outputs were removed", resources)


def _run(coroutine):
    import asyncio

    if not asyncio.iscoroutine(coroutine):
        return coroutine
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    result: list = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(coroutine)))
    thread.start()
    thread.join()
    return result[0] if result else None


LIMIT_ERRORS = {"MemoryError": "memory limit ({limits.memory_mb} MiB)", "BlockingIOError": "process limit ({limits.processes} processes)"}


def _flag_limits_hit(nb, limits: Limits, resources, timed_out: list) -> None:
    """Cells stopped by a limit get a flag that says which limit."""
    def where(cell) -> str:
        return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {nb.cells.index(cell) + 1}"

    for cell in timed_out:
        if cell is not None:
            _flag("limit", f"cell time limit ({limits.cell_seconds} s) hit in {where(cell)}", resources)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") in LIMIT_ERRORS:
                _flag("limit", f"{LIMIT_ERRORS[output['ename']].format(limits=limits)} hit in {where(cell)}", resources)


def _kernel_death_reason(error: Exception) -> str:
    name = type(error).__name__
    if "DeadKernel" in name or "died" in str(error).lower():
        return "the kernel stopped (memory or process limit, or the code ended the kernel)"
    return f"execution failed ({name})"


def _mark_unexecuted(nb, reason: str) -> None:
    """After a kernel dies, every code cell that did not finish gets an error, so its tests score 0."""
    started = False
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        done = cell.get("execution_count") is not None or cell.get("outputs")
        if not done or started:
            started = True
            cell.outputs = [nbformat.v4.new_output("error", ename="NotAloneLimit", evalue=reason, traceback=[reason])]


class FairSaveAutoGrades(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, except that text on stderr (prints, warnings) costs no points."""

    def _add_score(self, cell, resources):
        if cell.cell_type != "code":
            return super()._add_score(cell, resources)
        outputs = cell.outputs
        cell.outputs = [o for o in outputs if not (o.output_type == "stream" and o.get("name") == "stderr")]
        try:
            return super()._add_score(cell, resources)
        finally:
            cell.outputs = outputs


class _CachedSchemaCheck(BaseMetadataValidator):
    """nbgrader's metadata check with its JSON schema compiled once, instead of checked again for every cell."""

    _validators: dict = {}

    def validate_cell(self, cell) -> None:
        if "nbgrader" not in cell.metadata:
            return
        version = cell.metadata["nbgrader"].get("schema_version", 0)
        if version != self.schema_version:
            return super().validate_cell(cell)  # nbgrader's own message for an old or new schema
        if self.schema_version not in self._validators:
            import jsonschema

            self._validators[self.schema_version] = jsonschema.validators.validator_for(self.schema)(self.schema)
        self._validators[self.schema_version].validate(cell.metadata["nbgrader"])


class _PromptMetadataValidator(MetadataValidator, _CachedSchemaCheck):
    pass


class PromptCheckCellMetadata(CheckCellMetadata):
    """nbgrader's CheckCellMetadata, with the same checks and errors, a tenth of the cost per notebook."""

    def preprocess(self, nb, resources):
        try:
            _PromptMetadataValidator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            raise ValidationError("Notebook failed to validate; the nbgrader metadata may be corrupted.") from None
        return nb, resources


# nbgrader's Autograde steps with the course's own. The course's nbgrader_config.py sets these, so plain
# `nbgrader autograde`, formgrader's Autograde button and `notalone grade` grade alike.
SANITIZE_PREPROCESSORS = ["notalone.grader.RefuseLinkedFiles", "nbgrader.preprocessors.ClearOutput",
                          "notalone.grader.RepairStructure",
                          "nbgrader.preprocessors.DeduplicateIds", "nbgrader.preprocessors.OverwriteKernelspec",
                          "nbgrader.preprocessors.OverwriteCells", "notalone.grader.PromptCheckCellMetadata"]
# SafeOutputs: what formgrader shows the teacher carries no script either.
AUTOGRADE_PREPROCESSORS = ["notalone.grader.PlanExternalScores", "notalone.grader.SandboxedExecute",
                           "notalone.grader.DecideExternalScores", "notalone.feedback.SafeOutputs",
                           "nbgrader.preprocessors.IgnorePattern", "nbconvert.preprocessors.ClearMetadataPreprocessor",
                           "nbgrader.preprocessors.LimitOutput", "notalone.grader.FairSaveAutoGrades",
                           "nbgrader.preprocessors.AssignLatePenalties", "notalone.grader.PromptCheckCellMetadata"]


def _names(preprocessors) -> list[str]:
    return [p if isinstance(p, str) else f"{p.__module__}.{p.__qualname__}" for p in preprocessors]


def grading_config(root: Path, settings: dict | None = None):
    """The course's nbgrader configuration (Jupyter's folders, then the course's nbgrader_config.py), with
    `settings` (SandboxedExecute options, and "timeout" for nbgrader's seconds per cell) given on the command line.
    A course made before its nbgrader_config.py named the course's grading steps gets them here."""
    from .config import course_config

    config = course_config(root)
    autograde = config.get("Autograde", {})
    if "sanitize_preprocessors" not in autograde and "autograde_preprocessors" not in autograde:
        config.Autograde.sanitize_preprocessors = list(SANITIZE_PREPROCESSORS)
        config.Autograde.autograde_preprocessors = list(AUTOGRADE_PREPROCESSORS)
    for name, value in (settings or {}).items():
        if name == "timeout":
            config.Execute.timeout = value
        else:
            setattr(config.SandboxedExecute, name, value)
    return config


def grading_differences(config) -> list[str]:
    """How the configured grading differs from the course's own steps (empty when it is the same)."""
    problems = []
    for name, expected in (("sanitize_preprocessors", SANITIZE_PREPROCESSORS), ("autograde_preprocessors", AUTOGRADE_PREPROCESSORS)):
        configured = _names(config.Autograde.get(name, []))
        missing = [step for step in expected if step not in configured]
        if missing:
            problems.append(f"c.Autograde.{name} leaves out {', '.join(missing)}")
    return problems


def limits_settings(limits: Limits) -> dict:
    """`settings` for grading_config that hold every limit to `limits`."""
    return {"timeout": limits.cell_seconds, **{name: getattr(limits, name) for name in
            ("notebook_seconds", "memory_mb", "processes", "output_kb", "file_mb", "cpu_seconds", "disk_mb")}}


def stage_submission(root: Path, assignment: str, student: str) -> list[Flag]:
    """Copy a submission into the staging area, checking it. The student's files are never changed."""
    flags: list[Flag] = []
    submitted = root / "submitted" / student / assignment
    staged = root / STAGING / student / assignment
    if staged.exists():
        shutil.rmtree(staged)
    (root / STAGING.parent).mkdir(mode=0o700, exist_ok=True)
    os.chmod(root / STAGING.parent, 0o700)  # staged copies are the teacher's alone
    staged.mkdir(parents=True, mode=0o700)
    expected = sorted(p.name for p in (root / "source" / assignment).glob("*.ipynb"))
    present = {}
    for path in sorted(submitted.rglob("*")):
        relative = path.relative_to(submitted)
        if path.is_symlink() and relative.suffix == ".ipynb" and len(relative.parts) == 1 and relative.name in expected:
            flags.append(Flag("invalid", f"{printable(relative)} is a link, not a file: graded as the notebook you released",
                              relative.stem))
            present[relative.name] = reference_notebook(root / "release" / assignment, root / "source" / assignment,
                                                        relative.stem)
            continue
        if path.is_symlink() and relative == Path("timestamp.txt"):
            # plain nbgrader cannot read such a timestamp and grades nothing: neither does this
            return [Flag("invalid", "timestamp.txt is a link, not a file: the submission was not graded")]
        if path.is_symlink():
            flags.append(Flag("invalid", f"{printable(relative)} is a link, not a file: ignored"))
            continue
        if path.is_dir() or any(part in {".ipynb_checkpoints", "__pycache__"} for part in relative.parts):
            continue
        if any(relative.match(pattern) for pattern in KEYED_FILES):
            continue  # the course's own chat and quiz files are used (nbgrader copies them from source/), never these
        if could_shadow_code(relative):
            flags.append(Flag("invalid", f"{printable(relative)} could replace code that grading runs (a module, "
                                         "package, path file or hidden folder): not copied"))
            continue
        size_mb = path.stat().st_size / 2**20
        if path.suffix == ".ipynb" and len(relative.parts) == 1:
            if size_mb > MAX_NOTEBOOK_MB:
                flags.append(Flag("invalid", f"{printable(relative)} is {size_mb:.0f} MB (limit {MAX_NOTEBOOK_MB} MB): not graded", relative.stem))
                continue
            try:
                notebook = nbformat.read(path, as_version=4)
            except Exception as error:  # noqa: BLE001 - any unreadable notebook is reported, not fatal
                flags.append(Flag("invalid", f"{printable(relative)} is not a valid notebook ({type(error).__name__}: "
                                             f"{printable(str(error).splitlines()[0][:200])}): not graded", relative.stem))
                continue
            try:  # readable but not quite to the schema: graded, as plain nbgrader grades it
                nbformat.validate(notebook)
            except Exception as error:  # noqa: BLE001
                flags.append(Flag("review", f"{printable(relative)} does not follow the notebook format exactly "
                                            f"({printable(str(error).splitlines()[0][:200])}): graded as it is", relative.stem))
            present[path.name] = path
            continue
        if size_mb > MAX_FILE_MB:
            flags.append(Flag("invalid", f"{printable(relative)} is {size_mb:.0f} MB (limit {MAX_FILE_MB} MB): ignored"))
            continue
        (staged / relative).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _copy_plain(path, staged / relative)
    missing = [name for name in expected if name not in present]
    unexpected = [name for name in present if name not in expected]
    if len(missing) == 1 and len(unexpected) == 1:
        flags.append(Flag("repaired", f"{printable(unexpected[0])} was graded as {printable(missing[0])} (wrong file name)", missing[0][:-6]))
        present[missing[0]] = present.pop(unexpected[0])
    else:
        for name in unexpected:
            flags.append(Flag("invalid", f"{printable(name)} is not part of this assignment: ignored"))
            present.pop(name)
        for name in missing:
            if not any(f.notebook == name[:-6] for f in flags):
                flags.append(Flag("invalid", f"{printable(name)} is missing from the submission", name[:-6]))
    for name, path in present.items():
        _copy_plain(path, staged / name)
    flags += [Flag(*flag) for flag in stage_embedded_progress(staged)]  # choices handed in inside the notebook
    return flags


def _copy_plain(source: Path, destination: Path) -> None:
    """Copy contents and modification time only: no setuid, setgid or sticky bit, no execute bit, no owner's
    permissions beyond the teacher's."""
    shutil.copyfile(source, destination)
    os.chmod(destination, 0o600)
    stat = source.stat()
    os.utime(destination, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _worker(index: int, root: str, assignment: str, config, tasks, results) -> None:
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    course_root = Path(root)
    config = config.copy()
    config.CourseDirectory.submitted_directory = str(STAGING)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    execute = SandboxedExecute(config=config)
    sandbox = shared_sandbox(execute.limits(), enabled=execute.sandbox)  # the one opened before the fork
    if hasattr(sandbox, "use_uid_block"):
        sandbox.use_uid_block(index + 1)
    while (student := tasks.get()) is not None:
        results.put(("started", index, student))
        started, log = time.time(), ""
        _FLAGS.clear()
        _TIMINGS.clear()
        try:
            with _Timer("staging and checks"):
                _FLAGS.extend(stage_submission(course_root, assignment, student))
            before = sum(_TIMINGS.values())
            converting = time.perf_counter()
            result = api.autograde(assignment, student, force=True, create=True)
            _TIMINGS["nbgrader"] = time.perf_counter() - converting - (sum(_TIMINGS.values()) - before)
            graded, log = bool(result.get("success")), result.get("log", "") + result.get("error", "")
            if not graded:
                _FLAGS.append(Flag("error", "nbgrader could not grade this submission: " + _last_error_line(log)))
        except Exception:  # noqa: BLE001 - one bad submission never stops the batch
            graded, log = False, traceback.format_exc()
            _FLAGS.append(Flag("error", "grading failed: " + _last_error_line(log)))
        results.put(Outcome(student, assignment, graded, round(time.time() - started, 3), list(_FLAGS), log,
                            {phase: round(seconds, 4) for phase, seconds in _TIMINGS.items()}))


def _last_error_line(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "error" in line]
    return printable((errors or lines or ["unknown error"])[-1][:300])


def submitted_students(root: Path, assignment: str) -> list[str]:
    folder = root / "submitted"
    return sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir()) if folder.exists() else []


def grade(root: Path, assignment: str, *, students: list[str] | None = None, workers: int | None = None,
          sandbox: bool | None = None, limits: Limits | None = None, settings: dict | None = None, progress=None,
          announce=None) -> list[Outcome]:
    """Autograde every submission of `assignment` into nbgrader's gradebook. Returns one Outcome per student."""
    return grade_assignments(root, [assignment], students=students, workers=workers, sandbox=sandbox, limits=limits,
                             settings=settings, progress=progress, announce=announce)[assignment]


def grade_assignments(root: Path, assignments: list[str], *, students: list[str] | None = None, workers: int | None = None,
                      sandbox: bool | None = None, limits: Limits | None = None, settings: dict | None = None,
                      progress=None, announce=None) -> dict[str, list[Outcome]]:
    """Autograde several assignments with one sandbox (started once). Every assignment's plans are checked
    before anyone is graded. `progress(done, total, outcome)` is called per student, `announce(mechanisms)` once.

    The sandbox and the limits are the course's configuration (c.SandboxedExecute, c.Execute.timeout);
    `sandbox`, `limits` and `settings` (some SandboxedExecute options) replace what they name."""
    from nbgrader.apps import NbGraderAPI  # noqa: F401 - imported once here, before the workers fork

    from .teacher import ensure_scripts_on_path

    ensure_scripts_on_path()
    root = Path(root).resolve()
    classes = {a: students if students is not None else submitted_students(root, a) for a in assignments}
    results: dict[str, list[Outcome]] = {a: [] for a in assignments}
    if not any(classes.values()):
        return results
    settings = {**(limits_settings(limits) if limits else {}), **(settings or {})}
    if sandbox is not None:
        settings["sandbox"] = sandbox
    config = grading_config(root, settings)
    execute = SandboxedExecute(config=config)
    limits = execute.limits()
    with open_sandbox(limits, enabled=execute.sandbox, wait=False) as shared:  # starts while the plans are checked
        for assignment in assignments:
            _check_plans(root, assignment)
        with sharing(shared.ready()):
            if announce:
                announce(shared.mechanisms)
            for assignment, names in classes.items():
                if not names:
                    continue
                notebooks = max(1, len(list((root / "source" / assignment).glob("*.ipynb"))))
                deadline = limits.notebook_seconds * notebooks + 120  # per student: staging, nbgrader, every notebook
                count = max(1, min(workers or (os.cpu_count() or 2), len(names)))
                outcomes = run_workers(_worker, (str(root), assignment, config), names, count, deadline, progress)
                save_outcomes(root, outcomes)
                results[assignment] = sorted(outcomes, key=lambda o: o.student)
    return results


def run_workers(target, arguments: tuple, students: list[str], workers: int, deadline: float, progress=None) -> list[Outcome]:
    """Grade `students` with `workers` processes running `target(index, *arguments, tasks, results)`. Each student
    has `deadline` seconds; past it, or if its worker dies, that student alone is reported and the class goes on."""
    assignment = arguments[1]
    context = multiprocessing.get_context("fork")
    tasks, results = context.Queue(), context.SimpleQueue()  # a result is in the pipe as soon as it is put
    for student in students:
        tasks.put(student)
    for _ in range(workers):
        tasks.put(None)
    outcomes: list[Outcome] = []
    pool = _WorkerPool(context, target, (*arguments, tasks, results))
    for _ in range(workers):
        pool.start()
    try:
        while len(outcomes) < len(students):
            if results.empty():
                time.sleep(0.05)
            while not results.empty():  # everything a worker sent before it stopped counts
                message = results.get()
                if isinstance(message, tuple):
                    pool.started(*message[1:])
                elif message.student not in {o.student for o in outcomes}:
                    pool.finished(message.student)
                    outcomes.append(message)
            for student, reason in pool.overdue_or_dead(deadline):
                outcomes.append(Outcome(student, assignment, False, float(deadline), [Flag("limit", reason)]))
            while progress and pool.reported < len(outcomes):
                pool.reported += 1
                progress(pool.reported, len(students), outcomes[pool.reported - 1])
            if not pool.alive() and results.empty():
                break
    finally:
        pool.stop()
    done = {o.student for o in outcomes}
    return outcomes + [Outcome(student, assignment, False, 0.0, [Flag("error", "the grading worker stopped unexpectedly")])
                       for student in students if student not in done]


_WORKER_NUMBERS = itertools.count()


class _WorkerPool:
    """The grading workers, and which student each is on. A worker stuck past a student's deadline, or
    one that died, is replaced; that student alone is reported, and the class goes on."""

    def __init__(self, context, target, arguments: tuple):
        self.context, self.target, self.args = context, target, arguments
        self.processes: dict[int, multiprocessing.Process] = {}
        self.current: dict[int, tuple[str, float]] = {}
        self.reported = 0

    def start(self) -> None:
        index = next(_WORKER_NUMBERS)  # never reused in a run, so neither are the kernels' user ids
        process = self.context.Process(target=self.target, args=(index, *self.args), daemon=True)
        process.start()
        self.processes[index] = process

    def started(self, index: int, student: str) -> None:
        if index in self.processes:
            self.current[index] = (student, time.monotonic())

    def finished(self, student: str) -> None:
        for index, (name, _) in list(self.current.items()):
            if name == student:
                del self.current[index]

    def overdue_or_dead(self, deadline: float) -> list[tuple[str, str]]:
        lost = []
        for index, (student, since) in list(self.current.items()):
            process = self.processes[index]
            if time.monotonic() - since > deadline:
                reason = f"grading this submission took longer than {deadline:.0f} s: stopped, the others were graded"
            elif not process.is_alive():
                reason = "the grading worker stopped while grading this submission; the others were graded"
            else:
                continue
            process.kill()
            process.join(timeout=10)
            del self.current[index], self.processes[index]
            lost.append((student, reason))
            self.start()
        return lost

    def alive(self) -> bool:
        return any(p.is_alive() for p in self.processes.values())

    def stop(self) -> None:
        for process in self.processes.values():
            process.join(timeout=10 if not self.current else 0)
            if process.is_alive():
                process.kill()


def _check_plans(root: Path, assignment: str) -> None:
    """Stop before grading anyone when the grader could not decide a cell by itself (the error says where)."""
    for notebook in sorted((root / "source" / assignment).glob("*.ipynb")):
        _plans(notebook)


def save_outcomes(root: Path, outcomes: list[Outcome]) -> None:
    """Keep the flags of the latest grading of each submission in notalone-grading.json (for reports)."""
    path = root / RESULTS_FILE
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for outcome in outcomes:
        record = asdict(outcome)
        record.pop("log")
        data.setdefault(outcome.assignment, {})[outcome.student] = record
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


def load_outcomes(root: Path) -> dict:
    path = Path(root) / RESULTS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def progress_bar(stream=None):
    """A one-line progress bar for terminals, plain lines otherwise."""
    def show(done: int, total: int, outcome: Outcome) -> None:
        out = stream or sys.stderr
        mark = "!" if outcome.flags or not outcome.graded else "✓"
        if out.isatty():
            filled = int(30 * done / total)
            out.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {mark} {printable(outcome.student):<20}")
            if done == total:
                out.write("\n")
        else:
            out.write(f"[{done}/{total}] {mark} {printable(outcome.student)} ({outcome.seconds:.1f} s)\n")
        out.flush()
    return show
