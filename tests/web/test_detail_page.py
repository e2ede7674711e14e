"""The detail page (`/lieux/{id}`) in a real browser: hours in French, provenance, quality, the map, the
French 404, and « Signaler une erreur » with and without JavaScript, checked through the review list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import axe_violations, describe, screenshot, start_api

TOKEN = "relecture-test-5d1f-assez-long-pour-32-car"
DAYS = ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"]


@pytest.fixture(scope="module")
def review_server(web_tmp: Path) -> Iterator[str]:
    """A server of its own, with a review token and a reports file (set through the environment)."""
    process, base, _ = start_api(
        web_tmp, {"REPORTS_REVIEW_TOKEN": TOKEN, "REPORTS_PATH": str(web_tmp / "reports-review.sqlite")}
    )
    yield base
    process.terminate()
    process.wait(timeout=10)


def place_with_weekly_hours(base: str) -> dict:
    """A real shower place whose record has weekly hours (looked up, not hard-coded: the data changes)."""
    items = httpx.get(f"{base}/structures", params={"q": "douche", "place": "Paris 19e", "size": 20}).json()["items"]
    for item in items:
        detail = httpx.get(f"{base}/structures/{item['id']}").json()
        if detail["hours"] and detail["hours"]["weekly"] and not detail["hours"]["always_open"]:
            return detail
    pytest.fail("aucune douche avec des horaires hebdomadaires dans le 19e")


def reviewed(base: str) -> list[dict]:
    answer = httpx.get(f"{base}/reports", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_should_show_hours_provenance_and_quality_in_french(page: Page, live_server: str):
    detail = place_with_weekly_hours(live_server)
    page.goto(f"{live_server}/?q=douche&place=Paris+19e")
    page.get_by_role("link", name=detail["name"], exact=True).first.click()
    page.wait_for_url(re.compile(r"/lieux/"))
    expect(page.locator("h1")).to_have_text(detail["name"])
    expect(page).to_have_title(re.compile(re.escape(detail["name"])))
    expect(page.locator(".opening").first).to_have_text(detail["opening"]["label"])
    rows = page.locator("table.hours tr")
    expect(rows).to_have_count(7)
    assert [r.split("\t")[0].strip() for r in rows.all_inner_texts()] == DAYS
    hours_text = " ".join(rows.all_inner_texts())
    first_day = next(iter(detail["hours"]["weekly"]))
    first_slot = detail["hours"]["weekly"][first_day][0]
    assert first_slot["start"][:5].replace(":", "h") in hours_text
    if len(detail["hours"]["weekly"]) < 7:
        assert "Fermé" in hours_text  # days without slots
    expect(page.get_by_text(re.compile("jours fériés", re.I)).first).to_be_visible()
    provenance = page.locator("ul.sources")
    source = detail["sources"][0]
    expect(provenance).to_contain_text(source["source_record_id"])
    expect(provenance).to_contain_text(source["licence"])
    day, month, year = source["data_date"][8:10], source["data_date"][5:7], source["data_date"][:4]
    expect(provenance).to_contain_text(f"{day}/{month}/{year}")
    expect(page.get_by_text("Qualité de la fiche")).to_be_visible()
    expect(page.get_by_text(f"{round(detail['quality']['score'] * 100)} / 100")).to_be_visible()
    if detail["freshness"]["stale"]:
        expect(page.locator(".flag.stale").first).to_contain_text("appelez avant de vous déplacer")
    expect(page.get_by_text("jamais : ce sont des données ouvertes")).to_be_visible()
    # The small map, behind its button on a phone.
    page.get_by_role("button", name="Afficher la carte").click()
    expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
    assert not (found := axe_violations(page)), describe(found)
    screenshot(page, "detail-phone")


def test_should_say_unknown_hours_and_unknown_places_in_french(page: Page, live_server: str):
    items = httpx.get(f"{live_server}/structures", params={"q": "pharmacie", "place": "Paris 18e", "size": 50}).json()["items"]
    unknown = next((i for i in items if i["opening"]["status"] == "unknown" and i["opening"]["label"] == "Horaires inconnus"), None)
    if unknown is not None:
        detail = httpx.get(f"{live_server}/structures/{unknown['id']}").json()
        page.goto(f"{live_server}/lieux/{unknown['id']}")
        if detail["hours"] is None and not any(s["hours"] for s in detail["services"]):
            expect(page.get_by_text("Horaires inconnus : appelez avant de vous déplacer.")).to_be_visible()
    response = page.goto(f"{live_server}/lieux/n-existe-pas")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Lieu introuvable")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert not (found := axe_violations(page)), describe(found)


def test_should_take_a_report_with_javascript_and_list_it_for_review(page: Page, review_server: str):
    detail = place_with_weekly_hours(review_server)
    page.goto(f"{review_server}/lieux/{detail['id']}")
    page.get_by_label("Les horaires sont faux").check()
    page.get_by_label("Votre message").fill("Ouvert aussi le mercredi depuis octobre.")
    page.get_by_label("Pour vous recontacter").fill("travailleuse.sociale@example.org")
    with page.expect_response(re.compile(r"/structures/.+/reports$")) as posted:
        page.get_by_role("button", name="Envoyer le signalement").click()
    assert posted.value.status == 201
    expect(page.locator("#report-status")).to_contain_text("Merci")
    assert page.url == f"{review_server}/lieux/{detail['id']}"  # no reload
    expect(page.get_by_label("Votre message")).to_have_value("")
    latest = reviewed(review_server)[0]
    assert latest["structure_id"] == detail["id"]
    assert latest["kind"] == "wrong_hours"
    assert latest["message"] == "Ouvert aussi le mercredi depuis octobre."
    assert latest["contact"] == "travailleuse.sociale@example.org"
    assert set(latest) == {"id", "structure_id", "kind", "message", "contact", "created_at"}


def test_should_take_a_report_without_javascript(browser: Browser, review_server: str):
    detail = place_with_weekly_hours(review_server)
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(f"{review_server}/lieux/{detail['id']}")
        page.get_by_role("button", name="Envoyer le signalement").click()  # required fields: nothing sent
        assert "signalement=merci" not in page.url
        page.get_by_label("Le lieu est fermé définitivement").check()
        page.get_by_label("Votre message").fill("Rideau baissé, panneau « fermé » depuis un mois.")
        page.get_by_role("button", name="Envoyer le signalement").click()
        page.wait_for_url(re.compile(r"signalement=merci"))
        expect(page.locator("#report-status")).to_contain_text("Merci ! Votre signalement a été enregistré")
    finally:
        context.close()
    latest = reviewed(review_server)[0]
    assert (latest["kind"], latest["message"], latest["contact"]) == (
        "closed", "Rideau baissé, panneau « fermé » depuis un mois.", None
    )


def test_should_keep_the_review_list_closed_without_the_token(live_server: str, review_server: str):
    assert httpx.get(f"{live_server}/reports").status_code == 404  # no token configured: no list at all
    assert httpx.get(f"{review_server}/reports").status_code == 401
    assert httpx.get(f"{review_server}/reports", headers={"Authorization": "Bearer faux"}).status_code == 401


def test_should_go_back_to_the_same_search_with_its_filters(page, live_server: str):
    # « ← Nouvelle recherche » dropped every filter a social worker had set.
    page.goto(f"{live_server}/?q=douche&place=Paris+10e&free=true&radius_km=5")
    page.locator(".results h3 a").first.click()
    back = page.get_by_role("link", name="← Retour aux résultats")
    href = back.get_attribute("href")
    assert href.startswith("/?") and "free=true" in href and "radius_km=5" in href
    back.click()
    assert page.locator("#f-place").input_value() == "Paris 10e"


def test_should_never_send_the_back_link_elsewhere(page, live_server: str):
    page.goto(f"{live_server}/lieux/bains-douches-BD1?recherche=https://evil.example/%3Fq%3Dx")
    assert page.get_by_role("link", name="← Nouvelle recherche").get_attribute("href") == "/"


def test_should_keep_the_map_out_of_the_content_on_a_wide_screen(browser: Browser, live_server: str):
    # The map stuck across the screen and covered the page and the report form's confirmation.
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/lieux/bains-douches-BD1")
        page.locator("#map").wait_for(state="visible")
        page.locator(".report").scroll_into_view_if_needed()
        box_map = page.locator("#map").bounding_box()
        box_form = page.locator(".report").bounding_box()
        assert box_map and box_form
        overlap = min(box_map["y"] + box_map["height"], box_form["y"] + box_form["height"]) - max(box_map["y"], box_form["y"])
        assert overlap <= 0, (box_map, box_form)
    finally:
        context.close()


def test_should_send_the_place_by_sms_with_what_is_needed_to_go_there(page, live_server: str):
    page.goto(f"{live_server}/lieux/bains-douches-BD1")
    href = page.get_by_role("link", name="Envoyer par SMS").get_attribute("href")
    assert href.startswith("sms:?&body=")
    from urllib.parse import unquote

    body = unquote(href.split("body=", 1)[1])
    name = page.locator("h1").inner_text()
    assert body.startswith(name + "\n") and "Horaires : " in body and body.rstrip().endswith("/lieux/bains-douches-BD1")
