"""The need taxonomy keyed by Soliguide ids."""

from __future__ import annotations

import pytest

from directory_api.taxonomy import Taxonomy, check_category_id, get_taxonomy

REQUIRED_BRANCHES = [
    "food", "welcome", "hygiene_and_wellness", "accomodation_and_housing", "counseling", "technology",
    "equipment", "health", "sexual_health", "mental_health", "addictions", "health_access", "parenthood",
    "physical_health",
]


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return get_taxonomy()


def test_should_load_the_127_soliguide_france_categories(taxonomy):
    assert len(taxonomy.categories) == 127
    assert len(taxonomy.roots) == 11


@pytest.mark.parametrize("branch", REQUIRED_BRANCHES)
def test_should_cover_every_required_branch_with_labels_and_terms(taxonomy, branch):
    for category_id in taxonomy.descendants(branch):
        category = taxonomy[category_id]
        assert category.label
        assert category.terms, f"{category_id} n'a aucun mot de recherche"


def test_should_find_descendants_of_a_parent(taxonomy):
    assert set(taxonomy.descendants("sexual_health")) >= {"sexual_health", "abortion", "emergency_contraception", "contraception"}
    assert "abortion" in taxonomy.descendants("health")


def test_should_follow_both_parents_of_a_category_with_two(taxonomy):
    assert set(taxonomy.ancestors("psychiatry")) == {"mental_health", "health_specialists", "health"}
    assert "psychiatry" in taxonomy.descendants("mental_health")
    assert "psychiatry" in taxonomy.descendants("health_specialists")


def test_should_know_the_ivg_synonyms(taxonomy):
    terms = {t.lower() for t in taxonomy["abortion"].terms}
    assert {"ivg", "avortement"} <= terms


def test_should_reject_an_unknown_category_id():
    with pytest.raises(ValueError, match="catégorie inconnue"):
        check_category_id("chocolate")


def test_should_reject_a_parent_that_does_not_exist(tmp_path):
    path = tmp_path / "taxonomy.yml"
    path.write_text("categories:\n  a:\n    label: A\n    parents: [nope]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="parent inconnu"):
        Taxonomy.load(path)
