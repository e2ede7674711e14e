from __future__ import annotations

from datetime import date

import pytest

from directory_api.sources import casvp_restaurants_solidaires as casvp
from tests.sources._source_checks import SourceRun, data_rows, run


@pytest.fixture(scope="module")
def result(import_context) -> SourceRun:
    return run(casvp, import_context)


def test_should_account_for_every_row_of_the_file(result, datasets_dir):
    rows = data_rows(datasets_dir / casvp.INFO.id / casvp.FILE)
    assert rows == 43
    assert len(result.structures) + len(result.rejects) == rows
    assert len(result.structures) == 42


def test_should_reject_the_empty_record_with_its_line(result):
    assert len(result.errors) == 1
    reject = result.errors[0]
    assert reject.line == 42  # header = 1, the 41st record
    assert "enregistrement vide" in reject.reason


def test_should_say_every_record_is_old(result):
    for structure in result.structures:
        assert "Liste de 2018 (à vérifier)" in structure.description
        assert structure.data_date == date(2018, 2, 16)
        assert structure.sources[0].data_date == date(2018, 2, 16)


def test_should_give_stable_ids_from_the_restaurant_name(result, import_context):
    again = run(casvp, import_context)
    assert [s.id for s in result.structures] == [s.id for s in again.structures]
    assert len({s.id for s in result.structures}) == 42
    assert "casvp-restaurant-beaunier" in {s.id for s in result.structures}


def test_should_map_an_emeraude_restaurant_to_seniors_and_disabled_people(result):
    beaunier = result.by_id("casvp-restaurant-beaunier")
    assert beaunier.name == "Restaurant Émeraude Beaunier"
    assert beaunier.categories() == ["food_distribution"]
    assert len(beaunier.services) == 1
    publics = beaunier.services[0].publics
    assert publics.welcome == "exclusive"
    assert set(publics.groups) == {"elderly", "handicap"}
    assert (beaunier.address, beaunier.postcode, beaunier.commune, beaunier.insee_code) == (
        "43, rue Beaunier", "75014", "Paris 14e", "75114",
    )
    assert (beaunier.lat, beaunier.lon) == (48.824459, 2.327765)
    assert beaunier.hours is None  # no hours in the data


def test_should_map_a_solidarity_restaurant_to_an_evening_meal_on_referral(result):
    europe = result.by_id("casvp-restaurant-marche-de-l-europe")
    assert europe.kind == "Restaurant solidaire du CASVP"
    evening = [s for s in europe.services if s.id.endswith("-solidaire")]
    assert len(evening) == 1
    assert evening[0].categories == ["food_distribution"]
    assert evening[0].modalities.referral is True
    assert "service social" in evening[0].modalities.referral_details
    solidaires = sorted(s.commune for s in result.structures if s.kind == "Restaurant solidaire du CASVP")
    assert solidaires == ["Paris 10e", "Paris 11e", "Paris 12e", "Paris 14e", "Paris 17e", "Paris 5e", "Paris 8e"]


def test_should_carry_the_odbl_licence(result):
    source = result.by_id("casvp-restaurant-beaunier").sources[0]
    assert (source.source, source.licence) == ("casvp-restaurants-solidaires", "ODbL 1.0")
    assert casvp.INFO.share_alike is True
