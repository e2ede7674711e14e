"""nDCG@10 of the independent relevance set on both engines, with a floor so that it cannot regress.
Figures and what is not reached: docs/search.md."""

from __future__ import annotations

from typing import Any

import pytest

from tests.relevance.judge import judge, load_queries, mean_ndcg

# Measured on the frozen set (docs/search.md); raise it when the ranking improves, never lower it.
NDCG_FLOOR = 0.78  # 0.797 embedded, 0.793 Elasticsearch on 2026-12-07; the goal is 0.90 (docs/search.md)
# Queries for which a relevant place is found at all (251 of 293 on 2026-12-07): more answered places
# lower the mean when they are unconfirmed, so both figures have a floor.
MIN_ANSWERED = 248
MIN_QUERIES = 150


@pytest.fixture(scope="module")
def judgements(client):
    def search(params: dict[str, Any]) -> dict[str, Any]:
        response = client.get("/structures", params=params)
        assert response.status_code == 200, (params, response.text)
        return response.json()

    return [judge(query, search) for query in load_queries()]


def test_should_have_an_independent_set_large_enough():
    queries = load_queries()
    assert len(queries) >= MIN_QUERIES
    assert len({q.id for q in queries}) == len(queries)


def test_should_rank_places_right_for_the_person(judgements):
    worst = sorted((j for j in judgements if j.ndcg is not None), key=lambda j: j.ndcg or 0)[:5]
    mean, answered = mean_ndcg(judgements), sum(j.ndcg is not None for j in judgements)
    print(f"\nnDCG@10 = {mean:.3f} over {answered} answered queries")
    assert mean >= NDCG_FLOOR, [(j.query.id, round(j.ndcg or 0, 2)) for j in worst]
    assert answered >= MIN_ANSWERED
