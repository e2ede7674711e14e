"""`directory fetch` against a local stand-in of the publishers (tests/publishers/server.py), in their
real formats: a refresh gives today's directory, a publisher that fails keeps its previous data, and the
data·inclusion connector's records are searched, merged and exported as their licence allows."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from directory_api.fetch.runner import publications, run_fetch
from directory_api.importer import read_structures, run_import
from directory_api.search.embedded import EmbeddedBackend
from directory_api.sources import data_inclusion_idf, paris_sanisettes
from tests.publishers.server import TOKEN, PublisherServer

REPO = Path(__file__).resolve().parent.parent
FILE_SOURCES = sorted(s for s, p in publications().items() if p.raw_name and s != data_inclusion_idf.INFO.id)
PARIS_SOURCES = ["casvp-restaurants-solidaires", "paris-bains-douches", "paris-fontaines", "paris-ilots-fraicheur-equipements", "paris-sanisettes"]


@pytest.fixture(scope="module")
def publishers(datasets_dir: Path):
    server = PublisherServer(datasets_dir)
    base = server.start()
    yield server, base
    server.stop()


@pytest.fixture(scope="module")
def refreshed(publishers, datasets_dir: Path, tmp_path_factory):
    """One full refresh from the publishers, then the import of what it fetched."""
    server, base = publishers
    root = tmp_path_factory.mktemp("fetch")
    outcome = run_fetch(datasets_dir, root / "fetch", mirror=base, data_inclusion_token=TOKEN, sleep=False)
    imported = run_import(outcome.datasets_dir, root / "data" / "structures", root / "data" / "places")
    shutil.copy(REPO / "data" / "taxonomy.yml", root / "data" / "taxonomy.yml")
    return root, outcome, imported


def records(path: Path) -> dict[str, dict]:
    """The records of a .jsonl, positions rounded to 1e-6 degree (10 cm): three FINESS positions
    re-projected from Lambert-93 differ from the staged copy in the 7th decimal."""
    result = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        record["lat"], record["lon"] = round(record["lat"], 6), round(record["lon"], 6)
        result[record["id"]] = record
    return result


def fetch_again(datasets_dir: Path, root: Path, base: str, **options) -> dict:
    return run_fetch(datasets_dir, root / "fetch", mirror=base, data_inclusion_token=TOKEN, sleep=False, **options).sources


def test_a_refresh_from_the_publishers_gives_todays_directory(refreshed) -> None:
    root, outcome, imported = refreshed
    statuses = {source: state.status for source, state in outcome.sources.items()}
    assert statuses == {**dict.fromkeys(FILE_SOURCES, "refreshed"), "data-inclusion-idf": "refreshed", "sae-2023": "manual"}
    assert imported.kept_back == []
    for path in sorted((REPO / "data" / "structures").glob("*.jsonl")):
        assert records(root / "data" / "structures" / path.name) == records(path), path.name
    # The dates are the publishers' (their metadata), not the download's.
    assert outcome.sources["paris-sanisettes"].data_date == "2024-11-13"
    assert outcome.sources["finess-etablissements-idf"].data_date == "2021-01-08"


def test_the_raw_file_is_kept_beside_the_normalised_one_with_its_checksum(refreshed) -> None:
    root, outcome, _ = refreshed
    state = outcome.sources["finess-etablissements-idf"]
    raw = root / "fetch" / "raw" / "finess-etablissements-idf" / "etalab-cs1100507-stock.csv"
    assert hashlib.sha256(raw.read_bytes()).hexdigest() == state.sha256
    assert raw.read_bytes().startswith(b"finess;etalab;")  # as published: Latin-1, `;`, Lambert-93
    published = json.loads((outcome.datasets_dir / "finess-etablissements-idf" / "PUBLISHED.json").read_text())
    assert published["sha256"] == state.sha256 and published["data_date"] == "2021-01-08"
    assert state.etag and state.last_modified and state.last_success
    # The Ain establishment of the national file is not in the Île-de-France staged file.
    staged = (outcome.datasets_dir / "finess-etablissements-idf" / "finess_etablissements_idf.csv").read_text()
    assert "010002301" not in staged and "750000069" in staged


def test_a_second_refresh_is_conditional_and_changes_nothing(publishers, refreshed, datasets_dir) -> None:
    server, base = publishers
    root, _, _ = refreshed
    before = len(server.requests)
    states = fetch_again(datasets_dir, root, base, only=FILE_SOURCES)
    assert {s: states[s].status for s in FILE_SOURCES} == dict.fromkeys(FILE_SOURCES, "unchanged")
    # Opendatasoft: the metadata's `data_processed` has not moved, so no export is downloaded again;
    # data.gouv.fr: the file is asked with its ETag and answered 304.
    requests = server.requests[before:]
    assert not [r for r in requests if "/exports/" in r[0]]
    downloads = [r for r in requests if "static.data.gouv.fr" in r[0]]
    assert len(downloads) == 2 and all(conditional and status == 304 for _, status, conditional in downloads)


def test_a_publisher_that_is_down_keeps_the_previous_data(publishers, refreshed, datasets_dir) -> None:
    server, base = publishers
    root, _, _ = refreshed
    staged = root / "fetch" / "datasets" / "paris-sanisettes" / paris_sanisettes.FILE
    before = staged.read_bytes()
    server.faults = {"opendata.paris.fr": "down"}
    try:
        states = fetch_again(datasets_dir, root, base, only=[*PARIS_SOURCES, "ratp-toilettes"])
    finally:
        server.faults = {}
    for source in PARIS_SOURCES:
        assert states[source].status == "failed"
        assert "opendata.paris.fr répond 503 après 4 essais" in states[source].reason
        assert states[source].last_success and states[source].data_date  # what is in use
    assert states["ratp-toilettes"].status == "unchanged"
    assert staged.read_bytes() == before
    # The import after it serves what it served before.
    outcome = run_import(root / "fetch" / "datasets", root / "data" / "structures", root / "data" / "places")
    assert outcome.kept_back == []
    assert records(root / "data" / "structures" / "paris-sanisettes.jsonl") == records(REPO / "data" / "structures" / "paris-sanisettes.jsonl")


@pytest.mark.parametrize(
    ("fault_at", "fault", "source", "reason"),
    [
        ("sanisettesparis/exports", "renamed_column", "paris-sanisettes", "format changé (sanisettesparis) : colonne(s) attendue(s) absente(s) : TYPE"),
        ("fontaines-a-boire/exports", "renamed_column", "paris-fontaines", "colonne(s) attendue(s) absente(s) : gid"),
        ("fontaines-a-eau-dans-le-reseau-ratp/exports", "truncated", "ratp-fontaines", "fichier tronqué"),
        ("static.data.gouv.fr/resources/liste-des-structures-france-services", "bad_checksum", "france-services", "fichier altéré : somme sha1"),
        ("static.data.gouv.fr/resources/finess", "dropped_field", "finess-etablissements-idf", "format changé : ligne 2 « structureet » de 31 champs au lieu de 32"),
    ],
)
def test_a_changed_or_broken_file_is_refused_with_a_french_reason(publishers, refreshed, datasets_dir, fault_at, fault, source, reason) -> None:
    server, base = publishers
    root, _, _ = refreshed
    folder = root / "fetch" / "datasets" / source
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    # Without validators the publisher sends the file again (a changed file has a new ETag anyway).
    (root / "fetch" / "state.json").write_text("{}")
    server.faults = {fault_at: fault}
    try:
        state = fetch_again(datasets_dir, root, base, only=[source])[source]
    finally:
        server.faults = {}
    assert state.status == "failed"
    assert reason in state.reason
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_too_many_requests_is_retried_after_the_delay_the_publisher_asks(publishers, refreshed, datasets_dir) -> None:
    server, base = publishers
    root, _, _ = refreshed
    (root / "fetch" / "state.json").write_text("{}")
    server.faults = {"restaurants-casvp/exports": "429"}
    before = len(server.requests)
    try:
        state = fetch_again(datasets_dir, root, base, only=["casvp-restaurants-solidaires"])["casvp-restaurants-solidaires"]
    finally:
        server.faults = {}
    assert state.status == "refreshed"
    assert [status for path, status, _ in server.requests[before:] if "/exports/" in path] == [429, 200]


def test_data_inclusion_without_token_is_not_active_and_with_a_wrong_one_fails(publishers, refreshed, datasets_dir) -> None:
    _, base = publishers
    root, _, _ = refreshed
    state = run_fetch(datasets_dir, root / "fetch", mirror=base, data_inclusion_token=None, only=["data-inclusion-idf"], sleep=False).sources["data-inclusion-idf"]
    assert state.status == "not_configured" and "DATA_INCLUSION_TOKEN" in state.reason
    state = run_fetch(datasets_dir, root / "fetch", mirror=base, data_inclusion_token="faux", only=["data-inclusion-idf"], sleep=False).sources["data-inclusion-idf"]
    assert state.status == "failed" and "refuse l'accès (401)" in state.reason
    assert TOKEN not in (root / "fetch" / "state.json").read_text()


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("truncated_page", "réponse illisible de api.data.inclusion.gouv.fr"), ("changed_envelope", "format changé : page 1 de /api/v1/structures"), ("429", None)],
)
def test_data_inclusion_pages_that_fail(publishers, refreshed, datasets_dir, fault, reason) -> None:
    server, base = publishers
    root, _, _ = refreshed
    before = (root / "fetch" / "datasets" / "data-inclusion-idf" / "structures.json").read_bytes()
    server.faults = {"api.data.inclusion.gouv.fr/api/v1/structures": fault}
    try:
        state = fetch_again(datasets_dir, root, base, only=["data-inclusion-idf"])["data-inclusion-idf"]
    finally:
        server.faults = {}
    if reason is None:  # 429 then the page: retried
        assert state.status == "refreshed"
    else:
        assert state.status == "failed" and reason in state.reason
    assert (root / "fetch" / "datasets" / "data-inclusion-idf" / "structures.json").read_bytes() == before


def test_data_inclusion_records_are_searched_merged_and_exported_as_their_licence_allows(refreshed, tmp_path) -> None:
    from directory_api.api.app import create_app
    from directory_api.settings import Settings

    root, _, imported = refreshed
    assert imported.report["sources"]["data-inclusion-idf"]["structures"] == 4  # type: ignore[index]
    # All the pages were read (1 item a page on the test server).
    groups = json.loads((root / "data" / "structures" / "merge-report.json").read_text())["groups"]
    pomme = next(g for g in groups if any(m["id"] == "dora--test-cmp-la-pomme" for m in g["members"]))
    assert [m["id"] for m in pomme["members"]] == ["finess-750000069", "dora--test-cmp-la-pomme"]
    assert pomme["matches"][0]["rule"] == "même SIRET"
    settings = Settings(data_dir=root / "data", index_path=tmp_path / "index.sqlite", usage_enabled=False)
    EmbeddedBackend(settings.index_path).bulk_load(read_structures(root / "data" / "structures"))
    with TestClient(create_app(settings)) as client:
        # data·inclusion says « alimentation » without saying parcels or meals: the place is found for both
        # words, with the 115 in the remote section.
        for words in ("colis alimentaire", "manger"):
            found = client.get("/structures", params={"q": words, "place": "Sarcelles"}).json()
            assert found["items"][0]["id"] == "dora--test-epicerie-sarcelles", words
            assert "samu-social-115" in [line["id"] for line in found["remote"]]
        # « rechercher une solution d'hébergement temporaire » names no single category of ours: filed as
        # housing, found for a bed tonight, with the 115 first.
        bed = client.get("/structures", params={"q": "dormir", "place": "Évry"}).json()
        assert "dora--test-hebergement-evry" in [i["id"] for i in bed["items"][:5]]
        assert bed["remote"][0]["id"] == "samu-social-115" and bed["remote_first"]
        clothes = client.get("/structures", params={"category": "clothing", "place": "Paris 18e"}).json()
        assert "soliguide--test-vestiaire-paris18" in [i["id"] for i in clothes["items"]]  # served
        exported = client.get("/exports/data-inclusion/structures.json").json()
        ids = {s["id"] for s in exported}
        assert "dora--test-epicerie-sarcelles" in ids
        assert "soliguide--test-vestiaire-paris18" not in ids  # never exported
        csv_text = client.get("/structures.csv", params={"category": "clothing", "place": "Paris 18e"}).text
        assert "Vestiaire solidaire de test" not in csv_text


def test_the_command_fetches_and_says_what_failed_in_french(publishers, tmp_path, datasets_dir) -> None:
    server, base = publishers
    server.faults = {"data.ratp.fr": "down"}
    env = {**os.environ, "FETCH_DIR": str(tmp_path / "fetch"), "FETCH_MIRROR": base, "DATASETS_DIR": str(datasets_dir)}
    env.pop("DATA_INCLUSION_TOKEN", None)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "directory_api.cli", "fetch", "--no-import"], cwd=REPO, env=env,
            capture_output=True, text=True, timeout=300,
        )
    finally:
        server.faults = {}
    assert run.returncode == 3, run.stderr
    assert "ratp-toilettes : ÉCHEC, données précédentes gardées — data.ratp.fr répond 503" in run.stderr
    assert "paris-sanisettes : nouvelle version téléchargée, données du 2024-11-13" in run.stdout
    assert "data-inclusion-idf : non activée" in run.stdout


def test_health_and_the_sources_page_say_each_sources_date_last_fetch_and_failure(publishers, refreshed, datasets_dir, tmp_path) -> None:
    from directory_api.api.app import create_app
    from directory_api.settings import Settings

    server, base = publishers
    root, _, _ = refreshed
    fetch_again(datasets_dir, root, base, only=["ratp-toilettes", "paris-sanisettes"])  # a success first
    server.faults = {"data.ratp.fr": "down"}
    try:
        fetch_again(datasets_dir, root, base, only=["ratp-toilettes"])
    finally:
        server.faults = {}
    settings = Settings(data_dir=root / "data", fetch_dir=root / "fetch", index_path=tmp_path / "index.sqlite", usage_enabled=False)
    EmbeddedBackend(settings.index_path).bulk_load(read_structures(root / "data" / "structures"))
    with TestClient(create_app(settings)) as client:
        sources = client.get("/health").json()["sources"]
        assert sources["ratp-toilettes"]["fetch"] == "failed"
        assert "data.ratp.fr répond 503" in sources["ratp-toilettes"]["reason"]
        assert sources["ratp-toilettes"]["last_success"]  # the data in use is the last good one
        assert sources["paris-sanisettes"]["data_date"] == "2024-11-13"
        assert sources["region-maisons-solidaires"]["fetch"] == "never"
        page = client.get("/sources").text
        assert "ÉCHEC, données précédentes gardées ; dernier téléchargement réussi le" in page
