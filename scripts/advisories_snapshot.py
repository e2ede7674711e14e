"""Build the vulnerability snapshot that `make audit` reads offline (security/README.md).

Input: a checkout of the Python Packaging Advisory Database (its `vulns/**/*.yaml`, OSV in YAML) or
an OSV `all.zip` for PyPI (OSV records in JSON), wherever a machine with the network can get one.
Output: `security/pypi-advisories.jsonl`, one trimmed OSV record per line sorted by id, and
`security/snapshot.json`, where the snapshot's date is the newest `modified` among the records: the
date of the data, not of the download.

Only what matching needs is kept (id, aliases, summary, affected packages with their ranges;
the version lists only where a package has no ECOSYSTEM range), so the file stays small.

Usage: python scripts/advisories_snapshot.py SOURCE [--source-name NAME] [--commit SHA]
"""

from __future__ import annotations

import argparse
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

SECURITY = Path(__file__).resolve().parent.parent / "security"
SUMMARY_CHARS = 200


def read_records(source: Path) -> Iterator[dict[str, Any]]:
    """OSV records from an advisory-database checkout (YAML) or an OSV all.zip (JSON)."""
    if source.suffix == ".zip":
        with zipfile.ZipFile(source) as archive:
            for name in archive.namelist():
                if name.endswith(".json"):
                    yield json.loads(archive.read(name))
        return
    for path in sorted((source / "vulns").rglob("*.yaml")):
        # BaseLoader keeps every scalar a string: an unquoted `fixed: 1.10` must not become 1.1.
        yield yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)


def trimmed(record: dict[str, Any]) -> dict[str, Any] | None:
    """The fields matching and the report need; None for a withdrawn record."""
    if record.get("withdrawn"):
        return None
    affected = []
    for entry in record.get("affected", []):
        package = entry.get("package", {})
        if package.get("ecosystem") != "PyPI":
            continue
        ranges = [r for r in entry.get("ranges", []) if r.get("type") == "ECOSYSTEM"]
        kept: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": package["name"]}}
        if ranges:
            kept["ranges"] = ranges
        elif entry.get("versions"):
            kept["versions"] = [str(v) for v in entry["versions"]]
        else:
            continue
        affected.append(kept)
    if not affected:
        return None
    summary = record.get("summary") or (record.get("details") or "").strip().split("\n")[0]
    return {
        "id": record["id"],
        "modified": str(record["modified"]),
        "aliases": record.get("aliases", []),
        "summary": summary[:SUMMARY_CHARS],
        "affected": affected,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--source-name", default="pypa/advisory-database")
    parser.add_argument("--commit", default="")
    args = parser.parse_args()
    records = sorted((r for r in map(trimmed, read_records(args.source)) if r is not None), key=lambda r: r["id"])
    SECURITY.mkdir(exist_ok=True)
    with (SECURITY / "pypi-advisories.jsonl").open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    snapshot = {
        "source": args.source_name,
        "commit": args.commit,
        "licence": "CC-BY-4.0",
        "records": len(records),
        "newest_modified": max(r["modified"] for r in records),
    }
    (SECURITY / "snapshot.json").write_text(json.dumps(snapshot, indent=2) + "\n", encoding="utf-8")
    print(f"{len(records)} avis, le plus récent modifié le {snapshot['newest_modified']}")


if __name__ == "__main__":
    main()
