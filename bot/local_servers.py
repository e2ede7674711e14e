"""Starts the assistant's servers on free loopback ports, for the tests and the benchmark: the directory
API (embedded engine), the action server and the Rasa server with the trained model; for the scale-out
tests, a Redis server (no persistence) and Rasa servers sharing it (endpoints.scale.yml)."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BOT_DIR = Path(__file__).resolve().parent
REPO = BOT_DIR.parent
MODEL = BOT_DIR / "models" / "assistant.tar.gz"
DIRECTORY_CLI = REPO / ".venv" / "bin" / "directory"
DEFAULT_ACTIONS_URL = "http://127.0.0.1:5055/webhook"  # as named in endpoints.yml
# The directory's key, shared by the API and the actions these servers run (and the in-process actions
# of the tests): the assistant's searches are not limited per client, as in a deployment.
os.environ.setdefault("DIRECTORY_API_TOKEN", secrets.token_urlsafe(32))
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
    """A server process, its log in `logs`/`name`.log; `wait=False` returns at once (call `wait_ready`),
    to start several slow servers side by side."""

    def __init__(self, name: str, command: list[str], cwd: Path, env: dict[str, str], ready_path: str, port: int,
                 logs: Path, timeout_s: float = 60, wait: bool = True) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.port = port
        self.log = logs / f"{name}.log"
        self._ready_url = self.url + ready_path
        self._timeout_s = timeout_s
        self._file = self.log.open("wb")
        self.process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdout=self._file, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        try:
            wait_until(self._ready_url, self._timeout_s, self.process, self.log)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._file.close()


def start_directory_api(index: Path, logs: Path) -> Server:
    port = free_port()
    return Server(
        "directory-api", [str(DIRECTORY_CLI), "serve", "--ensure-index", "--port", str(port)], REPO,
        {"INDEX_PATH": str(index), "SEARCH_BACKEND": "embedded"}, "/health", port, logs, timeout_s=120,
    )


def start_action_server(directory_url: str, logs: Path) -> Server:
    port = free_port()
    return Server(
        "actions", [sys.executable, "serve_actions.py"], BOT_DIR,
        {"DIRECTORY_API_URL": directory_url, "ACTIONS_PORT": str(port), "ACTIONS_LOG_LEVEL": "INFO"},
        "/health", port, logs,
    )


def default_endpoints(actions_url: str) -> str:
    """bot/endpoints.yml as `make run` uses it (tracker store included), pointed at this action server."""
    text = (BOT_DIR / "endpoints.yml").read_text(encoding="utf-8")
    assert DEFAULT_ACTIONS_URL in text, "endpoints.yml no longer names the action server's default URL"
    return text.replace(DEFAULT_ACTIONS_URL, f"{actions_url}/webhook")


def start_rasa_server(actions_url: str, logs: Path, model: Path = MODEL, *, name: str = "rasa",
                      endpoints: Path | None = None, env: dict[str, str] | None = None, wait: bool = True,
                      timeout_s: float = RASA_START_TIMEOUT_S, extra_args: list[str] | None = None) -> Server:
    """By default, endpoints.yml pointed at this action server (in memory); or the given endpoints file
    (e.g. endpoints.scale.yml, whose ${VARIABLES} come from `env`)."""
    if not model.exists():
        raise RuntimeError(f"no trained model at {model}: run `make bot-model`")
    port = free_port()
    rasa = str(Path(sys.executable).with_name("rasa"))
    if endpoints is None:
        endpoints = logs / "endpoints.yml"
        endpoints.write_text(default_endpoints(actions_url), encoding="utf-8")
    return Server(
        name,
        [rasa, "run", "-i", "127.0.0.1", "-p", str(port), "--model", str(model), "--credentials", "credentials.yml",
         "--endpoints", str(endpoints), *(extra_args or [])],
        BOT_DIR,
        {"RASA_TELEMETRY_ENABLED": "false", **(env or {})},
        "/", port, logs, timeout_s=timeout_s, wait=wait,
    )


class RedisServer:
    """Debian's redis-server on a free loopback port, with a password as deployed (docker-compose.yml): no
    persistence (nothing written to disk), no configuration file; stopped with the tests."""

    def __init__(self, logs: Path, timeout_s: float = 20) -> None:
        import redis  # in bot/.venv (a Rasa dependency)

        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server missing: `make tools` installs it (Debian package redis-server)")
        self.host, self.port = "127.0.0.1", free_port()
        self.password = secrets.token_urlsafe(24)
        self.log = logs / "redis.log"
        self._file = self.log.open("wb")
        self.process = subprocess.Popen(
            [binary, "--bind", self.host, "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(logs), "--protected-mode", "yes", "--requirepass", self.password],
            stdout=self._file, stderr=subprocess.STDOUT,
        )
        self.client = redis.Redis(host=self.host, port=self.port, password=self.password, decode_responses=True)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if self.client.ping():
                    return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"redis-server not up:\n{self.log.read_text(errors='replace')[-2000:]}") from None
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._file.close()
