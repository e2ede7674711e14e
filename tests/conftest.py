from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# The suite sends thousands of requests a minute from one address: the per-client limits are off for it
# (reports keep theirs), and on in the tests that measure them (tests/test_hardening.py).
os.environ.setdefault("RATE_LIMITS_ENABLED", "false")
DATASETS_DIR = Path(os.environ.get("DATASETS_DIR", REPO_ROOT.parent / "shared" / "datasets"))


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    if not DATASETS_DIR.is_dir():
        pytest.fail(f"jeux de données introuvables : {DATASETS_DIR} (définir DATASETS_DIR)")
    return DATASETS_DIR


@pytest.fixture(scope="session")
def import_context(datasets_dir: Path):
    from directory_api.geography.communes import CommuneIndex
    from directory_api.sources.base import ImportContext

    return ImportContext(datasets_dir=datasets_dir, communes=CommuneIndex.from_shared(datasets_dir / "communes-idf"))


ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200")


def _elasticsearch_healthy(url: str) -> bool:
    import httpx

    try:
        status = httpx.get(f"{url}/_cluster/health", timeout=2).json().get("status")
    except (httpx.HTTPError, ValueError):
        return False
    return status in ("green", "yellow")


@pytest.fixture(scope="session")
def elasticsearch_url() -> str:
    """A real Elasticsearch 8: the one at ELASTICSEARCH_URL if it answers, else one started by
    `scripts/elasticsearch.sh` (downloaded from Maven Central) and stopped at the end."""
    import subprocess

    started = False
    if not _elasticsearch_healthy(ELASTICSEARCH_URL):
        port = ELASTICSEARCH_URL.rsplit(":", 1)[-1].strip("/")
        subprocess.run(
            ["bash", str(REPO_ROOT / "scripts" / "elasticsearch.sh"), "start"],
            check=True,
            env={**os.environ, "ES_PORT": port},
        )
        started = True
    yield ELASTICSEARCH_URL
    if started:  # the instance on that port, not the default one
        subprocess.run(["bash", str(REPO_ROOT / "scripts" / "elasticsearch.sh"), "stop"], check=False,
                       env={**os.environ, "ES_PORT": port})
