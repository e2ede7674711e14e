"""The judge of the relevance set (`queries.yml`, written by another hand and frozen): graded gains,
a judged pool and nDCG@10, on the real directory through the real API.

- A result's grade is the best grade of its categories for the query (a name given in `names`
  overrides them), 0 for any category not graded.
- Its gain is the grade, reduced linearly beyond the distance the person can walk (`walk_km`) down to 0
  at three times that distance; one less when a condition asked is not confirmed by the record
  (« gratuité non précisée »); 0 when the same place was already listed (same name within 30 m).
- The ideal ranking is taken from a judged pool: the results of the query itself (100 of them) and,
  for each category (or name, searched as text) graded 2 or more, the 50 nearest places of that
  category under the same filters.
  A query whose pool has no gain at all has no relevant place in the data: it is reported apart and
  does not count in the mean (the data gap is issue 16's, not the ranking's).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

QUERIES_PATH = Path(__file__).with_name("queries.yml")
CUTOFF = 10
POOL_QUERY_SIZE = 100
POOL_CATEGORY_SIZE = 50
POOL_MIN_GRADE = 2
DUPLICATE_DISTANCE_M = 30.0
UNCONFIRMED_PENALTY = 1.0
FILTERS = ("free", "anonymous", "pmr", "open_now", "open_at", "age", "gender", "language", "strict", "department")

Search = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Query:
    id: str
    persona: str
    params: dict[str, Any]
    walk_km: float
    grades: dict[str, int]
    names: dict[str, int] = field(default_factory=dict)

    def grade(self, item: dict[str, Any]) -> int:
        name = item["name"].lower()
        named = [g for fragment, g in self.names.items() if fragment.lower() in name]
        if named:
            return max(named)
        return max((self.grades.get(c, 0) for c in item["categories"]), default=0)

    def distance_factor(self, distance_m: float | None) -> float:
        if distance_m is None:
            return 1.0
        km = distance_m / 1000
        if km <= self.walk_km:
            return 1.0
        return max(0.0, 1.0 - (km - self.walk_km) / (2 * self.walk_km))

    def gain(self, item: dict[str, Any]) -> float:
        value = self.grade(item) * self.distance_factor(item.get("distance_m"))
        if item.get("unconfirmed"):
            value -= UNCONFIRMED_PENALTY
        return max(0.0, value)


def load_queries(path: Path = QUERIES_PATH) -> list[Query]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["queries"]
    return [
        Query(
            id=q["id"], persona=q.get("persona", ""), params=dict(q["params"]), walk_km=float(q["walk_km"]),
            grades={k: int(v) for k, v in (q.get("grades") or {}).items()},
            names={k: int(v) for k, v in (q.get("names") or {}).items()},
        )
        for q in raw
    ]


def _close(a: dict[str, Any], b: dict[str, Any]) -> bool:
    dy = (a["lat"] - b["lat"]) * 111_195
    dx = (a["lon"] - b["lon"]) * 111_195 * math.cos(math.radians(a["lat"]))
    return math.hypot(dx, dy) <= DUPLICATE_DISTANCE_M


def gains(query: Query, items: list[dict[str, Any]]) -> list[float]:
    """The gain of each listed result, a repeated place counting nothing."""
    shown: list[dict[str, Any]] = []
    result = []
    for item in items:
        repeated = any(s["name"] == item["name"] and _close(s, item) for s in shown)
        result.append(0.0 if repeated else query.gain(item))
        shown.append(item)
    return result


def dcg(values: list[float]) -> float:
    return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(values[:CUTOFF]))


def pool(query: Query, search: Search) -> dict[str, dict[str, Any]]:
    """The judged pool: every place the query or a search of a fitting category finds nearby."""
    first = search({**query.params, "size": POOL_QUERY_SIZE})
    found = {item["id"]: item for item in first["items"]}
    echo = first["query"]
    point = {"lat": echo["lat"], "lon": echo["lon"]} if echo.get("lat") is not None else {}
    filters = {k: v for k, v in query.params.items() if k in FILTERS}
    if not point and "place" in query.params:
        point = {"place": query.params["place"]}
    searches = [{"category": c} for c, grade in query.grades.items() if grade >= POOL_MIN_GRADE]
    searches += [{"q": fragment} for fragment, grade in query.names.items() if grade >= POOL_MIN_GRADE]
    for asked in searches:
        params = {**filters, **point, **asked, "sort": "distance", "size": POOL_CATEGORY_SIZE}
        for item in search(params)["items"]:
            found.setdefault(item["id"], item)
    return found


@dataclass(frozen=True)
class Judgement:
    query: Query
    ndcg: float | None  # None: no relevant place in the data
    gains: list[float]
    ideal: list[float]
    top: list[dict[str, Any]]


def judge(query: Query, search: Search) -> Judgement:
    top = search({**query.params, "size": CUTOFF})["items"]
    listed = gains(query, top)
    ideal = sorted((query.gain(item) for item in pool(query, search).values()), reverse=True)[:CUTOFF]
    best = dcg(ideal)
    return Judgement(query, None if best == 0 else min(1.0, dcg(listed) / best), listed, ideal, top)


def mean_ndcg(judgements: list[Judgement]) -> float:
    scored = [j.ndcg for j in judgements if j.ndcg is not None]
    return sum(scored) / len(scored) if scored else 0.0
