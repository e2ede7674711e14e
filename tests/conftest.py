from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
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
