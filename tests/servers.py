"""Real servers for the tests: `directory serve` (uvicorn) on a free loopback port with its own index."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_api(tmp: Path, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, Path]:
    """`directory serve` on a free port with the index in `tmp` (built if missing); returns the process,
    its base URL and its log file."""
    index = tmp / "directory.sqlite"
    env = {**os.environ, "INDEX_PATH": str(index), **(extra_env or {})}
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
