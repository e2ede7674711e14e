"""Trains NLU variants of config.yml and scores each on the held-out test set, to choose the components
by measured scores (README.md, « Choix du pipeline »). Takes about 5 minutes per variant on 2 cores.

Usage: .venv/bin/python scripts/compare_pipelines.py [VARIANT ...]
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

BOT = Path(__file__).resolve().parents[1]
RASA = str(Path(sys.executable).with_name("rasa"))


def component(pipeline: list[dict], name: str, **match: object) -> dict:
    return next(c for c in pipeline if c["name"] == name and all(c.get(k) == v for k, v in match.items()))


def without(pipeline: list[dict], *names: str) -> list[dict]:
    return [c for c in pipeline if c["name"] not in names]


def variants(base: dict) -> dict[str, dict]:
    found: dict[str, dict] = {"retenu (config.yml)": base}

    whitespace = copy.deepcopy(base)
    pipeline = without(whitespace["pipeline"], "SpacyNLP", "SpacyTokenizer", "SpacyFeaturizer")
    whitespace["pipeline"] = [{"name": "WhitespaceTokenizer"}, *pipeline]
    found["sans spaCy (WhitespaceTokenizer)"] = whitespace

    no_lookups = copy.deepcopy(base)
    component(no_lookups["pipeline"], "RegexFeaturizer")["use_lookup_tables"] = False
    found["sans tables de lookup"] = no_lookups

    no_chars = copy.deepcopy(base)
    no_chars["pipeline"] = [c for c in no_chars["pipeline"] if c.get("analyzer") != "char_wb"]
    found["sans n-grammes de caractères"] = no_chars

    default_diet = copy.deepcopy(base)
    diet = component(default_diet["pipeline"], "DIETClassifier")
    for key in ("number_of_transformer_layers", "transformer_size"):
        diet.pop(key, None)
    found["DIET par défaut (2 × 256)"] = default_diet
    return found


def score(name: str, config: dict, workdir: Path) -> dict[str, float]:
    slug = "".join(ch if ch.isalnum() else "-" for ch in name)[:40]
    config_path = workdir / f"{slug}.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    started = time.perf_counter()
    subprocess.run([RASA, "train", "nlu", "--config", str(config_path), "--nlu", "data/nlu", "--domain", "domain",
                    "--out", str(workdir), "--fixed-model-name", slug], cwd=BOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    training_s = time.perf_counter() - started
    out = workdir / f"results-{slug}"
    subprocess.run([RASA, "test", "nlu", "--model", str(workdir / f"{slug}.tar.gz"), "--nlu", "tests/nlu_test_set.yml",
                    "--out", str(out), "--no-plot"], cwd=BOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    intents = json.loads((out / "intent_report.json").read_text())
    entities = json.loads((out / "DIETClassifier_report.json").read_text())
    return {
        "intent_f1": intents["weighted avg"]["f1-score"],
        "entity_f1": entities["weighted avg"]["f1-score"],
        "place_f1": entities.get("place", {}).get("f1-score", float("nan")),
        "need_f1": entities.get("need", {}).get("f1-score", float("nan")),
        "training_s": training_s,
    }


def main() -> None:
    base = yaml.safe_load((BOT / "config.yml").read_text(encoding="utf-8"))
    chosen = variants(base)
    if len(sys.argv) > 1:
        chosen = {k: v for k, v in chosen.items() if any(arg in k for arg in sys.argv[1:])}
    print("| pipeline | intention F1 | entités F1 | lieu F1 | besoin F1 | entraînement NLU (s) |")
    print("| --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for name, config in chosen.items():
            r = score(name, config, Path(tmp))
            print(f"| {name} | {r['intent_f1']:.3f} | {r['entity_f1']:.3f} | {r['place_f1']:.3f} | {r['need_f1']:.3f} | {r['training_s']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
