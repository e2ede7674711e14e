"""The shared frame of every page: French, emergency numbers one tap away, security headers, quick exit."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import Page

from tests.servers import REPO

EVERY_KIND_OF_RESPONSE = [
    "/", "/?q=douche&place=Paris+18e", "/chat", "/sources", "/lieux/bains-douches-BD1", "/lieux/inconnu",
    "/static/base.css", "/static/vendor/leaflet/leaflet.js", "/health", "/structures?q=douche",
    "/structures/bains-douches-BD1", "/structures.csv?q=douche", "/places?q=paris", "/categories",
    "/?radius_km=abc", "/structures?radius_km=abc",
]  # fmt: skip


@pytest.mark.parametrize("path", EVERY_KIND_OF_RESPONSE)
def test_should_send_security_headers_without_unsafe_inline(live_server: str, path: str):
    headers = httpx.get(f"{live_server}{path}").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    if headers["content-type"].startswith("text/html"):
        assert "script-src 'self'" in policy and "object-src 'none'" in policy


def test_should_leave_at_once_for_a_neutral_site_and_forget_the_history(page: Page, live_server: str):
    neutral = []
    page.route("https://www.meteo.fr/**", lambda route: (neutral.append(route.request.url), route.fulfill(body="<html lang='fr'><title>Météo</title></html>", content_type="text/html")))
    page.goto(f"{live_server}/sources")
    page.evaluate("sessionStorage.setItem('trace', 'x')")
    page.get_by_role("link", name="Quitter rapidement").click()
    page.wait_for_url("https://www.meteo.fr/**")
    assert neutral
    page.go_back()
    # replace(): the page we left is not in the history any more.
    assert not page.url.startswith(live_server)


def test_should_credit_every_source_and_count_places_as_served(live_server: str):
    page = httpx.get(f"{live_server}/sources").text
    served = httpx.get(f"{live_server}/health").json()
    report = json.loads((REPO / "data" / "structures" / "import-report.json").read_text(encoding="utf-8"))
    assert f"réunit {served['structures']} lieux" in page  # after the merge, as searched
    for entry in report["sources"].values():
        assert entry["title"].replace("'", "&#39;") in page and entry["licence"] in page
