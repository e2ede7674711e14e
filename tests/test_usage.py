"""Usage counters (directory_api/usage.py): the cell of a search, small counts hidden, nothing personal
stored, and a search answered whatever happens to the counters."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from directory_api.api.app import create_app
from directory_api.api.parameters import StructureFilters
from directory_api.api.schemas import QueryEcho
from directory_api.geography.gazetteer import Place, PlaceKind
from directory_api.settings import REPO_ROOT, Settings
from directory_api.usage import (
    PARIS,
    DepartmentLocator,
    UsageKey,
    UsageRecorder,
    UsageStore,
    category_key,
    hour_key,
    usage_key,
)
from tests.test_reports import tiny_index

PLACES = REPO_ROOT / "data" / "places"
NOW = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)  # 07:30 in Paris (winter time)


@pytest.fixture(scope="module")
def locator() -> DepartmentLocator:
    return DepartmentLocator.load(PLACES)


def echo(**values) -> QueryEcho:
    base = dict(
        q=None, place=None, lat=None, lon=None, radius_km=None, department=None, categories=[],
        expanded_categories=[], text_categories=[], text_terms=[], open_at=None, sort="relevance",
    )  # fmt: skip
    return QueryEcho(**{**base, **values})


# -- keys ------------------------------------------------------------------------------------------
def test_should_truncate_the_hour_in_paris_time_winter_and_summer():
    assert hour_key(NOW) == "2026-11-26T07"
    assert hour_key(datetime(2026, 7, 1, 6, 59, tzinfo=UTC)) == "2026-07-01T08"
    assert hour_key(datetime(2026, 12, 31, 23, 5, tzinfo=UTC)) == "2027-01-01T00"


def test_should_key_the_needs_sorted_and_bounded():
    assert category_key([]) == "aucune"
    assert category_key(["shower"]) == "shower"
    assert category_key(["shower", "food", "shower"]) == "food+shower"
    assert category_key(["a", "b", "c", "d"]) == "plusieurs"


@pytest.mark.parametrize(
    ("lat", "lon", "department"),
    [
        (48.8566, 2.3522, "75"),  # Hôtel de Ville
        (48.8638, 2.4485, "93"),  # Montreuil
        (48.8049, 2.1204, "78"),  # Versailles
        (48.7904, 2.4556, "94"),  # Créteil
        (49.0364, 2.0761, "95"),  # Cergy
        (48.5392, 2.6590, "77"),  # Melun
        (48.6333, 2.4500, "91"),  # Évry
        (48.8924, 2.2069, "92"),  # Nanterre
        (45.7640, 4.8357, None),  # Lyon: outside the region
    ],
)
def test_should_find_the_departement_of_a_position(locator: DepartmentLocator, lat, lon, department):
    assert locator.department(lat, lon) == department


def test_should_prefer_the_filter_then_the_place_then_the_position(locator: DepartmentLocator):
    params = StructureFilters(category=["shower"])
    montreuil = Place(
        label="Montreuil (93)", kind=PlaceKind.COMMUNE, insee_code="93048", postcode=None, department="93",
        lat=48.86, lon=2.44, score=1.0, radius_km=3.0,
    )  # fmt: skip
    assert usage_key(params, echo(department="77", lat=48.86, lon=2.44), locator, NOW).department == "77"
    assert usage_key(params, echo(place=montreuil, lat=48.86, lon=2.44), locator, NOW).department == "93"
    assert usage_key(params, echo(lat=48.8049, lon=2.1204), locator, NOW).department == "78"
    assert usage_key(params, echo(), locator, NOW) == UsageKey("shower", "inconnu", "2026-11-26T07")


def test_should_take_the_needs_from_the_filter_else_from_the_text(locator: DepartmentLocator):
    understood = echo(q="douche", text_categories=["shower"])
    assert usage_key(StructureFilters(q="douche"), understood, locator, NOW).category == "shower"
    assert usage_key(StructureFilters(q="douche", category=["food"]), understood, locator, NOW).category == "food"
    assert usage_key(StructureFilters(q="Samu social"), echo(q="Samu social"), locator, NOW).category == "aucune"


# -- storage ---------------------------------------------------------------------------------------
def test_should_add_counts_from_two_processes_into_one_file(tmp_path: Path, locator: DepartmentLocator):
    """Two recorders on one file, as two server processes: every search counted once."""
    path = tmp_path / "usage.sqlite"
    recorders = [UsageRecorder(UsageStore(path), locator, clock=lambda: NOW) for _ in range(2)]
    for recorder in recorders:
        recorder.start()
    params, understood = StructureFilters(category=["shower"]), echo(department="75")

    def search(recorder: UsageRecorder) -> None:
        for _ in range(250):
            recorder.record(params, understood)

    threads = [threading.Thread(target=search, args=(r,)) for r in recorders for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for recorder in recorders:
        recorder.close()
    store = UsageStore(path)
    assert store.total() == 2000
    assert store.cells("2026-11-26T00", "2026-11-27T00") == [(UsageKey("shower", "75", "2026-11-26T07"), 2000)]


def test_should_keep_the_tally_when_a_write_fails_and_write_it_later(tmp_path: Path, monkeypatch):
    store = UsageStore(tmp_path / "usage.sqlite")
    recorder = UsageRecorder(store, None, clock=lambda: NOW)
    original = UsageStore.add

    def broken(self, counts):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(UsageStore, "add", broken)
    for _ in range(3):
        recorder.record(StructureFilters(), echo())
    assert recorder.flush() is False
    monkeypatch.setattr(UsageStore, "add", original)
    assert recorder.flush() is True
    assert store.total() == 3


# -- through the API -------------------------------------------------------------------------------
@pytest.fixture
def api(tmp_path: Path):
    index = tiny_index(tmp_path / "directory.sqlite")
    opened: list[TestClient] = []

    def make(**overrides) -> TestClient:
        paths = {"reports_path": tmp_path / "reports.sqlite", "usage_path": tmp_path / "usage.sqlite"}
        settings = Settings(index_path=index, **{**paths, **overrides})
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def test_should_count_every_kind_of_search_and_nothing_else(api, tmp_path: Path):
    client = api()
    searches = [
        "/structures?q=douche", "/structures?category=shower&department=75", "/structures.csv?q=douche",
        "/structures.geojson?category=shower", "/?q=douche&place=Paris+18e",
    ]  # fmt: skip
    for path in searches:
        assert client.get(path).status_code == 200, path
    # Refused searches are not counted; neither is a place page or a report.
    assert client.get("/structures?radius_km=abc").status_code == 422
    assert client.get("/structures?place=Atlantide-sur-Mer").status_code == 422
    assert client.get("/structures/test-douche-1").status_code == 200
    client.__exit__(None, None, None)  # a normal stop writes the tally
    store = UsageStore(tmp_path / "usage.sqlite")
    assert store.total() == len(searches)
    cells = {(key.category, key.department): n for key, n in store.cells("2000-01-01T00", "3000-01-01T00")}
    assert cells == {("shower", "inconnu"): 3, ("shower", "75"): 2}


def test_should_store_no_text_position_address_or_browser(api, tmp_path: Path):
    client = api()
    client.headers["User-Agent"] = "navigateur-temoin-usage"
    assert client.get("/structures", params={"q": "zorglubtemoin douche", "place": "Montreuil"}).status_code == 200
    assert client.get("/structures", params={"q": "zorglubtemoin", "lat": 48.8712345, "lon": 2.3456789}).status_code == 200
    assert client.get("/", params={"q": "zorglubtemoin", "place": "Versailles"}).status_code == 200
    client.__exit__(None, None, None)
    files = sorted(tmp_path.glob("usage.sqlite*"))  # the database, and its WAL journal if any
    raw = b"".join(path.read_bytes() for path in files)
    for witness in (b"zorglub", b"48.871", b"2.3456", b"Montreuil", b"Versailles", b"navigateur", b"testclient", b"127.0.0.1"):  # fmt: skip
        assert raw.count(witness) == 0, witness
    conn = sqlite3.connect(tmp_path / "usage.sqlite")
    assert [row[1] for row in conn.execute("PRAGMA table_info(usage_counts)")] == ["category", "department", "hour", "count"]
    assert sorted(conn.execute("SELECT category, department, count FROM usage_counts")) == [
        ("aucune", "75", 1), ("aucune", "78", 1), ("shower", "93", 1),
    ]  # fmt: skip


def test_should_hide_cells_under_five_and_give_no_total(api, tmp_path: Path):
    client = api()
    day = datetime.now(PARIS).date() - timedelta(days=1)
    hour = f"{day.isoformat()}T10"
    UsageStore(tmp_path / "usage.sqlite").add(
        {UsageKey("shower", "75", hour): 4, UsageKey("food", "93", hour): 5, UsageKey("abortion", "77", hour): 1}
    )
    answer = client.get("/usage", params={"since": day.isoformat(), "until": day.isoformat()})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    shown = {(c["category"], c["department"]): (c["count"], c["count_label"]) for c in body["cells"]}
    assert shown == {("shower", "75"): (None, "< 5"), ("food", "93"): (5, "5"), ("abortion", "77"): (None, "< 5")}
    assert body["hidden_cells"] == 2 and body["threshold"] == 5
    assert not {"total", "shown_total"} & set(body)
    assert "< 5" in body["note"]


def test_should_publish_closed_days_only_summed_over_their_hours_before_hiding(api, tmp_path: Path):
    client = api()
    today = datetime.now(PARIS).date()
    yesterday = today - timedelta(days=1)
    UsageStore(tmp_path / "usage.sqlite").add({
        UsageKey("addictions", "77", f"{yesterday.isoformat()}T09"): 3,
        UsageKey("addictions", "77", f"{yesterday.isoformat()}T21"): 3,  # 3 + 3: shown as 6 for the day
        UsageKey("shower", "75", f"{today.isoformat()}T08"): 40,  # today: not published yet
    })  # fmt: skip
    body = client.get("/usage").json()
    assert [(c["category"], c["department"], c["day"], c["count"]) for c in body["cells"]] == [
        ("addictions", "77", yesterday.isoformat(), 6)
    ]
    refused = client.get("/usage", params={"until": today.isoformat()})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "until", "message": "seules les journées terminées sont publiées : au plus tard hier"}
    ]


def test_should_refuse_bad_dates_naming_the_field_in_french(api):
    client = api()
    for params, field in (
        ({"since": "2025-12-01", "until": "2025-11-01"}, "since"),
        ({"since": "2025-01-01", "until": "2025-03-01"}, "since"),
        ({"until": "9999-12-31"}, "until"),
        ({"since": "hier"}, "since"),
    ):
        answer = client.get("/usage", params=params)
        assert answer.status_code == 422, params
        assert [e["field"] for e in answer.json()["errors"]] == [field]
        assert answer.json()["detail"].startswith("Paramètres invalides")


def test_should_not_count_nor_publish_when_disabled(api, tmp_path: Path):
    client = api(usage_enabled=False)
    assert client.get("/structures?q=douche").status_code == 200
    answer = client.get("/usage")
    assert answer.status_code == 404
    assert "désactivées" in answer.json()["detail"]
    assert not (tmp_path / "usage.sqlite").exists()


def test_should_answer_searches_when_the_counter_file_cannot_be_opened(api, tmp_path: Path, caplog):
    (tmp_path / "not-a-folder").write_text("x")
    client = api(usage_path=tmp_path / "not-a-folder" / "usage.sqlite")
    assert client.get("/structures", params={"q": "zorglubtemoin douche"}).status_code == 200
    assert client.get("/usage").status_code == 404
    assert "compteurs d'usage désactivés" in caplog.text
    assert "zorglub" not in caplog.text


def test_should_answer_searches_when_counting_breaks(api, monkeypatch, caplog):
    client = api()

    def broken(*args, **kwargs):
        raise RuntimeError("zorglub")

    monkeypatch.setattr("directory_api.usage.usage_key", broken)
    assert client.get("/structures", params={"q": "zorglubtemoin douche"}).status_code == 200
    assert "compteur d'usage non incrémenté (RuntimeError)" in caplog.text
    assert "zorglub" not in caplog.text


def test_should_describe_the_usage_endpoint_in_french(api):
    spec = api().get("/openapi.json").json()
    operation = spec["paths"]["/usage"]["get"]
    assert operation["summary"] == "Statistiques d'usage agrégées"
    assert "« < 5 »" in operation["description"]
    assert {"200", "404", "422"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} == {"since", "until"}
