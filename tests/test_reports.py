"""« Signaler une erreur » through the API: validation in French, unknown places, the rate limit, the
review list behind its token, and nothing stored beyond what the reporter typed."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from directory_api.api.app import create_app
from directory_api.models import Provenance, Service, Structure
from directory_api.search.embedded import EmbeddedBackend
from directory_api.settings import Settings

TOKEN = "jeton-de-relecture-de-test-assez-long-0123"
PLACE = "test-douche-1"


def tiny_index(path: Path) -> Path:
    structure = Structure(
        id=PLACE,
        name="Douches du test",
        commune="Paris 18e",
        postcode="75018",
        department="75",
        lat=48.8925,
        lon=2.3487,
        services=[Service(id=f"{PLACE}-s", name="Douches", categories=["shower"])],
        sources=[
            Provenance(source="paris-bains-douches", source_record_id="T1", licence="ODbL 1.0", data_date=date(2025, 9, 15))
        ],
    )
    EmbeddedBackend(path).bulk_load([structure])
    return path


@pytest.fixture
def make_client(tmp_path: Path):
    index = tiny_index(tmp_path / "directory.sqlite")
    opened = []

    def make(**overrides) -> TestClient:
        settings = Settings(index_path=index, reports_path=tmp_path / "reports.sqlite", **overrides)
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def stored(tmp_path: Path) -> int:
    path = tmp_path / "reports.sqlite"
    if not path.exists():  # the file is created with the first accepted report
        return 0
    return sqlite3.connect(path).execute("SELECT COUNT(*) FROM reports").fetchone()[0]


def report(client: TestClient, body: dict, place: str = PLACE):
    return client.post(f"/structures/{place}/reports", json=body)


def test_should_store_a_report_and_thank_in_french(make_client, tmp_path: Path):
    client = make_client()
    answer = report(client, {"kind": "wrong_hours", "message": "  Fermé le lundi matin.  ", "contact": "a@b.fr"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["detail"].startswith("Merci")
    rows = sqlite3.connect(tmp_path / "reports.sqlite").execute("SELECT * FROM reports").fetchall()
    assert rows == [(1, PLACE, "wrong_hours", "Fermé le lundi matin.", "a@b.fr", rows[0][5])]


def test_should_store_nothing_beyond_the_typed_fields(make_client, tmp_path: Path):
    client = make_client()
    client.headers["User-Agent"] = "navigateur-temoin"
    assert report(client, {"kind": "closed", "message": "Le lieu a fermé."}).status_code == 201
    conn = sqlite3.connect(tmp_path / "reports.sqlite")
    columns = [row[1] for row in conn.execute("PRAGMA table_info(reports)")]
    assert columns == ["id", "structure_id", "kind", "message", "contact", "created_at"]
    dump = "\n".join(conn.iterdump())
    assert "testclient" not in dump  # the client address (TestClient's host) is never written
    assert "navigateur" not in dump
    assert "127.0.0.1" not in dump


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "wrong_hours", "message": ""}, "message"),
        ({"kind": "wrong_hours", "message": "   "}, "message"),
        ({"kind": "wrong_hours", "message": "x" * 2001}, "message"),
        ({"kind": "broken", "message": "Faux."}, "kind"),
        ({"message": "Faux."}, "kind"),
        ({"kind": "other", "message": "Faux.", "contact": "c" * 201}, "contact"),
        ({"kind": "other", "message": "Faux.", "ip": "1.2.3.4"}, "ip"),
    ],
)
def test_should_refuse_an_invalid_report_naming_the_field_in_french(make_client, tmp_path: Path, body, field):
    client = make_client()
    answer = report(client, body)
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert answer.json()["detail"].startswith("Paramètres invalides")
    assert "Input should" not in answer.text and "String should" not in answer.text
    if field == "kind" and "kind" in body:
        assert "wrong_hours" in errors[0]["allowed"]
    assert stored(tmp_path) == 0


def test_should_answer_404_for_an_unknown_place(make_client):
    answer = report(make_client(), {"kind": "closed", "message": "Fermé."}, place="n-existe-pas")
    assert answer.status_code == 404
    assert "n-existe-pas" in answer.json()["detail"]


def test_should_limit_reports_per_client_with_a_french_message(make_client, tmp_path: Path):
    client = make_client(reports_rate_limit=5, reports_rate_window_s=600)
    for n in range(5):
        assert report(client, {"kind": "other", "message": f"Signalement {n}"}).status_code == 201
    refused = report(client, {"kind": "other", "message": "Un de trop"})
    assert refused.status_code == 429
    assert "Trop de signalements" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) > 0
    assert stored(tmp_path) == 5


def test_should_hide_the_review_list_without_a_configured_token(make_client):
    client = make_client()
    assert client.get("/reports").status_code == 404
    assert client.get("/reports", headers={"Authorization": "Bearer n-importe-quoi"}).status_code == 404


def test_should_list_reports_only_with_the_review_token(make_client):
    client = make_client(reports_review_token=TOKEN)
    assert report(client, {"kind": "wrong_phone", "message": "Le numéro ne répond pas."}).status_code == 201
    assert client.get("/reports").status_code == 401
    assert client.get("/reports", headers={"Authorization": "Bearer mauvais"}).status_code == 401
    listed = client.get("/reports", headers={"Authorization": f"Bearer {TOKEN}"})
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 1
    assert body["items"][0]["structure_id"] == PLACE
    assert body["items"][0]["kind"] == "wrong_phone"
    assert body["items"][0]["message"] == "Le numéro ne répond pas."


def test_should_accept_the_plain_html_form_and_redirect_with_thanks(make_client, tmp_path: Path):
    client = make_client()
    answer = client.post(
        f"/lieux/{PLACE}/signaler",
        data={"kind": "wrong_address", "message": "L'entrée est rue Ordener.", "contact": ""},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/lieux/{PLACE}?signalement=merci#signaler"
    page = client.get(answer.headers["location"])
    assert "Merci ! Votre signalement a été enregistré" in page.text
    row = sqlite3.connect(tmp_path / "reports.sqlite").execute("SELECT kind, message, contact FROM reports").fetchone()
    assert row == ("wrong_address", "L'entrée est rue Ordener.", None)


def test_should_show_form_errors_in_the_page(make_client):
    client = make_client()
    answer = client.post(f"/lieux/{PLACE}/signaler", data={"message": ""})
    assert answer.status_code == 422
    assert "Le signalement n'a pas été envoyé" in answer.text
    assert "Ce qui est faux : choisissez une des propositions." in answer.text
    assert "Votre message : message vide" in answer.text


def test_should_describe_the_report_endpoints_in_the_openapi_document(make_client):
    spec = make_client().get("/openapi.json").json()
    post = spec["paths"]["/structures/{structure_id}/reports"]["post"]
    assert post["summary"] == "Signaler une erreur sur une fiche"
    assert {"201", "404", "422", "429"} <= set(post["responses"])
    assert "/reports" in spec["paths"]
    assert "/lieux/{structure_id}/signaler" not in spec["paths"]
    kinds = spec["components"]["schemas"]["ReportKind"]["enum"]
    assert kinds == ["closed", "wrong_hours", "wrong_address", "wrong_phone", "wrong_conditions", "other"]


def test_should_file_a_report_on_a_merged_record_under_the_common_record(tmp_path: Path):
    """`ilot-fraicheur-BD1` was merged into `bains-douches-BD1` (data/structures/merge-report.json)."""
    index = tmp_path / "directory.sqlite"
    common = Structure(
        id="bains-douches-BD1", name="Bain-douche Audubon", lat=48.846, lon=2.369,
        services=[Service(id="bd1-s", name="Douches", categories=["shower"])],
        sources=[Provenance(source="paris-bains-douches", source_record_id="BD1", licence="ODbL 1.0", data_date=date(2025, 9, 15))],
    )  # fmt: skip
    EmbeddedBackend(index).bulk_load([common])
    settings = Settings(index_path=index, reports_path=tmp_path / "reports.sqlite")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        answer = report(client, {"kind": "closed", "message": "Fermé pour travaux."}, place="ilot-fraicheur-BD1")
    assert answer.status_code == 201, answer.text
    rows = sqlite3.connect(tmp_path / "reports.sqlite").execute("SELECT structure_id FROM reports").fetchall()
    assert rows == [("bains-douches-BD1",)]


def test_should_refuse_a_body_that_is_not_json_in_french(make_client):
    """Found by the fuzzer: FastAPI's own message was English."""
    answer = make_client().post(f"/structures/{PLACE}/reports", content=b"\x80", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith("Corps de la requête illisible")


# -- the rate limit, shared by the server processes -------------------------------------------------
def _limiters(tmp_path: Path, rate: str, count: int = 2):
    from directory_api.api.protection import ClientLimiter

    url = f"sqlite:///{tmp_path / 'limits.sqlite'}"
    return [ClientLimiter(url, b"s" * 32, {"report": rate}) for _ in range(count)]


def test_should_share_the_rate_limit_between_processes_through_the_file(tmp_path: Path):
    """Two limiters on one file, as two server processes: one count."""
    first, second = _limiters(tmp_path, "3/600 seconds")
    assert [first.hit("report", "198.51.100.7"), second.hit("report", "198.51.100.7"), first.hit("report", "198.51.100.7")] == [None] * 3  # fmt: skip
    wait = second.hit("report", "198.51.100.7")
    assert wait is not None and 0 < wait <= 600
    assert first.hit("report", "203.0.113.9") is None  # another client has its own count


def test_should_forget_expired_hits_and_never_write_the_address(tmp_path: Path):
    import time

    (limiter,) = _limiters(tmp_path, "1/1 second", count=1)
    assert limiter.hit("report", "198.51.100.7") is None
    assert limiter.hit("report", "198.51.100.7") is not None
    time.sleep(1.1)
    assert limiter.hit("report", "198.51.100.7") is None  # the window has passed
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("limits.sqlite*"))
    assert b"198.51.100.7" not in raw and b"203.0.113.9" not in raw
    assert (tmp_path / "limits.sqlite").stat().st_mode & 0o077 == 0  # the server's user only
