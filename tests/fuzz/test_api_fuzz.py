"""The API fuzzed from its own OpenAPI document (schemathesis): every operation, valid and invalid
inputs, against the real server. No 5xx, ever; every 4xx in French, and a 422 names its field.

`make test` runs FUZZ_EXAMPLES=25 per operation (about 600 requests); `scripts/fuzz_api.sh` runs the
long version (200 per operation, over 4 000 requests) and writes the figures to docs/reliability.md.
"""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from directory_api.api.app import create_app
from directory_api.settings import Settings
from tests.servers import start_api

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
ENGINE = os.environ.get("FUZZ_ENGINE", "embedded")  # `scripts/fuzz_api.sh` also runs it on Elasticsearch
SCHEMA = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
STATUSES: Counter[int] = Counter()  # every response, for the summary line
FRENCH_HINTS = ("é", "è", "à", "ç", "ê", "Paramètres", "introuvable", "Aucun", "lieu", "autorisée", "trop")


@pytest.fixture(scope="module")
def api(tmp_path_factory, request):
    # A high report limit: the fuzzer must meet the validation, not the rate limit, of the report form.
    tmp = tmp_path_factory.mktemp("fuzz")
    env = {"REPORTS_RATE_LIMIT": "100000", "REPORTS_PATH": str(tmp / "reports.sqlite")}
    if ENGINE == "elasticsearch":
        # A generous timeout: this run looks for mishandled input, and a busy machine must not turn into
        # 503s (the outage answers are measured in tests/test_elasticsearch_faults.py).
        env |= {"SEARCH_BACKEND": "elasticsearch", "ELASTICSEARCH_INDEX": "fuzz", "ELASTICSEARCH_TIMEOUT_S": "10",
                "ELASTICSEARCH_URL": request.getfixturevalue("elasticsearch_url")}
    process, base, log = start_api(tmp, env)
    yield base, log
    process.terminate()
    process.wait(timeout=10)
    print(f"\nfuzz ({ENGINE}) : {sum(STATUSES.values())} requêtes, statuts {dict(sorted(STATUSES.items()))}")


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_without_a_server_error(case, api):
    base, log = api
    response = case.call(base_url=base, timeout=30)
    STATUSES[response.status_code] += 1
    assert response.status_code < 500, f"{case.method} {case.formatted_path} → {response.status_code}\n{response.text[:500]}"
    content_type = (response.headers.get("content-type") or [""])[0]  # schemathesis: lists of values
    if 400 <= response.status_code < 500 and content_type.startswith("application/json"):
        body = json.loads(response.text)
        detail = body.get("detail")
        assert isinstance(detail, str) and any(hint in detail for hint in FRENCH_HINTS), body
        if response.status_code == 422:
            assert body["errors"] and all(e["field"] and e["message"] for e in body["errors"]), body
