from __future__ import annotations

import csv
from collections import Counter
from datetime import date

import pytest

from directory_api.sources import paris_bains_douches
from directory_api.sources import paris_ilots_fraicheur_equipements as ilots
from tests.sources._source_checks import SourceRun, data_rows, run, slots


@pytest.fixture(scope="module")
def result(import_context) -> SourceRun:
    return run(ilots, import_context)


def _csv(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_should_account_for_every_row_of_the_file(result, datasets_dir):
    rows = data_rows(datasets_dir / ilots.INFO.id / ilots.FILE)
    assert rows == 548
    assert len(result.structures) + len(result.rejects) == rows
    assert (len(result.structures), len(result.errors), len(result.out_of_scope)) == (548, 0, 0)


def test_should_import_bains_douches_rows_as_showers_the_same_as_the_bains_douches_source(result, datasets_dir):
    """They are the same places as `paris-bains-douches` (every cell equal): the merge makes them one."""
    rows = _csv(datasets_dir / ilots.INFO.id / ilots.FILE)
    here = {r["identifiant"]: r for r in rows if r["type"] == "Bains-douches"}
    there = {r["identifiant"]: r for r in _csv(datasets_dir / "paris-bains-douches" / paris_bains_douches.FILE)}
    assert len(here) == 17 and here.keys() == there.keys()
    for identifiant, row in here.items():
        assert row == there[identifiant]  # same id_dicom, name, address, hours, coordinates
    showers = [s for s in result.structures if "shower" in s.categories()]
    assert {s.sources[0].source_record_id for s in showers} == set(there)
    assert all(s.categories() == ["cooling_space", "shower"] and s.modalities.free for s in showers)


def test_should_give_stable_unique_ids_even_for_reused_identifiants(result, import_context):
    again = run(ilots, import_context)
    assert [s.id for s in result.structures] == [s.id for s in again.structures]
    ids = [s.id for s in result.structures]
    assert len(set(ids)) == len(ids)
    mu75 = sorted(i for i in ids if i.startswith("ilot-fraicheur-MU75"))
    assert mu75 == [
        "ilot-fraicheur-MU75-le-centquatre-paris",
        "ilot-fraicheur-MU75-maison-europeenne-de-la-photographie",
    ]
    assert "ilot-fraicheur-MU62" in ids  # a unique identifiant keeps a plain id


def test_should_map_every_place_as_a_cooling_space_with_its_type_category(result):
    assert all("cooling_space" in s.categories() for s in result.structures)
    assert result.by_id("ilot-fraicheur-MU62").categories() == ["cooling_space", "museums"]
    pool = result.by_id("ilot-fraicheur-PI13")
    assert pool.categories() == ["cooling_space", "sport_activities"]
    kinds = Counter(s.kind for s in result.structures)
    assert kinds["Brumisateur"] == 99  # 98 typed + BR120 with an empty type
    assert kinds["Bibliothèque"] == 17
    libraries = [s for s in result.structures if s.kind == "Bibliothèque"]
    assert all(s.categories() == ["cooling_space", "libraries"] for s in libraries)


def test_should_type_the_row_without_type_as_a_mister_per_the_readme(result):
    mister = result.by_id("ilot-fraicheur-BR120-brumisateur-parc-python-duvernois-aretha-franklin")
    assert mister.kind == "Brumisateur"
    assert mister.address is None
    assert (mister.commune, mister.insee_code) == ("Paris 20e", "75120")


def test_should_map_payant_to_free(result):
    assert result.by_id("ilot-fraicheur-PI13").modalities.free is False
    assert result.by_id("ilot-fraicheur-MU62").modalities.free is True  # Musée Bourdelle, « Non »
    assert result.by_id("ilot-fraicheur-MU33").modalities.free is None  # empty cell


def test_should_parse_museum_hours_with_their_validity(result):
    bourdelle = result.by_id("ilot-fraicheur-MU62")
    assert slots(bourdelle, "monday") == []
    assert slots(bourdelle, "tuesday") == [("10:00", "18:00")]
    assert (bourdelle.hours.valid_from, bourdelle.hours.valid_until) == (date(2020, 1, 1), date(2032, 1, 1))


def test_should_parse_each_real_hours_spelling(result):
    # « 9H30 - 17H », « Fermé »
    assert slots(result.by_id("ilot-fraicheur-DI02"), "tuesday") == [("09:30", "17:00")]
    assert slots(result.by_id("ilot-fraicheur-MU77"), "tuesday") == [("10:00", "18:00")]  # « 10h – 18h »
    assert slots(result.by_id("ilot-fraicheur-MU75-le-centquatre-paris"), "saturday") == [("11:00", "19:00")]
    assert slots(result.by_id("ilot-fraicheur-MU10"), "monday") == [("09:00", "18:00")]  # « 09:00 - 18:00 »
    grenelle = result.by_id("ilot-fraicheur-BE13")  # « 10h - 12h / 12h30 - 14h15 / 14h45 - 17h30 »
    assert slots(grenelle, "sunday") == [("10:00", "12:00"), ("12:30", "14:15"), ("14:45", "17:30")]
    mairie = result.by_id("ilot-fraicheur-MA22-mairie-du-20e")
    assert slots(mairie, "thursday") == [("14:00", "19:30")]


def test_should_read_a_written_out_french_period(result):
    louis_lumiere = result.by_id("ilot-fraicheur-BE1")  # « Du 08 juillet au 20 août 2023 »
    validity = (louis_lumiere.hours.valid_from, louis_lumiere.hours.valid_until)
    assert validity == (date(2023, 7, 8), date(2023, 8, 20))
    assert "20 août 2023" in louis_lumiere.description


def test_should_leave_hours_unknown_and_keep_the_text_when_the_week_is_incomplete_or_unreadable(result):
    guimet = result.by_id("ilot-fraicheur-MU25")  # Monday not given
    assert guimet.hours is None
    assert "lundi : non renseigné" in guimet.description
    pontoise = result.by_id("ilot-fraicheur-PI13")  # truncated cell « 16h30 - 19h45 / 20 »
    assert pontoise.hours is None
    assert "16h30 - 19h45 / 20" in pontoise.description


def test_should_put_free_text_hours_in_the_description_not_in_the_hours(result):
    church = result.by_id("ilot-fraicheur-LC26")
    assert church.hours is None
    assert "renseigner directement sur place" in church.description


def test_should_say_a_mister_was_switched_off(result):
    switched_off = [s for s in result.structures if "Éteint" in (s.description or "")]
    assert len(switched_off) == 3
    assert all(s.kind == "Brumisateur" for s in switched_off)
