"""Answer keys of graded content: what a release must not contain, how options are ordered per
student, and whether a right answer gives itself away.

The author writes one file per activity, key included (a scenario's `safe`, `feedback` and
`red_flag`; a quiz's `correct` and `explanation`). `withhold_answers` makes the released copy:
the same file without any of that, marked `answers: withheld`. The grader keeps the author's file
and decides the points outside the student's kernel (notalone.scoring).
"""

from __future__ import annotations

import copy
import hashlib
from typing import Iterable, Sequence

WITHHELD = "withheld"

# Per content kind: the fields that give an answer away, at each level of the file.
ANSWER_FIELDS = {
    "scenario": {"decision": ("red_flag",), "option": ("safe", "feedback")},
    "quiz": {"option": ("correct", "explanation")},
}


def withhold_answers(kind: str, data: dict) -> dict:
    """A copy of a scenario or quiz (as loaded from YAML) with every answer removed."""
    if kind not in ANSWER_FIELDS:
        raise ValueError(f"{kind!r} content has no answer key; expected one of: {', '.join(ANSWER_FIELDS)}")
    fields = ANSWER_FIELDS[kind]
    public = copy.deepcopy(data)
    public["answers"] = WITHHELD
    if kind == "scenario":
        for node in public.get("nodes", {}).values():
            decision = node.get("decision") if isinstance(node, dict) else None
            if not isinstance(decision, dict):
                continue
            for name in fields["decision"]:
                decision.pop(name, None)
            for option in decision.get("options", []):
                for name in fields["option"]:
                    option.pop(name, None)
    else:
        for question in public.get("questions", []):
            for option in question.get("options", []):
                for name in fields["option"]:
                    option.pop(name, None)
    return public


def leaked_answers(kind: str, data: dict) -> list[str]:
    """Where a (supposedly released) file still holds an answer: empty when it holds none."""
    fields, places = ANSWER_FIELDS.get(kind, {}), []
    if kind == "scenario":
        for node_id, node in (data.get("nodes") or {}).items():
            decision = node.get("decision") if isinstance(node, dict) else None
            if not isinstance(decision, dict):
                continue
            places += [f"nodes.{node_id}.decision.{name}" for name in fields["decision"] if name in decision]
            for index, option in enumerate(decision.get("options", [])):
                places += [f"nodes.{node_id}.decision.options[{index}].{name}" for name in fields["option"] if name in option]
    elif kind == "quiz":
        for q_index, question in enumerate(data.get("questions") or []):
            for o_index, option in enumerate(question.get("options", [])):
                places += [f"questions[{q_index}].options[{o_index}].{name}" for name in fields["option"] if name in option]
    return places


def shuffled(option_ids: Sequence[str], seed: str, item: str) -> list[str]:
    """The order one student sees the options of one item in: fixed by (seed, item), different per item."""
    return sorted(option_ids, key=lambda option_id: hashlib.sha256(f"{seed}\0{item}\0{option_id}".encode()).hexdigest())


def giveaways(texts: dict[str, dict], right: Iterable[str], languages: Iterable[str]) -> list[str]:
    """Why the right answer of one item stands out by length, in any language (empty when it does not).

    `texts` maps option id -> localized text. The right answer stands out when it is the longest
    option by a clear margin (over 1.25 times the longest wrong one)."""
    right, reasons = set(right), []
    wrong_ids = [option_id for option_id in texts if option_id not in right]
    if not right or not wrong_ids:
        return []
    for language in languages:
        longest_wrong = max(len(texts[option_id].get(language, "")) for option_id in wrong_ids)
        for option_id in sorted(right):
            length = len(texts[option_id].get(language, ""))
            if longest_wrong and length > 1.25 * longest_wrong:
                reasons.append(f"the right answer {option_id!r} is much longer than every other option in {language!r} "
                               f"({length} characters against at most {longest_wrong})")
    return reasons
