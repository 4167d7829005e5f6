"""Points decided outside the student's kernel.

Every autograded cell of an assignment is one of three kinds, read from the teacher's SOURCE notebook:
- a scenario decision, `<name>.model.check_decision("<node>")` where `<name> = play_scenario("<file>", ...)`;
- a quiz question, `<name>.model.check_answer("<question>")` where `<name> = show_quiz("<file>")`;
- code checks, a list of `check(...)` calls (widgets.checks).

`plan_notebook` says what the kernel may run instead of each cell: decision and quiz cells become a
comment, and checks become `probe` calls WITHOUT the expected values. After the notebook ran, the
grader (notalone.grader) replaces each planned cell's outputs with the verdict, computed from the
submission's saved choices (read before the kernel started) and the kernel's plain-data results,
against the key in the author's files. nbgrader then records the score as usual (an error output
is 0, anything else full points), so the gradebook, formgrader and exports see these points.
"""

from __future__ import annotations

import ast
import html
import json
import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from widgets.checks import OUTCOME_MIME, verdict
from widgets.progress import FORMAT as PROGRESS_FORMAT
from widgets.progress import PROGRESS_FILE

MAX_PROGRESS_BYTES = 2 * 2**20
MAX_OUTCOMES = 10_000
PROBE_IMPORT = "from widgets.checks import probe as _notalone_probe"


class AuthoringError(ValueError):
    """A grade cell the grader cannot decide by itself: the message names the notebook, the cell and what to write."""


@dataclass
class Check:
    index: int
    call: str  # the call as written, for messages
    hidden: bool
    expect: Any = None
    has_expect: bool = False
    raises: str | None = None
    tol: float | None = None
    satisfies: str | None = None
    why: str = ""


@dataclass
class Plan:
    """How the grader decides one grade cell."""

    kind: str  # decision | answer | checks
    content: str = ""  # the scenario or quiz file, relative to the assignment folder
    item: str = ""  # node or question id
    checks: list[Check] = field(default_factory=list)
    kernel_source: str = ""  # what the kernel runs instead of the cell


# Reading the teacher's source notebook ---------------------------------------------------------

_ALLOWED_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def literal(node: ast.AST) -> Any:
    """A value written as a literal, with + - * / between numbers (e.g. 22 / 30). Never runs code."""
    if isinstance(node, ast.BinOp) and type(node.op) in _ALLOWED_BINOPS:
        left, right = literal(node.left), literal(node.right)
        if not all(type(v) in (int, float) for v in (left, right)):
            raise ValueError("arithmetic only between numbers")
        return _ALLOWED_BINOPS[type(node.op)](left, right)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        values = [literal(element) for element in node.elts]
        return {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)](values)
    if isinstance(node, ast.Dict):
        return {literal(k): literal(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("set", "frozenset") and len(node.args) <= 1 and not node.keywords:
        return {"set": set, "frozenset": frozenset}[node.func.id](literal(node.args[0]) if node.args else ())
    return ast.literal_eval(node)


def _hidden_lines(source: str) -> set[int]:
    hidden, inside = set(), False
    for number, line in enumerate(source.splitlines(), 1):
        if line.strip() == "### BEGIN HIDDEN TESTS":
            inside = True
        elif line.strip() == "### END HIDDEN TESTS":
            inside = False
        elif inside:
            hidden.add(number)
    return hidden


def _content_variables(cells) -> dict[str, tuple[str, str]]:
    """name -> (kind, file) for `name = play_scenario("file", ...)` and `name = show_quiz("file", ...)`."""
    found = {}
    for cell in cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for statement in tree.body:
            if (isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name)
                    and isinstance(statement.value, ast.Call) and isinstance(statement.value.func, ast.Name)
                    and statement.value.func.id in ("play_scenario", "show_quiz") and statement.value.args
                    and isinstance(statement.value.args[0], ast.Constant) and isinstance(statement.value.args[0].value, str)):
                kind = "scenario" if statement.value.func.id == "play_scenario" else "quiz"
                found[statement.targets[0].id] = (kind, statement.value.args[0].value)
    return found


def _model_call(tree: ast.Module) -> tuple[str, str, str] | None:
    """(variable, method, item) when the cell is one `<var>.model.check_decision|check_answer("<item>")` call."""
    statements = [s for s in tree.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str))]
    if len(statements) != 1 or not isinstance(statements[0], ast.Expr) or not isinstance(statements[0].value, ast.Call):
        return None
    call = statements[0].value
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in ("check_decision", "check_answer")
            and isinstance(func.value, ast.Attribute) and func.value.attr == "model" and isinstance(func.value.value, ast.Name)):
        return None
    if len(call.args) != 1 or not isinstance(call.args[0], ast.Constant) or not isinstance(call.args[0].value, str):
        return None
    return func.value.value.id, func.attr, call.args[0].value


def _is_check(statement: ast.stmt) -> bool:
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Name) and statement.value.func.id == "check")


def _checks_plan(source: str, where: str) -> Plan:
    tree = ast.parse(source)
    hidden = _hidden_lines(source)
    checks, body = [], []
    for statement in tree.body:
        if _is_check(statement):
            call = statement.value
            if not call.args:
                raise AuthoringError(f"{where}, line {statement.lineno}: check() needs the function to call first")
            options = {}
            for keyword in call.keywords:
                if keyword.arg not in ("expect", "raises", "tol", "satisfies", "why"):
                    raise AuthoringError(f"{where}, line {statement.lineno}: check() has no keyword {keyword.arg!r}; "
                                         "expected expect=, raises=, tol=, satisfies=, why=")
                if keyword.arg == "raises":
                    if not isinstance(keyword.value, ast.Name):
                        raise AuthoringError(f"{where}, line {statement.lineno}: raises= takes an exception name, e.g. raises=ValueError")
                    options["raises"] = keyword.value.id
                    continue
                try:
                    options[keyword.arg] = literal(keyword.value)
                except (ValueError, TypeError, SyntaxError, ZeroDivisionError):
                    raise AuthoringError(f"{where}, line {statement.lineno}: {keyword.arg}= must be a literal value "
                                         "(numbers, strings, lists, tuples, dicts, sets, None, True/False, + - * / "
                                         "between numbers) so the grader can read it without running code") from None
            decided_by = [name for name in ("expect", "raises", "satisfies") if name in options]
            if len(decided_by) != 1:
                raise AuthoringError(f"{where}, line {statement.lineno}: check() needs exactly one of expect=, raises= "
                                     f"or satisfies= (found {', '.join(decided_by) or 'none'})")
            index = len(checks)
            checks.append(Check(index, ast.get_source_segment(source, call.args[0]) + (
                "(" + ", ".join(ast.get_source_segment(source, a) for a in call.args[1:]) + ")" if call.args[1:] else "()")
                if not isinstance(call.args[0], ast.Lambda) else (ast.get_source_segment(source, call.args[0].body) or "the check"),
                statement.lineno in hidden, options.get("expect"), "expect" in options, options.get("raises"),
                options.get("tol"), options.get("satisfies"), str(options.get("why") or "")))
            probe = ast.Expr(ast.Call(ast.Name("_notalone_probe", ast.Load()), [ast.Constant(index), *call.args], []))
            body.append(ast.copy_location(probe, statement))
        elif isinstance(statement, (ast.Assert, ast.Raise, ast.Try)):
            raise AuthoringError(f"{where}, line {statement.lineno}: a grade cell decides with check(...) calls only; "
                                 f"this {type(statement).__name__.lower()} would be decided inside the student's kernel")
        else:
            if any(_is_check(node) for node in ast.walk(statement) if isinstance(node, ast.stmt) and node is not statement):
                raise AuthoringError(f"{where}, line {statement.lineno}: write each check(...) at the top level of the cell "
                                     "(not inside a loop, function or if), one line per case")
            body.append(statement)
    if not checks:
        raise AuthoringError(f"{where}: an autograded cell must be check(...) calls, or one "
                             "<chat>.model.check_decision(...) / <quiz>.model.check_answer(...) call")
    kernel = PROBE_IMPORT + "\n" + ast.unparse(ast.fix_missing_locations(ast.Module(body, [])))
    return Plan("checks", checks=checks, kernel_source=kernel)


def plan_notebook(source_notebook: Path) -> dict[str, Plan]:
    """grade_id -> Plan for every autograded cell of the teacher's source notebook."""
    notebook = nbformat.read(source_notebook, as_version=4)
    variables = _content_variables(notebook.cells)
    plans = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        grade_id = meta["grade_id"]
        where = f"{source_notebook.name}, cell {grade_id!r}"
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as error:
            raise AuthoringError(f"{where}, line {error.lineno}: not valid Python ({error.msg})") from None
        model_call = _model_call(tree)
        if model_call:
            variable, method, item = model_call
            kind, content = variables.get(variable, (None, None))
            wanted = "scenario" if method == "check_decision" else "quiz"
            if kind != wanted:
                maker = "play_scenario" if wanted == "scenario" else "show_quiz"
                raise AuthoringError(f"{where}: {variable!r} is not set by `{variable} = {maker}(\"<file>\", ...)` in a code cell above")
            plans[grade_id] = Plan("decision" if wanted == "scenario" else "answer", content, item,
                                   kernel_source="# Scored by your teacher's grader from your saved choices.\n"
                                                 "# Điểm phần này do trình chấm của thầy cô tính từ các lựa chọn đã lưu.")
        else:
            plans[grade_id] = _checks_plan(cell.source, where)
    return plans


def authoring_problems(source_notebook: Path) -> list[str]:
    """What keeps the grader from deciding every autograded cell by itself (for `notalone check`)."""
    try:
        plans = plan_notebook(source_notebook)
    except AuthoringError as error:
        return [str(error)]
    problems = []
    folder = source_notebook.parent
    for grade_id, plan in plans.items():
        where = f"{source_notebook.name}, cell {grade_id!r}"
        if plan.kind == "checks":
            if not any(c.hidden or c.satisfies for c in plan.checks):
                problems.append(f"{where}: no hidden check; a notebook that knows the visible answers could fake them. "
                                "Put at least one check between ### BEGIN HIDDEN TESTS and ### END HIDDEN TESTS")
            continue
        try:
            key = load_key(folder / plan.content)
        except Exception as error:  # noqa: BLE001 - reported to the author
            problems.append(f"{where}: {error}")
            continue
        if plan.item not in key.items:
            problems.append(f"{where}: {plan.item!r} is not in {plan.content}; expected one of: {', '.join(key.items)}")
    return problems


# The key -----------------------------------------------------------------------------------------

@dataclass
class Key:
    kind: str
    content_id: str
    items: dict  # node id -> Decision (scenario) or question id -> Question (quiz)
    scenario: Any = None


def load_key(path: Path) -> Key:
    """The author's file with its key; an error naming the file if the key is missing."""
    from widgets.quiz import load_quiz
    from widgets.scenario import load_scenario

    if path.name.endswith(".scenario.yaml"):
        scenario = load_scenario(path)
        if scenario.answers_withheld:
            raise AuthoringError(f"{path}: holds no answers (answers: withheld); the grader needs the author's file")
        return Key("scenario", scenario.id, {n: scenario.nodes[n].decision for n in scenario.decision_nodes}, scenario)
    quiz = load_quiz(path)
    if not quiz.has_key:
        raise AuthoringError(f"{path}: a graded quiz needs its key in the file (correct: true/false on every option)")
    return Key("quiz", quiz.id, {q.id: q for q in quiz.questions})


# The submission's saved choices (untrusted) -----------------------------------------------------------

def read_progress(folder: Path) -> tuple[dict, str | None]:
    """The submission's progress file as a dict, and why it could not be used (None when fine)."""
    path = Path(folder) / PROGRESS_FILE
    if not path.is_file() or path.is_symlink():
        return {}, f"{PROGRESS_FILE} is missing: no saved choices"
    if path.stat().st_size > MAX_PROGRESS_BYTES:
        return {}, f"{PROGRESS_FILE} is larger than {MAX_PROGRESS_BYTES // 2**20} MB: not read"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        return {}, f"{PROGRESS_FILE} is not readable JSON ({type(error).__name__})"
    if not isinstance(data, dict) or data.get("format") != PROGRESS_FORMAT:
        return {}, f"{PROGRESS_FILE} is not a Not Alone progress file"
    return data, None


def first_play_through(progress: dict, key: Key) -> dict[str, str]:
    """node -> option of the first play-through, replayed along the scenario from its start; stops at the
    first saved choice that does not fit (a hand-edited or shuffled file scores only what fits)."""
    record = progress.get("scenarios", {}).get(key.content_id) if isinstance(progress.get("scenarios"), dict) else None
    if not isinstance(record, dict):
        return {}
    earlier = record.get("earlier_attempts") if isinstance(record.get("earlier_attempts"), list) else []
    attempts = [a for a in earlier if isinstance(a, list)] + [record.get("choices") if isinstance(record.get("choices"), list) else []]
    attempt = next((a for a in attempts if isinstance(a, list) and a), [])
    scenario, current, chosen = key.scenario, key.scenario.start, {}
    for choice in attempt[:1000]:
        if not isinstance(choice, dict):
            break
        node, option_id = choice.get("node"), choice.get("option")
        decision = scenario.nodes[current].decision if current in scenario.nodes else None
        option = decision.option(option_id) if decision is not None and node == current and isinstance(option_id, str) else None
        if option is None:
            break
        chosen[node] = option_id
        current = option.next
    return chosen


def quiz_answer(progress: dict, key: Key, question_id: str) -> frozenset[str]:
    record = progress.get("quizzes", {}).get(key.content_id) if isinstance(progress.get("quizzes"), dict) else None
    answers = record.get("answers") if isinstance(record, dict) else None
    answer = answers.get(question_id) if isinstance(answers, dict) else None
    if not isinstance(answer, list) or len(answer) > 50 or not all(isinstance(a, str) for a in answer):
        return frozenset()
    return frozenset(answer)


# Verdicts -------------------------------------------------------------------------------------------

def _t(text: dict | None, language: str) -> str:
    return (text or {}).get(language) or ""


LANGUAGES = ("en", "vi")


def decision_verdict(key: Key, node_id: str, progress: dict, problem: str | None) -> tuple[bool, list[list[str]]]:
    """Whether the decision was safe, and for each language the lines of feedback (what was chosen, why)."""
    from widgets.i18n import ui

    decision = key.items[node_id]
    number = list(key.items).index(node_id) + 1
    option_id = first_play_through(progress, key).get(node_id)
    option = decision.option(option_id) if option_id is not None else None
    safe = option is not None and bool(option.safe)
    blocks = []
    for language in LANGUAGES:
        heading = ui("verdict_decision", language, number=number)
        if option is None:
            lines = [f"{heading}: {problem or ui('verdict_not_reached', language)}."]
        else:
            lines = [f"{heading}: «{_t(option.text, language)}» — {ui('verdict_safe' if safe else 'verdict_unsafe', language)}. "
                     f"{_t(option.feedback, language)}"]
        if not safe:
            lines.append(f"{ui('red_flag', language)}: {_t(decision.red_flag, language)}")
            lines += [f"{ui('verdict_safe_option', language)}: «{_t(o.text, language)}» {_t(o.feedback, language)}"
                      for o in decision.options if o.safe]
        blocks.append(lines)
    return safe, blocks


def answer_verdict(key: Key, question_id: str, progress: dict, problem: str | None) -> tuple[bool, list[list[str]]]:
    """Whether the answer was right, and for each language the lines of feedback (every option explained)."""
    from widgets.i18n import ui

    question = key.items[question_id]
    number = list(key.items).index(question_id) + 1
    answer = quiz_answer(progress, key, question_id)
    right = bool(answer) and answer == question.key
    blocks = []
    for language in LANGUAGES:
        heading = ui("verdict_question", language, number=number)
        if not answer:
            lines = [f"{heading}: {problem or ui('verdict_unanswered', language)}."]
        else:
            chosen = "; ".join(f"«{_t(o.text, language)}»" for o in question.options if o.id in answer) or "?"
            lines = [f"{heading}: {chosen} — {ui('verdict_right' if right else 'verdict_wrong', language)}."]
        lines += [f"{'✓' if o.correct else '✗'} «{_t(o.text, language)}» — {_t(o.explanation, language)}" for o in question.options]
        blocks.append(lines)
    return right, blocks


def outcomes_of(cell) -> dict[int, dict]:
    """The probe outcomes a cell published, by case number (the first one wins)."""
    found: dict[int, dict] = {}
    for output in cell.get("outputs", [])[:MAX_OUTCOMES]:
        data = output.get("data") if isinstance(output, dict) else None
        payload = data.get(OUTCOME_MIME) if isinstance(data, dict) else None
        if isinstance(payload, dict) and type(payload.get("case")) is int and isinstance(payload.get("outcome"), dict):
            found.setdefault(payload["case"], payload["outcome"])
    return found


def checks_verdict(plan: Plan, outcomes: dict[int, dict], folder: Path) -> tuple[bool, list[list[str]]]:
    failures = []
    for check in plan.checks:
        problem = verdict(outcomes.get(check.index), expect=check.expect, has_expect=check.has_expect, raises=check.raises,
                          tol=check.tol, satisfies=check.satisfies, context=folder)
        if problem and check.hidden:  # never the input, the value returned or the one expected: only the author's hint
            failures.append(f"✗ hidden check {check.index + 1}" + (f": {check.why}" if check.why else ""))
        elif problem:
            failures.append(f"✗ {check.call}: {problem}" + (f" — {check.why}" if check.why else ""))
    if failures:
        shown = failures[:5] + ([f"… and {len(failures) - 5} more"] if len(failures) > 5 else [])
        return False, [[f"{len(failures)} of {len(plan.checks)} checks failed:", *shown]]
    return True, [[f"✓ all {len(plan.checks)} checks passed"]]


def verdict_outputs(passed: bool, blocks: list[list[str]]) -> list:
    """The cell's outputs after grading: the feedback as text and as (escaped) HTML that wraps, and, when the
    item scores 0, a one-line error, which is how nbgrader records 0 (full points otherwise)."""
    text = "\n\n".join("\n".join(lines) for lines in blocks)
    html_text = "".join("<div style='margin:0 0 .8em'>" + "".join(
        f"<p style='margin:.2em 0'>{'<b>' if index == 0 else ''}{html.escape(line)}{'</b>' if index == 0 else ''}</p>"
        for index, line in enumerate(lines)) + "</div>" for lines in blocks)
    outputs = [nbformat.v4.new_output("display_data", data={"text/plain": text, "text/html": html_text})]
    if not passed:
        note = "0 points: the feedback above explains why. · 0 điểm: phần nhận xét ở trên giải thích lý do."
        outputs.append(nbformat.v4.new_output("error", ename="NotAloneCheck", evalue=note, traceback=[note]))
    return outputs


# A solution borrowed from the course's own library ----------------------------------------------------------

def _widgets_names(tree: ast.AST) -> tuple[set[str], bool]:
    """Names a piece of code takes from the course's `widgets` package, and whether it builds an import from text."""
    modules = {"widgets"} | {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                             for alias in node.names if alias.name.split(".")[0] == "widgets"}
    names, from_text = set(), False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "widgets":
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Attribute) and {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)} & modules:
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "widgets" in node.value:
            from_text = True
    return names, from_text


def model_answer_widgets(source_notebook: Path) -> frozenset[str]:
    """What the teacher's model answer (the source's solution cells) itself takes from the `widgets` package."""
    names = set()
    for cell in nbformat.read(source_notebook, as_version=4).cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            try:
                names |= _widgets_names(ast.parse(cell.source))[0]
            except SyntaxError:
                continue
    return frozenset(names)


def borrowed_from_the_course(notebook, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Where a student's own cells take from the course's `widgets` package (which implements some exercises
    for the lessons) more than the model answer does: for the teacher to look at. Read as text, never run."""
    found = []
    for index, cell in enumerate(notebook.cells, 1):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or (meta.get("grade") and not meta.get("solution")) or meta.get("locked"):
            continue
        try:
            names, from_text = _widgets_names(ast.parse(cell.source))
        except SyntaxError:
            continue
        for name in sorted(names - allowed) + (["an import built from text"] if from_text else []):
            found.append(f"cell {index} takes {name} from the course's widgets package")
    return found
