"""Real servers for the assistant's tests (see local_servers.py), started once per session; their logs
are kept to check that no message text is written."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_servers import Server, start_action_server, start_directory_api, start_rasa_server


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def directory_api(tmp_path_factory, server_logs) -> Iterator[Server]:
    server = start_directory_api(tmp_path_factory.mktemp("index") / "directory.sqlite", server_logs)
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
    server = start_action_server(directory_api.url, server_logs)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def rasa_server(action_server, server_logs) -> Iterator[Server]:
    try:
        server = start_rasa_server(action_server.url, server_logs)
    except RuntimeError as error:
        pytest.fail(str(error))
    yield server
    server.stop()
