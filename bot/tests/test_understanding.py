"""End to end, the failures observed by a new user (issue 14), each as it was typed: the real Rasa server,
action server and directory API. What was wrong then is asserted false now."""

from __future__ import annotations

import pytest
from conftest import text_of
from test_conversation import Conversation


@pytest.fixture()
def chat(rasa_server) -> Conversation:
    return Conversation(rasa_server.url)


def calls_of(replies: list[dict]) -> list[str]:
    return [c["number"] for r in replies if isinstance(r.get("custom"), dict) for c in r["custom"].get("calls", [])]


def search_of(replies: list[dict]) -> dict | None:
    return next((r["custom"]["search"] for r in replies if isinstance(r.get("custom"), dict) and r["custom"].get("search")), None)


NOT_UNDERSTOOD = ("pas bien compris", "pas reconnu ce besoin", "toujours pas compris")


def test_should_understand_an_unwanted_pregnancy_in_sms_then_a_place_alone(chat):
    first = chat.say("jsui enceinte jveu pa le garder")
    assert not any(p in text_of(first) for p in NOT_UNDERSTOOD), first
    answer = chat.say("creteil")
    search = search_of(answer)
    assert search is not None, answer
    assert "abortion" in search["categories"] and "pregnancy_care" not in search["categories"]
    assert search["place_label"].startswith("Créteil")


def test_should_treat_a_forgotten_pill_as_emergency_contraception_with_its_delays(chat):
    chat.say("jai oublié ma pilule hier soir")
    answer = chat.say("paris 18")
    search = search_of(answer)
    assert search is not None, answer
    assert "emergency_contraception" in search["categories"]
    text = text_of(answer)
    assert "72 h" in text and "5 jours" in text and "sans ordonnance" in text and "mineure" in text
    assert "3237" in text and calls_of(answer)[0] == "3237"
    assert search["filters"] == {}  # « hier soir » is when it happened, not « ouvert ce soir »; « 18 » is no age


def test_should_treat_a_broken_condom_as_emergency_contraception(chat):
    answer = chat.say("la capote a craqué on est a montreuil")
    search = search_of(answer)
    assert search is not None and "emergency_contraception" in search["categories"], answer


@pytest.mark.parametrize(
    "message",
    [
        "jai pris les cachets pour avorter hier et je saigne enormement jai la tete qui tourne",
        "jai accouché ya 8 jours et jai 39 de fievre avec des frissons",
        "depuis la pilule abortive jai des douleurs atroces au ventre",
    ],
)
def test_should_give_15_first_after_an_abortion_or_a_birth(chat, message):
    replies = chat.say(message)
    assert calls_of(replies)[0] == "15", replies
    assert "15" in replies[0]["text"]


def test_should_give_3114_first_to_a_formal_overdose_plan(chat):
    replies = chat.say("Depuis la mort de mon mari je suis seule. J'ai décidé de prendre tous mes médicaments ce soir.")
    assert calls_of(replies)[0] == "3114", replies


def test_should_give_the_number_first_in_the_middle_of_the_form(chat):
    chat.say("je cherche une douche")
    replies = chat.say("je saigne beaucoup depuis mon ivg")
    assert calls_of(replies)[0] == "15"
    assert "Où êtes-vous" in text_of(replies)  # then the search goes on


def test_should_not_read_an_arrondissement_as_an_age_nor_keep_it(chat):
    answer = chat.say("paris 18 jai pas dargent je cherche a manger")
    search = search_of(answer)
    assert search is not None, answer
    assert "age" not in search["filters"] and "18 ans" not in text_of(answer)
    later = search_of(chat.say("et une douche ?"))
    assert later is not None and "age" not in later["filters"]


def test_should_not_read_days_after_a_birth_as_an_age(chat):
    answer = chat.say("jai accouché ya 8 jours je cherche une pmi a bobigny")
    search = search_of(answer)
    assert search is not None and "age" not in search["filters"], answer


def test_should_not_turn_a_fact_question_into_filters(chat):
    chat.say("centre de planification familiale a paris 13")
    chat.say("c gratuit pour les mineur ?")
    answer = chat.say("et a ivry ?")
    search = search_of(answer)
    assert search is not None, answer
    assert "free" not in search["filters"] and "age" not in search["filters"]


def test_should_say_the_filters_it_applies_and_remove_them(chat):
    answer = chat.say("test ist gratuit et anonyme a paris 11")
    search = search_of(answer)
    assert search is not None and search["filters"].get("free") and search["filters"].get("anonymous"), answer
    assert "tous les lieux" in text_of(answer)
    again = chat.say("tous les lieux")
    search = search_of(again)
    assert search is not None and search["filters"] == {}, again
    # Once, not followed by the menu (the policy once guessed « pas compris » eight times after it).
    assert not any(p in text_of(again) for p in NOT_UNDERSTOOD), again
    assert sum(1 for r in again if r.get("custom", {}).get("search")) == 1
    moved = chat.say("et sur montreuil egalement ?")
    assert (search_of(moved) or {}).get("place_label", "").startswith("Montreuil"), moved


def test_should_say_the_list_is_nearest_first_when_asked_for_closer_places(chat):
    chat.say("douche paris 20")
    replies = chat.say("ya plus pres ?")
    text = text_of(replies)
    assert "du plus proche au plus loin" in text and not any(p in text for p in NOT_UNDERSTOOD), replies


def test_should_not_ask_the_need_again_for_more_results_after_an_empty_search(chat):
    first = chat.say("gyneco paris 20")
    if "aucun lieu" not in text_of(first):
        pytest.skip("the directory now knows a gynaecologist near Paris 20e")
    replies = chat.say("dautres ?")
    text = text_of(replies)
    assert "aucun autre lieu" in text and "Dites-moi d'abord" not in text, replies


def test_should_answer_a_parents_question_in_the_topic_of_the_search(chat):
    chat.say("je veux la pilule a saint denis")
    replies = chat.say("jpeu y aller sans mes parents ?")
    text = text_of(replies)
    assert "contraception" in text.lower() and "avorter" not in text.lower()


def test_should_not_loop_on_the_115(chat):
    chat.say("je dors dehors je cherche un hebergement a paris 10")
    replies = chat.say("le 115 répond pas")
    text = text_of(replies)
    assert "haltes de nuit" in text and "accueils de jour" in text
    assert not text.startswith("Pour une place d'hébergement ce soir, appelez le 115")


def test_should_answer_honestly_about_dogs_after_a_shelter_list(chat):
    chat.say("je cherche un hebergement a paris 12")
    replies = chat.say("j'ai un chien, ils acceptent les chiens ?")
    assert "acceptent les animaux" in text_of(replies)
    assert search_of(replies) is None  # not the same list again


def test_should_search_vet_help_for_a_sick_dog_not_the_115(chat):
    replies = chat.say("mon chien est malade et jai pas dargent pour le veto je suis a paris 20")
    assert "115" not in calls_of(replies)
    assert "vétérinaire" in text_of(replies)


def test_should_recognise_the_pharmacie_de_garde(chat):
    answer = chat.say("pharmacie de garde a bobigny")
    search = search_of(answer)
    assert search is not None and "emergency_contraception" in search["categories"], answer
    assert "3237" in text_of(answer)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("c quoi ipass contraception", "iPass Contraception"),
        ("les maisons region solidaire c ou ?", "Asnières"),
        ("fil sante jeune c quel numero", "0 800 235 236"),
    ],
)
def test_should_know_the_region_programmes_by_name(chat, message, expected):
    replies = chat.say(message)
    assert expected in text_of(replies) and "Source :" in text_of(replies)


def test_should_take_the_age_said_not_the_arrondissement_beside_it(chat):
    answer = chat.say("je veux un depistage vih a paris 11 jai 19 ans")
    search = search_of(answer)
    assert search is not None, answer
    assert search["filters"].get("age") == 19


def test_should_not_read_pas_cher_as_free(chat):
    answer = chat.say("une laverie pas chere a saint denis")
    search = search_of(answer)
    assert search is None or "free" not in search["filters"], answer


def test_should_give_the_violence_line_first_beside_a_lawyer(chat):
    replies = chat.say("je cherche un avocat pas cher, mon mari me tapait, on est a pantin")
    assert calls_of(replies)[:1] == ["3919"], replies


def test_should_search_when_a_question_also_names_a_need_and_a_place(chat):
    replies = chat.say("ivg a nanterre")
    search = search_of(replies)
    assert search is not None and "abortion" in search["categories"], replies
    assert "dites-moi où vous êtes" not in text_of(replies)


@pytest.mark.parametrize(
    ("message", "first"),
    [
        ("au secours le feu a pris dans notre chambre d hotel", "18"),
        ("je suis sourde et mon ex est devant chez moi il me menace", "114"),
    ],
)
def test_should_answer_a_crisis_whose_first_number_is_not_the_usual_one(chat, message, first):
    replies = chat.say(message)
    assert calls_of(replies)[:1] == [first], replies
    assert text_of(replies).strip(), replies
