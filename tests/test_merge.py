"""One place, one record: real pairs from ../shared merged, and real neighbours kept apart."""

from __future__ import annotations

import json
from datetime import date

import pytest

from directory_api.importer import MERGE_REPORT, STRUCTURES_DIR, read_source_records, read_structures
from directory_api.merge import SAME_SOURCE_RULE, apply_groups, comparable_name, find_groups, main_source, merge_group
from directory_api.models import Modalities, Provenance, Service, Structure


@pytest.fixture(scope="module")
def records() -> dict[str, Structure]:
    return {r.id: r for r in read_source_records()}


@pytest.fixture(scope="module")
def served() -> dict[str, Structure]:
    return {s.id: s for s in read_structures()}


@pytest.fixture(scope="module")
def report() -> dict:
    return json.loads((STRUCTURES_DIR / MERGE_REPORT).read_text(encoding="utf-8"))


def test_should_merge_a_bains_douches_listed_in_both_paris_datasets(served, records):
    audubon = served["bains-douches-BD1"]
    assert audubon.merged_ids == ["ilot-fraicheur-BD1"]
    assert "ilot-fraicheur-BD1" not in served
    assert [p.source for p in audubon.sources] == ["paris-bains-douches", "paris-ilots-fraicheur-equipements"]
    # The îlots list adds that the shower house is a cool place in a heatwave; the rest comes from the
    # showers' own list, and each provenance says what it gave.
    assert audubon.categories() == ["shower", "cooling_space"]
    assert audubon.hours == records["bains-douches-BD1"].hours
    assert audubon.website == records["bains-douches-BD1"].website
    assert "hours" in audubon.sources[0].fields and audubon.sources[1].fields == ["services"]


def test_should_merge_the_17_bains_douches_despite_a_stray_space_in_a_name(served, records):
    showers = [s for s in served.values() if "shower" in s.categories()]
    assert len(showers) == 17
    assert all(len(s.sources) == 2 for s in showers)
    # « Bain -douche Pyrénées » in the îlots list: the same name, word for word.
    assert records["ilot-fraicheur-BD17"].name == "Bain -douche Pyrénées"
    assert served["bains-douches-BD17"].merged_ids == ["ilot-fraicheur-BD17"]


def test_should_merge_a_sanisette_listed_by_the_city_and_by_openstreetmap(served, records):
    """Lavatory of the Madeleine: the City's record gives the name, address, hours and price; the
    OpenStreetMap one adds wheelchair access, which the City's list does not give."""
    madeleine = served["toilettes-paris-lavatory-4886950-232481"]
    osm = records["toilettes-idf-osm-node-10687258035"]
    assert madeleine.merged_ids == [osm.id]
    city = records[madeleine.id]
    assert (madeleine.name, madeleine.address, madeleine.hours) == (city.name, city.address, city.hours)
    assert city.modalities.wheelchair_access is None and osm.modalities.wheelchair_access is not None
    assert madeleine.modalities.wheelchair_access == osm.modalities.wheelchair_access
    # The City says « réputé payant », OpenStreetMap says free: the price is the City's, whole.
    assert madeleine.modalities.price_details == city.modalities.price_details
    assert madeleine.modalities.free == city.modalities.free
    assert madeleine.sources[1].fields == ["modalities.wheelchair_access"]


def test_should_name_station_toilets_after_ratp_not_after_openstreetmap(served):
    merged = [
        s
        for s in served.values()
        if any(i.startswith("toilettes-ratp") or s.id.startswith("toilettes-ratp") for i in [*s.merged_ids, s.id])
    ]
    merged = [s for s in merged if s.merged_ids]
    assert len(merged) == 6
    for structure in merged:
        assert structure.sources[0].source == "ratp-toilettes"
        assert structure.name.startswith("Toilettes — ")


def test_should_never_merge_public_toilets_with_a_shops_toilets(served, records, report):
    """Laplace RER station: a crêperie's toilets (OpenStreetMap) and a public toilet are both 14.6 m
    away; the review found the first version had picked the crêperie."""
    laplace = served["toilettes-ratp-laplace-rer-b"]
    assert laplace.merged_ids == ["toilettes-idf-osm-node-2118687825"]
    assert not served["toilettes-idf-osm-node-6814280999"].merged_ids  # B Best Crêpes stays its own
    for group in report["groups"]:
        kinds = {records[m["id"]].kind for m in group["members"]}
        # A shop's toilets recorded twice by OpenStreetMap are one place, never the public ones.
        assert "Toilettes dans un établissement" not in kinds or kinds == {"Toilettes dans un établissement"}


def test_should_merge_park_toilets_that_are_each_others_nearest_beyond_20_m(served, records):
    """Jardin Tino Rossi: the City's and OpenStreetMap's toilets are 24 m apart, each the other's nearest."""
    tino_rossi = served["toilettes-paris-toilettes-4884844-235915"]
    assert tino_rossi.merged_ids == ["toilettes-idf-osm-node-2695522586"]
    # A duplicate OpenStreetMap node of a sanisette (5.5 m from it, 30 m from the garden toilets) joins
    # the sanisette's place with the other node of that spot, never the garden toilets, which stay alone.
    assert "toilettes-idf-osm-node-3765658839" not in served
    holder = next(s for s in served.values() if "toilettes-idf-osm-node-3765658839" in s.merged_ids)
    assert holder.sources[0].source == "paris-sanisettes"
    assert not served["toilettes-paris-toilettes-4886958-231243"].merged_ids


def test_should_keep_a_pmi_and_the_hospital_it_stands_in_apart(served):
    """Same address, same position, shared category: two establishments (two FINESS numbers)."""
    pmi = [s for s in served.values() if s.finess == "920024452"]
    hospital = [s for s in served.values() if s.sources[0].source_record_id == "920000577"]
    assert len(pmi) == 1 and len(hospital) == 1
    assert pmi[0].id != hospital[0].id
    assert not pmi[0].merged_ids and not hospital[0].merged_ids


def test_should_keep_street_fountains_and_metro_fountains_apart(served, report):
    """The RATP's fountains stand in its stations; the City's in the street, 15 to 50 m away."""
    for group in report["groups"]:
        sources = {m["source"] for m in group["members"]}
        assert not ({"ratp-fontaines", "paris-fontaines"} <= sources)
    assert sum(s.sources[0].source == "ratp-fontaines" for s in served.values()) == 81


def test_should_never_put_two_records_of_one_source_in_a_group_unless_it_recorded_one_place_twice(report):
    twice = 0
    for group in report["groups"]:
        sources = [m["source"] for m in group["members"]]
        assert len(sources) >= 2
        if len(sources) != len(set(sources)):
            twice += 1
            assert any(m["rule"] == SAME_SOURCE_RULE for m in group["matches"])
            by_source: dict[str, set[str]] = {}
            for member in group["members"]:
                by_source.setdefault(member["source"], set()).add(comparable_name(member["name"]))
            assert all(len(names) == 1 for names in by_source.values()), group
    assert twice > 0


def test_should_show_once_the_toilets_openstreetmap_recorded_twice_at_one_spot(served):
    """Central Paris: OpenStreetMap nodes 2 m apart with one name were two lines of results."""
    osm = [s for s in served.values() if s.sources[0].source == "idf-toilettes-publiques"]
    seen: dict[tuple[str, int, int], str] = {}
    for s in osm:
        key = (comparable_name(s.name), round(s.lat * 40_000), round(s.lon * 27_000))  # cells of about 3 m
        assert key not in seen, (s.id, seen.get(key))
        seen[key] = s.id


def test_should_report_counts_that_add_up(report, records, served):
    assert report["records_in"] == len(records)
    assert report["structures_out"] == len(served) == len(records) - report["records_merged"] + report["merged_groups"]
    assert report["merged_groups"] == len(report["groups"]) == sum(report["per_source_pair"].values())
    assert sum(v["merged"] for v in report["per_source"].values()) == report["records_merged"]
    assert report["per_source_pair"]["idf-toilettes-publiques + paris-sanisettes"] > 450


def test_should_find_the_groups_the_committed_report_lists(records, report):
    groups = find_groups(list(records.values()))
    assert [[m.id for m in g.members] for g in groups] == [[m["id"] for m in g["members"]] for g in report["groups"]]


def test_should_count_a_record_only_as_old_as_the_sources_that_gave_something():
    fresh = provenance("a", date(2025, 9, 1))
    old = provenance("b", date(2019, 1, 1))
    structure = record("x", "a", [fresh])
    assert record("y", "a", [fresh, old.model_copy(update={"fields": []})]).data_date == date(2025, 9, 1)
    assert record("y", "a", [fresh, old.model_copy(update={"fields": ["phones"]})]).data_date == date(2019, 1, 1)
    assert structure.data_date == date(2025, 9, 1)


def test_should_never_merge_two_establishments_with_different_finess_numbers():
    one = record("one", "src-a", [provenance("src-a")], finess="750000001", name="Centre de santé sexuelle")
    two = record("two", "src-b", [provenance("src-b")], finess="750000002", name="Centre de santé sexuelle")
    assert find_groups([one, two]) == []
    same = two.model_copy(update={"finess": "750000001"})
    assert [[m.id for m in g.members] for g in find_groups([one, same])] == [["one", "two"]]


def test_should_merge_a_group_of_three_with_one_record_per_source():
    a = record("a", "paris-sanisettes", [provenance("paris-sanisettes")], lat=48.85, name="Sanisette — 1 rue X")
    b = record("b", "idf-toilettes-publiques", [provenance("idf-toilettes-publiques")], lat=48.85005)
    c = record("c", "ratp-toilettes", [provenance("ratp-toilettes")], lat=48.8501)
    twin = record("twin", "paris-sanisettes", [provenance("paris-sanisettes")], lat=48.85008)
    groups = find_groups([a, b, c, twin])
    assert len(groups) == 1
    members = [m.id for m in groups[0].members]
    assert "twin" not in members or "a" not in members  # never two sanisettes in one group
    merged = list(apply_groups([a, b, c, twin], [members]))
    assert len(merged) == 2


def test_should_refuse_a_merge_report_that_names_records_that_are_gone():
    a = record("a", "src-a", [provenance("src-a")])
    with pytest.raises(ValueError, match="absentes"):
        list(apply_groups([a], [["a", "gone"]]))


def test_should_take_services_only_when_they_add_a_need():
    a = record("a", "src-a", [provenance("src-a")])
    b = record("b", "src-b", [provenance("src-b")])
    merged = merge_group([a, b])
    assert [s.id for s in merged.services] == ["a-service"]
    assert merged.merged_ids == ["b"] and main_source(merged) == "src-a"


def provenance(source: str, data_date: date = date(2024, 1, 1)) -> Provenance:
    return Provenance(source=source, source_record_id="1", licence="ODbL 1.0", data_date=data_date)


def record(
    structure_id: str,
    source: str,
    sources: list[Provenance],
    *,
    lat: float = 48.85,
    name: str = "Toilettes",
    finess: str | None = None,
) -> Structure:
    categories = ["sexual_health"] if finess else ["toilets"]
    return Structure(
        id=structure_id,
        name=name,
        lat=lat,
        lon=2.35,
        finess=finess,
        sources=sources,
        services=[Service(id=f"{structure_id}-service", name="Service", categories=categories)],
        modalities=Modalities(),
    )
