"""The index is built when missing or when the data changed, and only then."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from directory_api.search.embedded import EmbeddedBackend
from directory_api.search.indexing import data_fingerprint, ensure_index

DATA = Path(__file__).resolve().parent.parent.parent / "data"


@pytest.fixture
def data_dir(tmp_path) -> Path:
    (tmp_path / "structures").mkdir()
    for name in ("paris-bains-douches.jsonl", "casvp-restaurants-solidaires.jsonl"):
        shutil.copy(DATA / "structures" / name, tmp_path / "structures" / name)
    shutil.copy(DATA / "taxonomy.yml", tmp_path / "taxonomy.yml")
    return tmp_path


@pytest.fixture(params=["embedded", "elasticsearch"])
def backend(request, tmp_path):
    if request.param == "embedded":
        yield EmbeddedBackend(tmp_path / "index.sqlite")
        return
    from directory_api.search.elastic import ElasticsearchBackend

    engine = ElasticsearchBackend(request.getfixturevalue("elasticsearch_url"), f"test-indexing-{uuid.uuid4().hex[:8]}", timeout_s=30)
    yield engine
    engine.client.indices.delete(index=f"{engine.alias}-*", ignore_unavailable=True)


def test_should_build_once_then_only_when_the_data_changes(backend, data_dir):
    assert backend.indexed_fingerprint() is None
    assert ensure_index(backend, data_dir) is True
    assert backend.count() == 17 + 42
    assert ensure_index(backend, data_dir) is False

    (data_dir / "structures" / "casvp-restaurants-solidaires.jsonl").unlink()
    assert ensure_index(backend, data_dir) is True
    assert backend.count() == 17
    assert backend.indexed_fingerprint() == data_fingerprint(data_dir)
