"""Toilets: Paris sanisettes, the Région's consolidated list (OSM), RATP station toilets."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date

import pytest

from directory_api.sources import idf_toilettes_publiques, paris_sanisettes, ratp_toilettes
from directory_api.sources._places import distance_m
from directory_api.sources.hours_parsing import HoursParseError
from tests.sources._source_checks import SourceRun, data_rows, run, slots


@pytest.fixture(scope="module")
def sanisettes(import_context) -> SourceRun:
    return run(paris_sanisettes, import_context)


@pytest.fixture(scope="module")
def idf(import_context) -> SourceRun:
    return run(idf_toilettes_publiques, import_context)


@pytest.fixture(scope="module")
def ratp(import_context) -> SourceRun:
    return run(ratp_toilettes, import_context)


def _csv(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- paris-sanisettes -----------------------------------------------------------------------------

def test_should_account_for_every_sanisettes_row(sanisettes, datasets_dir):
    rows = data_rows(datasets_dir / paris_sanisettes.INFO.id / paris_sanisettes.FILE)
    assert rows == 609
    assert len(sanisettes.structures) == 609
    assert sanisettes.rejects == []


def test_should_derive_stable_sanisette_ids_from_type_and_position(sanisettes, import_context):
    again = run(paris_sanisettes, import_context)
    assert [s.id for s in sanisettes.structures] == [s.id for s in again.structures]
    ids = [s.id for s in sanisettes.structures]
    assert len(set(ids)) == len(ids)
    assert "toilettes-paris-sanisette-4883193-230273" in ids  # 76 rue Brancion
    # two sanisettes at the very same point (rue Coquillière) are told apart by their address
    assert "toilettes-paris-sanisette-4886355-234247-rue-coquilliere" in ids
    assert "toilettes-paris-sanisette-4886355-234247-9-rue-coquilliere" in ids


def test_should_map_a_sanisette_as_free_toilets_open_6_to_22(sanisettes):
    brancion = sanisettes.by_id("toilettes-paris-sanisette-4883193-230273")
    assert brancion.name == "Sanisette — 76 rue Brancion"
    assert brancion.kind == "Sanisette"
    assert brancion.categories() == ["toilets"]
    assert (brancion.modalities.free, brancion.modalities.wheelchair_access) == (True, True)
    assert (brancion.commune, brancion.insee_code, brancion.postcode) == ("Paris 15e", "75115", "75015")
    assert (brancion.lat, brancion.lon) == (48.831929561343095, 2.3027334854194716)
    for day in ("monday", "sunday"):
        assert slots(brancion, day) == [("06:00", "22:00")]
    source = brancion.sources[0]
    assert (source.licence, source.data_date) == ("ODbL 1.0", date(2024, 11, 13))


def test_should_parse_sanisette_hours_formats(sanisettes):
    assert paris_sanisettes.parse_toilet_hours("24 h / 24").always_open is True
    past_midnight = paris_sanisettes.parse_toilet_hours("6 h - 1 h")
    assert [(s.start.hour, s.end.hour) for s in past_midnight.weekly["monday"]] == [(6, 1)]
    night = paris_sanisettes.parse_toilet_hours("19 h - 7 h")
    assert [(s.start.hour, s.end.hour) for s in night.weekly["sunday"]] == [(19, 7)]
    for text, expected in (("10h/18h", [(10, 18)]), ("10h à 22h", [(10, 22)])):
        friday = paris_sanisettes.parse_toilet_hours(text).weekly["friday"]
        assert [(s.start.hour, s.end.hour) for s in friday] == expected
    assert paris_sanisettes.parse_toilet_hours("Voir fiche équipement") is None
    assert paris_sanisettes.parse_toilet_hours("") is None
    with pytest.raises(HoursParseError):
        paris_sanisettes.parse_toilet_hours("selon saison")
    counts = Counter(
        "24/24" if s.hours and s.hours.always_open else "unknown" if s.hours is None else "weekly"
        for s in sanisettes.structures
    )
    assert counts == {"weekly": 278, "24/24": 149, "unknown": 182}


def test_should_point_park_toilets_to_the_park_page_for_hours(sanisettes):
    park = [s for s in sanisettes.structures if s.kind == "Toilettes publiques" and s.website]
    assert park and all(s.hours is None for s in park)
    assert all("ceux du parc ou du jardin" in s.description for s in park)


def test_should_place_the_row_without_coordinates_at_its_arrondissement(sanisettes):
    bercy = sanisettes.by_id("toilettes-paris-toilettes-parc-de-bercy-75012")
    assert bercy.location_precision == "commune"
    assert (bercy.commune, bercy.insee_code) == ("Paris 12e", "75112")


def test_should_not_claim_lavatories_or_urinals_are_free(sanisettes):
    lavatories = [s for s in sanisettes.structures if s.kind == "Lavatory"]
    assert len(lavatories) == 5
    assert all(s.modalities.free is None and "payant" in s.modalities.price_details for s in lavatories)
    urinals = [s for s in sanisettes.structures if s.kind == "Urinoir"]
    assert len(urinals) == 3
    assert all(s.modalities.free is None and s.publics.gender == "men" for s in urinals)


def test_should_map_pmr_and_baby_changing(sanisettes):
    pmr = Counter(s.modalities.wheelchair_access for s in sanisettes.structures)
    assert pmr == {True: 513, False: 94, None: 2}
    assert sum("Relais bébé" in (s.description or "") for s in sanisettes.structures) == 13


# --- idf-toilettes-publiques ----------------------------------------------------------------------

def test_should_account_for_every_idf_row(idf, datasets_dir):
    rows = data_rows(datasets_dir / idf_toilettes_publiques.INFO.id / idf_toilettes_publiques.FILE)
    assert rows == 3217
    assert len(idf.structures) + len(idf.rejects) == rows
    assert (len(idf.structures), len(idf.errors), len(idf.out_of_scope)) == (2564, 0, 653)
    assert Counter(r.reason for r in idf.out_of_scope) == {
        idf_toilettes_publiques.COPY_OF_PARIS_SANISETTES: 606,
        idf_toilettes_publiques.COPY_OF_RATP_TOILETTES: 47,
    }


def test_should_only_leave_out_rows_that_copy_the_paris_and_ratp_datasets(datasets_dir):
    """The « Autres » rows sit on the very points of paris-sanisettes / ratp-toilettes."""
    idf_rows = _csv(datasets_dir / idf_toilettes_publiques.INFO.id / idf_toilettes_publiques.FILE)
    paris_rows = _csv(datasets_dir / "paris-sanisettes" / paris_sanisettes.FILE)
    paris = [(float(r["lat"]), float(r["lon"])) for r in paris_rows if r["lat"]]
    ratp_file = _csv(datasets_dir / "ratp-toilettes" / ratp_toilettes.FILE)
    ratp = [(float(r["lat"]), float(r["lon"])) for r in ratp_file]

    def nearest(row, points):
        return min(distance_m(float(row["lat"]), float(row["lon"]), lat, lon) for lat, lon in points)

    others = [r for r in idf_rows if r["Source"] == "Autres"]
    ratp_copies = [r for r in others if "RATP" in r["Type"]]
    paris_copies = [r for r in others if "RATP" not in r["Type"]]
    assert all(nearest(r, ratp) < 1 for r in ratp_copies)
    exact = sum(nearest(r, paris) < 1 for r in paris_copies)
    assert (len(paris_copies), exact) == (606, 586)  # the other 20 are gone from the newer Paris export


def test_should_id_osm_toilets_by_their_osm_element(idf, import_context):
    again = run(idf_toilettes_publiques, import_context)
    assert [s.id for s in idf.structures] == [s.id for s in again.structures]
    first = idf.by_id("toilettes-idf-osm-way-452685616")
    assert first.sources[0].source_record_id == "way/452685616"
    assert (first.commune, first.insee_code, first.department) == ("Paris", "75056", "75")
    assert (first.lat, first.lon) == (48.8627324444383, 2.3346522805533)


def test_should_map_tarif_and_pmr_of_osm_toilets(idf):
    assert Counter(s.modalities.free for s in idf.structures) == {None: 1454, True: 1038, False: 72}
    assert Counter(s.modalities.wheelchair_access for s in idf.structures) == {None: 1162, True: 1016, False: 386}
    paying = idf.by_id("toilettes-idf-osm-node-765666860")
    assert (paying.modalities.free, paying.modalities.wheelchair_access) == (False, False)
    assert paying.modalities.price_details == "Payant (tarif non précisé)"


def test_should_map_a_complete_osm_toilet(idf):
    toilet = idf.by_id("toilettes-idf-osm-node-10790450276")
    assert toilet.name == "Toilettes publiques — Collégien"
    assert (toilet.commune, toilet.insee_code, toilet.department) == ("Collégien", "77121", "77")
    assert (toilet.modalities.free, toilet.modalities.wheelchair_access) == (True, True)
    assert "Relais bébé" in toilet.description
    assert slots(toilet, "saturday") == [("08:30", "22:00")]
    assert "sunday" not in toilet.hours.weekly
    assert toilet.hours.notes == "Mo-Sa 08:30-22:00"
    source = toilet.sources[0]
    assert (source.licence, source.data_date) == ("ODbL 1.0", date(2024, 5, 18))


def test_should_name_osm_toilets_after_the_station_in_sight_rather_than_the_commune(idf):
    # « Toilettes publiques — Paris » told a person nothing the address would not.
    toilet = idf.by_id("toilettes-idf-osm-node-10049129317")
    assert toilet.name == "Toilettes publiques — près de la station Anvers"
    assert [p.source for p in toilet.sources] == ["idf-toilettes-publiques", "idfm-gares"]
    assert toilet.sources[1].fields == ["name"]
    named = Counter(s.name.split(" — ")[1].startswith("près de") for s in idf.structures)
    assert named[True] > 400


def test_should_say_toilets_inside_a_building_may_be_for_customers(idf):
    inside = [s for s in idf.structures if s.kind == "Toilettes dans un établissement"]
    assert len(inside) == 751
    assert all("réservé à la clientèle" in s.description for s in inside)


def test_should_parse_osm_opening_hours_of_real_rows(idf):
    always = [s for s in idf.structures if s.hours and s.hours.always_open]
    assert len(always) == 376  # « 24/7 »
    daily = [s for s in idf.structures if s.hours and s.hours.notes == "6:00-22:00"]
    assert len(daily) == 28 and slots(daily[0], "sunday") == [("06:00", "22:00")]
    unreadable = [s for s in idf.structures if "Horaires donnés par la source" in (s.description or "")]
    assert len(unreadable) == 16
    assert all(s.hours is None for s in unreadable)


# --- ratp-toilettes -------------------------------------------------------------------------------

def test_should_account_for_every_ratp_row(ratp, datasets_dir):
    rows = data_rows(datasets_dir / ratp_toilettes.INFO.id / ratp_toilettes.FILE)
    assert rows == 48
    assert (len(ratp.structures), len(ratp.errors), len(ratp.out_of_scope)) == (47, 0, 1)
    assert ratp.out_of_scope[0].reason == "toilettes non accessibles au public"  # Concorde


def test_should_name_ratp_toilets_by_station_and_line(ratp, import_context):
    trocadero = ratp.by_id("toilettes-ratp-trocadero-metro-6")
    assert trocadero.name == "Toilettes — station Trocadéro (métro 6)"
    assert trocadero.categories() == ["toilets"]
    assert (trocadero.commune, trocadero.insee_code, trocadero.department) == ("Paris 16e", "75116", "75")
    assert trocadero.address_complement == "Sortie 1, avenue du Président Wilson."
    assert trocadero.hours is None
    assert [p.source for p in trocadero.sources] == ["ratp-toilettes", "idfm-gares"]
    again = run(ratp_toilettes, import_context)
    assert [s.id for s in ratp.structures] == [s.id for s in again.structures]
    assert len({s.id for s in ratp.structures}) == 47


def test_should_say_when_a_transport_ticket_is_needed(ratp):
    nation = ratp.by_id("toilettes-ratp-nation-rer-a")
    assert nation.name == "Toilettes — gare Nation (RER A)"
    assert nation.modalities.other.startswith("Dans la zone contrôlée : un titre de transport valable")
    madeleine = ratp.by_id("toilettes-ratp-madeleine-metro-14")
    assert "hors de la zone contrôlée : accessibles sans titre de transport" in madeleine.modalities.other
    arcueil = ratp.by_id("toilettes-ratp-arcueil-cachan-rer-b")
    assert "voie publique" in arcueil.modalities.other
    assert "passe Navigo ou un ticket t+" in arcueil.modalities.other
    assert "sans titre" not in arcueil.modalities.other
    assert arcueil.commune == "Cachan"


def test_should_map_paying_and_pmr_ratp_toilets(ratp):
    cluny = ratp.by_id("toilettes-ratp-cluny-la-sorbonne-metro-10")
    assert cluny.modalities.free is False
    assert cluny.modalities.price_details
    etoile = ratp.by_id("toilettes-ratp-charles-de-gaulle-etoile-metro-1")
    assert (etoile.modalities.free, etoile.modalities.wheelchair_access) == (True, False)


def test_should_tell_apart_several_toilets_of_one_station_and_line(ratp):
    chatelet = sorted(s.id for s in ratp.structures if s.id.startswith("toilettes-ratp-chatelet-rer-a"))
    assert len(chatelet) == 3
    names = {s.name for s in ratp.structures if s.id in chatelet}
    assert names == {"Toilettes — gare Châtelet-Les Halles (RER A)"}
