"""Issue 17's findings, each reproduced against the real server (`directory serve`, embedded engine) with
the protection on, as deployed: forged client addresses, bodies too large, exports in parallel, watching
`/usage`, extreme dates, spreadsheet formulas. (Finding 6, the chat's conversation id, is in
tests/web/test_chat_proxy.py and bot/tests/test_log_privacy.py; finding 8, Elasticsearch, in
tests/test_elasticsearch_hardening.py; finding 9, the deployment, in tests/test_deployment.py.)"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from directory_api.opening import PARIS
from tests.servers import start_api

PLACE = "finess-940680374"  # a real record, named « - Créteil »
TOKEN = "jeton-du-serveur-d-actions-pour-les-tests-0123"


def _server(tmp: Path, name: str, env: dict[str, str]):
    folder = tmp / name
    folder.mkdir()
    index = tmp / "directory.sqlite"
    if index.exists():
        (folder / "directory.sqlite").symlink_to(index)
    process, base, log = start_api(folder, {
        "RATE_LIMITS_ENABLED": "true", "REPORTS_PATH": str(folder / "reports.sqlite"),
        "USAGE_PATH": str(folder / "usage.sqlite"), "SECRET_PATH": str(folder / "secret.key"), **env,
    })  # fmt: skip
    if not index.exists():
        index.symlink_to(folder / "directory.sqlite")
    return process, base, log


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Two servers: one reached directly (the default: no proxy trusted), one behind a trusted proxy."""
    tmp = tmp_path_factory.mktemp("hardening")
    direct = _server(tmp, "direct", {"REPORTS_RATE_LIMIT": "2", "DIRECTORY_API_TOKEN": TOKEN})
    proxied = _server(tmp, "proxied", {"REPORTS_RATE_LIMIT": "2", "FORWARDED_ALLOW_IPS": "127.0.0.1"})
    yield {"direct": direct[1], "proxied": proxied[1], "log": direct[2]}
    for process, _, _ in (direct, proxied):
        process.terminate()
        process.wait(timeout=10)


def report(base: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"kind": "other", "message": "Test de limite"}
    return httpx.post(f"{base}/structures/{PLACE}/reports", json=body, headers=headers or {}, timeout=15)


# -- 1. the client address ------------------------------------------------------------------------------
def test_should_not_let_a_forged_forwarded_for_escape_the_report_limit(servers):
    base = servers["direct"]
    assert [report(base).status_code for _ in range(2)] == [201, 201]
    refused = report(base)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "Trop de signalements" in refused.json()["detail"]
    forged = [report(base, {"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(3)]
    assert forged == [429, 429, 429]


def test_should_count_each_person_behind_a_trusted_proxy_apart(servers):
    base = servers["proxied"]
    person = {"X-Forwarded-For": "203.0.113.7"}
    assert [report(base, person).status_code for _ in range(3)] == [201, 201, 429]
    assert report(base, {"X-Forwarded-For": "203.0.113.8"}).status_code == 201  # another person is not blocked


# -- 2. bodies ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/chat/messages", f"/structures/{PLACE}/reports", f"/lieux/{PLACE}/signaler"])
def test_should_refuse_a_body_too_large_in_french_before_reading_it(servers, path):
    base = servers["direct"]
    started = time.monotonic()
    declared = httpx.post(f"{base}{path}", content=b"x" * (40 * 1024 * 1024), timeout=30,
                          headers={"Content-Type": "application/json"})
    assert declared.status_code == 413, declared.text[:200]
    assert declared.json()["detail"] == "Requête trop volumineuse : au plus 64 Ko."
    assert declared.headers["x-content-type-options"] == "nosniff"

    def chunks():  # no Content-Length: counted as it comes
        for _ in range(100):
            yield b"y" * 65536

    streamed = httpx.post(f"{base}{path}", content=chunks(), timeout=30, headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert time.monotonic() - started < 10


def test_should_still_take_a_normal_report_and_message_size(servers):
    body = {"kind": "other", "message": "é" * 2000, "contact": "x" * 200}  # the largest valid report
    headers = {"X-Forwarded-For": "192.0.2.50"}  # ignored (not trusted): the direct server's own count
    answer = httpx.post(f"{servers['proxied']}/structures/{PLACE}/reports", json=body, headers=headers, timeout=15)
    assert answer.status_code == 201


# -- 3. exports in parallel -----------------------------------------------------------------------------
def test_should_refuse_parallel_exports_of_one_client_and_answer_searches_meanwhile(servers):
    base = servers["direct"]
    statuses: Counter[int] = Counter()
    retry: list[str] = []

    def export() -> None:
        answer = httpx.get(f"{base}/structures.geojson", params={"place": "paris", "radius_km": 30}, timeout=60)
        statuses[answer.status_code] += 1
        if answer.status_code == 429:
            retry.append(answer.headers["retry-after"])
            assert answer.json()["detail"].startswith("Trop d'exports")

    threads = [threading.Thread(target=export) for _ in range(6)]
    for thread in threads:
        thread.start()
    search = httpx.get(f"{base}/structures", params={"q": "douche", "place": "paris 11e"}, timeout=30)
    for thread in threads:
        thread.join()
    assert search.status_code == 200
    assert statuses[200] >= 1 and statuses[429] >= 4, statuses
    assert all(int(value) >= 1 for value in retry)


def test_should_limit_exports_per_client_but_not_the_assistants_searches(servers):
    base = servers["direct"]
    time.sleep(0.1)
    answers = [httpx.get(f"{base}/structures.csv", params={"q": "zzzzqx"}, timeout=30) for _ in range(14)]
    assert answers[-1].status_code == 429 and "Réessayez dans" in answers[-1].json()["detail"]
    trusted = httpx.get(f"{base}/structures.csv", params={"q": "zzzzqx"}, headers={"X-Directory-Token": TOKEN}, timeout=30)
    assert trusted.status_code == 200
    wrong = httpx.get(f"{base}/structures.csv", params={"q": "zzzzqx"}, headers={"X-Directory-Token": "x" * 46}, timeout=30)
    assert wrong.status_code == 429


# -- 4. /usage cannot watch someone -------------------------------------------------------------------
def test_should_not_show_todays_searches_however_the_cell_is_padded(servers):
    base = servers["proxied"]
    for _ in range(6):  # one's own padding, then « someone else's » search
        assert httpx.get(f"{base}/structures", params={"category": "addictions", "department": "77"}, timeout=15).status_code == 200
    time.sleep(1.5)  # the counters are written within a second
    today = datetime.now(PARIS).date()
    published = httpx.get(f"{base}/usage", timeout=15).json()
    assert all(cell["day"] < today.isoformat() for cell in published["cells"])
    asked = httpx.get(f"{base}/usage", params={"since": today.isoformat(), "until": today.isoformat()}, timeout=15)
    assert asked.status_code == 422 and asked.json()["errors"][0]["field"] == "until"
    yesterday = (today - timedelta(days=1)).isoformat()
    assert httpx.get(f"{base}/usage", params={"until": yesterday}, timeout=15).status_code == 200


# -- 5. extreme dates and repetitions ---------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/structures", "/", "/structures.csv", "/structures.geojson"])
@pytest.mark.parametrize("moment", ["9999-12-31T23:59", "0001-01-01T12:00", "1999-12-31T23:59"])
def test_should_refuse_dates_out_of_range_in_french_not_crash(servers, path, moment):
    answer = httpx.get(f"{servers['proxied']}{path}", params={"open_at": moment}, timeout=15)
    assert answer.status_code == 422, answer.text[:300]
    assert "hors de la plage permise" in answer.text
    assert answer.headers["content-security-policy"]


def test_should_refuse_thousands_of_repeated_parameters_quickly(servers):
    started = time.monotonic()
    answer = httpx.get(f"{servers['proxied']}/structures", params=[("category", "food")] * 3000, timeout=15)
    assert answer.status_code == 422
    assert answer.json()["errors"][0] == {"field": "category", "message": "au plus 20 valeurs"}
    assert time.monotonic() - started < 2


def test_should_leave_no_traceback_in_the_log(servers):
    assert "Traceback" not in servers["log"].read_text()


# -- 7. spreadsheet formulas ------------------------------------------------------------------------------
def test_should_write_a_name_starting_with_a_minus_as_text_in_the_csv(servers):
    answer = httpx.get(f"{servers['proxied']}/structures.csv", params={"q": "- Créteil"}, timeout=30)
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff")), delimiter=";"))
    by_id = {row[-1]: row for row in rows[1:]}
    assert PLACE in by_id, "the real record « - Créteil » is no longer found"
    assert by_id[PLACE][0] == "'- Créteil"
    assert not any(cell and cell[0] in "=+-@" for row in rows[1:] for cell in row)
