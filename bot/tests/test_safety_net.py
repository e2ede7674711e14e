"""The deterministic safety net: crisis phrases, however typed, and no false alarm on searches."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.safety_net import SafetyNet, crisis_in


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("jveux me suicider", "crisis_suicide"),
        ("J'ai ENVIE DE MOURIR", "crisis_suicide"),
        ("chui suicidaire", "crisis_suicide"),
        ("je veux arreter de vivre", "crisis_suicide"),  # the model once took it for a search (« arrêter »)
        ("jveux plus vivre", "crisis_suicide"),
        ("je vais me foutre en l'air ce soir", "crisis_suicide"),
        ("mon mec me frappe", "crisis_violence"),
        ("il m'a violée hier", "crisis_violence"),
        ("mon pote a fait une overdose", "crisis_medical"),
        ("elle respire plus", "crisis_medical"),
        ("bla " * 3000 + "je veux en finir", "crisis_suicide"),
        ("mon pote a fait une 𝑶𝒗𝒆𝒓𝒅𝒐𝒔𝒆", "crisis_medical"),  # styled letters from a phone keyboard
        # Medical emergencies after an IVG or a birth, pills already taken, falls, strokes, babies (issue 14)
        ("g pris la pilule abortive et je perds plein de sang jai la tete qui tourne", "crisis_medical"),
        ("ca fait une semaine que jai accouche et jai 40 de fievre", "crisis_medical"),
        ("depuis mon ivg jai des douleurs horribles au ventre", "crisis_medical"),
        ("elle a avale toute la plaquette de lexomil", "crisis_medical"),
        ("jai pris 30 comprimes", "crisis_medical"),
        ("mamie est tombee dans la cuisine elle arrive pas a se relever", "crisis_medical"),
        ("son visage est de travers et il a du mal a parler", "crisis_medical"),
        ("le petit a bu de la javel", "crisis_medical"),
        ("mon bebe de 2 mois a 39", "crisis_medical"),
        # Plans in full sentences, violence now, children
        ("Je vous écris car j'ai décidé de mettre fin à mes jours.", "crisis_suicide"),
        ("j'ai rassemblé tous mes cachets dans le tiroir", "crisis_suicide"),
        ("il est derrière la porte, il va me tuer", "crisis_violence"),
        ("un homme se fait tabasser devant la gare", "crisis_violence"),
        ("mes parents me frappent", "crisis_child"),
        ("on dort dehors avec les 3 enfants", "crisis_cold"),
    ],
)
def test_should_recognise_crisis_phrases(text, intent):
    assert crisis_in(text) == intent


@pytest.mark.parametrize(
    "text",
    [
        "association pour femmes victimes de violences a paris",
        "je cherche un psy gratuit",
        "urgences dentaires la nuit",
        "prevention du suicide formation pour benevoles a creteil",
        "je cherche une formation sur la prevention du suicide",
        "ou dormir ce soir",
        "pilule du lendemain",
        "je prends de l'heroine et je veux arreter",
        "je suis enceinte de 8 semaines et je veux pas le garder",
        "le 115 repond pas",
        "est ce que c normal de saigner un peu apres une ivg",
        "jai pris 2 dolipranes pour ma tete",
        "il repond pas au telephone",
        "jai mal au coeur depuis ce matin",
        "je suis tombee amoureuse",
        "un medecin pour mon bebe a bobigny",
        "mes pilules pour le coeur sont finies",
    ],
)
def test_should_not_raise_a_false_alarm_on_a_search(text):
    assert crisis_in(text) is None


def test_should_override_a_non_crisis_intent_but_keep_a_crisis_one():
    net = SafetyNet()
    searched = Message({TEXT: "je cherche une douche mais franchement j'ai envie de mourir", INTENT: {INTENT_NAME_KEY: "search_service", "confidence": 0.9}})
    child = Message({TEXT: "mon père me frappe j'ai 12 ans", INTENT: {INTENT_NAME_KEY: "crisis_child", "confidence": 0.8}})
    net.process([searched, child])
    assert searched.get(INTENT)[INTENT_NAME_KEY] == "crisis_suicide"
    assert child.get(INTENT)[INTENT_NAME_KEY] == "crisis_child"
