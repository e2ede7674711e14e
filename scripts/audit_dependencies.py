"""Known vulnerabilities in both locked dependency sets, offline (security/README.md).

Reads the two lockfiles (uv.lock for the API, bot/requirements.lock for the assistant) with
OSV-Scanner against a local PyPI database: by default the snapshot kept in `security/`, or the
OSV `all.zip` named by AUDIT_OSV_DB where a fresher one has been downloaded. Prints the database's
date first, so an old database is never taken for a clean bill of health.

Arguments, when given, replace the two lockfiles (OSV-Scanner's `TYPE:PATH`, as in the tests).

Exit 1 when a locked package has a known vulnerability with a published fix (to upgrade, or to
accept in security/osv-scanner.toml with the reason it is not reachable in our use); the ones
without a fix are listed. Exit 2 when the scan itself could not run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SECURITY = ROOT / "security"
WORK = ROOT / "var" / "audit"
SCANNER = ROOT / ".tools" / "bin" / "osv-scanner"
LOCKFILES = (f"uv.lock:{ROOT / 'uv.lock'}", f"requirements.txt:{ROOT / 'bot' / 'requirements.lock'}")


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    ids: tuple[str, ...]
    fixed_in: tuple[str, ...]
    lockfile: str


def snapshot_database(target: Path) -> tuple[str, str]:
    """Writes the committed snapshot as OSV-Scanner's all.zip; returns its description."""
    snapshot = json.loads((SECURITY / "snapshot.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for line in (SECURITY / "pypi-advisories.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            archive.writestr(f"{record['id']}.json", line)
    return f"{snapshot['source']} ({snapshot['records']} avis)", snapshot["newest_modified"]


def downloaded_database(source: Path, target: Path) -> tuple[str, str]:
    """Uses an OSV all.zip as it is; its date is the newest `modified` of its records."""
    newest = ""
    with zipfile.ZipFile(source) as archive:
        for name in archive.namelist():
            if name.endswith(".json"):
                newest = max(newest, json.loads(archive.read(name)).get("modified", ""))
    target.write_bytes(source.read_bytes())
    return f"{source}", newest


def fixes_for(vulnerability: dict[str, Any], package: str) -> set[str]:
    return {
        event["fixed"]
        for affected in vulnerability.get("affected", [])
        if affected.get("package", {}).get("name", "").lower() == package.lower()
        for span in affected.get("ranges", [])
        for event in span.get("events", [])
        if "fixed" in event
    }


def findings(report: dict[str, Any]) -> list[Finding]:
    found = []
    for result in report.get("results", []):
        path = Path(result["source"]["path"])
        lockfile = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
        for entry in result.get("packages", []):
            package = entry["package"]
            by_id = {v["id"]: v for v in entry.get("vulnerabilities", [])}
            for group in entry.get("groups", []):
                fixed = set().union(*(fixes_for(by_id[i], package["name"]) for i in group["ids"] if i in by_id))
                found.append(
                    Finding(package["name"], package["version"], tuple(group["ids"]), tuple(sorted(fixed)), lockfile)
                )
    return found


def main(lockfiles: list[str]) -> int:
    if not SCANNER.exists():
        print(f"OSV-Scanner absent ({SCANNER}) : lancez `make audit`, qui l'installe.", file=sys.stderr)
        return 2
    database_dir = WORK / "db"
    target = database_dir / "osv-scalibr" / "PyPI" / "all.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    override = os.environ.get("AUDIT_OSV_DB")
    name, newest = downloaded_database(Path(override), target) if override else snapshot_database(target)
    age = (datetime.now(UTC) - datetime.fromisoformat(newest.replace("Z", "+00:00"))).days
    print(f"Base de vulnérabilités : {name}, à jour au {newest[:10]} ({age} jours).")
    if age > 90:
        print(
            "  Attention : les vulnérabilités publiées depuis cette date ne sont pas vérifiées ;"
            " refaites l'audit avec une base récente (security/README.md).",
        )
    command = [str(SCANNER), "scan", "source", "--offline-vulnerabilities", "--no-resolve", "--format", "json"]
    command += ["--config", str(SECURITY / "osv-scanner.toml")]
    for lockfile in lockfiles or LOCKFILES:
        command += ["-L", lockfile]
    run = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, "OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY": str(database_dir)},
    )
    if run.returncode not in (0, 1) or "Loaded PyPI local db" not in run.stderr:
        print(f"L'audit n'a pas pu s'exécuter (code {run.returncode}) :\n{run.stderr}", file=sys.stderr)
        return 2
    scanned = [line for line in run.stderr.splitlines() if line.startswith("Scanned ")]
    print("\n".join(f"  {line}" for line in scanned))
    found = findings(json.loads(run.stdout))
    fixable = [f for f in found if f.fixed_in]
    for f in fixable:
        print(
            f"À CORRIGER {f.package} {f.version} ({f.lockfile}) : {', '.join(f.ids)} ; corrigé en {', '.join(f.fixed_in)}"
        )
    for f in found:
        if not f.fixed_in:
            print(f"sans correctif publié {f.package} {f.version} ({f.lockfile}) : {', '.join(f.ids)}")
    print(f"{len(fixable)} vulnérabilités à corriger, {len(found) - len(fixable)} sans correctif publié.")
    return 1 if fixable else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
