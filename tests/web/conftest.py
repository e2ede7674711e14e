"""Browser tests: the real server (uvicorn, embedded index) driven by Playwright in Debian's Chromium.

Playwright never downloads a browser here: it launches /usr/bin/chromium (installed by `make tools`) with
the flags this closed network needs. Screenshots of the main screens go to docs/screenshots/.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests import servers
from tests.servers import free_port

REPO = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = REPO / "docs" / "screenshots"
AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Tiles from a port where nothing listens: the page must stay usable without them (and no test reaches
# the internet). The map itself still draws its markers.
NO_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"


def start_api(tmp: Path, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, Path]:
    """The real server (tests/servers.py), its map tiles pointed at a dead port."""
    return servers.start_api(tmp, {"TILES_URL": NO_TILES, **(extra_env or {})})


@pytest.fixture(scope="session")
def web_tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("web")


@pytest.fixture(scope="session")
def live_server(web_tmp: Path) -> Iterator[str]:
    """The API and its pages, as `make run` serves them (embedded engine, real data)."""
    process, base, _ = start_api(web_tmp)
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium introuvable : {CHROMIUM} (make tools l'installe depuis Debian)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A phone-sized French context; downloads accepted."""
    created = browser.new_context(
        locale="fr-FR", viewport={"width": 412, "height": 860}, accept_downloads=True, timezone_id="Europe/Paris"
    )
    yield created
    created.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that fails the test on any JavaScript error or CSP violation it reports."""
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(f"erreur JavaScript : {exc}"))
    opened.on(
        "console",
        lambda msg: errors.append(f"console : {msg.text}")
        if msg.type == "error" and "Content Security Policy" in msg.text
        else None,
    )
    yield opened
    assert not errors, errors


def axe_violations(page: Page, tags: tuple[str, ...] = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")) -> list[dict]:
    """Runs axe-core (from npm) in the page: evaluated through the DevTools protocol, so the page's CSP,
    which forbids injected scripts, stays on."""
    if not AXE.exists():
        pytest.fail(f"axe-core introuvable : {AXE} (make web-assets l'installe depuis npm)")
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", list(tags))
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def screenshot(page: Page, name: str, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def describe(violations: list[dict]) -> str:
    return json.dumps(violations, ensure_ascii=False, indent=1)





# -- The chat (tests/web/test_chat*.py) -------------------------------------------------------------------
class FakeAssistant:
    """A stand-in for the Rasa REST channel: records every request it gets and answers with `reply`
    (message text → (status, JSON body, delay in seconds)). Runs in a thread of the test process."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        fake = self
        self.requests: list[dict] = []
        self.reply = self.default_reply

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> dict:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                entry = {"method": self.command, "path": self.path, "body": body}
                fake.requests.append(entry)
                return entry

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                entry = self._record()
                message = entry["body"].get("message", "") if isinstance(entry["body"], dict) else ""
                status, body, delay = fake.reply(message)
                time.sleep(delay)
                data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
                try:
                    self.send_response(status)
                    if status in (301, 302, 307, 308):
                        self.send_header("Location", fake.elsewhere + "/webhooks/rest/webhook")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the proxy gave up waiting

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.elsewhere = "http://127.0.0.1:9"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def default_reply(message: str) -> tuple[int, object, float]:
        return 200, [{"recipient_id": "x", "text": "Où êtes-vous ?"}], 0.0

    def reset(self) -> None:
        self.requests.clear()
        self.reply = self.default_reply

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def fake_assistant_server() -> Iterator[FakeAssistant]:
    fake = FakeAssistant()
    yield fake
    fake.close()


@pytest.fixture
def fake_assistant(fake_assistant_server: FakeAssistant) -> Iterator[FakeAssistant]:
    fake_assistant_server.reset()
    yield fake_assistant_server
    fake_assistant_server.reset()


@pytest.fixture(scope="session")
def chat_server(web_tmp: Path, fake_assistant_server: FakeAssistant) -> Iterator[tuple[str, Path]]:
    """The API and its pages, its chat proxy pointed at the fake assistant (2 s timeout); and its log."""
    process, base, log = start_api(
        web_tmp, {"ASSISTANT_URL": fake_assistant_server.url, "ASSISTANT_TIMEOUT_S": "2"}
    )
    yield base, log
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def dead_assistant_server(web_tmp: Path) -> Iterator[str]:
    """The API and its pages, its chat proxy pointed at a port where nothing listens."""
    process, base, _ = start_api(web_tmp, {"ASSISTANT_URL": f"http://127.0.0.1:{free_port()}"})
    yield base
    process.terminate()
    process.wait(timeout=10)
