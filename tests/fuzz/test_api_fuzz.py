"""The API fuzzed against the real server. No 5xx, ever; every 4xx in French, and a 422 names its field.

Two generators:
- schemathesis, from the API's own OpenAPI document: every operation, valid and invalid inputs, with
  dates drawn from the whole calendar (years 1 to 9999, the published bounds, DST gaps) rather than
  only the plausible ones;
- hypothesis, on every GET route, API and pages alike: hostile query strings the schema does not
  describe, a parameter repeated up to 2,000 times, extreme dates, numbers and strings.

`make test` runs FUZZ_EXAMPLES=25 per operation and route (about 900 requests); `scripts/fuzz_api.sh`
runs 200 per operation and route on each engine (over 5,000 requests each), figures in
docs/reliability.md.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import date, datetime
from urllib.parse import urlencode

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory_api.api.app import create_app
from directory_api.settings import Settings
from tests.servers import start_api

MAX_QUERY_CHARS = 60_000  # httpx refuses a URL component over 64 kB
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
ENGINE = os.environ.get("FUZZ_ENGINE", "embedded")  # `scripts/fuzz_api.sh` also runs it on Elasticsearch
# Dates at the edges: the published bounds (2000–2100), the calendar's ends, a leap day, the Paris
# DST gap and fold, and any instant of years 1 to 9999 with any offset.
EDGE_DATETIMES = (
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "1999-12-31T23:59",
    "2000-01-01T00:00",
    "2100-12-31T23:59",
    "2101-01-01T00:00",
    "2028-02-29T12:00",
    "2026-03-29T02:30",
    "2026-10-25T02:30",
    "2026-12-07T12:00+14:00",
    "2026-12-07T12:00-12:00",
    "2026-12-07T24:00",
)
DATETIMES = st.one_of(
    st.sampled_from(EDGE_DATETIMES),
    st.tuples(
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)),
        st.sampled_from(["", "Z", "+01:00", "+14:00", "-12:00"]),
    ).map(lambda d: d[0].isoformat() + d[1]),
)
DATES = st.one_of(
    st.sampled_from(("0001-01-01", "9999-12-31", "1999-12-31", "2100-12-31", "2101-01-01")),
    st.dates(min_value=date(1, 1, 1)).map(date.isoformat),
)
schemathesis.openapi.format("date-time", DATETIMES)
schemathesis.openapi.format("date", DATES)
SCHEMA = schemathesis.openapi.from_dict(create_app(Settings()).openapi())

# Every GET route and the query parameters it reads: the API's from its OpenAPI document, the pages'
# (not in it) by hand. `/` and `/liste` read the search parameters; `/liste` its `ids`.
OPENAPI = SCHEMA.raw_schema
SEARCH_PARAMETERS = [p["name"] for p in OPENAPI["paths"]["/structures"]["get"]["parameters"]]
GET_ROUTES: dict[str, list[str]] = {
    path.replace("{structure_id}", "finess-750000069"): [
        p["name"] for p in ops["get"].get("parameters", []) if p["in"] == "query"
    ]
    for path, ops in OPENAPI["paths"].items()
    if "get" in ops
} | {
    "/": SEARCH_PARAMETERS,
    "/liste": ["ids"],
    "/liste.csv": ["ids"],
    "/sources": [],
    "/chat": [],
    "/lieux/finess-750000069": [],
}
NUMBERS = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.floats().map(repr),
    st.sampled_from(("nan", "inf", "-inf", "1e308", "-0", "0x10", "１２", "1_000", " 5 ")),
)
HOSTILE_VALUES = st.one_of(
    DATETIMES,
    DATES,
    NUMBERS,
    st.text(max_size=300),
    st.just("a" * 10_000),
    st.sampled_from(("", "true", "oui", "null", "[]", "{}", "%00", "\x00", "../../etc/passwd", "75,,,,", "=1+1")),
)

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
        env |= {
            "SEARCH_BACKEND": "elasticsearch",
            "ELASTICSEARCH_INDEX": "fuzz",
            "ELASTICSEARCH_TIMEOUT_S": "10",
            "ELASTICSEARCH_URL": request.getfixturevalue("elasticsearch_url"),
        }
    process, base, log = start_api(tmp, env)
    yield base, log
    process.terminate()
    process.wait(timeout=10)
    print(f"\nfuzz ({ENGINE}) : {sum(STATUSES.values())} requêtes, statuts {dict(sorted(STATUSES.items()))}")


def check(response_status: int, content_type: str, text: str, what: str) -> None:
    STATUSES[response_status] += 1
    assert response_status < 500, f"{what} → {response_status}\n{text[:500]}"
    if 400 <= response_status < 500 and content_type.startswith("application/json"):
        body = json.loads(text)
        detail = body.get("detail")
        assert isinstance(detail, str) and any(hint in detail for hint in FRENCH_HINTS), body
        if response_status == 422:
            assert body["errors"] and all(e["field"] and e["message"] for e in body["errors"]), body


@st.composite
def hostile_queries(draw: st.DrawFn, names: list[str]) -> list[tuple[str, str]]:
    """A few parameters with hostile values, sometimes one of them repeated up to 2,000 times (the client's URL limit is 64 kB); names the
    route does not read are drawn too."""
    name = st.sampled_from(names + ["unknown", "category[]"])
    pairs = draw(st.lists(st.tuples(name, HOSTILE_VALUES), max_size=6))
    if draw(st.booleans()):
        repeated, value = draw(name), draw(st.one_of(st.sampled_from(("sante", "75", "x")), HOSTILE_VALUES))
        pairs += [(repeated, value.encode("ascii", "ignore").decode()[:10])] * draw(st.integers(21, 2000))
    while len(urlencode(pairs)) > MAX_QUERY_CHARS:  # the client refuses longer: drop pairs from the end
        pairs = pairs[: len(pairs) // 2]
    return pairs


@pytest.mark.parametrize("path", sorted(GET_ROUTES))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(data=st.data())
def test_every_get_route_survives_hostile_query_strings(path, data, api):
    base, log = api
    query = data.draw(hostile_queries(GET_ROUTES[path]))
    response = httpx.get(base + path, params=query, timeout=30)
    what = f"GET {path} {str(response.request.url)[len(base) :][:300]}"
    check(response.status_code, response.headers.get("content-type", ""), response.text, what)


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_without_a_server_error(case, api):
    base, log = api
    response = case.call(base_url=base, timeout=30)
    content_type = (response.headers.get("content-type") or [""])[0]  # schemathesis: lists of values
    check(response.status_code, content_type, response.text, f"{case.method} {case.formatted_path}")
