"""The real server, as `make run` starts it: uvicorn on a free port, over HTTP, with the built index."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    index = tmp_path_factory.mktemp("server") / "directory.sqlite"
    env = {**os.environ, "INDEX_PATH": str(index)}
    directory = [sys.executable, "-m", "directory_api.cli"]
    subprocess.run([*directory, "build-index"], cwd=REPO, env=env, check=True, capture_output=True)
    port = free_port()
    log = tmp_path_factory.mktemp("logs") / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [*directory, "serve", "--port", str(port)], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            process.kill()
            pytest.fail(f"le serveur n'a pas démarré : {log.read_text()}")
        yield base, log
        process.terminate()
        process.wait(timeout=10)


def test_should_serve_health_over_http(server):
    base, _ = server
    body = httpx.get(f"{base}/health").json()
    assert body == {"status": "ok", "backend": "embedded", "engine": "up", "structures": body["structures"], "sources": body["sources"]}
    assert body["sources"]["paris-sanisettes"]["fetch"] == "never"  # staged copy, no directory fetch here
    assert body["structures"] > 10_000


def test_should_answer_a_search_over_http(server):
    base, _ = server
    body = httpx.get(f"{base}/structures", params={"q": "douche", "place": "Paris 10e"}).json()
    assert body["total"] > 0


def test_should_not_log_what_people_search_for(server):
    base, log = server
    secret = "violencesconjugalesxyz"
    httpx.get(f"{base}/structures", params={"q": f"avortement {secret}", "place": "Bobigny"})
    httpx.get(f"{base}/places", params={"q": secret})
    time.sleep(0.3)
    text = log.read_text()
    assert secret not in text
    assert "avortement" not in text
