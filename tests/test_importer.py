"""The import: idempotent, every row accounted for, the committed dataset in sync with the code."""

from __future__ import annotations

import csv
import filecmp
import json
from pathlib import Path

import pytest

from directory_api.importer import STRUCTURES_DIR, read_structures, run_import


@pytest.fixture(scope="module")
def fresh_import(datasets_dir, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("import")
    run_import(datasets_dir, root / "structures", root / "places")
    return root


def test_should_produce_exactly_the_committed_dataset(fresh_import):
    """The committed data/structures/ is what the code makes of ../shared: re-run `make import` if not."""
    committed = sorted(p.name for p in STRUCTURES_DIR.iterdir())
    produced = sorted(p.name for p in (fresh_import / "structures").iterdir())
    assert produced == committed
    mismatch = filecmp.cmpfiles(STRUCTURES_DIR, fresh_import / "structures", committed, shallow=False)[1]
    assert mismatch == []


def test_should_be_idempotent(datasets_dir, fresh_import, tmp_path):
    run_import(datasets_dir, tmp_path / "structures", tmp_path / "places")
    names = [p.name for p in (fresh_import / "structures").iterdir()]
    assert filecmp.cmpfiles(fresh_import / "structures", tmp_path / "structures", names, shallow=False)[1] == []


def test_should_account_for_every_row_of_every_source(fresh_import, datasets_dir):
    report = json.loads((fresh_import / "structures" / "import-report.json").read_text(encoding="utf-8"))
    assert report["structures"] > 10_000
    for source, counts in report["sources"].items():
        accounted = counts["structures"] + counts["rejects"] + sum(counts["out_of_scope"].values())
        assert accounted > 0, source
    # FINESS: one file, one row per establishment.
    finess = report["sources"]["finess-etablissements-idf"]
    rows = sum(1 for _ in open(datasets_dir / "finess-etablissements-idf" / "finess_etablissements_idf_20210108.csv", encoding="utf-8")) - 1
    assert finess["structures"] + finess["rejects"] + sum(finess["out_of_scope"].values()) == rows


def test_should_list_rejects_with_file_line_and_reason(fresh_import):
    with (fresh_import / "structures" / "rejects.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows, "the CASVP file has one empty record, which must be reported"
    for row in rows:
        assert row["file"] and int(row["line"]) > 1 and row["reason"]


def test_should_keep_odbl_sources_in_their_own_files(fresh_import):
    for path in (fresh_import / "structures").glob("*.jsonl"):
        licences = {p.licence for s in read_structures_file(path) for p in s.sources[:1]}
        assert len(licences) == 1, path.name


def test_should_never_claim_a_record_was_verified(fresh_import):
    assert all(s.last_verified is None for s in read_structures(fresh_import / "structures"))


def test_should_credit_every_source_in_the_readme(fresh_import):
    readme = (fresh_import / "structures" / "README.md").read_text(encoding="utf-8")
    for path in (fresh_import / "structures").glob("*.jsonl"):
        assert f"`{path.name}`" in readme
    assert "ODbL" in readme


def read_structures_file(path: Path):
    from directory_api.models import Structure

    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield Structure.model_validate_json(line)
