"""Freshness warnings say which fact is old, and only where acting on it could waste a trip."""

from __future__ import annotations

from datetime import date

from directory_api.freshness import freshness_view
from directory_api.models import Provenance, Service, Structure

TODAY = date(2026, 12, 7)


def place(categories: list[str], *sources: tuple[str, date, list[str] | None]) -> Structure:
    return Structure(
        id="x", name="Lieu", lat=48.85, lon=2.35,
        services=[Service(id="x-1", name="Service", categories=categories)],
        sources=[Provenance(source=name, source_record_id="1", licence="Licence Ouverte 2.0", data_date=when, fields=fields)
                 for name, when, fields in sources],
    )


def test_should_not_warn_on_equipment_a_few_years_old_but_should_on_a_service():
    fountain = place(["fountain"], ("paris-fontaines", date(2024, 5, 1), None))
    assert freshness_view(fountain, TODAY, 365).warning is None
    shower = place(["shower"], ("paris-bains-douches", date(2024, 5, 1), None))
    view = freshness_view(shower, TODAY, 365)
    assert view.stale and view.warning == "Données de 05/2024 (il y a plus de 2 ans) : appelez avant de vous déplacer."


def test_should_warn_on_equipment_once_it_is_very_old():
    toilets = place(["toilets"], ("ratp-toilettes", date(2022, 10, 3), None), ("idfm-gares", date(2026, 5, 26), ["name"]))
    assert freshness_view(toilets, TODAY, 365).warning == "Données de 10/2022 (il y a plus de 4 ans) : l'équipement a pu changer."


def test_should_name_the_old_facts_when_the_record_mixes_editions():
    ivg = place(
        ["abortion"],
        ("sae-2023", date(2023, 12, 31), ["description"]),
        ("sae-2024", date(2024, 12, 31), None),
        ("finess", date(2021, 1, 8), ["address", "postcode", "lat", "lon", "phones", "siret"]),
    )
    assert freshness_view(ivg, TODAY, 365).warning == (
        "Adresse, position et téléphone : données de 01/2021 (il y a plus de 5 ans) ; "
        "reste de la fiche : 12/2024 (il y a plus d'un an). Appelez avant de vous déplacer."
    )
    # The same place a year after its SAE edition: only the borrowed address and phone are old.
    fresh = freshness_view(ivg, date(2025, 6, 1), 365)
    assert fresh.warning == (
        "Adresse, position et téléphone : données de 01/2021 (il y a plus de 4 ans) ; "
        "reste de la fiche : 12/2024. Appelez avant de vous déplacer."
    )


def test_should_not_warn_on_recent_data():
    view = freshness_view(place(["shower"], ("paris-bains-douches", date(2026, 6, 1), None)), TODAY, 365)
    assert (view.stale, view.warning) == (False, None)
