"""The custom actions against the real directory API (embedded engine, committed data)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.directory_client import StructureQuery
from actions.facts import ActionAnswerFact, load_facts
from actions.fallback import ActionRephraseOrMenu
from actions.forms import POSITION, ValidateSearchForm
from actions.search import UNAVAILABLE, ActionMoreResults, ActionSearchServices

pytestmark = pytest.mark.usefixtures("directory_env")

GARE_DU_NORD = {"lat": 48.8809, "lon": 2.3553}


def tracker(slots: dict[str, Any] | None = None, intent: str = "search_service", entities: list[dict] | None = None,
            events: list[dict] | None = None) -> Tracker:
    return Tracker(
        sender_id="test", slots=slots or {}, latest_message={"intent": {"name": intent}, "entities": entities or [], "text": ""},
        events=events or [], paused=False, followup_action=None, active_loop={"name": "search_form"}, latest_action_name=None,
    )


def run(coroutine):
    return asyncio.run(coroutine)


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages if m.get("text")]


def payloads(dispatcher: CollectingDispatcher) -> list[dict]:
    return [m["custom"] for m in dispatcher.messages if m.get("custom")]


def search(slots: dict[str, Any], action=None) -> tuple[CollectingDispatcher, list[dict]]:
    dispatcher = CollectingDispatcher()
    events = run((action or ActionSearchServices()).run(dispatcher, tracker(slots), {}))
    return dispatcher, events


# -- need ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "category"),
    [("pilule du lendemain", "emergency_contraception"), ("douch", "shower"), ("manger", "food_distribution"),
     ("ivg", "abortion"), ("véto pour mon chien", "vet_care")],
)
def test_should_turn_a_need_into_directory_categories(typed, category):
    result = run(ValidateSearchForm().validate_need(typed, CollectingDispatcher(), tracker(), {}))
    assert category in result["categories"]
    assert result["need_label"]


def test_should_ask_again_when_the_need_is_not_understood():
    dispatcher = CollectingDispatcher()
    result = run(ValidateSearchForm().validate_need("blablabla", dispatcher, tracker(), {}))
    assert result["need"] is None
    assert dispatcher.messages[0]["response"] == "utter_need_not_understood"


# -- place --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "department"),
    [("st denis", "93"), ("Saint-Denis", "93"), ("gare du nord", "75"), ("75011", "75"), ("aubervilliers", "93"), ("93", "93")],
)
def test_should_resolve_a_place_as_people_type_it(typed, department):
    result = run(ValidateSearchForm().validate_place(typed, CollectingDispatcher(), tracker(), {}))
    assert result["place"] == typed
    assert result["department"] == department
    assert 48.1 < result["lat"] < 49.3


def test_should_say_what_we_cover_for_a_place_outside_the_region():
    dispatcher = CollectingDispatcher()
    result = run(ValidateSearchForm().validate_place("Marseille", dispatcher, tracker(), {}))
    assert result == {"place": None}
    assert "Île-de-France" in texts(dispatcher)[0]
    assert "115" in texts(dispatcher)[0]


def test_should_ask_to_choose_when_a_place_is_ambiguous():
    dispatcher = CollectingDispatcher()
    result = run(ValidateSearchForm().validate_place("villeneuve", dispatcher, tracker(), {}))
    assert result == {"place": None}
    buttons = dispatcher.messages[0]["buttons"]
    assert len(buttons) >= 2
    assert all(b["payload"].startswith('/inform{"place": ') for b in buttons)
    # each choice resolves without asking again
    choice = buttons[0]["title"]
    chosen = run(ValidateSearchForm().validate_place(choice, CollectingDispatcher(), tracker(), {}))
    assert chosen["lat"] is not None


def test_should_take_shared_gps_coordinates():
    entities = [{"entity": "lat", "value": 48.8809}, {"entity": "lon", "value": 2.3553}]
    result = run(ValidateSearchForm().validate_place(POSITION, CollectingDispatcher(), tracker(intent="share_location", entities=entities), {}))
    assert result["place"] == POSITION and result["lat"] == 48.8809


def test_should_refuse_gps_coordinates_outside_the_region():
    entities = [{"entity": "lat", "value": 43.3}, {"entity": "lon", "value": 5.4}]
    dispatcher = CollectingDispatcher()
    result = run(ValidateSearchForm().validate_place(POSITION, dispatcher, tracker(intent="share_location", entities=entities), {}))
    assert result == {"place": None}
    assert "Île-de-France" in texts(dispatcher)[0]


# -- search -------------------------------------------------------------------------------------
def test_should_answer_with_three_nearest_services_and_a_payload():
    dispatcher, events = search({"categories": ["shower"], "need_label": "Douche", "place_label": "Gare du Nord", **GARE_DU_NORD, "radius_km": 1.0})
    text = texts(dispatcher)[0]
    assert "1. " in text and "Douche" in text
    payload = payloads(dispatcher)[0]
    assert set(payload["search"]) == {"categories", "place_label", "lat", "lon", "radius_km", "filters"}
    assert payload["search"]["filters"] == {}
    structures = payload["structures"]
    assert 1 <= len(structures) <= 3
    assert {"id", "name", "categories", "lat", "lon", "distance_m", "opening"} <= set(structures[0])
    distances = [s["distance_m"] for s in structures]
    assert distances == sorted(distances)
    assert all("shower" in s["categories"] for s in structures)
    shown = next(e["value"] for e in events if e.get("name") == "results_shown")
    assert shown == len(structures)


def test_should_put_the_safety_number_before_violence_services():
    dispatcher, _ = search({"categories": ["sexual_violence_support"], "need_label": "Violences", "place_label": "Paris 10e", **GARE_DU_NORD, "radius_km": 2.0})
    text = texts(dispatcher)[0]
    # The data may hold no such service nearby: the number comes first either way.
    answer_start = min(i for i in (text.find("Voici"), text.find("Je n'ai trouvé")) if i >= 0)
    assert 0 <= text.index("3919") < answer_start


def test_should_say_115_first_for_a_bed_tonight():
    dispatcher, _ = search({"categories": ["emergency_accommodation"], "need_label": "Hébergement d'urgence", "place_label": "Paris 10e", **GARE_DU_NORD, "radius_km": 2.0})
    assert texts(dispatcher)[0].startswith("Pour une place d'hébergement ce soir, appelez le 115")


def test_should_widen_the_radius_and_say_so():
    # Public showers are in Paris only: from Vincennes the nearest are a few km away.
    dispatcher, events = search({"categories": ["shower"], "need_label": "Douche", "place_label": "Vincennes (94)", "lat": 48.8474, "lon": 2.4392, "radius_km": 1.0, "department": "94"})
    text = texts(dispatcher)[0]
    assert "élargi" in text
    radius = next(e["value"] for e in events if e.get("name") == "search_radius_km")
    assert radius > 1.0


def test_should_say_honestly_when_nothing_is_found_and_give_the_national_number():
    # No public shower in Seine-et-Marne's data: widening ends at the département, then 115.
    dispatcher, _ = search({"categories": ["shower"], "need_label": "Douche", "place_label": "Provins (77)", "lat": 48.5599, "lon": 3.2993, "radius_km": 3.0, "department": "77"})
    text = texts(dispatcher)[0]
    assert "Je n'ai trouvé aucun lieu" in text and "département (77)" in text
    assert payloads(dispatcher)[0]["structures"] == []


def test_should_offer_the_places_that_can_help_when_the_need_has_none():
    # No domiciliation in the directory: after the widening, the CCAS and France services near Sarcelles,
    # said to be help and not the need; the safety lines and the national resource stay.
    dispatcher, _ = search({"categories": ["domiciliation"], "need_label": "Domiciliation", "place_label": "Sarcelles",
                            "lat": 48.99025, "lon": 2.38109})
    text = texts(dispatcher)[0]
    assert "Je n'ai trouvé aucun lieu pour « Domiciliation »" in text
    assert text.index("Je n'ai trouvé") < text.index("peuvent vous aider ou vous orienter") < text.index("CCAS")
    assert payloads(dispatcher)[0]["structures"]


def test_should_add_the_directorys_remote_lines_not_already_said_when_nothing_is_found():
    # No vet help in the directory's places: its remote services give Vétérinaires pour Tous (no number, no
    # site: what it is and how to reach it); for food near Provins, the 115 the national resource already
    # says is not repeated.
    dispatcher, _ = search({"categories": ["vet_care"], "need_label": "Vétérinaire", "place_label": "Évry",
                            "lat": 48.6294, "lon": 2.4417})
    text = texts(dispatcher)[0]
    assert "Je n'ai trouvé aucun lieu" in text
    assert "À savoir : Vétérinaires pour Tous" in text and "demandez la prochaine permanence" in text
    dispatcher, _ = search({"categories": ["food_packages"], "need_label": "Colis alimentaire", "place_label": "Provins (77)",
                            "lat": 48.5599, "lon": 3.2993, "radius_km": 3.0, "department": "77"})
    text = texts(dispatcher)[0]
    assert text.count("115") >= 1 and "À distance : 115" not in text


def test_remote_sentences_skip_what_was_said_and_keep_buttons_for_declared_numbers():
    from actions.directory_client import RemoteLine
    from actions.search import remote_sentences

    lines = [
        RemoteLine(id="a", name="115 – Samu social", phone="115", opening={"status": "open", "label": "Ouvert"}),
        RemoteLine(id="b", name="Drogues Info Service", phone="0800231313", phone_label="0 800 23 13 13", hours_text="Tous les jours de 8 h à 2 h", opening={"status": "open", "label": "Ouvert"}),
        RemoteLine(id="c", name="Joueurs Info Service", phone="0974751313", phone_label="09 74 75 13 13", opening={"status": "closed", "label": "Fermé"}),
    ]
    said, numbers = remote_sentences(lines, "Appelez le 115 (gratuit, 24 h/24).", ["115"])
    assert said == [
        "À distance : Drogues Info Service, 0 800 23 13 13 (Tous les jours de 8 h à 2 h).",
        "À distance : Joueurs Info Service, 09 74 75 13 13 (Fermé).",
    ]
    assert numbers == ["0800231313"]  # Joueurs Info Service is not among the declared call buttons


def test_should_widen_on_more_results_when_the_radius_is_exhausted():
    # Two public showers within 2 km of the Gare du Nord: the third and next come from further away.
    slots = {"categories": ["shower"], "need_label": "Douche", "place_label": "Gare du Nord", **GARE_DU_NORD, "radius_km": 1.0}
    first, events = search(slots)
    for event in events:
        slots[event["name"]] = event["value"]
    second, events = search(slots, ActionMoreResults())
    shown_first = payloads(first)[0]["structures"]
    shown_second = payloads(second)[0]["structures"]
    assert shown_second and not {s["id"] for s in shown_first} & {s["id"] for s in shown_second}
    assert min(s["distance_m"] for s in shown_second) >= max(s["distance_m"] for s in shown_first)
    assert next(e["value"] for e in events if e.get("name") == "results_shown") == len(shown_first) + len(shown_second)


def test_should_show_other_services_on_more_results():
    slots = {"categories": ["toilets"], "need_label": "Toilettes", "place_label": "Gare du Nord", **GARE_DU_NORD, "radius_km": 1.0}
    first, events = search(slots)
    for event in events:
        slots[event["name"]] = event["value"]
    second, _ = search(slots, ActionMoreResults())
    ids_first = {s["id"] for s in payloads(first)[0]["structures"]}
    ids_second = {s["id"] for s in payloads(second)[0]["structures"]}
    assert ids_second and not ids_first & ids_second
    assert texts(second)[0].startswith("Autres lieux")


def test_should_filter_on_opening_and_say_when_it_cannot():
    dispatcher, _ = search({"categories": ["emergency_contraception"], "need_label": "Contraception d'urgence", "place_label": "Gare du Nord", **GARE_DU_NORD, "radius_km": 1.0, "time": ["maintenant"]})
    text = texts(dispatcher)[0]
    structures = payloads(dispatcher)[0]["structures"]
    statuses = [s["opening"]["status"] for s in structures]
    # The places known to be open come first, then those of unknown hours, each marked; when none is
    # known to be open, the answer says so.
    assert set(statuses) <= {"open", "unknown"}
    assert statuses == sorted(statuses, key=lambda status: status != "open")
    assert all("horaires inconnus" in s["unconfirmed"] for s in structures if s["opening"]["status"] == "unknown")
    assert "open" in statuses or "Je ne connais aucun lieu ouvert" in text


def test_should_answer_politely_when_the_directory_is_down(monkeypatch):
    monkeypatch.setenv("DIRECTORY_API_URL", "http://127.0.0.1:9")  # nothing listens there
    dispatcher, _ = search({"categories": ["shower"], "need_label": "Douche", "place_label": "Gare du Nord", **GARE_DU_NORD})
    assert texts(dispatcher) == [UNAVAILABLE]


def test_client_should_send_only_the_filters_that_are_set():
    query = StructureQuery(category=["shower"], lat=48.88, lon=2.35, radius_km=2.0, open_at=datetime(2026, 11, 25, 20, 0))
    params = query.params()
    assert params["open_at"] == "2026-11-25T20:00"
    assert "open_now" not in params and "free" not in params and "age" not in params
    assert params["nearby_help"] is False  # the assistant widens and announces by itself


# -- facts and fallback -------------------------------------------------------------------------
@pytest.mark.parametrize("intent", sorted(load_facts()))
def test_should_answer_each_fact_with_its_source(intent):
    dispatcher = CollectingDispatcher()
    run(ActionAnswerFact().run(dispatcher, tracker(intent=intent), {}))
    text = texts(dispatcher)[0]
    assert "Source : " in text and "https://" in text


def test_should_know_the_ivg_limit_and_the_national_line():
    facts = load_facts()
    assert "14" in facts["faq_ivg_limit"]["answer"]
    assert "0 800 08 11 11" in facts["faq_sexuality_line"]["answer"]
    assert len([f for f in facts.values() if f["intent"] not in ("faq_region_programme", "faq_named")]) == 6
    assert {"ame", "domiciliation", "pass", "tpe", "c2s"} <= {f.get("topic") for f in facts.values() if f["intent"] == "faq_named"}


def test_should_ask_to_rephrase_then_offer_the_menu():
    first = CollectingDispatcher()
    run(ActionRephraseOrMenu().run(first, tracker(intent="nlu_fallback"), {}))
    assert first.messages[0]["response"] == "utter_rephrase"
    events = [{"event": "user", "text": "a"}, {"event": "action", "name": "action_rephrase_or_menu"},
              {"event": "action", "name": "action_listen"}, {"event": "user", "text": "b"}]
    second = CollectingDispatcher()
    run(ActionRephraseOrMenu().run(second, tracker(intent="nlu_fallback", events=events), {}))
    assert second.messages[0]["response"] == "utter_menu"


def test_should_keep_the_arrondissement_that_follows_paris():
    message = {"intent": {"name": "search_service"}, "text": "une douche à paris 10 stp",
               "entities": [{"entity": "place", "value": "paris", "start": 13, "end": 18}]}
    state = Tracker("t", {}, message, [], False, None, {"name": "search_form"}, None)
    result = run(ValidateSearchForm().validate_place("paris", CollectingDispatcher(), state, {}))
    assert result["place_label"] == "Paris 10e"


def test_should_not_look_up_a_message_that_only_gives_an_age_as_a_place():
    message = {"intent": {"name": "inform"}, "text": "j'ai 16 ans", "entities": [{"entity": "age", "value": "16"}]}
    state = Tracker("t", {}, message, [], False, None, {"name": "search_form"}, None)
    dispatcher = CollectingDispatcher()
    assert run(ValidateSearchForm().validate_place("j'ai 16 ans", dispatcher, state, {})) == {"place": None}
    assert dispatcher.messages == []


def test_should_find_the_place_in_the_message_when_the_entity_is_a_piece_of_it():
    message = {"intent": {"name": "inform"}, "text": "l hay les roses",
               "entities": [{"entity": "place", "value": "roses", "start": 10, "end": 15}]}
    state = Tracker("t", {}, message, [], False, None, {"name": "search_form"}, None)
    result = run(ValidateSearchForm().validate_place("roses", CollectingDispatcher(), state, {}))
    assert result["place_label"] == "L'Haÿ-les-Roses (94)"


def test_should_link_to_the_web_search_only_when_it_is_configured(monkeypatch):
    slots = {"categories": ["shower"], "need_label": "Douche", "place_label": "Gare du Nord", **GARE_DU_NORD, "radius_km": 1.0}
    without_link, _ = search(slots)
    assert "sur la carte" not in texts(without_link)[0]
    monkeypatch.setenv("WEB_SEARCH_URL", "https://orientation.example/")
    with_link, _ = search(slots)
    assert "https://orientation.example/?category=shower&lat=" in texts(with_link)[0]


@pytest.mark.parametrize(
    ("said", "times", "hour", "open_at", "open_now"),
    [
        ("un resto ouvert le midi", ["le midi"], 9, "12:30", False),  # lunch today, not « now »
        ("un resto ouvert le midi", ["le midi"], 15, None, False),  # asked in the afternoon: a habit, no filter
        ("une douche ouverte cet apres midi", ["cet apres midi"], 9, None, True),
        ("une pharmacie ouverte ce soir", ["ce soir"], 9, "20:00", False),
        ("ou manger ce soir", ["ce soir"], 9, None, False),  # when, not « only what is open then »
        ("ou manger le midi gratuit", ["le midi"], 9, None, False),
        ("jai faim la maintenant", ["maintenant"], 9, None, True),
    ],
)
def test_should_read_the_time_the_person_named(said, times, hour, open_at, open_now):
    from actions.context import PARIS, search_context

    said_event = {"event": "user", "text": said}
    context = search_context(tracker({"time": times}, events=[said_event]), now=datetime(2026, 12, 7, hour, 0, tzinfo=PARIS))
    assert (context.open_at.strftime("%H:%M") if context.open_at else None) == open_at
    assert context.open_now is open_now


def test_should_not_filter_a_bed_tonight_on_opening_hours():
    # Shelters are reached through the 115: « ce soir » must not filter nor say « aucun lieu ouvert ».
    dispatcher, _ = search({"categories": ["emergency_accommodation"], "need_label": "Hébergement d'urgence", "place_label": "Gare du Nord",
                            **GARE_DU_NORD, "radius_km": 2.0, "time": ["ce soir"]})
    assert "open_at" not in payloads(dispatcher)[0]["search"]["filters"]
    assert "aucun lieu ouvert" not in texts(dispatcher)[0]


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("mon conjoint me bat depuis deux ans, je veux des conseils pour partir", "3919"),
        ("il me frappe la maintenant", "17"),
        ("il me frappe depuis des mois et ce soir il a un couteau", "17"),
        ("jai 14 ans et mon beau pere me frappe", "119"),  # a minor, no danger this minute
        ("jsuis malentendante et mon copain me menace", "114"),
    ],
)
def test_should_give_the_listening_line_first_for_violence_that_has_lasted(text, first):
    from actions.crisis import crisis_calls

    assert crisis_calls("crisis_violence", text)[0] == first


@pytest.mark.parametrize(
    ("intent", "text", "first"),
    [
        ("crisis_medical", "ils ont mis le feu a notre tente mon pote est brule", "18"),
        ("crisis_medical", "mon petit frere escalade la rambarde du balcon", "18"),
        ("crisis_child", "mon fils a fugue depuis deux jours", "17"),
        ("crisis_medical", "je suis sourde mon mari a fait un malaise", "114"),
    ],
)
def test_should_put_first_the_number_the_situation_needs(intent, text, first):
    from actions.crisis import crisis_calls

    assert crisis_calls(intent, text)[0] == first


def test_should_ignore_pieces_of_sentences_tagged_as_a_time():
    from actions.context import search_context

    context = search_context(tracker({"time": ["tout mes papiers", "suite", "ce"]}))
    assert not context.time_filtered
    assert search_context(tracker({"time": ["tout de suite"]})).open_now


@pytest.mark.parametrize(
    ("categories", "first"),
    [
        (["legal_advice"], "3919"),  # a lawyer, with violence said: the listening line first
        (["emergency_accommodation"], "115"),  # a bed tonight: the 115 first, the 3919 after it
        (["sexual_violence_support"], "3919"),  # its own branch, unchanged
    ],
)
def test_should_add_the_violence_line_when_violence_was_said(categories, first):
    from actions.orientation import safety_calls

    calls = safety_calls(categories, violence=True)
    assert calls[0] == first and "3919" in calls
    assert "3919" not in safety_calls(["legal_advice"])


def test_every_number_an_answer_advises_is_a_declared_helpline():
    from actions.crisis import CRISES, FIRST_CALLS
    from actions.helplines import HELPLINES
    from actions.orientation import BRANCHES, PARTNER_VIOLENCE_CALLS

    advised = {n for c in CRISES.values() for n in c.calls} | {n for f in FIRST_CALLS for n in f.calls}
    advised |= {n for b in BRANCHES for n in (*b.before_calls, *b.nothing_calls)} | set(PARTNER_VIOLENCE_CALLS)
    assert advised - set(HELPLINES) == set()


def test_should_not_answer_a_cost_question_about_a_course_with_a_contraception_fact():
    from actions.facts import ActionAnswerFact

    asked = tracker({"categories": ["digital_tools_training"], "need_label": "Formation au numérique"}, intent="faq_free_contraception")
    asked.latest_message["text"] = "et ca coute combien ?"
    dispatcher = CollectingDispatcher()
    run(ActionAnswerFact().run(dispatcher, asked, {}))
    text = texts(dispatcher)[0]
    assert "Formation au numérique" in text and "appelez le lieu" in text and "contraception" not in text.lower()


def test_should_give_one_line_that_answers_now_before_places_none_of_which_is_known_open():
    # At night the CSAPA nearby are closed: Drogues Info Service (8 h – 2 h) answers now; the line comes
    # after the safety lines and before the places, with its call button; a closed line is not offered.
    from actions.context import search_context
    from actions.directory_client import RemoteLine, SearchAnswer
    from actions.search import SearchPlan, send_results

    slots = {"categories": ["addiction_care"], "need_label": "Addictologie", "place_label": "Paris 18e", "lat": 48.8925, "lon": 2.3444}
    track = tracker(slots)
    plan = SearchPlan(track)
    answer = SearchAnswer(
        total=0, items=[], remote_first=True,
        remote=[
            RemoteLine(id="joueurs", name="Joueurs Info Service", phone="0974751313", opening={"status": "closed", "label": "Fermé"}),
            RemoteLine(id="drogues", name="Drogues Info Service", phone="0800231313", phone_label="0 800 23 13 13",
                       hours_text="Tous les jours de 8 h à 2 h", opening={"status": "open", "label": "Ouvert"}),
        ],
    )
    dispatcher = CollectingDispatcher()
    send_results(dispatcher, plan, answer, [], 1.0, None, search_context(track), 0, False, None)
    text = texts(dispatcher)[0]
    assert "À distance : Drogues Info Service, 0 800 23 13 13 (Tous les jours de 8 h à 2 h)." in text
    assert "Joueurs" not in text
    assert text.index("À distance") < text.index("Voici")
    assert {"number": "0800231313", "name": "Drogues Info Service", "kind": "tel"} in payloads(dispatcher)[0]["calls"]
