"""The API contract is a file: an accidental change of a path, parameter or field fails here.
After an intended change, run `make schema` and commit docs/openapi.json."""

from __future__ import annotations

import json
from pathlib import Path

from directory_api.api.app import create_app

SNAPSHOT = Path(__file__).resolve().parent.parent.parent / "docs" / "openapi.json"


def test_should_match_the_committed_openapi_document():
    current = json.loads(json.dumps(create_app().openapi(), sort_keys=True))
    assert current == json.loads(SNAPSHOT.read_text(encoding="utf-8"))
