"""French normalisation shared by the engines."""

from __future__ import annotations

import pytest

from directory_api.text import fold, normalize, stem, tokens


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("L'IVG", ["ivg"]),
        ("l’ivg", ["ivg"]),
        ("Créteil", ["creteil"]),
        ("CRÉTEIL", ["creteil"]),
        ("Œuvre", ["oeuvr"]),
        ("jusqu'à demain", ["demain"]),
    ],
)
def test_should_ignore_case_accents_and_elision(raw, expected):
    assert tokens(raw) == expected


def test_should_drop_the_elided_article_before_a_place_name():
    assert tokens("d'Aubervilliers") == tokens("Aubervilliers")
    assert tokens("l'Haÿ-les-Roses") == tokens("Haÿ les Roses")


def test_should_give_singular_and_plural_the_same_token():
    assert tokens("douches") == tokens("douche")
    assert tokens("hôpitaux") == tokens("hôpital")
    assert tokens("repas") == tokens("Repas")
    assert tokens("soins") == tokens("soin")


def test_should_give_masculine_and_feminine_the_same_token_on_long_words():
    assert tokens("gratuites") == tokens("gratuit")


def test_should_drop_stop_words():
    assert tokens("le centre de santé") == tokens("centre santé")


def test_should_keep_digits_as_they_are():
    assert tokens("Paris 13e 75013") == ["pari", "13e", "75013"]


def test_should_be_idempotent_on_its_own_output():
    text = "Centre d'hébergement d'urgence des Restos du Cœur, 20h-8h"
    once = normalize(text)
    assert normalize(once) == once


def test_should_return_nothing_for_empty_or_symbol_only_text():
    assert tokens("") == []
    assert tokens(None) == []
    assert tokens("🙂 %% !!") == []


def test_should_fold_without_touching_punctuation():
    assert fold("Saint-Ouen-l'Aumône") == "saint-ouen-l'aumone"


def test_should_not_stem_short_words():
    assert stem("bus") == "bus"
    assert stem("ivg") == "ivg"
