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

import functools
import itertools
import json
import multiprocessing
import os
import shutil
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, Execute,
                                    IgnorePattern, LimitOutput, NbGraderPreprocessor, OverwriteCells, OverwriteKernelspec,
                                    SaveAutoGrades)

from . import scoring
from .feedback import SafeOutputs, without_hidden_tests
from .safe_text import printable
from .sandbox import Limits, Sandbox, open_sandbox
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


# Set in each worker process: the sandbox that makes kernels and the flags of the current submission.
_SANDBOX: Sandbox | None = None
_FLAGS: list[Flag] = []
_COURSE_ROOT: Path | None = None


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


def reference_notebook(root: Path, assignment: str, notebook: str) -> Path:
    """What the student was given: the release (with the header and nbgrader's metadata), else the source."""
    release = root / "release" / assignment / f"{notebook}.ipynb"
    return release if release.exists() else root / "source" / assignment / f"{notebook}.ipynb"


class RepairStructure(NbGraderPreprocessor):
    """Put back what a student changed in the structure: deleted, duplicated, converted or re-labelled
    test cells and edited nbgrader metadata. Each repair is flagged; the student's answers are kept."""

    @_timed("staging and checks")
    def preprocess(self, nb, resources):
        assignment, notebook = resources["nbgrader"]["assignment"], resources["nbgrader"]["notebook"]
        source = nbformat.read(reference_notebook(_COURSE_ROOT, assignment, notebook), as_version=4)
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


def _plans(assignment: str, notebook: str) -> dict[str, scoring.Plan]:
    """How each autograded cell is decided, from the teacher's source notebook (read once per worker)."""
    cache_key = (assignment, notebook)
    if cache_key not in _PLANS:
        _PLANS[cache_key] = scoring.plan_notebook(_COURSE_ROOT / "source" / assignment / f"{notebook}.ipynb")
    return _PLANS[cache_key]


_PLANS: dict[tuple[str, str], dict] = {}


@functools.lru_cache(maxsize=None)
def _model_answer_widgets(assignment: str, notebook: str) -> frozenset[str]:
    return scoring.model_answer_widgets(_COURSE_ROOT / "source" / assignment / f"{notebook}.ipynb")


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


class PlanExternalScores(NbGraderPreprocessor):
    """Before the kernel starts: read the submission's saved choices, and give the kernel only what it may run
    (decision and quiz cells become comments; code checks lose their expected values)."""

    @_timed("staging and checks")
    def preprocess(self, nb, resources):
        assignment, notebook = resources["nbgrader"]["assignment"], resources["nbgrader"]["notebook"]
        plans = _plans(assignment, notebook)
        folder = Path(resources["metadata"]["path"])
        progress, problem = scoring.read_progress(folder)
        if problem and any(plan.kind != "checks" for plan in plans.values()):
            _flag("invalid", problem + ": the chat and quiz score 0", resources)
        resources["notalone"] = {"plans": plans, "progress": progress, "progress_problem": problem, "sources": {}}
        for where in scoring.borrowed_from_the_course(nb, _model_answer_widgets(assignment, notebook)):
            _flag("review", where + " where the model answer writes it: check this answer by hand", resources)
        for cell in nb.cells:
            plan = plans.get(_grade_id(cell))
            if plan is not None:
                resources["notalone"]["sources"][_grade_id(cell)] = cell.source
                cell.source = plan.kernel_source
        return nb, resources


class DecideExternalScores(NbGraderPreprocessor):
    """After the kernel ran: every planned cell's outputs become the grader's verdict, from the key and
    plain data only. Whatever the kernel printed or displayed in those cells is dropped."""

    @_timed("staging and checks")
    def preprocess(self, nb, resources):
        state = resources.get("notalone")
        if not state:
            return nb, resources
        assignment = resources["nbgrader"]["assignment"]
        source_folder = _COURSE_ROOT / "source" / assignment
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
        return nb, resources


class SandboxedExecute(Execute):
    """nbgrader's Execute, with a fresh kernel from the sandbox and limits on time and output. The output
    limit counts every message the kernel sends (streams, displays and their updates, results, errors,
    widget messages), and the saved notebook is held to it too."""

    store_widget_state = False
    shutdown_kernel = "immediate"  # the kernel's work is done; its namespaces end with it

    def preprocess(self, nb, resources, km=None):
        manager, slot = _SANDBOX.new_kernel()
        limits = _SANDBOX.limits
        self._output_bytes, self._over_output, self._killed, self._timed_out = 0, False, None, []
        slot.add_files(Path(resources["metadata"]["path"]))
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
                stopped = _SANDBOX.stopped_because(manager)
                if stopped:
                    _flag("limit", f"{stopped} hit: a process of the kernel was stopped", resources)
                return nb, resources
            except Exception as error:  # noqa: BLE001 - a dying kernel must not stop the batch
                reason = self._killed or _SANDBOX.stopped_because(manager) or _kernel_death_reason(error)
                _flag("limit", f"{reason}; the cells that did not run score 0", resources)
                _mark_unexecuted(nb, reason)
                return nb, resources
        finally:
            watchdog.cancel()
            with _Timer("kernel start and stop"):
                try:
                    _run(manager.shutdown_kernel(now=True))
                except Exception:  # noqa: BLE001
                    pass
                slot.remove()
            if self._over_output:
                _flag("limit", f"output limit ({limits.output_kb} KiB across all outputs): the rest was dropped", resources)
            _hold_saved_size(nb, limits, resources)

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
            if self._output_bytes > _SANDBOX.limits.output_kb * 1024:
                if not self._over_output:
                    self._over_output = True
                    self._stop(f"output limit ({_SANDBOX.limits.output_kb} KiB)")
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


def grading_config(root: Path):
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config() if (root / "nbgrader_config.py").exists() else Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.submitted_directory = str(STAGING)
    config.Autograde.sanitize_preprocessors = [ClearOutput, RepairStructure, DeduplicateIds, OverwriteKernelspec,
                                               OverwriteCells, PromptCheckCellMetadata]
    # SafeOutputs: what formgrader shows the teacher carries no script either.
    config.Autograde.autograde_preprocessors = [PlanExternalScores, SandboxedExecute, DecideExternalScores, SafeOutputs,
                                                IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                                FairSaveAutoGrades, AssignLatePenalties, PromptCheckCellMetadata]
    return config


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
                nbformat.validate(notebook)
            except Exception as error:  # noqa: BLE001 - any unreadable notebook is reported, not fatal
                flags.append(Flag("invalid", f"{printable(relative)} is not a valid notebook ({type(error).__name__}: "
                                             f"{printable(str(error).splitlines()[0][:200])}): not graded", relative.stem))
                continue
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
    return flags


def _copy_plain(source: Path, destination: Path) -> None:
    """Copy contents and modification time only: no setuid, setgid or sticky bit, no execute bit, no owner's
    permissions beyond the teacher's."""
    shutil.copyfile(source, destination)
    os.chmod(destination, 0o600)
    stat = source.stat()
    os.utime(destination, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _worker(index: int, root: str, assignment: str, tasks, results) -> None:
    global _SANDBOX, _COURSE_ROOT
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    _COURSE_ROOT = Path(root)
    _SANDBOX = _SHARED_SANDBOX
    config = grading_config(_COURSE_ROOT)
    config.Execute.timeout = _SANDBOX.limits.cell_seconds
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    if hasattr(_SANDBOX, "use_uid_block"):
        _SANDBOX.use_uid_block(index + 1)
    while (student := tasks.get()) is not None:
        results.put(("started", index, student))
        started, log = time.time(), ""
        _FLAGS.clear()
        _TIMINGS.clear()
        try:
            with _Timer("staging and checks"):
                _FLAGS.extend(stage_submission(_COURSE_ROOT, assignment, student))
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


_SHARED_SANDBOX: Sandbox | None = None


def submitted_students(root: Path, assignment: str) -> list[str]:
    folder = root / "submitted"
    return sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir()) if folder.exists() else []


def grade(root: Path, assignment: str, *, students: list[str] | None = None, workers: int | None = None,
          sandbox: bool = True, limits: Limits | None = None, progress=None, announce=None) -> list[Outcome]:
    """Autograde every submission of `assignment` into nbgrader's gradebook. Returns one Outcome per student."""
    return grade_assignments(root, [assignment], students=students, workers=workers, sandbox=sandbox, limits=limits,
                             progress=progress, announce=announce)[assignment]


def grade_assignments(root: Path, assignments: list[str], *, students: list[str] | None = None, workers: int | None = None,
                      sandbox: bool = True, limits: Limits | None = None, progress=None,
                      announce=None) -> dict[str, list[Outcome]]:
    """Autograde several assignments with one sandbox (started once). Every assignment's plans are checked
    before anyone is graded. `progress(done, total, outcome)` is called per student, `announce(mechanisms)` once."""
    global _SHARED_SANDBOX
    from nbgrader.apps import NbGraderAPI  # noqa: F401 - imported once here, before the workers fork

    from .teacher import ensure_scripts_on_path

    ensure_scripts_on_path()
    root = Path(root).resolve()
    classes = {a: students if students is not None else submitted_students(root, a) for a in assignments}
    results: dict[str, list[Outcome]] = {a: [] for a in assignments}
    if not any(classes.values()):
        return results
    config = grading_config(root)
    cell_seconds = config.Execute.get("timeout") if "Execute" in config and "timeout" in config.Execute else None
    limits = limits or Limits(cell_seconds=int(cell_seconds or Limits.cell_seconds))
    with open_sandbox(limits, enabled=sandbox, wait=False) as shared:  # starts while the plans are checked
        for assignment in assignments:
            _check_plans(root, assignment)
        _SHARED_SANDBOX = shared.ready()
        if announce:
            announce(shared.mechanisms)
        try:
            for assignment, names in classes.items():
                if not names:
                    continue
                notebooks = max(1, len(list((root / "source" / assignment).glob("*.ipynb"))))
                deadline = limits.notebook_seconds * notebooks + 120  # per student: staging, nbgrader, every notebook
                count = max(1, min(workers or (os.cpu_count() or 2), len(names)))
                outcomes = run_workers(_worker, (str(root), assignment), names, count, deadline, progress)
                save_outcomes(root, outcomes)
                results[assignment] = sorted(outcomes, key=lambda o: o.student)
        finally:
            _SHARED_SANDBOX = None
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
    _PLANS.clear()
    _model_answer_widgets.cache_clear()
    for notebook in sorted((root / "source" / assignment).glob("*.ipynb")):
        scoring.plan_notebook(notebook)


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
