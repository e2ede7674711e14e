"""Prints the relevance set's judgement on the local index (embedded, `make index`), worst first:
`python -m tests.relevance.report [-n 30] [--id teen-]`. For tuning by reading, never for copying
queries into training data or tests."""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

from fastapi.testclient import TestClient

from directory_api.api.app import create_app
from directory_api.settings import Settings
from tests.relevance.judge import judge, load_queries, mean_ndcg


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=25, help="how many of the worst queries to show")
    parser.add_argument("--id", default="", help="only the queries whose id starts with this")
    args = parser.parse_args()
    with TestClient(create_app(Settings(rate_limits_enabled=False))) as client:  # many searches, one client
        def search(params: dict[str, Any]) -> dict[str, Any]:
            return client.get("/structures", params=params).json()

        judgements = [judge(q, search) for q in load_queries() if q.id.startswith(args.id)]
    scored = sorted((j for j in judgements if j.ndcg is not None), key=lambda j: j.ndcg or 0)
    for j in scored[: args.n]:
        print(f"{j.ndcg:.2f} {j.query.id}  {j.query.params}")
        for item, gain in list(zip(j.top, j.gains, strict=True))[:5]:
            distance = "" if item["distance_m"] is None else f"{item['distance_m'] / 1000:.1f} km"
            print(f"      {gain:.1f} {distance:>8} {item['name'][:60]} [{','.join(item['categories'])[:50]}]")
    unanswerable = [j.query.id for j in judgements if j.ndcg is None]
    groups = Counter(j.query.id.split("-")[0] for j in scored)
    print(f"\nnDCG@10 = {mean_ndcg(judgements):.3f} over {len(scored)} queries; "
          f"{len(unanswerable)} without any relevant place in the data: {', '.join(unanswerable)}")
    for group in sorted(groups):
        part = [j for j in scored if j.query.id.split("-")[0] == group]
        print(f"  {group:12} {mean_ndcg(part):.3f} ({len(part)})")


if __name__ == "__main__":
    main()
