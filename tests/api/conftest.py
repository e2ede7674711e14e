from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from directory_api.api.app import create_app
from directory_api.importer import read_structures
from directory_api.search.embedded import EmbeddedBackend
from directory_api.settings import Settings


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    index = tmp_path_factory.mktemp("api") / "directory.sqlite"
    settings = Settings(index_path=index)
    EmbeddedBackend(index).bulk_load(read_structures(settings.data_dir / "structures"))
    return settings


@pytest.fixture(scope="session")
def client(settings) -> TestClient:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client
