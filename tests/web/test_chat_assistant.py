"""The chat page with the real assistant: the directory API and its pages, the action server (calling that
same API) and the Rasa server with the trained model, all on free loopback ports; a phone-sized Chromium
types as a person would. Run by `make test-bot` (marker `assistant`), after `make bot-model`. It fails,
never skips, when the assistant cannot start. Rasa takes 60 to 105 s to load on 2 cores."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import REPO, axe_violations, describe, screenshot, start_api

pytestmark = pytest.mark.assistant

BOT_DIR = REPO / "bot"
BOT_PYTHON = BOT_DIR / ".venv" / "bin" / "python"
RASA = BOT_DIR / ".venv" / "bin" / "rasa"
MODEL = BOT_DIR / "models" / "assistant.tar.gz"
SECRET = "Zorglubienne"
# Measured: 60 to 105 s alone, 192 s while other tests shared the 2 cores; beyond this, a real failure.
RASA_START_TIMEOUT_S = 420


def local_servers() -> ModuleType:
    """bot/local_servers.py (it needs only httpx): its port and readiness helpers, from this venv."""
    spec = importlib.util.spec_from_file_location("bot_local_servers", BOT_DIR / "local_servers.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Started:
    def __init__(self) -> None:
        self.processes: list[tuple[subprocess.Popen, object]] = []

    def start(self, servers: ModuleType, name: str, command: list[str], env: dict[str, str], ready: str, port: int,
              logs: Path, timeout_s: float) -> Path:
        log = logs / f"{name}.log"
        out = log.open("wb")
        process = subprocess.Popen(command, cwd=BOT_DIR, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append((process, out))
        servers.wait_until(f"http://127.0.0.1:{port}{ready}", timeout_s, process, log)
        return log

    def stop(self) -> None:
        for process, out in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            out.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def assistant_site(web_tmp: Path, tmp_path_factory) -> Iterator[dict]:
    for needed in (BOT_PYTHON, RASA, MODEL):
        if not needed.exists():
            pytest.fail(f"assistant introuvable : {needed} (make bot-model l'installe et l'entraîne)")
    servers = local_servers()
    logs = tmp_path_factory.mktemp("assistant-logs")
    rasa_port, actions_port = servers.free_port(), servers.free_port()
    started = Started()
    web = None
    try:
        # The web server first: its chat proxy points at the Rasa port chosen above, and the actions
        # search the directory through this same server.
        web, base, web_log = start_api(
            web_tmp, {"ASSISTANT_URL": f"http://127.0.0.1:{rasa_port}", "ASSISTANT_TIMEOUT_S": "30"}
        )
        started.start(
            servers, "actions", [str(BOT_PYTHON), "serve_actions.py"],
            {"DIRECTORY_API_URL": base, "ACTIONS_PORT": str(actions_port), "ACTIONS_LOG_LEVEL": "INFO"},
            "/health", actions_port, logs, timeout_s=60,
        )
        endpoints = logs / "endpoints.yml"
        endpoints.write_text(servers.default_endpoints(f"http://127.0.0.1:{actions_port}"), encoding="utf-8")
        loading = time.monotonic()
        started.start(
            servers, "rasa",
            [str(RASA), "run", "-i", "127.0.0.1", "-p", str(rasa_port), "--model", str(MODEL),
             "--credentials", "credentials.yml", "--endpoints", str(endpoints)],
            {"RASA_TELEMETRY_ENABLED": "false"}, "/", rasa_port, logs,
            timeout_s=max(servers.RASA_START_TIMEOUT_S, RASA_START_TIMEOUT_S),
        )
        load_s = time.monotonic() - loading
        # Warm-up through the proxy (the first reply loads the pipeline's lazy parts).
        warm = httpx.post(f"{base}/chat/messages", json={"sender": "warm-up-0001", "message": "bonjour"}, timeout=60)
        assert warm.status_code == 200, warm.text
    except (RuntimeError, AssertionError, httpx.HTTPError) as error:
        started.stop()
        if web is not None:
            web.terminate()
            web.wait(timeout=10)
        pytest.fail(f"l'assistant n'a pas démarré : {error}")
    print(f"\nRasa loaded in {load_s:.0f} s")
    yield {"base": base, "logs": [web_log, *logs.glob("*.log")], "load_s": load_s}
    started.stop()
    web.terminate()
    web.wait(timeout=10)


def say(page: Page, text: str) -> None:
    page.get_by_label("Votre message").fill(text)
    page.get_by_role("button", name="Envoyer").click()


def reply(page: Page, index: int):
    """The bot's reply number `index` (0 is the greeting written in the page), once it is there."""
    replies = page.locator("#chat-log > li.msg-bot")
    expect(replies).to_have_count(index + 1, timeout=60_000)
    return replies.nth(index)


def test_should_answer_a_need_then_a_place_with_service_cards_and_a_map(page: Page, assistant_site):
    base = assistant_site["base"]
    page.goto(f"{base}/chat")
    say(page, "slt jcherche une douche stp")
    expect(reply(page, 1)).to_contain_text("Où êtes-vous")
    screenshot(page, "chat-phone")
    say(page, "Gare du Nord")
    answer = reply(page, 2)
    cards = answer.locator(".card")
    expect(cards.first).to_be_visible(timeout=60_000)
    assert 1 <= cards.count() <= 3
    for i in range(cards.count()):
        link = cards.nth(i).locator(".card-name a")
        assert link.inner_text().strip().split(". ", 1)[1]
        assert link.get_attribute("href").startswith("/lieux/")
        expect(cards.nth(i).locator(".card-opening")).not_to_be_empty()
        expect(cards.nth(i).locator(".card-date")).to_contain_text("Données du ")
    expect(answer.locator(".mini-map .leaflet-marker-icon")).to_have_count(cards.count())
    # The reply ends with the cards and their map (then, at most, the quick replies).
    kinds = answer.evaluate("li => Array.from(li.children).map(c => c.classList[0] || c.tagName)")
    assert kinds.index("cards") > max(i for i, k in enumerate(kinds) if k in ("P", "calls")), kinds
    assert all(k in ("cards", "mini-map", "map-legend", "quick-replies") for k in kinds[kinds.index("cards"):]), kinds
    expect(answer).to_contain_text("douche")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    screenshot(page, "chat-cards")
    more = answer.get_by_role("button", name="Plus de résultats")
    if more.count():
        more.click()
        expect(reply(page, 3).locator(".card").first).to_be_visible(timeout=60_000)


def test_should_put_the_safety_numbers_first(page: Page, assistant_site):
    page.goto(f"{assistant_site['base']}/chat")
    say(page, "j'ai envie de mourir")
    answer = reply(page, 1)
    expect(answer.locator("p").first).to_contain_text("3114")
    assert answer.locator(".calls a").first.get_attribute("href") == "tel:3114"
    say(page, "je cherche un endroit pour dormir")
    reply(page, 2)
    say(page, "mon copain me frappe j'ai peur")
    answer = reply(page, 3)
    first = answer.locator("p").first.inner_text()
    assert "17" in first and "3919" in first, first
    hrefs = [answer.locator(".calls a").nth(i).get_attribute("href") for i in range(answer.locator(".calls a").count())]
    assert "tel:17" in hrefs and "tel:3919" in hrefs
    answer.scroll_into_view_if_needed()
    screenshot(page, "chat-crisis", full_page=False)


def test_should_put_the_firefighters_first_for_a_fire(page: Page, assistant_site):
    page.goto(f"{assistant_site['base']}/chat")
    say(page, "ils ont mis le feu a ma tente jai le bras tout brule")
    answer = reply(page, 1)
    first = answer.locator("p").first.inner_text()
    assert first.startswith("Appelez le 18 (pompiers)"), first  # it once answered nothing at all
    assert answer.locator(".calls a").first.get_attribute("href") == "tel:18"
    answer.scroll_into_view_if_needed()
    screenshot(page, "chat-crisis-fire", full_page=False)


def test_should_search_around_the_browser_position(browser: Browser, assistant_site):
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 412, "height": 860}, permissions=["geolocation"],
        geolocation={"latitude": 48.8566, "longitude": 2.3522},
    )
    try:
        page = context.new_page()
        page.goto(f"{assistant_site['base']}/chat")
        say(page, "besoin de toilettes")
        reply(page, 1)
        page.get_by_role("button", name="Me localiser").click()
        answer = reply(page, 2)
        expect(answer).to_contain_text("votre position")
        expect(answer.locator(".card").first).to_be_visible()
        expect(answer.locator(".card-distance").first).to_contain_text("À ")
        say(page, f"merci, c'est pour {SECRET}")  # checked in the servers' logs below
        reply(page, 3)
    finally:
        context.close()


def test_should_not_log_what_people_write(assistant_site):
    """Runs last in this module: the conversations above wrote the secret name."""
    for log in assistant_site["logs"]:
        assert SECRET not in Path(log).read_text(errors="replace"), log
