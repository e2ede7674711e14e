"""Real servers for the assistant's tests: the directory API (embedded engine, built index), the action
server and the Rasa server with the trained model, each on a free loopback port, logs kept to check them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

BOT_DIR = Path(__file__).resolve().parents[1]
REPO = BOT_DIR.parent
MODEL = BOT_DIR / "models" / "assistant.tar.gz"
DIRECTORY_CLI = REPO / ".venv" / "bin" / "directory"
RASA_START_TIMEOUT_S = 240  # loading TensorFlow and the model takes 60 to 100 s on 2 cores


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(url: str, timeout_s: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not up after {timeout_s} s:\n{log.read_text(errors='replace')[-3000:]}")


class Server:
    def __init__(self, name: str, command: list[str], cwd: Path, env: dict[str, str], ready_path: str, port: int,
                 logs: Path, timeout_s: float = 60) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log = logs / f"{name}.log"
        self._file = self.log.open("wb")
        self.process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdout=self._file, stderr=subprocess.STDOUT)
        wait_until(self.url + ready_path, timeout_s, self.process, self.log)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._file.close()


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def directory_api(tmp_path_factory, server_logs) -> Iterator[Server]:
    port = free_port()
    index = tmp_path_factory.mktemp("index") / "directory.sqlite"
    server = Server(
        "directory-api", [str(DIRECTORY_CLI), "serve", "--ensure-index", "--port", str(port)], REPO,
        {"INDEX_PATH": str(index), "SEARCH_BACKEND": "embedded"}, "/health", port, server_logs, timeout_s=120,
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def directory_env(directory_api) -> Iterator[str]:
    """Points the actions (run in this process) at the test API."""
    previous = os.environ.get("DIRECTORY_API_URL")
    os.environ["DIRECTORY_API_URL"] = directory_api.url
    yield directory_api.url
    if previous is None:
        os.environ.pop("DIRECTORY_API_URL", None)
    else:
        os.environ["DIRECTORY_API_URL"] = previous


@pytest.fixture(scope="session")
def action_server(directory_api, server_logs) -> Iterator[Server]:
    port = free_port()
    server = Server(
        "actions", [sys.executable, "serve_actions.py"], BOT_DIR,
        {"DIRECTORY_API_URL": directory_api.url, "ACTIONS_PORT": str(port), "ACTIONS_LOG_LEVEL": "INFO"},
        "/health", port, server_logs,
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def rasa_server(action_server, server_logs) -> Iterator[Server]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make bot-model`")
    port = free_port()
    rasa = str(Path(sys.executable).with_name("rasa"))
    server = Server(
        "rasa",
        [rasa, "run", "-i", "127.0.0.1", "-p", str(port), "--model", str(MODEL), "--credentials", "credentials.yml",
         "--endpoints", "endpoints.yml"],
        BOT_DIR,
        {"ACTION_ENDPOINT_URL": action_server.url + "/webhook", "RASA_TELEMETRY_ENABLED": "false"},
        "/", port, server_logs, timeout_s=RASA_START_TIMEOUT_S,
    )
    yield server
    server.stop()
