"""Browser tests: the real server (uvicorn, embedded index) driven by Playwright in Debian's Chromium.

Playwright never downloads a browser here: it launches /usr/bin/chromium (installed by `make tools`) with
the flags this closed network needs. Screenshots of the main screens go to docs/screenshots/.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_api(tmp: Path, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, Path]:
    """`directory serve` on a free port with its own index; returns the process, base URL and log."""
    index = tmp / "directory.sqlite"
    env = {**os.environ, "INDEX_PATH": str(index), "TILES_URL": NO_TILES, **(extra_env or {})}
    directory = [sys.executable, "-m", "directory_api.cli"]
    if not index.exists():
        subprocess.run([*directory, "build-index"], cwd=REPO, env=env, check=True, capture_output=True)
    port = free_port()
    log = tmp / f"api-{port}.log"
    process = subprocess.Popen(
        [*directory, "serve", "--port", str(port)], cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base, log
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"le serveur n'a pas démarré : {log.read_text()}")


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



