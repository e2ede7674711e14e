from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from directory_api.api.app import create_app
from directory_api.importer import read_structures
from directory_api.search.embedded import EmbeddedBackend
from directory_api.settings import Settings


@pytest.fixture(scope="session")
def embedded_settings(tmp_path_factory) -> Settings:
    index = tmp_path_factory.mktemp("api") / "directory.sqlite"
    settings = Settings(index_path=index)
    EmbeddedBackend(index).bulk_load(read_structures(settings.data_dir / "structures"))
    return settings


@pytest.fixture(scope="session")
def elasticsearch_settings(elasticsearch_url) -> Settings:
    from directory_api.search.elastic import ElasticsearchBackend

    alias = f"test-api-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        search_backend="elasticsearch", elasticsearch_url=elasticsearch_url, elasticsearch_index=alias,
        elasticsearch_timeout_s=10,
    )
    backend = ElasticsearchBackend(elasticsearch_url, alias, timeout_s=60)
    backend.bulk_load(read_structures(settings.data_dir / "structures"))
    yield settings
    backend.client.indices.delete(index=f"{alias}-*", ignore_unavailable=True)
    backend.close()


@pytest.fixture(scope="session", params=["embedded", "elasticsearch"])
def settings(request) -> Settings:
    return request.getfixturevalue(f"{request.param}_settings")


@pytest.fixture(scope="session")
def client(settings) -> TestClient:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client
