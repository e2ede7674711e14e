"""Quality per record: completeness and freshness, on real records."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from directory_api.importer import read_structures
from directory_api.quality import freshness, quality

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def structures():
    return list(read_structures())


def test_should_give_full_freshness_under_six_months_and_none_after_two_years(structures):
    record = structures[0]
    for age_days, expected in ((30, 1.0), (182, 1.0), (730, 0.0), (1000, 0.0)):
        assert freshness(record, record.data_date + timedelta(days=age_days)) == expected
    middle = freshness(record, record.data_date + timedelta(days=456))
    assert 0.45 < middle < 0.55


def test_should_flag_a_commune_centre_position_as_missing_precision(structures):
    approximate = next(s for s in structures if s.location_precision == "commune")
    assert "position précise" in quality(approximate, TODAY).missing


def test_should_score_a_complete_fresh_record_above_an_incomplete_old_one(structures):
    scored = [(quality(s, TODAY), s) for s in structures]
    best = max(scored, key=lambda pair: pair[0].score)[0]
    worst = min(scored, key=lambda pair: pair[0].score)[0]
    assert best.score > worst.score
    assert worst.missing and not best.missing or best.completeness > worst.completeness
    assert all(0 <= q.score <= 1 for q, _ in scored)


def test_should_never_credit_hours_a_record_does_not_have(structures):
    without_hours = next(s for s in structures if s.hours is None and all(svc.hours is None for svc in s.services))
    assert "horaires" in quality(without_hours, TODAY).missing
