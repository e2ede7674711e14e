"""Drinking fountains: Eau de Paris and RATP."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from directory_api.sources import paris_fontaines, ratp_fontaines
from tests.sources._source_checks import SourceRun, data_rows, run


@pytest.fixture(scope="module")
def paris(import_context) -> SourceRun:
    return run(paris_fontaines, import_context)


@pytest.fixture(scope="module")
def ratp(import_context) -> SourceRun:
    return run(ratp_fontaines, import_context)


# --- paris-fontaines ------------------------------------------------------------------------------

def test_should_account_for_every_paris_fountain(paris, datasets_dir):
    rows = data_rows(datasets_dir / paris_fontaines.INFO.id / paris_fontaines.FILE)
    assert rows == 1322
    assert len(paris.structures) == 1322
    assert paris.rejects == []


def test_should_id_paris_fountains_by_gid(paris, import_context):
    again = run(paris_fontaines, import_context)
    assert [s.id for s in paris.structures] == [s.id for s in again.structures]
    assert len({s.id for s in paris.structures}) == 1322


def test_should_name_a_fountain_from_its_street_number_and_street(paris):
    pasteur = paris.by_id("fontaine-paris-450024946")  # « 37F » « BOULEVARD PASTEUR »
    assert pasteur.name == "Fontaine à boire — face au 37 boulevard Pasteur"
    assert pasteur.kind == "Fontaine à boire"
    assert pasteur.categories() == ["fountain"]
    assert pasteur.modalities.free is True
    assert (pasteur.commune, pasteur.insee_code, pasteur.postcode, pasteur.department) == (
        "Paris 15e", "75115", "75015", "75",
    )
    assert (pasteur.lat, pasteur.lon) == (48.84274722972126, 2.3128939116029996)
    assert paris.by_id("fontaine-paris-450024987").name == "Fontaine à boire — 42 rue Cassini"
    assert paris.by_id("fontaine-paris-450085275").name == "Fontaine à boire — rue Sorbier"  # no number
    source = pasteur.sources[0]
    assert (source.licence, source.data_date) == ("ODbL 1.0", date(2025, 9, 15))


def test_should_leave_hours_of_available_fountains_unknown(paris):
    available = [s for s in paris.structures if "Hors service" not in (s.description or "")]
    assert len(available) == 1262
    assert all(s.hours is None for s in available)  # the README does not say fountains run 24/7


def test_should_show_an_out_of_service_fountain_as_closed_with_its_reason(paris):
    fountain = paris.by_id("fontaine-paris-450072582")  # NON since 2024-12-17, APP SUR CHANTIER, no end
    hours = fountain.hours
    assert hours is not None and hours.always_open is False and hours.weekly == {}
    assert (hours.valid_from, hours.valid_until) == (date(2024, 12, 17), None)
    assert [(c.start, c.end, c.reason) for c in hours.closures] == [
        (date(2024, 12, 17), None, "Appareil sur un chantier")
    ]
    assert fountain.description.startswith("Hors service depuis le 17 décembre 2024")


def test_should_keep_a_future_planned_end_of_unavailability(paris):
    winter = paris.by_id("fontaine-paris-450071263")  # FERMETURE HIVERNALE until 2026-04-13
    assert winter.hours.closures[0].end == date(2026, 4, 13)
    assert winter.hours.valid_until == date(2026, 4, 13)
    assert "retour prévu le 13 avril 2026" in winter.description


def test_should_not_trust_a_planned_end_already_past_while_still_unavailable(paris):
    fountain = paris.by_id("fontaine-paris-450024978")  # NON, planned end 2025-06-02, still NON in September
    assert fountain.hours.closures[0].end is None
    assert fountain.hours.valid_until is None
    assert "le retour était prévu le 2 juin 2025" in fountain.description


def test_should_mark_every_unavailable_fountain(paris):
    closed = [s for s in paris.structures if s.hours is not None]
    assert len(closed) == 60
    assert all(s.hours.closures and s.hours.weekly == {} for s in closed)


def test_should_place_cemetery_fountains_in_their_commune(paris):
    outside = Counter(s.commune for s in paris.structures if s.department != "75")
    assert outside == {
        "Thiais": 47, "Pantin": 46, "Bagneux": 22, "Saint-Ouen-sur-Seine": 22, "Ivry-sur-Seine": 18,
        "Saint-Denis": 2, "Saint-Mandé": 1, "Nogent-sur-Marne": 1,
    }
    cemetery = [s for s in paris.structures if s.address and s.address.startswith("Cimetière")]
    assert len(cemetery) == 156
    assert all("heures d'ouverture du cimetière" in s.description for s in cemetery)


def test_should_format_fountain_addresses():
    def address(pair="", odd="", street="RUE D AUBERVILLIERS"):
        return paris_fontaines.fountain_address({"no_voirie_pair": pair, "no_voirie_impair": odd, "voie": street})

    assert address(pair="F92") == "face au 92 rue d'Aubervilliers"
    assert address(odd="29 FACE") == "face au 29 rue d'Aubervilliers"
    assert address(odd="Face 11") == "face au 11 rue d'Aubervilliers"
    assert address(pair="12B") == "12 bis rue d'Aubervilliers"
    assert address() == "rue d'Aubervilliers"


# --- ratp-fontaines -------------------------------------------------------------------------------

def test_should_account_for_every_ratp_fountain(ratp, datasets_dir, import_context):
    rows = data_rows(datasets_dir / ratp_fontaines.INFO.id / ratp_fontaines.FILE)
    assert rows == 81
    assert len(ratp.structures) == 81
    assert ratp.rejects == []
    again = run(ratp_fontaines, import_context)
    assert [s.id for s in ratp.structures] == [s.id for s in again.structures]


def test_should_map_a_ratp_fountain_inside_the_controlled_zone(ratp):
    gambetta = ratp.by_id("fontaine-ratp-8")
    assert gambetta.name == "Fontaine à boire — Métro Gambetta"
    assert gambetta.categories() == ["fountain"]
    assert gambetta.address == "10 Place Gambetta"
    assert (gambetta.postcode, gambetta.commune, gambetta.insee_code) == ("75020", "Paris 20e", "75120")
    assert (gambetta.lat, gambetta.lon) == (48.864901099999997, 2.398237)
    assert gambetta.modalities.other == ratp_fontaines.IN_CONTROLLED_ZONE
    assert gambetta.hours is None


def test_should_say_other_ratp_fountains_are_probably_outside_the_controlled_zone(ratp):
    zones = Counter(s.modalities.other for s in ratp.structures)
    assert zones == {ratp_fontaines.IN_CONTROLLED_ZONE: 7, ratp_fontaines.PROBABLY_OUTSIDE: 74}


def test_should_resolve_unnormalised_commune_names_and_wrong_postcodes(ratp):
    assert ratp.by_id("fontaine-ratp-47").commune == "Boulogne-Billancourt"  # « Boulogne »
    assert ratp.by_id("fontaine-ratp-81").commune == "Bussy-Saint-Georges"  # « Bussy St Georges »
    ivry = ratp.by_id("fontaine-ratp-67")  # « Ivry » with postcode 94000 (Créteil)
    assert (ivry.commune, ivry.insee_code, ivry.postcode) == ("Ivry-sur-Seine", "94041", "94200")
    sembat = ratp.by_id("fontaine-ratp-72")  # « Boulogne Billancourt » with postcode 92000 (Nanterre)
    assert (sembat.commune, sembat.postcode) == ("Boulogne-Billancourt", "92100")


def test_should_say_the_ratp_fountain_data_date_is_uncertain(ratp):
    assert all("date inconnue" in s.description for s in ratp.structures)
    assert ratp_fontaines.INFO.licence == "Licence Ouverte"
