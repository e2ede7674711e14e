"""End to end: the directory API, the action server and the Rasa server with the trained model, and
multi-turn conversations over the REST webhook, as the web chat and any REST client hold them."""

from __future__ import annotations

import itertools
import uuid

import httpx
import pytest
from conftest import payload_of, text_of

_senders = itertools.count()


class Conversation:
    def __init__(self, rasa_url: str) -> None:
        self.url = rasa_url + "/webhooks/rest/webhook"
        self.sender = f"test-{next(_senders)}-{uuid.uuid4().hex[:8]}"

    def say(self, message: str) -> list[dict]:
        response = httpx.post(self.url, json={"sender": self.sender, "message": message}, timeout=30)
        response.raise_for_status()
        return response.json()


@pytest.fixture()
def chat(rasa_server) -> Conversation:
    return Conversation(rasa_server.url)


def test_should_ask_the_place_then_answer_with_nearby_services(chat):
    asked = chat.say("slt jcherche une douche stp")
    assert "Où êtes-vous" in text_of(asked)
    answer = chat.say("je suis vers gare du nord")
    payload = payload_of(answer)
    assert payload is not None, answer
    assert "shower" in payload["search"]["categories"]
    assert 48.85 < payload["search"]["lat"] < 48.91
    assert 1 <= len(payload["structures"]) <= 3
    assert all("shower" in s["categories"] for s in payload["structures"])
    assert "1. " in text_of(answer)
    more = chat.say("plus de résultats")
    more_payload = payload_of(more)
    assert more_payload is not None, more
    assert not {s["id"] for s in more_payload["structures"]} & {s["id"] for s in payload["structures"]}


def test_should_understand_need_and_place_in_one_sms(chat):
    answer = chat.say("ou trouver la pilule du lendemain a st denis")
    payload = payload_of(answer)
    assert payload is not None, answer
    assert "emergency_contraception" in payload["search"]["categories"]
    assert payload["search"]["place_label"].startswith("Saint-Denis")


def test_should_let_the_person_change_their_mind(chat):
    chat.say("je cherche a manger")
    answer = chat.say("non plutôt une douche à paris 10")
    payload = payload_of(answer)
    assert payload is not None, answer
    assert "shower" in payload["search"]["categories"]
    assert "food_distribution" not in payload["search"]["categories"]


def test_should_put_the_safety_number_first_even_mid_form(chat):
    chat.say("je cherche un endroit pour dormir")
    replies = chat.say("mon copain me frappe j'ai peur")
    assert "17" in replies[0]["text"] and "3919" in replies[0]["text"]
    # then the search goes on: the place is asked again
    assert "Où êtes-vous" in text_of(replies[1:])


def test_should_give_3114_first_to_someone_suicidal(chat):
    replies = chat.say("j'ai envie de mourir")
    assert "3114" in replies[0]["text"]


def test_should_answer_a_sexual_health_fact_with_its_source(chat):
    replies = chat.say("jusqu'a quand on peut avorter ?")
    text = text_of(replies)
    assert "14" in text and "Source" in text


def test_should_take_gps_coordinates_from_the_web_page(chat):
    chat.say("besoin de toilettes")
    answer = chat.say('/share_location{"lat": 48.8566, "lon": 2.3522}')
    payload = payload_of(answer)
    assert payload is not None, answer
    assert payload["search"]["place_label"] == "votre position"
    assert all(s["distance_m"] is not None for s in payload["structures"])


def test_should_say_what_we_cover_outside_the_region(chat):
    chat.say("je cherche une douche")
    text = text_of(chat.say("à Marseille"))
    assert "Île-de-France" in text


def test_should_redirect_out_of_scope_requests_politely(chat):
    assert "lieu d'aide" in text_of(chat.say("tu peux me raconter une blague"))


def test_should_not_log_what_people_write(chat, server_logs):
    secret = "ma voisine Zorglubia enceinte de 9 semaines a Montreuil"
    chat.say(secret)
    chat.say("Zorglubia veut savoir si l'ivg est gratuite")
    for log in server_logs.glob("*.log"):
        assert "Zorglubia" not in log.read_text(errors="replace"), log.name


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("je suis à Saint-Denis", "Saint-Denis (93)"),
        ("a st denis", "Saint-Denis (93)"),
        ("saint denis", "Saint-Denis (93)"),
        ("je viens d'Aubervilliers", "Aubervilliers (93)"),
        ("vers l'Haÿ-les-Roses", "L'Haÿ-les-Roses (94)"),
        ("l hay les roses", "L'Haÿ-les-Roses (94)"),
        ("75011", "Paris 11e"),
        ("dans le 93", "Seine-Saint-Denis (93)"),
        ("je suis vers gare de lyon", "Gare de Lyon"),
    ],
)
def test_should_understand_places_with_and_without_hyphens_and_elisions(chat, typed, label):
    chat.say("je cherche des toilettes")
    answer = chat.say(typed)
    payload = payload_of(answer)
    assert payload is not None, answer
    assert payload["search"]["place_label"].startswith(label)
