"""Prints the NLU figures of `rasa test nlu` on the held-out set and fails under the bars.

Bars (issue: intent F1 ≥ 0.90, entity F1 ≥ 0.85), on the weighted averages that Rasa reports.
Usage: python scripts/check_nlu.py RESULTS_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

INTENT_F1_MIN = 0.90
ENTITY_F1_MIN = 0.85
AVERAGES = ("accuracy", "macro avg", "weighted avg", "micro avg")


def load(path: Path) -> dict:
    if not path.exists():
        sys.exit(f"rapport absent : {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def table(title: str, report: dict) -> None:
    print(f"\n{title}")
    for label, row in sorted((k, v) for k, v in report.items() if k not in AVERAGES):
        confused = ", ".join(f"{k} ({v})" for k, v in (row.get("confused_with") or {}).items())
        print(f"  {label:32} F1 {row['f1-score']:.3f}  n={row['support']:<4} {('confondu avec ' + confused) if confused else ''}")


def main(results: Path) -> int:
    intents = load(results / "intent_report.json")
    entities = load(results / "DIETClassifier_report.json")
    table("Intentions (jeu de test tenu à part)", intents)
    table("Entités", entities)
    intent_f1 = intents["weighted avg"]["f1-score"]
    entity_f1 = entities["weighted avg"]["f1-score"]
    support = int(intents["weighted avg"]["support"])
    print(f"\nNLU sur {support} messages : intention F1 pondéré {intent_f1:.3f} (seuil {INTENT_F1_MIN}), "
          f"entités F1 pondéré {entity_f1:.3f} (seuil {ENTITY_F1_MIN})")
    failed = intent_f1 < INTENT_F1_MIN or entity_f1 < ENTITY_F1_MIN
    if failed:
        print("ÉCHEC : sous le seuil")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
