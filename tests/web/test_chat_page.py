"""The chat page in a phone-sized Chromium, against a fake assistant (the real one: test_chat_assistant.py):
text as text, quick replies, service cards, mini-map, « Me localiser », sessionStorage only, quick exit,
accessibility and weight."""

from __future__ import annotations

import json
from urllib.parse import quote

from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import axe_violations, describe
from tests.web.test_chat_proxy import results_payload

INJECTED = '<img src=x onerror="document.title=1"> & <b>gras</b>'


def scripted(base: str):
    payload = results_payload(base)
    names = [s["name"] for s in payload["structures"]]

    def reply(message: str):
        if message.startswith("/share_location") or "douche" in message or message == "/more_results":
            text = "Voici 3 lieux pour « douche » près de Paris 10e :\n\n" + "\n\n".join(
                f"{i + 1}. {name}\nadresse\nOuvert" for i, name in enumerate(names)
            ) + "\n\nIl y en a 9 autres à moins de 2 km : écrivez « plus de résultats »."
            return 200, [
                {"recipient_id": "x", "text": text, "buttons": [{"title": "Plus de résultats", "payload": "/more_results"}]},
                {"recipient_id": "x", "custom": payload},
            ], 0.0
        if "mourir" in message:
            calls = [{"number": n, "name": "", "kind": "tel"} for n in ("3114", "15", "112")]
            return 200, [
                {"recipient_id": "x", "text": "Appelez le 3114, maintenant : c'est gratuit, 24 h/24. En danger immédiat : 15 ou 112."},
                {"recipient_id": "x", "custom": {"calls": calls}},
            ], 0.0
        if "faim" in message:  # a food result whose text holds « 15, rue … » and « appelez » but no advised number
            food = {**payload, "structures": [{**payload["structures"][0], "address": "15, rue de Laghouat, 75018 Paris"}]}
            text = ("Voici le lieu pour « manger » près de Paris 18e :\n\n1. Restaurant solidaire\n15, rue de Laghouat\n"
                    "Horaires inconnus · appelez avant de vous déplacer\n\nAu 17 avenue de Clichy, un autre lieu ouvre lundi.")
            return 200, [{"recipient_id": "x", "text": text}, {"recipient_id": "x", "custom": food}], 0.0
        return 200, [{"recipient_id": "x", "text": "Que cherchez-vous ? " + INJECTED + "\n\nLa carte : http://127.0.0.1/?category=shower", "buttons": [
            {"title": "Douche", "payload": '/search_service{"need": "douche"}'},
            {"title": "Manger", "payload": '/search_service{"need": "manger"}'},
        ]}], 0.0

    return reply, names


def say(page: Page, text: str) -> None:
    page.get_by_label("Votre message").fill(text)
    page.get_by_role("button", name="Envoyer").click()


def bot_replies(page: Page):
    return page.locator("#chat-log > li.msg-bot")


def test_should_show_the_page_with_the_emergency_numbers_and_no_accessibility_violation(page: Page, chat_server):
    base, _ = chat_server
    page.goto(f"{base}/chat")
    expect(page.get_by_role("heading", name="Discuter avec l'assistant")).to_be_visible()
    assert page.locator(".emergency a[href='tel:3114']").is_visible()
    assert page.locator("#chat-log").get_attribute("aria-live") == "polite"
    expect(page.get_by_role("button", name="Envoyer")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_should_show_a_french_note_without_javascript(browser: Browser, chat_server):
    base, _ = chat_server
    context = browser.new_context(java_script_enabled=False, locale="fr-FR", viewport={"width": 412, "height": 860})
    try:
        page = context.new_page()
        page.goto(f"{base}/chat")
        note = page.locator(".chat-noscript")
        expect(note).to_be_visible()
        expect(note.get_by_role("link", name="chercher un lieu d'aide")).to_have_attribute("href", "/")
        expect(note.locator("a[href='tel:115']")).to_be_visible()
        expect(page.locator("#chat-form")).to_be_hidden()
    finally:
        context.close()


def test_should_render_text_as_text_quick_replies_cards_and_a_map(page: Page, chat_server, fake_assistant):
    base, _ = chat_server
    fake_assistant.reply, names = scripted(base)
    page.goto(f"{base}/chat")
    say(page, "bonjour")
    first = bot_replies(page).nth(1)
    expect(first).to_contain_text("Que cherchez-vous ? " + INJECTED)
    assert page.locator("#chat-log img").count() == 0 and page.locator("#chat-log b").count() == 0
    expect(first.get_by_role("link", name="http://127.0.0.1/?category=shower")).to_have_attribute("href", "http://127.0.0.1/?category=shower")
    page.get_by_role("button", name="Douche").click()
    reply = bot_replies(page).nth(2)
    cards = reply.locator(".card")
    expect(cards).to_have_count(3)
    assert fake_assistant.requests[-1]["body"]["message"] == '/search_service{"need": "douche"}'
    expect(page.locator(".quick-replies")).to_have_count(1)  # the older quick replies are gone
    for i, name in enumerate(names):
        link = cards.nth(i).get_by_role("link", name=f"{i + 1}. {name}")
        assert link.get_attribute("href").startswith("/lieux/")
        expect(cards.nth(i)).to_contain_text("Données du ")
    assert reply.locator("p", has_text="1. ").count() == 0  # the text list is drawn as the cards
    expect(reply).to_contain_text("Il y en a 9 autres")
    sms = cards.first.locator("a.card-sms")
    assert sms.get_attribute("href").startswith("sms:?&body=" + quote(names[0]))
    phones = reply.locator(".card-phone a")
    if phones.count():
        assert phones.first.get_attribute("href").startswith("tel:")
    markers = reply.locator(".mini-map .leaflet-marker-icon")
    expect(markers).to_have_count(3)
    violations = axe_violations(page)
    assert not violations, describe(violations)
    # the history lives in this tab's sessionStorage, and comes back after a reload
    stored = json.loads(page.evaluate("sessionStorage.getItem('chat.v1')"))
    assert len(stored["items"]) == 4 and "sender" not in stored
    assert "conversation" not in page.evaluate("document.cookie")  # HttpOnly: no script can read it
    sender = fake_assistant.requests[-1]["body"]["sender"]
    page.reload()
    expect(bot_replies(page).nth(2).locator(".card")).to_have_count(3)
    expect(page.locator(".mini-map .leaflet-marker-icon")).to_have_count(3)
    page.get_by_role("button", name="Plus de résultats").click()
    expect(bot_replies(page)).to_have_count(4)
    assert fake_assistant.requests[-1]["body"] == {"sender": sender, "message": "/more_results"}
    expect(page.locator(".map-legend:visible")).to_have_count(1)  # one live map: the latest


def test_should_put_the_call_buttons_of_a_crisis_reply_first(page: Page, chat_server, fake_assistant):
    base, _ = chat_server
    fake_assistant.reply, _ = scripted(base)
    page.goto(f"{base}/chat")
    say(page, "j'ai envie de mourir")
    reply = bot_replies(page).nth(1)
    expect(reply.locator("p").first).to_contain_text("Appelez le 3114")
    calls = reply.locator(".calls a")
    expect(calls).to_have_count(3)
    assert calls.first.get_attribute("href") == "tel:3114"


def test_should_make_call_buttons_only_from_the_numbers_the_assistant_sends(page: Page, chat_server, fake_assistant):
    """« 15, rue … » and « 17 avenue … » in a reply are addresses: no SAMU or police button is drawn from text."""
    base, _ = chat_server
    fake_assistant.reply, _ = scripted(base)
    page.goto(f"{base}/chat")
    say(page, "jai faim")
    reply = bot_replies(page).nth(1)
    expect(reply.locator(".card")).to_have_count(1)
    expect(reply).to_contain_text("17 avenue de Clichy")
    assert reply.locator(".calls a").count() == 0
    assert reply.locator("a[href='tel:15'], a[href='tel:17']").count() == 0


def test_should_send_the_browser_position_as_the_share_location_payload(browser: Browser, chat_server, fake_assistant):
    base, _ = chat_server
    fake_assistant.reply, _ = scripted(base)
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 412, "height": 860}, permissions=["geolocation"],
        geolocation={"latitude": 48.880931, "longitude": 2.355323},
    )
    try:
        page = context.new_page()
        page.goto(f"{base}/chat")
        page.get_by_role("button", name="Me localiser").click()
        expect(bot_replies(page).nth(1).locator(".card")).to_have_count(3)
        assert fake_assistant.requests[-1]["body"]["message"] == '/share_location{"lat":48.8809,"lon":2.3553}'
        expect(page.locator(".msg-user").last).to_have_text("Vous : Ma position")
    finally:
        context.close()


def test_should_never_send_typed_text_as_a_command(page: Page, chat_server, fake_assistant):
    base, _ = chat_server
    page.goto(f"{base}/chat")
    say(page, "/restart")
    expect(bot_replies(page)).to_have_count(2)
    assert fake_assistant.requests[-1]["body"]["message"] == "restart"


def test_should_forget_the_conversation_on_quick_exit(page: Page, chat_server, fake_assistant):
    base, _ = chat_server
    page.route("https://www.meteo.fr/**", lambda route: route.fulfill(body="<html lang='fr'><title>Météo</title></html>", content_type="text/html"))
    page.goto(f"{base}/chat")
    say(page, "je cherche une douche")
    expect(bot_replies(page)).to_have_count(2)
    assert page.evaluate("sessionStorage.length") > 0
    page.get_by_role("link", name="Quitter rapidement").click()
    page.wait_for_url("https://www.meteo.fr/**")
    page.go_back()
    assert not page.url.startswith(base)  # replace(): the chat is not in the history any more
    page.goto(f"{base}/chat")  # same tab: its sessionStorage is empty
    assert page.evaluate("sessionStorage.length") == 0
    expect(page.locator("#chat-log > li")).to_have_count(1)


def test_should_say_in_french_when_the_assistant_is_away(page: Page, dead_assistant_server):
    page.goto(f"{dead_assistant_server}/chat")
    say(page, "je cherche une douche")
    error = page.locator(".msg-error")
    expect(error).to_contain_text("l'assistant ne répond pas")
    assert error.locator(".calls a").count() >= 1
    expect(page.get_by_role("button", name="Envoyer")).to_be_enabled()


def test_should_weigh_less_than_150_kb(page: Page, chat_server, fake_assistant):
    """HTML + CSS + JS as transferred (tiles excluded). Leaflet (≈ 160 kB uncompressed) loads only when a
    reply has places to map: measured separately."""
    base, _ = chat_server
    fake_assistant.reply, _ = scripted(base)
    sizes: dict[str, int] = {}

    def finished(request):
        if request.url.startswith(base) and request.resource_type in ("document", "stylesheet", "script"):
            measured = request.sizes()
            sizes[request.url] = measured["responseBodySize"] + measured["responseHeadersSize"]

    page.on("requestfinished", finished)
    page.goto(f"{base}/chat")
    page.wait_for_load_state("networkidle")
    page_weight = sum(sizes.values())
    say(page, "une douche")
    expect(page.locator(".mini-map .leaflet-marker-icon")).to_have_count(3)
    page.wait_for_load_state("networkidle")
    with_map = sum(sizes.values())
    print(f"\nchat page: {page_weight} bytes; with the mini-map (Leaflet): {with_map} bytes; {sorted(sizes)}")
    assert 0 < page_weight < 150_000
