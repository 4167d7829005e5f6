"""How well the red-flag checker does on the labelled messages, per category and per language.

    python bench/red_flags.py                 # the held-out part (split "test"), the honest figure
    python bench/red_flags.py --split train   # the part the keywords and shorthand were written from
    python bench/red_flags.py --rules FILE --shorthand FILE --messages FILE

Per language and category: precision (of the alarms, the share that were right), recall (of the
red flags, the share found) and, per language, the false-alarm rate on harmless messages (the
share of messages with no red flag that were flagged anyway). The data set is
lessons/unit04-no-secrets/data/messages.csv; the rules are the course's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from widgets.red_flags import evaluate, load_messages, load_rules, load_shorthand  # noqa: E402

MESSAGES = REPO / "lessons" / "unit04-no-secrets" / "data" / "messages.csv"


def figures(split: str = "test", rules=None, messages_path: Path = MESSAGES) -> dict:
    """{language: {"messages", "harmless", "false_alarm_rate", "recall", "precision", "categories": {category: Counts}}}."""
    rules = rules if rules is not None else load_rules()
    messages = [m for m in load_messages(messages_path, rules.categories) if split in ("all", m.split)]
    result = {}
    for language in sorted({m.language for m in messages}):
        chosen = [m for m in messages if m.language == language]
        evaluation = evaluate(chosen, rules)
        risky = evaluation.risky
        harmless = risky.fp + risky.tn
        result[language] = {"messages": len(chosen), "harmless": harmless,
                            "false_alarm_rate": risky.fp / harmless if harmless else 0.0,
                            "recall": risky.recall, "precision": risky.precision,
                            "overall": evaluation.overall, "categories": evaluation.per_category,
                            "false_alarms": evaluation.false_alarms, "misses": evaluation.misses}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("test", "train", "all"), default="test")
    parser.add_argument("--rules", type=Path, help="a *.red-flags.yaml file (default: the course's)")
    parser.add_argument("--shorthand", type=Path, help="a *.shorthand.yaml file (default: the course's)")
    parser.add_argument("--messages", type=Path, default=MESSAGES)
    parser.add_argument("--show", action="store_true", help="also list the misses and false alarms")
    args = parser.parse_args(argv)
    rules = load_rules(args.rules, load_shorthand(args.shorthand) if args.shorthand else None)
    print(f"split: {args.split}")
    for language, found in figures(args.split, rules, args.messages).items():
        print(f"\n{language}: {found['messages']} messages, {found['harmless']} harmless")
        print(f"  {'category':15}{'precision':>10}{'recall':>8}{'found':>7}{'false alarms':>14}{'missed':>8}")
        for category, counts in found["categories"].items():
            print(f"  {category:15}{counts.precision:>10.2f}{counts.recall:>8.2f}{counts.tp:>7}{counts.fp:>14}{counts.fn:>8}")
        overall = found["overall"]
        print(f"  {'all categories':15}{overall.precision:>10.2f}{overall.recall:>8.2f}{overall.tp:>7}{overall.fp:>14}{overall.fn:>8}")
        print(f"  risky messages flagged (recall): {found['recall']:.2f}; "
              f"false-alarm rate on harmless messages: {found['false_alarm_rate']:.2f}")
        if args.show:
            for message, predicted in found["misses"]:
                print(f"  MISSED {message.id} {sorted(message.labels)}: {message.text}")
            for message, predicted in found["false_alarms"]:
                print(f"  FALSE ALARM {message.id} {predicted}: {message.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
