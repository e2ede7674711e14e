"""The shared frame of every page: French, emergency numbers one tap away, security headers, quick exit."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page


def test_should_send_security_headers_without_unsafe_inline(live_server: str):
    response = httpx.get(f"{live_server}/static/base.css")
    page = httpx.get(f"{live_server}/health")
    for headers in (response.headers, page.headers):
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]


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
