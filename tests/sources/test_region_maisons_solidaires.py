from __future__ import annotations

import yaml

from directory_api.sources import region_maisons_solidaires as maisons
from tests.sources._source_checks import run


def test_every_fact_is_a_line_of_the_regions_brochure(datasets_dir) -> None:
    brochure = (datasets_dir.parent / "reference" / "region-solidaire-2026.md").read_text(encoding="utf-8")
    document = yaml.safe_load(maisons.FILE.read_text(encoding="utf-8"))
    assert document["source"]["quote"] in brochure
    for place in document["places"]:
        assert place["quote"] in brochure, place["id"]
        assert str(place["capacity"]) in place["quote"]
    assert sum(p["capacity"] for p in document["places"]) == 138  # « 3 maisons région solidaire pour 138 places »


def test_the_three_places_are_approximate_for_homeless_people_and_say_to_call_the_115(import_context) -> None:
    result = run(maisons, import_context)
    assert not result.rejects
    by_commune = {s.commune: s for s in result.structures}
    assert set(by_commune) == {"Issy-les-Moulineaux", "Asnières-sur-Seine", "Paris 17e"}
    for structure in result.structures:
        assert structure.location_precision == "commune"  # no address published
        assert structure.publics.groups == ["homeless"] and structure.publics.welcome == "exclusive"
        assert "appelez le 115" in structure.description
        assert structure.modalities.referral is None  # how to get a place: not published
    assert by_commune["Paris 17e"].publics.gender == "women"
    assert "43 places" in by_commune["Paris 17e"].description
