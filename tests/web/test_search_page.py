"""The search page (`/`) in a real browser, on the real data: typed need and place, the map, filters in a
shareable URL, no JavaScript, exports, print, accessibility, escaping and page weight."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from directory_api.api.app import create_app
from directory_api.models import Provenance, Service, Structure
from directory_api.search.embedded import EmbeddedBackend
from directory_api.settings import Settings
from tests.web.conftest import axe_violations, describe, screenshot

PAGE_WEIGHT_LIMIT = 150_000  # bytes transferred for a results page, map included, tiles excluded


def search(page: Page, base: str, need: str, place: str) -> None:
    page.goto(f"{base}/")
    page.get_by_label("Besoin").fill(need)
    page.get_by_label("Lieu", exact=False).first.fill(place)
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url(re.compile(r"/\?"))


def result_names(page: Page) -> list[str]:
    return page.locator("li.result h3 a").all_inner_texts()


def test_should_find_showers_near_a_typed_place_with_one_marker_per_result(page: Page, live_server: str):
    search(page, live_server, "douche", "Gare du Nord")
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"q": ["douche"], "place": ["Gare du Nord"]}  # empty fields left out of the URL
    results = page.locator("li.result")
    count = results.count()
    assert 1 <= count <= 20
    expect(page.locator("#result-count")).to_contain_text("lieux trouvés")
    expect(page.locator("#result-count")).to_contain_text("Gare du Nord")
    expect(page.locator("#need-understood")).to_have_text("Besoin compris : Douche")
    first = results.first
    expect(first.locator("h3 a")).to_have_attribute("href", re.compile(r"^/lieux/"))
    expect(first.locator(".distance")).to_have_text(re.compile(r"^à \d+(,\d)? (m|km)$"))
    expect(first.locator(".opening")).not_to_be_empty()
    expect(first.locator(".address a")).to_have_attribute(
        "href", re.compile(r"^https://www\.openstreetmap\.org/directions\?to=48\.\d+%2C2\.\d+$")
    )
    expect(first.locator(".provenance")).to_contain_text("Données du")
    # All within the default 10 km around the station, some of them close by.
    distances = [
        float(re.sub(r"[^\d,]", "", t).replace(",", ".")) * (1 if "km" in t else 0.001)
        for t in page.locator(".distance").all_inner_texts()
    ]
    assert len(distances) == count
    assert max(distances) <= 10.0 and min(distances) < 2.0
    # On a phone the map is behind a button; it then shows one marker per listed result.
    assert not page.locator("#map").is_visible()
    page.get_by_role("button", name="Afficher la carte").click()
    expect(page.locator(".leaflet-marker-icon")).to_have_count(count)
    expect(page.get_by_role("button", name="Masquer la carte")).to_have_attribute("aria-expanded", "true")
    marker_titles = page.locator(".leaflet-marker-icon").evaluate_all("els => els.map(e => e.title)")
    assert marker_titles[0] == f"1. {result_names(page)[0]}"


def test_should_keep_the_filters_in_a_shareable_url(page: Page, browser: Browser, live_server: str):
    page.goto(f"{live_server}/")
    page.get_by_label("Besoin").fill("toilettes")
    page.get_by_label("Lieu", exact=False).first.fill("Paris 18e")
    page.get_by_role("checkbox", name="ouverts maintenant").check()
    page.get_by_role("checkbox", name="gratuits").check()
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url(re.compile(r"open_now=true"))
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"q": ["toilettes"], "place": ["Paris 18e"], "open_now": ["true"], "free": ["true"]}
    names = result_names(page)
    assert names, "des toilettes gratuites ouvertes 24 h/24 existent dans le 18e"
    for status in page.locator("li.result .opening").evaluate_all("els => els.map(e => e.className)"):
        assert "opening-open" in status  # « ouvert maintenant » keeps only open places
    for conditions in page.locator("li.result .conditions").all_inner_texts():
        assert "Gratuit" in conditions
    # The same URL in a new page (as when it is sent to a colleague) gives the same results and filters.
    other = browser.new_context(locale="fr-FR").new_page()
    try:
        other.goto(page.url)
        assert result_names(other) == names
        expect(other.get_by_role("checkbox", name="ouverts maintenant")).to_be_checked()
        expect(other.get_by_role("checkbox", name="gratuits")).to_be_checked()
        expect(other.get_by_label("Besoin")).to_have_value("toilettes")
    finally:
        other.context.close()


def test_should_search_without_javascript(browser: Browser, live_server: str):
    context = browser.new_context(java_script_enabled=False, locale="fr-FR", viewport={"width": 412, "height": 860})
    try:
        page = context.new_page()
        page.goto(f"{live_server}/")
        page.get_by_label("Besoin").fill("douche")
        page.get_by_label("Lieu", exact=False).first.fill("Paris 18e")
        page.get_by_role("button", name="Rechercher").click()
        page.wait_for_url(re.compile(r"q=douche"))
        assert page.locator("li.result").count() >= 1
        expect(page.locator("#result-count")).to_contain_text("trouvé")
        # No map, no geolocation button, no print button without JavaScript: nothing broken either.
        assert not page.locator("#map-panel").is_visible()
        assert not page.locator("#locate").is_visible()
        assert not page.locator("#print").is_visible()
        page.locator("li.result h3 a").first.click()
        expect(page.locator("h1")).not_to_be_empty()
        expect(page.get_by_role("heading", name="Horaires")).to_be_visible()
    finally:
        context.close()


def test_should_explain_invalid_filters_and_unknown_places_in_french(page: Page, live_server: str):
    response = httpx.get(f"{live_server}/", params={"q": "douche", "radius_km": "beaucoup"})
    assert response.status_code == 422
    assert "Rayon (radius_km) : nombre attendu" in response.text
    assert 'id="f-radius_km" name="radius_km" aria-invalid="true"' in response.text
    page.goto(f"{live_server}/?q=douche&place=Saint")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("nous ne trouvons pas « Saint »")
    candidate = alert.get_by_role("link", name="Saint-Denis (93)")
    candidate.click()
    page.wait_for_url(re.compile(r"place=Saint-Denis"))
    expect(page.locator("#result-count")).to_contain_text("Saint-Denis (93)")


def test_should_search_around_the_browser_position(browser: Browser, live_server: str):
    context = browser.new_context(
        locale="fr-FR", geolocation={"latitude": 48.8809, "longitude": 2.3553}, permissions=["geolocation"]
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server}/?q=douche&place=Paris+15e")
        page.get_by_role("button", name="Me localiser").click()
        page.wait_for_url(re.compile(r"lat=48\.881&lon=2\.355"))
        query = parse_qs(urlsplit(page.url).query)
        assert "place" not in query
        expect(page.locator("#result-count")).to_contain_text("Autour de la position indiquée, dans un rayon de 10 km")
        expect(page.get_by_label("Lieu", exact=False).first).to_have_value("")
        assert page.locator("li.result").count() >= 1
        first = page.locator(".distance").first.inner_text()
        assert first.endswith(" m") or float(first[2:-3].replace(",", ".")) < 2.0  # showers near the station
    finally:
        context.close()


def test_should_export_the_same_search_as_csv_and_geojson(page: Page, live_server: str, tmp_path: Path):
    search(page, live_server, "douche", "Gare du Nord")
    total = int(re.match(r"\s*(\d+)", page.locator("#result-count").inner_text()).group(1))
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Télécharger en CSV").click()
    path = tmp_path / "export.csv"
    csv_download.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Nom", "Type", "Besoins"]
    assert len(rows) - 1 == total
    with page.expect_download() as geo_download:
        page.get_by_role("link", name="Télécharger en GeoJSON").click()
    path = tmp_path / "export.geojson"
    geo_download.value.save_as(path)
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == total
    assert {f["properties"]["name"] for f in collection["features"]} >= set(result_names(page))


def test_should_have_no_accessibility_violations(page: Page, live_server: str):
    page.goto(f"{live_server}/")
    assert not (found := axe_violations(page)), describe(found)
    page.goto(f"{live_server}/?q=douche&place=Gare+du+Nord")
    page.get_by_role("button", name="Afficher la carte").click()
    page.locator(".leaflet-marker-icon").first.wait_for()
    assert not (found := axe_violations(page)), describe(found)
    page.goto(f"{live_server}/?q=douche&radius_km=abc")
    assert not (found := axe_violations(page)), describe(found)


def test_should_never_run_markup_typed_in_the_search(page: Page, live_server: str):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    hostile = "<img src=x onerror=alert(1)>"
    page.goto(f"{live_server}/?q={hostile}&place=Paris+18e")
    expect(page.get_by_label("Besoin")).to_have_value(hostile)
    assert page.locator("img[src=x]").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []


def test_should_escape_hostile_names_from_the_data(tmp_path: Path):
    hostile = Structure(
        id="hostile-1",
        name="</script><script>alert('nom')</script><img src=x onerror=alert(2)>",
        kind="<b>Abri</b>",
        commune="Paris 18e",
        postcode="75018",
        department="75",
        lat=48.8925,
        lon=2.3487,
        services=[Service(id="hostile-1-s", name="Douche <script>alert(3)</script>", categories=["shower"])],
        sources=[Provenance(source="paris-bains-douches", source_record_id="X", licence="ODbL 1.0", data_date=date(2025, 9, 15))],
    )
    index = tmp_path / "directory.sqlite"
    EmbeddedBackend(index).bulk_load([hostile])
    with TestClient(create_app(Settings(index_path=index, reports_path=tmp_path / "r.sqlite"))) as client:
        for url in ("/?category=shower&place=Paris+18e", "/lieux/hostile-1"):
            html = client.get(url).text
            assert "hostile-1" in html
            assert "<script>alert" not in html and "<img src=x" not in html and "<b>Abri" not in html
            assert "&lt;script&gt;alert(&#39;nom&#39;)" in html  # shown as text
            # In the JSON block for the map, < and > are escaped: the block cannot be closed early.
            block = html.split('<script type="application/json" id="map-data">', 1)[1].split("</script>", 1)[0]
            assert json.loads(block)["markers"][0]["name"] == hostile.name
            assert "\\u003c/script\\u003e" in block


def test_should_weigh_under_150_kb_with_the_map_and_print_cleanly(browser: Browser, live_server: str):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        finished = []
        page.on("requestfinished", lambda request: finished.append(request))
        page.goto(f"{live_server}/?q=douche&place=Gare+du+Nord")
        page.locator(".leaflet-marker-icon").first.wait_for()
        page.wait_for_load_state("networkidle")
        assert page.locator("#map").is_visible()  # beside the list on a wide screen, without a click
        expect(page.locator(".leaflet-marker-icon")).to_have_count(page.locator("li.result").count())
        by_type: dict[str, int] = {}
        for request in finished:
            if not request.url.startswith(live_server):
                continue  # tiles (a dead port in tests) are not counted
            size = request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"]
            kind = request.resource_type
            by_type[kind] = by_type.get(kind, 0) + size
        total = sum(by_type.values())
        print(f"\npoids de la page de résultats (octets transférés, en-têtes compris) : {total} {by_type}")
        assert {"document", "stylesheet", "script"} <= set(by_type)
        assert by_type["script"] > 40_000  # Leaflet is counted
        assert total < PAGE_WEIGHT_LIMIT, by_type
        page.goto(f"{live_server}/?q=douche&place=Gare+du+Nord&size=6")
        page.locator(".leaflet-marker-icon").first.wait_for()
        screenshot(page, "search-desktop")
        page.emulate_media(media="print")
        assert not page.locator("#search-form").is_visible()
        assert not page.locator("#map-panel").is_visible()
        assert not page.get_by_role("button", name="Imprimer").is_visible()
        assert page.locator("li.result").first.is_visible()
        screenshot(page, "print")
    finally:
        context.close()


def test_should_not_load_leaflet_on_a_phone_until_the_map_is_opened(page: Page, live_server: str):
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(f"{live_server}/?q=douche&place=Gare+du+Nord")
    page.wait_for_load_state("networkidle")
    assert not any("leaflet" in request.url for request in finished)
    total = sum(r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"] for r in finished)
    print(f"\npoids sur téléphone, carte fermée : {total} octets")
    assert total < 30_000


def test_should_screenshot_the_phone_view(page: Page, live_server: str):
    page.goto(f"{live_server}/?q=douche&place=Gare+du+Nord&size=4")
    page.get_by_role("button", name="Afficher la carte").click()
    page.locator(".leaflet-marker-icon").first.wait_for()
    screenshot(page, "search-phone")


def test_should_open_on_the_results_after_a_search_on_a_phone(page: Page, live_server: str):
    # The form is taller than a phone's screen: the results used to start below it, out of sight.
    page.goto(f"{live_server}/?q=douche&place=Gare+du+Nord")
    page.wait_for_load_state("load")
    top = page.locator("#results-title").evaluate("el => el.getBoundingClientRect().top")
    assert -1 <= top < 200


def test_should_give_the_helpline_with_a_need_that_has_one(page: Page, live_server: str):
    # « femme battue aide »: the directory has no violence support place; the 3919 comes first, then
    # the places that can help, announced as such (the centre de santé sexuelle receives victims).
    page.goto(f"{live_server}/?q=femme+battue+aide&place=Versailles")
    line = page.locator(".remote a[href='tel:3919']")
    assert line.is_visible()
    notice = page.locator(".nearby-help")
    assert "Aucun lieu « Violences Sexistes et Sexuelles » connu dans ce rayon" in notice.inner_text()
    assert line.bounding_box()["y"] < notice.bounding_box()["y"] < page.locator("li.result").first.bounding_box()["y"]


def test_should_print_20_places_on_at_most_3_pages_with_the_date_and_criteria(browser: Browser, live_server: str):
    # Printing took 6 pages for 20 places, with neither the date nor the filters.
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{live_server}/?q=sante&place=Paris+18e&size=20&free=true")
        assert page.locator("li.result").count() == 20
        page.emulate_media(media="print")
        header = page.locator(".print-only")
        assert header.is_visible()
        assert re.search(r"Liste imprimée le \d\d/\d\d/\d{4} à \d\dh\d\d", header.inner_text())
        assert "Critères : gratuits" in header.inner_text()
        pdf = page.pdf(format="A4")
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        print(f"\nimpression de 20 lieux : {pages} pages A4")
        assert 1 <= pages <= 3
    finally:
        context.close()


def test_should_build_a_list_across_searches_kept_in_the_browser_only(page: Page, live_server: str, tmp_path: Path):
    page.goto(f"{live_server}/?q=douche&place=Gare+du+Nord")
    first = page.locator("li.result").first
    first_name = first.locator("h3 a").inner_text()
    first.get_by_role("button", name="Ajouter à ma liste").click()
    page.goto(f"{live_server}/?category=emergency_contraception&place=Montreuil")
    second = page.locator("li.result").first
    second_name = second.locator("h3 a").inner_text()
    second.get_by_role("button", name="Ajouter à ma liste").click()
    page.get_by_role("link", name="Ma liste (2)").click()
    expect(page.locator("li.result")).to_have_count(2)
    assert [n.inner_text() for n in page.locator("li.result h3 a").all()] == [first_name, second_name]
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en CSV").click()
    path = tmp_path / "liste.csv"
    download.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert [row[0] for row in rows[1:]] == [first_name, second_name]
    page.locator("li.result").first.get_by_role("button", name="Retirer de ma liste").click()
    expect(page.locator("li.result")).to_have_count(1)
    assert page.evaluate("JSON.parse(localStorage.getItem('liste.v1')).length") == 1
    violations = axe_violations(page)
    assert not violations, describe(violations)
