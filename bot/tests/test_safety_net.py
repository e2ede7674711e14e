"""The deterministic safety net: crisis phrases, however typed, and no false alarm on searches."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
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
        # Hunted, followed, locked in; a stab wound; English; « si je meurs » (issue 14, development parts)
        ("il me cherche partout dans la résidence, je me cache au local poubelles", "crisis_violence"),
        ("un type m'a suivie depuis le rer", "crisis_violence"),
        ("mon fils est enfermé avec lui dans la salle de bain", "crisis_violence"),
        ("il veut revenir me faire la peau", "crisis_violence"),
        ("she is here please i cannot speak help", "crisis_violence"),
        ("mon pote vient de se faire poignarder", "crisis_medical"),
        ("elle m'a poussée du haut des marches je peux plus bouger", "crisis_medical"),
        ("il a des convulsions depuis 2 minutes", "crisis_medical"),
        ("si jmeurs ce soir ca changera rien pour personne", "crisis_suicide"),
        ("jveux me foutre en lair", "crisis_suicide"),
        ("on passe la nuit dans la voiture avec les petits", "crisis_cold"),
        # A weapon, a door broken down, a protection order defied, someone else's plan, children alone,
        # bleeding that does not stop, a double dose, elided « l'ivg » (issue 14, part D)
        ("il a sorti un couteau dans la cuisine", "crisis_violence"),
        ("il defonce la porte de la chambre", "crisis_violence"),
        ("il ma frappee hier soir encore", "crisis_violence"),
        ("il a une ordonnance de protection et il est en bas de chez moi", "crisis_violence"),
        ("mon collegue dit qu il va se jeter du pont", "crisis_suicide"),
        ("il a des lames dans sa chambre et il dit qu il va le faire", "crisis_suicide"),
        ("les petits sont tout seuls depuis hier soir", "crisis_child"),
        ("le sang s arrete pas depuis une heure", "crisis_medical"),
        ("jai pris trois fois la dose de lexomil", "crisis_medical"),
        ("40 de fievre depuis livg", "crisis_medical"),
        ("my girlfriend is bleeding a lot", "crisis_medical"),
        ("plus d insuline et je me sens tres mal", "crisis_medical"),
        ("jme suis brule le visage avec de lhuile", "crisis_medical"),
        ("il dort dehors, ses orteils sont devenus noirs", "crisis_medical"),
        ("ma petite grimpe sur le rebord de la fenetre", "crisis_medical"),
        ("ils ont mis le feu au squat", "crisis_medical"),
        ("elle a avale deux plaquettes de somniferes", "crisis_medical"),
        ("mon grand pere repond de moins en moins", "crisis_medical"),
        ("mon voisin n ouvre plus sa porte depuis une semaine", "crisis_medical"),
        ("il a ecrit adieu sur son statut et il decroche plus", "crisis_suicide"),
        ("ma fille de 12 ans a fugue depuis ce matin", "crisis_child"),
        ("un type me suit depuis la gare", "crisis_violence"),
        ("un gars me tripote dans le metro", "crisis_violence"),
        ("jme suis reveillee nue chez un mec que je connais pas", "crisis_violence"),
        ("si je pars il me tuera", "crisis_violence"),
        ("ma soeur a pris des coups de son mari", "crisis_violence"),
        ("dans la rue un homme tabasse une femme", "crisis_violence"),
        ("a cote une femme hurle au secours", "crisis_violence"),
        ("il a bu et il casse tout dans la cuisine", "crisis_violence"),
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
        "jsuis enfermé dehors j'ai perdu mes clés",
        "elle me suit pas en cours",
        "j'ai enfermé le chien dans la cuisine",
        "formation prevention suicide pour benevoles",
        "je peux pas parler francais il faut un traducteur",
        "mon frere s est enferme dans sa chambre il joue a la console",
        "un bracelet pour ma montre",
        "les enfants seront seuls mercredi qui peut les garder",
        "ca me brule quand je fais pipi",
        "ma fille a perdu son doudou au parc",
        "un atelier pour enfants sur le balcon fleuri",
        "je regarde un film sur un incendie",
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


def ranked(text: str, guesses: list[tuple[str, float]]) -> Message:
    ranking = [{INTENT_NAME_KEY: name, "confidence": confidence} for name, confidence in guesses]
    return Message({TEXT: text, INTENT: ranking[0], INTENT_RANKING_KEY: ranking})


def test_should_drop_an_unsure_crisis_guess_the_net_does_not_confirm():
    # The classifier once gave the 15 to a tax-return question at 0.46 (issue 14).
    unsure = ranked("je n'arrive pas à faire ma déclaration en ligne, qui peut m'aider à Vincennes", [("crisis_medical", 0.47), ("search_service", 0.3)])
    second = ranked("un atelier pour apprendre l'ordinateur à Vincennes", [("crisis_child", 0.5), ("search_service", 0.46)])
    programme = ranked("le plan grand froid ca marche comment", [("crisis_cold", 0.95), ("affirm", 0.02)])
    sure = ranked("jai tres peur il crie dans le salon", [("crisis_violence", 0.9), ("search_service", 0.05)])
    SafetyNet().process([unsure, second, programme, sure])
    assert unsure.get(INTENT)[INTENT_NAME_KEY] == "nlu_fallback"
    assert second.get(INTENT)[INTENT_NAME_KEY] == "search_service"
    assert programme.get(INTENT)[INTENT_NAME_KEY] == "faq_region_programme"
    assert sure.get(INTENT)[INTENT_NAME_KEY] == "crisis_violence"
