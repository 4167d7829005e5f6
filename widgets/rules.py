"""The campaign's 3 Nos and 3 Musts, loaded from data/rules.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str  # "no" or "must"
    title: dict


@lru_cache(maxsize=None)
def rules() -> dict[str, Rule]:
    """Rule id -> Rule, in the campaign's order."""
    data = yaml.safe_load(resources.files("widgets").joinpath("data", "rules.yaml").read_text("utf-8"))
    return {rule_id: Rule(rule_id, str(entry["kind"]), entry["title"]) for rule_id, entry in data.items()}
