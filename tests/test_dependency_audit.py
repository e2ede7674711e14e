"""The offline dependency audit (scripts/audit_dependencies.py) with the real OSV-Scanner and the
committed snapshot: it fails on a locked version with a published fix, passes a fixed one, and says
how old its database is. `make test` builds the scanner first (`make audit`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "audit_dependencies.py"
SCANNER = ROOT / ".tools" / "bin" / "osv-scanner"


def audit(lockfile: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    if not SCANNER.exists():
        pytest.fail("OSV-Scanner absent : lancez `make audit` (il est construit par make test)")
    return subprocess.run(
        [sys.executable, str(SCRIPT), f"requirements.txt:{lockfile}"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**{k: v for k, v in os.environ.items() if k != "AUDIT_OSV_DB"}, **environment},
    )


def test_a_locked_version_with_a_published_fix_fails_the_audit(tmp_path: Path) -> None:
    lockfile = tmp_path / "requirements.lock"
    lockfile.write_text("jinja2==2.10\nrequests==2.34.2\n")
    run = audit(lockfile)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "À CORRIGER jinja2 2.10" in run.stdout
    assert "PYSEC-2019-217" in run.stdout and "corrigé en 2.10.1" in run.stdout


def test_fixed_versions_pass_and_the_database_date_is_printed(tmp_path: Path) -> None:
    lockfile = tmp_path / "requirements.lock"
    lockfile.write_text("jinja2==3.1.6\nrequests==2.34.2\n")
    run = audit(lockfile)
    assert run.returncode == 0, run.stdout + run.stderr
    snapshot = json.loads((ROOT / "security" / "snapshot.json").read_text())
    assert f"à jour au {snapshot['newest_modified'][:10]}" in run.stdout
    assert "found 2 packages" in run.stdout


def test_the_snapshot_keeps_versions_as_written() -> None:
    """`fixed: 1.10` read as a YAML float would become 1.1 and hide the fix."""
    records = {
        r["id"]: r for r in map(json.loads, (ROOT / "security" / "pypi-advisories.jsonl").read_text().splitlines())
    }
    events = records["PYSEC-2018-95"]["affected"][0]["ranges"][0]["events"]
    assert {"fixed": "1.10"} in events
    assert all(isinstance(e, str) for r in records.values() for a in r["affected"] for e in a.get("versions", []))


def test_a_downloaded_osv_archive_replaces_the_snapshot_and_gives_its_own_date(tmp_path: Path) -> None:
    """AUDIT_OSV_DB: an OSV all.zip as OSV publishes it (JSON records), dated by its newest record."""
    record = {
        "id": "GHSA-8495-4g3g-x7pr",
        "modified": "2024-11-18T20:52:00Z",
        "aliases": ["CVE-2024-52304"],
        "summary": "aiohttp allows request smuggling due to incorrect parsing of chunk extensions",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "aiohttp"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.10.11"}]}],
            }
        ],
    }
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr(f"{record['id']}.json", json.dumps(record))
    lockfile = tmp_path / "requirements.lock"
    lockfile.write_text("aiohttp==3.9.5\n")
    run = audit(lockfile, AUDIT_OSV_DB=str(archive))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "à jour au 2024-11-18" in run.stdout
    assert "À CORRIGER aiohttp 3.9.5" in run.stdout and "corrigé en 3.10.11" in run.stdout
