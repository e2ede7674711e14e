"""The chat proxy, `POST /chat/messages`, against a fake assistant (no Rasa needed): validation in French,
the payload allow-list, the shape of the replies, 503 when the assistant is away, one URL only, no logs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
import yaml

from directory_api.web.chat import PAYLOAD_ENTITIES, PAYLOAD_INTENTS
from tests.web.conftest import REPO, FakeAssistant

SENDER = "test_sender-0123456789"
WEBHOOK = "/webhooks/rest/webhook"


def post(base: str, body: object) -> httpx.Response:
    return httpx.post(f"{base}/chat/messages", json=body, timeout=15)


def results_payload(base: str) -> dict:
    """What bot/actions/formatting.py sends with a result list, built from real places of the index."""
    items = httpx.get(f"{base}/structures", params={"category": "shower", "place": "Paris 10e", "size": 3}).json()["items"]
    assert items
    return {
        "search": {"categories": ["shower"], "place_label": "Paris 10e", "lat": 48.876, "lon": 2.36, "radius_km": 2.0},
        "total": 12,
        "structures": [
            {
                "id": i["id"], "name": i["name"], "categories": i["categories"], "lat": i["lat"], "lon": i["lon"],
                "distance_m": round(i["distance_m"]), "opening": {"status": i["opening"]["status"], "label": i["opening"]["label"]},
                "address": i["address"], "phones": i["phones"], "conditions": i["conditions"], "stale": i["freshness"]["stale"],
            }
            for i in items
        ],
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sender": "a" * 65, "message": "bonjour"}, "sender"),
        ({"sender": 12345678, "message": "bonjour"}, "sender"),
        ({"sender": SENDER}, "message"),
        ({"sender": SENDER, "message": ""}, "message"),
        ({"sender": SENDER, "message": "   "}, "message"),
        ({"sender": SENDER, "message": "x" * 2001}, "message"),
        ({"sender": SENDER, "message": ["douche"]}, "message"),
        ({"sender": SENDER, "message": "douche", "url": "http://127.0.0.1:9/"}, "url"),
    ],
)
def test_should_refuse_invalid_messages_with_the_field_in_french(chat_server, fake_assistant, body, field):
    base, _ = chat_server
    response = post(base, body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["detail"].startswith("Paramètres invalides")
    assert field in [e["field"] for e in error["errors"]]
    message = next(e["message"] for e in error["errors"] if e["field"] == field)
    assert message and not any(word in message for word in ("Field required", "should", "Value error")), message
    assert fake_assistant.requests == []


@pytest.mark.parametrize(
    "payload",
    [
        '/share_location{"lat":48.88,"lon":2.35}',
        '/share_location{"lat": 48.8566, "lon": 2.3522}',
        '/search_service{"need": "douche"}',
        '/inform{"place": "Villeneuve-Saint-Georges (94)"}',
        "/more_results",
        "/greet",
    ],
)
def test_should_forward_the_payloads_of_the_assistant_buttons(chat_server, fake_assistant, payload):
    base, _ = chat_server
    assert post(base, {"sender": SENDER, "message": payload}).status_code == 200
    assert [r["body"]["message"] for r in fake_assistant.requests] == [payload]


@pytest.mark.parametrize(
    "payload",
    [
        "/restart",  # a Rasa default intent, not in our domain: would reset someone's conversation
        "/session_start",
        "/back",
        "/nope",
        '/search_service{"need": "douche", "evil": "x"}',
        '/search_service{"need": {"nested": 1}}',
        "/search_service[1]",
        '/search_service{"need": "douche"',
        '/share_location{"lat": 999, "lon": 2.35}',
        '/share_location{"lat": "48.8", "lon": "2.3"}',
        '/share_location{"lat": 48.8}',
        "/greet@0.1",
        "/greet extra",
    ],
)
def test_should_refuse_payloads_the_domain_does_not_know(chat_server, fake_assistant, payload):
    base, _ = chat_server
    response = post(base, {"sender": SENDER, "message": payload})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "message"
    assert fake_assistant.requests == []


def test_should_allow_exactly_the_intents_and_entities_of_the_domain():
    intents: set[str] = set()
    entities: set[str] = set()
    for path in (REPO / "bot" / "domain").glob("*.yml"):
        domain = yaml.safe_load(path.read_text(encoding="utf-8"))
        intents |= set(domain.get("intents") or [])
        entities |= set(domain.get("entities") or [])
    assert set(PAYLOAD_INTENTS) == intents
    assert set(PAYLOAD_ENTITIES) == entities


def test_should_forward_sender_and_message_only_to_the_webhook_and_shape_the_reply(chat_server, fake_assistant):
    base, _ = chat_server
    payload = results_payload(base)
    fake_assistant.reply = lambda message: (200, [
        {"recipient_id": SENDER, "text": "Voici 3 lieux :", "buttons": [
            {"title": "Plus de résultats", "payload": "/more_results"},
            {"title": "Piège", "payload": "/restart"},
            {"title": 3, "payload": "/greet"},
        ]},
        {"recipient_id": SENDER, "custom": payload},
        {"recipient_id": SENDER, "image": "http://127.0.0.1:9/x.png"},
        {"recipient_id": SENDER, "custom": {"structures": "pas une liste"}},
        "pas un message",
    ], 0.0)
    response = post(base, {"sender": SENDER, "message": "une douche vers gare du nord"})
    assert response.status_code == 200, response.text
    assert [(r["method"], r["path"]) for r in fake_assistant.requests] == [("POST", WEBHOOK)]
    forwarded = fake_assistant.requests[0]["body"]
    assert forwarded["message"] == "une douche vers gare du nord"
    assert forwarded["sender"] != SENDER and len(forwarded["sender"]) == 32  # the server's, not the page's
    messages = response.json()
    assert messages[0] == {"text": "Voici 3 lieux :", "buttons": [{"title": "Plus de résultats", "payload": "/more_results"}]}
    cards = messages[1]["custom"]["structures"]
    assert [c["id"] for c in cards] == [s["id"] for s in payload["structures"]]
    assert all(len(c["data_date"]) == 10 for c in cards)  # the date of the data, added from the index
    assert len(messages) == 2  # the image and the malformed parts are dropped


@pytest.mark.parametrize(
    "reply",
    [
        (500, {"error": "boom"}, 0.0),
        (404, [], 0.0),
        (302, [], 0.0),  # a redirect is never followed
        (200, b"<html>pas du JSON</html>", 0.0),
        (200, {"text": "un objet, pas une liste"}, 0.0),
        (200, [{"text": "trop tard"}], 3.0),  # beyond ASSISTANT_TIMEOUT_S=2
    ],
)
def test_should_answer_503_in_french_when_the_assistant_fails(chat_server, fake_assistant, reply):
    base, _ = chat_server
    elsewhere = FakeAssistant()
    fake_assistant.elsewhere = elsewhere.url
    fake_assistant.reply = lambda message: reply
    try:
        started = time.monotonic()
        response = post(base, {"sender": SENDER, "message": "je cherche une douche"})
        elapsed = time.monotonic() - started
    finally:
        elsewhere.close()
    assert response.status_code == 503, response.text
    assert "l'assistant ne répond pas" in response.json()["detail"]
    assert elapsed < 2.8
    assert elsewhere.requests == []
    assert [r["path"] for r in fake_assistant.requests] == [WEBHOOK]


def test_should_answer_503_with_the_emergency_numbers_when_nothing_listens(dead_assistant_server):
    started = time.monotonic()
    response = post(dead_assistant_server, {"sender": SENDER, "message": "j'ai besoin d'aide"})
    assert response.status_code == 503
    assert time.monotonic() - started < 5
    detail = response.json()["detail"]
    assert "Réessayez" in detail
    for number in ("112", "15", "17", "115", "3919", "119", "3114"):
        assert f"le {number} " in detail


def test_should_call_no_other_url_whatever_the_message_says(chat_server, fake_assistant):
    base, _ = chat_server
    for message in ("http://127.0.0.1:9/admin", "@127.0.0.1:9", "\r\nHost: evil", "x" * 2000):
        assert post(base, {"sender": SENDER, "message": message}).status_code == 200
    assert post(base, {"sender": SENDER, "message": "/../../status"}).status_code == 422
    httpx.post(f"{base}/chat/messages?url=http://127.0.0.1:9", json={"sender": SENDER, "message": "a"}, timeout=15)
    assert {(r["method"], r["path"]) for r in fake_assistant.requests} == {("POST", WEBHOOK)}
    assert len(fake_assistant.requests) == 5


def test_should_never_log_what_people_write(chat_server, fake_assistant):
    base, log = chat_server
    secret = "Zorglubette enceinte de 9 semaines a Montreuil"
    post(base, {"sender": SENDER, "message": secret})
    fake_assistant.reply = lambda message: (500, {}, 0.0)
    post(base, {"sender": SENDER, "message": secret + " encore"})
    fake_assistant.reply = lambda message: (200, [], 3.0)
    post(base, {"sender": SENDER, "message": secret + " toujours"})
    post(base, {"sender": SENDER, "message": "/" + secret})  # refused: 422
    time.sleep(0.5)
    text = Path(log).read_text(errors="replace")
    assert "Zorglubette" not in text
    assert "assistant unavailable" in text  # failures are logged, by kind only


def test_should_serve_the_chat_page_with_the_emergency_numbers_and_a_note_without_javascript(chat_server):
    base, _ = chat_server
    response = httpx.get(f"{base}/chat")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    html = response.text
    for number in ("112", "15", "17", "115", "3919", "119", "3114"):
        assert f'href="tel:{number}"' in html
    noscript = html[html.index("<noscript>"):html.index("</noscript>")]
    assert 'href="/"' in noscript and 'href="tel:3114"' in noscript
    assert "<script>" not in html and " style=" not in html
    assert json.dumps(html)  # sanity


# -- the conversation cookie (issue 17, finding 6) ------------------------------------------------------
def test_should_keep_the_conversation_in_a_signed_httponly_cookie_and_tell_the_assistant_only_its_hmac(
    chat_server, fake_assistant
):
    base, _ = chat_server
    with httpx.Client(base_url=base, timeout=15) as browser:
        first = browser.post("/chat/messages", json={"message": "bonjour"})
        cookie = first.headers["set-cookie"]
        assert cookie.startswith("conversation=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "Path=/chat" in cookie
        key = browser.cookies["conversation"]
        assert browser.post("/chat/messages", json={"message": "une douche"}).status_code == 200
        senders = [r["body"]["sender"] for r in fake_assistant.requests]
        assert senders[0] == senders[1]  # one conversation
        assert all(part not in senders[0] for part in key.split("."))  # its id reveals nothing of the key
        # « Effacer » / « Quitter rapidement »: the assistant forgets it, the browser gets a new key
        reset = browser.post("/chat/reset")
        assert reset.status_code == 204
        assert fake_assistant.requests[-1]["body"] == {"sender": senders[0], "message": "/restart"}
        assert browser.cookies["conversation"] != key
        browser.post("/chat/messages", json={"message": "bonjour"})
        assert fake_assistant.requests[-1]["body"]["sender"] != senders[0]


def test_should_not_let_a_forged_or_known_id_join_a_conversation(chat_server, fake_assistant):
    base, _ = chat_server
    with httpx.Client(base_url=base, timeout=15) as victim:
        victim.post("/chat/messages", json={"message": "bonjour"})
    victim_sender = fake_assistant.requests[-1]["body"]["sender"]
    # what a log reader could know (the assistant's id), as a cookie or as the body's sender: a new conversation
    for cookie in (victim_sender, f"{victim_sender}.{victim_sender}", "x" * 32 + ".0"):
        with httpx.Client(base_url=base, timeout=15, cookies={"conversation": cookie}) as intruder:
            answer = intruder.post("/chat/messages", json={"sender": victim_sender, "message": "bonjour"})
        assert answer.status_code == 200 and "conversation=" in answer.headers["set-cookie"]
        assert fake_assistant.requests[-1]["body"]["sender"] != victim_sender
