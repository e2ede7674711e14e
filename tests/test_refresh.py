"""Safe refresh: a changed source is diffed, a broken one keeps its previous data, files swap atomically.

Each test imports a writable copy of a few datasets into a copy of the committed data/structures/. The
sources left out of that copy are « missing files »: they keep their previous data too, which the
tests check along the way.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from directory_api import importer
from directory_api.cli import KEPT_BACK_EXIT_CODE, app
from directory_api.importer import STRUCTURES_DIR, ImportOutcome, run_import
from directory_api.sources import paris_bains_douches

FOUNTAINS = "ratp-fontaines"  # 81 rows, one structure each, id from `identifiant_ratp`
FOUNTAINS_FILE = "fontaines-a-eau-dans-le-reseau-ratp.csv"
SHOWERS = "paris-bains-douches"  # 17 rows, id from `identifiant`
SHOWERS_FILE = "paris-bains-douches.csv"
RESTAURANTS = "casvp-restaurants-solidaires"  # has one empty record, always in rejects.csv
RESTAURANTS_FILE = "restaurants-casvp.csv"
# communes-idf: the commune index of every import; idfm-gares: the gazetteer written with it.
FOLDERS = ["communes-idf", "idfm-gares", FOUNTAINS, SHOWERS, RESTAURANTS]
MISSING = "finess-etablissements-idf"  # one of the sources not copied
EMPTY_DIFF = {"count": 0, "ids": []}


@pytest.fixture
def datasets(datasets_dir: Path, tmp_path: Path) -> Path:
    root = tmp_path / "datasets"
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True)
        for path in (datasets_dir / folder).iterdir():
            shutil.copyfile(path, root / folder / path.name)  # copyfile: writable, unlike the shared copy
    return root


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The output directory, seeded with the committed data as the previous import."""
    target = tmp_path / "data" / "structures"
    shutil.copytree(STRUCTURES_DIR, target)
    return target


def refresh(datasets: Path, out: Path, **options: object) -> ImportOutcome:
    return run_import(datasets, out, out.parent / "places", **options)  # type: ignore[arg-type]


def snapshot(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in directory.iterdir()}


def edit_csv(path: Path, edit: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = list(reader.fieldnames or []), list(reader)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(edit(rows))


def records(out: Path, source: str) -> dict[str, dict[str, object]]:
    lines = (out / f"{source}.jsonl").read_text(encoding="utf-8").splitlines()
    return {record["id"]: record for record in map(json.loads, lines)}


def rejects(out: Path) -> list[dict[str, str]]:
    with (out / "rejects.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def source_entry(snapshot_: dict[str, bytes], source: str) -> dict[str, object]:
    return json.loads(snapshot_["import-report.json"])["sources"][source]


def rename_shower(datasets: Path) -> None:
    """A small real change in another source, to see it refreshed next to a source kept back."""

    def rename(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for row in rows:
            if row["identifiant"] == "BD1":
                row["nom"] = "Bain-douche Audubon rénové"
        return rows

    edit_csv(datasets / SHOWERS / SHOWERS_FILE, rename)


# --- (a) identical re-import ------------------------------------------------------------------------


def test_should_leave_every_committed_file_as_it_is_when_nothing_changed(datasets_dir, tmp_path):
    """The scheduled `directory import` over unchanged data: empty diff, exit 0, not one byte changed."""
    data = tmp_path / "data"
    shutil.copytree(STRUCTURES_DIR, data / "structures")
    before = snapshot(data / "structures")

    result = CliRunner().invoke(app, ["import", "--datasets", str(datasets_dir)], env={"DATA_DIR": str(data)})

    assert result.exit_code == 0, result.output
    assert snapshot(data / "structures") == before
    report = json.loads(before["refresh-report.json"])
    assert report["kept_previous"] == []
    for source, entry in report["sources"].items():
        assert entry["status"] == "refreshed", source
        assert entry["added"] == entry["changed"] == entry["removed"] == EMPTY_DIFF, source
    assert f"  {FOUNTAINS} : 81 lieux, 0 rejet — aucun changement" in result.output


def test_should_report_an_empty_diff_and_rewrite_nothing_on_a_second_identical_import(datasets, out):
    before = snapshot(out)

    first = refresh(datasets, out)
    after_first = snapshot(out)
    second = refresh(datasets, out)

    for source in (FOUNTAINS, SHOWERS, RESTAURANTS):
        entry = second.refresh["sources"][source]  # type: ignore[index]
        assert entry["status"] == "refreshed"
        assert entry["added"] == entry["changed"] == entry["removed"] == EMPTY_DIFF
    # The sources missing from the copy are kept back: only the refresh report says so.
    assert MISSING in first.kept_back
    assert {name for name in after_first if after_first[name] != before.get(name)} == {"refresh-report.json"}
    assert snapshot(out) == after_first  # no date in the refresh report, no temporary file left


# --- (b) a modified dataset --------------------------------------------------------------------------


def test_should_list_exactly_the_ids_added_changed_and_removed(datasets, out):
    def edit(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        by_id = {row["identifiant_ratp"]: row for row in rows}
        by_id["8"]["station_ou_gare"] = "Métro Gambetta (sortie Père-Lachaise)"
        kept = [row for row in rows if row["identifiant_ratp"] not in {"11", "16", "22"}]
        added = dict(by_id["28"], identifiant_ratp="99999")
        broken = dict(by_id["29"], identifiant_ratp="")  # a bad row: must be in rejects.csv
        return [*kept, added, broken]

    edit_csv(datasets / FOUNTAINS / FOUNTAINS_FILE, edit)

    outcome = refresh(datasets, out)

    entry = outcome.refresh["sources"][FOUNTAINS]  # type: ignore[index]
    assert entry["status"] == "refreshed"
    assert entry["structures"] == 79
    assert entry["added"] == {"count": 1, "ids": ["fontaine-ratp-99999"]}
    assert entry["changed"] == {"count": 1, "ids": ["fontaine-ratp-8"]}
    assert entry["removed"] == {"count": 3, "ids": ["fontaine-ratp-11", "fontaine-ratp-16", "fontaine-ratp-22"]}
    assert "Père-Lachaise" in records(out, FOUNTAINS)["fontaine-ratp-8"]["name"]  # type: ignore[operator]
    for source in (SHOWERS, RESTAURANTS):
        assert outcome.refresh["sources"][source]["changed"] == EMPTY_DIFF  # type: ignore[index]
    reasons = {(row["source"], row["line"], row["reason"]) for row in rejects(out)}
    assert (FOUNTAINS, "81", "identifiant RATP manquant") in reasons  # header + 79 rows + the broken one
    assert any(source == RESTAURANTS and "enregistrement vide" in reason for source, _, reason in reasons)
    counts = outcome.report["sources"][FOUNTAINS]  # type: ignore[index]
    assert (counts["structures"], counts["rejects"]) == (79, 1)


def test_should_cap_the_listed_ids_but_not_the_counts(datasets, out, monkeypatch):
    monkeypatch.setattr(importer, "MAX_LISTED_IDS", 2)
    edit_csv(datasets / FOUNTAINS / FOUNTAINS_FILE, lambda rows: rows[5:])

    entry = refresh(datasets, out).refresh["sources"][FOUNTAINS]  # type: ignore[index]

    assert entry["removed"]["count"] == 5
    assert len(entry["removed"]["ids"]) == 2


# --- (c) a broken source keeps its previous data -----------------------------------------------------


def cut_in_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # mid-row, as an interrupted download


def reencode_utf16(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8"), encoding="utf-16")


def shift_values(path: Path) -> None:
    """Values moved one column to the right under an unchanged header (a broken export)."""

    def shift(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return [dict(zip(row, [*row.values()][-1:] + [*row.values()][:-1], strict=True)) for row in rows]

    edit_csv(path, shift)


def rename_column(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("identifiant_ratp", "id_ratp", 1), encoding="utf-8")


CORRUPTIONS: dict[str, tuple[Callable[[Path], None], str]] = {
    "tronqué": (cut_in_half, "perte de 5"),
    "UTF-16": (reencode_utf16, "encodage illisible"),
    "valeurs décalées": (shift_values, "aucun lieu lu"),
    "colonne renommée": (rename_column, "colonne attendue absente : 'identifiant_ratp'"),
    "fichier absent": (Path.unlink, f"fichier introuvable : {FOUNTAINS_FILE}"),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS, ids=list(CORRUPTIONS))
def test_should_keep_the_previous_data_of_a_source_that_cannot_be_read(datasets, out, corruption):
    corrupt, reason = CORRUPTIONS[corruption]
    before = snapshot(out)
    corrupt(datasets / FOUNTAINS / FOUNTAINS_FILE)
    rename_shower(datasets)

    outcome = refresh(datasets, out)

    entry = outcome.refresh["sources"][FOUNTAINS]  # type: ignore[index]
    assert entry["status"] == "kept_previous"
    assert reason in entry["reason"]
    assert entry["structures"] == 81
    assert FOUNTAINS in outcome.kept_back
    assert (out / f"{FOUNTAINS}.jsonl").read_bytes() == before[f"{FOUNTAINS}.jsonl"]
    assert outcome.report["sources"][FOUNTAINS] == source_entry(before, FOUNTAINS)  # type: ignore[index]
    # The other sources are refreshed all the same.
    showers = outcome.refresh["sources"][SHOWERS]  # type: ignore[index]
    assert showers["status"] == "refreshed"
    assert showers["changed"] == {"count": 1, "ids": ["bains-douches-BD1"]}
    assert records(out, SHOWERS)["bains-douches-BD1"]["name"] == "Bain-douche Audubon rénové"
    assert (out / f"{MISSING}.jsonl").read_bytes() == before[f"{MISSING}.jsonl"]


def test_should_say_what_was_read_from_a_source_kept_back(datasets, out):
    shift_values(datasets / FOUNTAINS / FOUNTAINS_FILE)

    entry = refresh(datasets, out).refresh["sources"][FOUNTAINS]  # type: ignore[index]

    assert entry["read"]["structures"] == 0
    assert entry["read"]["rejects"] == 81
    assert len(entry["read"]["rejects_sample"]) == importer.REJECTS_SAMPLE
    assert all(sample.startswith(f"{FOUNTAINS_FILE}:") for sample in entry["read"]["rejects_sample"])
    assert "coordonnées illisibles" in entry["read"]["rejects_sample"][0]


def test_should_keep_the_rejects_and_counts_of_a_source_kept_back(datasets, out):
    before = snapshot(out)
    reencode_utf16(datasets / RESTAURANTS / RESTAURANTS_FILE)

    outcome = refresh(datasets, out)

    assert outcome.refresh["sources"][RESTAURANTS]["status"] == "kept_previous"  # type: ignore[index]
    after = snapshot(out)
    for name in ("rejects.csv", "import-report.json", "README.md", f"{RESTAURANTS}.jsonl"):
        assert after[name] == before[name], name


def test_should_write_nothing_for_a_new_source_that_cannot_be_read(datasets, out):
    (out / f"{FOUNTAINS}.jsonl").unlink()  # the source's first import
    reencode_utf16(datasets / FOUNTAINS / FOUNTAINS_FILE)

    outcome = refresh(datasets, out)

    entry = outcome.refresh["sources"][FOUNTAINS]  # type: ignore[index]
    assert (entry["status"], entry["structures"]) == ("kept_previous", 0)
    assert "encodage illisible" in entry["reason"]
    assert not (out / f"{FOUNTAINS}.jsonl").exists()
    assert FOUNTAINS not in outcome.report["sources"]  # type: ignore[operator]
    assert f"`{FOUNTAINS}.jsonl`" not in (out / "README.md").read_text(encoding="utf-8")


def test_should_accept_reordered_columns_with_their_header(datasets, out):
    """Columns moved by the producer, header included, are the same data: nothing to keep back."""
    path = datasets / FOUNTAINS / FOUNTAINS_FILE
    with path.open(encoding="utf-8", newline="") as handle:
        fields = list(csv.DictReader(handle).fieldnames or [])
    edit_csv(path, lambda rows: [{key: row[key] for key in reversed(fields)} for row in rows])

    entry = refresh(datasets, out).refresh["sources"][FOUNTAINS]  # type: ignore[index]

    assert entry["status"] == "refreshed"
    assert entry["added"] == entry["changed"] == entry["removed"] == EMPTY_DIFF


# --- (d) a sudden loss -------------------------------------------------------------------------------


def test_should_keep_a_source_that_loses_half_its_places_unless_forced(datasets, out):
    path = datasets / FOUNTAINS / FOUNTAINS_FILE
    with path.open(encoding="utf-8", newline="") as handle:
        dropped = sorted(f"fontaine-ratp-{row['identifiant_ratp']}" for row in list(csv.DictReader(handle))[40:])
    edit_csv(path, lambda rows: rows[:40])
    before = snapshot(out)

    kept = refresh(datasets, out)
    entry = kept.refresh["sources"][FOUNTAINS]  # type: ignore[index]
    assert entry["status"] == "kept_previous"
    assert entry["reason"].startswith("perte de 51 % des lieux (40 au lieu de 81")
    assert "seuil de 20 %" in entry["reason"] and "--force" in entry["reason"]
    assert (out / f"{FOUNTAINS}.jsonl").read_bytes() == before[f"{FOUNTAINS}.jsonl"]

    forced = refresh(datasets, out, force=True)
    entry = forced.refresh["sources"][FOUNTAINS]  # type: ignore[index]
    assert entry["status"] == "refreshed"
    assert entry["removed"] == {"count": 41, "ids": dropped}
    assert len(records(out, FOUNTAINS)) == 40

    again = refresh(datasets, out)  # the accepted drop is the new reference
    assert again.refresh["sources"][FOUNTAINS]["status"] == "refreshed"  # type: ignore[index]


def test_should_take_the_threshold_from_the_option(datasets, out):
    edit_csv(datasets / FOUNTAINS / FOUNTAINS_FILE, lambda rows: rows[:70])  # 14 % fewer

    assert FOUNTAINS in refresh(datasets, out, max_loss=0.1).kept_back
    assert FOUNTAINS not in refresh(datasets, out, max_loss=0.2).kept_back


def test_should_exit_non_zero_and_say_why_when_a_source_is_kept_back(datasets, out):
    edit_csv(datasets / FOUNTAINS / FOUNTAINS_FILE, lambda rows: rows[:40])
    runner = CliRunner()
    command = ["import", "--datasets", str(datasets)]
    env = {"DATA_DIR": str(out.parent)}

    kept = runner.invoke(app, command, env=env)
    assert kept.exit_code == KEPT_BACK_EXIT_CODE, kept.output
    assert f"  {FOUNTAINS} : 81 lieux, 0 rejet — DONNÉES PRÉCÉDENTES GARDÉES : perte de 51 %" in kept.stdout
    assert FOUNTAINS in kept.stderr and "refresh-report.json" in kept.stderr

    forced = runner.invoke(app, [*command, "--force"], env=env)
    assert f"  {FOUNTAINS} : 40 lieux, 0 rejet — 41 supprimés" in forced.stdout
    assert forced.exit_code == KEPT_BACK_EXIT_CODE  # still: the sources missing from the copy

    assert runner.invoke(app, [*command, "--max-loss", "20"], env=env).exit_code == 2  # a share, not a percentage


# --- atomic swap -------------------------------------------------------------------------------------


class Crash(BaseException):
    """Stands for the process being killed: not an error of one source."""


def test_should_leave_the_previous_files_when_the_import_crashes_while_reading(datasets, out, monkeypatch):
    edit_csv(datasets / FOUNTAINS / FOUNTAINS_FILE, lambda rows: rows[1:])  # read before the crash

    def crash(ctx):
        raise Crash

    monkeypatch.setattr(paris_bains_douches, "read", crash)
    before = snapshot(out)

    with pytest.raises(Crash):
        refresh(datasets, out)

    assert snapshot(out) == before


def test_should_leave_the_previous_files_when_writing_fails(datasets, out, monkeypatch):
    edit_csv(datasets / FOUNTAINS / FOUNTAINS_FILE, lambda rows: rows[1:])
    rename_shower(datasets)
    real_fsync, calls = importer.os.fsync, []

    def full_disk(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "plus de place sur le disque")
        real_fsync(fd)

    monkeypatch.setattr(importer.os, "fsync", full_disk)
    before = snapshot(out)

    with pytest.raises(OSError):
        refresh(datasets, out)

    assert snapshot(out) == before  # nothing replaced, no temporary file left
