"""Draws the sample for the hand review of the merge (docs/data-quality.md), reproducibly.

- 50 merged groups from `merge-report.json`, every source pair represented (seeded draw);
- 50 near misses: pairs of records of different sources sharing a category, not merged, the closest
  first per kind of place (up to 2.5 × the rule's distance, or 1.5 × its second-pass distance), to
  estimate the missed merges.

Writes a Markdown table with what a reviewer needs to judge each case (names, addresses, kinds,
distance, source record ids to look up in ../shared/datasets).

    .venv/bin/python scripts/merge_review_sample.py > /tmp/merge-review-sample.md
    # a second, independent sample (validation of changes made after the first review):
    .venv/bin/python scripts/merge_review_sample.py --seed 2 --exclude /tmp/merge-review-sample.md
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import defaultdict

import numpy as np

from directory_api.geography.distance import haversine_km
from directory_api.importer import MERGE_REPORT, STRUCTURES_DIR, read_source_records
from directory_api.merge import RULES, main_source, name_score

SEED = 20261126
GROUPS = 50
NEAR_MISSES = 50


def describe(record) -> str:
    address = record.address or record.commune or ""
    return f"{main_source(record)} `{record.sources[0].source_record_id}` — {record.name} ({record.kind}) — {address}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--exclude", help="un échantillon précédent : ses fiches ne sont pas retirées")
    args = parser.parse_args()
    records = {r.id: r for r in read_source_records()}
    report = json.loads((STRUCTURES_DIR / MERGE_REPORT).read_text(encoding="utf-8"))
    seen: set[tuple[str, str]] = set()
    if args.exclude:
        with open(args.exclude, encoding="utf-8") as handle:
            seen = set(re.findall(r"([a-z0-9-]+) `([^`]+)`", handle.read()))
    rng = random.Random(args.seed)
    by_pair: dict[str, list[dict]] = defaultdict(list)
    for group in report["groups"]:
        keys = {
            (records[m["id"]].sources[0].source, records[m["id"]].sources[0].source_record_id) for m in group["members"]
        }
        if keys & seen:
            continue
        sources = " + ".join(sorted(m["source"] for m in group["members"]))
        by_pair[f"{sources} ({group['matches'][0]['rule']})"].append(group)
    sample: list[dict] = []
    quota = {pair: max(1, round(GROUPS * len(groups) / report["merged_groups"])) for pair, groups in by_pair.items()}
    for pair, groups in sorted(by_pair.items()):
        sample.extend(rng.sample(groups, min(len(groups), max(quota[pair], 6))))
    sample = sample[:GROUPS] if len(sample) > GROUPS else sample
    print(f"# Échantillon de revue de la fusion (graine {args.seed})\n\n## {len(sample)} groupes fusionnés\n")
    print("| # | distance (m) | règle | fiche retenue | fiche fusionnée |\n|---|---:|---|---|---|")
    for number, group in enumerate(sample, 1):
        members = [records[m["id"]] for m in group["members"]]
        match = group["matches"][0]
        print(
            f"| G{number} | {match['distance_m']} | {match['rule']} | {describe(members[0])} | "
            + " ; ".join(describe(m) for m in members[1:])
            + " |"
        )
    merged = {m["id"] for g in report["groups"] for m in g["members"]}
    misses = near_misses(list(records.values()), merged, seen)
    print(f"\n## {len(misses)} paires proches non fusionnées (les plus proches d'abord)\n")
    print("| # | distance (m) | ressemblance des noms | fiche A | fiche B |\n|---|---:|---:|---|---|")
    for number, (distance, score, a, b) in enumerate(misses, 1):
        print(f"| M{number} | {distance:.1f} | {score:.0f} | {describe(a)} | {describe(b)} |")


def near_misses(records, merged: set[str], seen: set[tuple[str, str]]):
    """Closest unmerged pairs of different sources sharing a category, spread over the kinds of place."""
    per_rule: dict[str, list] = defaultdict(list)
    candidates = [
        r for r in records if r.id not in merged and (r.sources[0].source, r.sources[0].source_record_id) not in seen
    ]

    lat = np.array([r.lat for r in candidates])
    lon = np.array([r.lon for r in candidates])
    for i, a in enumerate(candidates):
        distances = haversine_km(a.lat, a.lon, lat[i + 1 :], lon[i + 1 :]) * 1000
        for offset in np.nonzero(distances <= 250)[0].tolist():
            b = candidates[i + 1 + offset]
            shared = set(a.categories()) & set(b.categories())
            if main_source(a) == main_source(b) or not shared:
                continue
            rule = next(r for r in RULES if r.categories is None or shared & r.categories)
            distance = float(distances[offset])
            if distance <= max(2.5 * rule.max_distance_m, 1.5 * (rule.mutual_nearest_m or 0)):
                per_rule[rule.name].append((distance, name_score(a, b), a, b))
    share = NEAR_MISSES // max(1, len(per_rule))
    ranked = {rule: sorted(pairs, key=lambda p: (p[0], p[2].id, p[3].id)) for rule, pairs in per_rule.items()}
    chosen = [pair for pairs in ranked.values() for pair in pairs[:share]]
    rest = sorted((pair for pairs in ranked.values() for pair in pairs[share:]), key=lambda p: (p[0], p[2].id, p[3].id))
    chosen.extend(rest[: NEAR_MISSES - len(chosen)])  # kinds with fewer pairs leave room to the others
    return sorted(chosen, key=lambda p: (p[0], p[2].id, p[3].id))


if __name__ == "__main__":
    main()
