"""Help that is not a place (data/remote-services.yml): every line is sourced, and a search returns the
lines that fit the need, in their own section, first when nothing nearby fits or none is known open."""

from __future__ import annotations

import pytest

from directory_api.remote_services import fitting, load_remote_services
from directory_api.sources._osm_hours import parse_osm_opening_hours
from directory_api.taxonomy import get_taxonomy

DEPARTMENT_TOWNS = ["Paris 18e", "Melun", "Versailles", "Évry", "Nanterre", "Bobigny", "Créteil", "Cergy"]


def test_every_line_says_where_its_number_and_hours_come_from() -> None:
    lines = load_remote_services()
    assert len({line.id for line in lines}) == len(lines) >= 15
    for line in lines:
        assert line.source.evidence and str(line.source.url).startswith("http")
        if line.phone:  # the number is in what was read (as people write it, spaces or not)
            read = f"{line.source.title} {line.source.evidence}".replace(" ", "").replace("\u202f", "")
            assert line.phone in read, line.id
        if line.hours:
            assert parse_osm_opening_hours(line.hours) is not None
    names = {line.id for line in lines}
    assert {"numero-vert-sexualites", "pharmacie-de-garde-3237", "samu-social-115", "violences-femmes-info-3919",
            "allo-enfance-en-danger-119", "prevention-suicide-3114", "france-victimes-116006", "fil-sante-jeunes",
            "drogues-info-service", "sida-info-service", "croix-rouge-ecoute", "ipass-contraception"} <= names


def test_a_line_limited_by_age_is_not_offered_outside_it() -> None:
    lines, taxonomy = load_remote_services(), get_taxonomy()
    assert "fil-sante-jeunes" in [line.id for line in fitting(lines, ["contraception"], taxonomy, age=16)]
    assert "fil-sante-jeunes" not in [line.id for line in fitting(lines, ["contraception"], taxonomy, age=40)]


@pytest.mark.parametrize("town", DEPARTMENT_TOWNS)
@pytest.mark.parametrize(
    ("q", "line"),
    [("manger", "samu-social-115"), ("colis alimentaire", "samu-social-115"), ("dormir", "samu-social-115"), ("vétérinaire", "veterinaires-pour-tous")],
)
def test_everyday_needs_get_the_lines_that_fit_anywhere_in_the_region(client, q: str, line: str, town: str) -> None:
    body = client.get("/structures", params={"q": q, "place": town}).json()
    assert line in [remote["id"] for remote in body["remote"]]
    if not body["items"]:
        assert body["remote_first"]


def test_a_line_for_danger_comes_first_even_with_places(client) -> None:
    body = client.get("/structures", params={"q": "femme battue aide", "place": "Paris 18e"}).json()
    assert body["remote"][0]["id"] == "violences-femmes-info-3919"
    assert body["remote"][0]["phone"] == "3919" and body["remote"][0]["opening"]["status"] == "open"
    assert body["remote_first"]


def test_emergency_contraception_gets_the_pharmacies_line_and_the_numero_vert(client) -> None:
    body = client.get("/structures", params={"q": "pilule du lendemain", "place": "Meaux"}).json()
    ids = [remote["id"] for remote in body["remote"]]
    assert ids[:2] == ["numero-vert-sexualites", "pharmacie-de-garde-3237"]
    three = next(r for r in body["remote"] if r["id"] == "pharmacie-de-garde-3237")
    assert three["free"] is False  # 35 centimes la minute: never said free


def test_no_line_without_a_need(client) -> None:
    body = client.get("/structures", params={"place": "Melun"}).json()
    assert body["remote"] == [] and body["remote_first"] is False
