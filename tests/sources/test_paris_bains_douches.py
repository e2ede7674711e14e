from __future__ import annotations

from datetime import date

import pytest

from directory_api.sources import paris_bains_douches
from tests.sources._source_checks import SourceRun, data_rows, run, slots


@pytest.fixture(scope="module")
def result(import_context) -> SourceRun:
    return run(paris_bains_douches, import_context)


def test_should_account_for_every_row_of_the_file(result, datasets_dir):
    rows = data_rows(datasets_dir / "paris-bains-douches" / paris_bains_douches.FILE)
    assert rows == 17
    assert len(result.structures) == 17
    assert result.rejects == []


def test_should_give_stable_ids_from_the_source_identifiant(result, import_context):
    again = run(paris_bains_douches, import_context)
    assert [s.id for s in result.structures] == [s.id for s in again.structures]
    assert sorted(s.id for s in result.structures) == sorted(f"bains-douches-BD{i}" for i in range(1, 18))


def test_should_map_a_bains_douches_as_a_free_shower(result):
    audubon = result.by_id("bains-douches-BD1")
    assert audubon.name == "Bain-douche Audubon"
    assert audubon.kind == "Bains-douches municipaux"
    assert audubon.categories() == ["shower"]
    assert audubon.modalities.free is True
    assert audubon.address == "11, rue Audubon"
    assert (audubon.postcode, audubon.insee_code, audubon.commune, audubon.department) == (
        "75012", "75112", "Paris 12e", "75",
    )
    assert (audubon.lat, audubon.lon) == (48.84612149499664, 2.369391083586186)
    source = audubon.sources[0]
    assert (source.licence, source.data_date, source.source_record_id) == ("ODbL 1.0", date(2025, 9, 15), "BD1")
    assert paris_bains_douches.INFO.share_alike is True


def test_should_parse_bains_douches_weekday_hours(result):
    audubon = result.by_id("bains-douches-BD1")
    assert slots(audubon, "monday") == [("12:00", "18:00")]
    assert slots(audubon, "friday") == [("12:00", "18:00")]
    assert slots(audubon, "saturday") == []  # « - » = closed
    assert audubon.hours.public_holidays == "unknown"


def test_should_parse_sunday_morning_hours(result):
    blomet = result.by_id("bains-douches-BD3")
    assert slots(blomet, "tuesday") == []
    assert slots(blomet, "wednesday") == [("07:30", "13:00")]
    assert slots(blomet, "sunday") == [("08:00", "12:30")]


def test_should_turn_the_hours_period_into_validity_dates(result):
    audubon = result.by_id("bains-douches-BD1")  # « du 01/01/20 au 01/01/32 »
    assert (audubon.hours.valid_from, audubon.hours.valid_until) == (date(2020, 1, 1), date(2032, 1, 1))
    butte = result.by_id("bains-douches-BD4")  # « à partir du 16/06/20 »
    assert (butte.hours.valid_from, butte.hours.valid_until) == (date(2020, 6, 16), None)


def test_should_flag_hours_whose_validity_ended_before_the_export(result):
    charenton = result.by_id("bains-douches-BD5")  # « du 01/01/20 au 01/02/25 »
    assert charenton.hours.valid_until == date(2025, 2, 1)
    assert "valables que jusqu'au 1er février 2025" in charenton.description


def test_should_keep_a_site_closed_every_day_as_closed_and_say_so(result):
    bidassoa = result.by_id("bains-douches-BD2")
    assert bidassoa.hours is not None and bidassoa.hours.weekly == {}
    assert "aucun jour d'ouverture" in bidassoa.description
    rouvet = result.by_id("bains-douches-BD15")  # all « - » from 19/01/24 to 30/09/25
    assert rouvet.hours.weekly == {}
    assert (rouvet.hours.valid_from, rouvet.hours.valid_until) == (date(2024, 1, 19), date(2025, 9, 30))


def test_should_fix_the_spacing_typo_in_a_name(result):
    assert result.by_id("bains-douches-BD17").name == "Bain-douche Pyrénées"
