"""Needs named in what people type become categories; other words stay text."""

from __future__ import annotations

import pytest

from directory_api.search.understanding import TermMatcher, Vocabulary, understand
from directory_api.taxonomy import get_taxonomy


@pytest.fixture(scope="module")
def matcher() -> TermMatcher:
    return TermMatcher(get_taxonomy())


@pytest.mark.parametrize(
    ("typed", "category"),
    [
        ("avortement", "abortion"),
        ("IVG", "abortion"),
        ("l'ivg", "abortion"),
        ("avortemnt", "abortion"),
        ("pilule du lendemain", "emergency_contraception"),
        ("pillule du lendemain", "emergency_contraception"),
        ("douche", "shower"),
        ("douches", "shower"),
        ("dormir", "emergency_accommodation"),
        ("toilettes", "toilets"),
        ("dépistage VIH", "sti_prevention_testing"),
    ],
)
def test_should_recognise_a_need_in_the_text(matcher, typed, category):
    assert category in understand(typed, matcher, Vocabulary(set())).categories


def test_should_prefer_the_longest_phrase(matcher):
    understood = understand("pilule du lendemain", matcher, Vocabulary(set()))
    assert understood.categories == ["emergency_contraception"]


def test_should_keep_other_words_as_text_with_typo_variants(matcher):
    understood = understand("emmaus lariboisere", matcher, Vocabulary({"lariboisier", "hopital"}))
    assert ["lariboisier"] in [variants[-1:] for variants in understood.tokens]


def test_should_ignore_filler_words_of_a_request(matcher):
    understood = understand("je cherche où dormir svp", matcher, Vocabulary(set()))
    assert understood.categories == ["emergency_accommodation"]
    assert understood.tokens == []


def test_should_not_allow_typos_on_short_words(matcher):
    assert understand("IVF", matcher, Vocabulary(set())).categories == []


def test_should_understand_nothing_in_empty_text(matcher):
    understood = understand("", matcher, Vocabulary(set()))
    assert (understood.categories, understood.tokens) == ([], [])
