"""`directory fetch`: the current version of every source from its publisher, then the safe import.

Layout under `fetch_dir` (default `var/fetch/`), so that a refresh can be replayed and audited:
- `raw/<source>/<file>`: the file exactly as the publisher served it (the last good one);
- `datasets/<source>/`: the staged files the source module reads, made from the raw file, with
  `PUBLISHED.json` (the publisher's date, URL, licence, checksum). A source never fetched, or a reference
  folder (communes, nomenclatures), is a link to `../shared/datasets/<folder>`;
- `state.json`: per source, the status of the last run, its French reason, the last success, the
  publisher's date and the HTTP validators (ETag, Last-Modified) for conditional requests.

A source whose publisher is down, refuses, or changed its format keeps its previous staged files (or the
shared copy): its status says why, and the import that follows serves what it served before.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from directory_api.fetch.download import PublisherError, Publishers, Validators
from directory_api.fetch.publications import ManualSource, NotConfigured, Publication, Retrieved
from directory_api.sources import all_sources

PUBLISHED_FILE = "PUBLISHED.json"
STATE_FILE = "state.json"

Status = Literal["refreshed", "unchanged", "failed", "manual", "not_configured"]
STATUS_LABELS: dict[str, str] = {
    "refreshed": "nouvelle version téléchargée",
    "unchanged": "inchangée chez l'éditeur",
    "failed": "ÉCHEC, données précédentes gardées",
    "manual": "mise à jour manuelle",
    "not_configured": "non activée",
}


@dataclass
class SourceState:
    status: Status
    reason: str | None = None
    checked_at: str | None = None  # this run
    last_success: str | None = None  # the last run that got the publisher's current version
    data_date: str | None = None  # the publisher's date of the data in use
    url: str | None = None
    licence: str | None = None
    sha256: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    version: str | None = None  # the publisher's version stamp (Opendatasoft `data_processed`)

    @property
    def validators(self) -> Validators:
        return Validators(self.etag, self.last_modified, self.version)


@dataclass
class FetchOutcome:
    sources: dict[str, SourceState] = field(default_factory=dict)
    datasets_dir: Path = Path()

    @property
    def failed(self) -> list[str]:
        return [s for s, state in self.sources.items() if state.status == "failed"]


def publications() -> dict[str, Publication]:
    """Source id → its publication, for every source module that declares one."""
    return {m.INFO.id: m.PUBLICATION for m in all_sources() if hasattr(m, "PUBLICATION")}  # type: ignore[attr-defined]


def load_state(fetch_dir: Path) -> dict[str, SourceState]:
    try:
        raw = json.loads((fetch_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {source: SourceState(**entry) for source, entry in raw.items() if isinstance(entry, dict)}


def run_fetch(
    shared_datasets: Path,
    fetch_dir: Path,
    *,
    mirror: str | None = None,
    data_inclusion_token: str | None = None,
    only: Iterable[str] | None = None,
    sleep: bool = True,
) -> FetchOutcome:
    """Fetch every published source (or `only` these), keeping the previous data of each that fails."""
    datasets = fetch_dir / "datasets"
    datasets.mkdir(parents=True, exist_ok=True)
    link_shared_folders(shared_datasets, datasets)
    states = load_state(fetch_dir)
    wanted = set(only) if only else None
    outcome = FetchOutcome(datasets_dir=datasets)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with Publishers(mirror, data_inclusion_token=data_inclusion_token, sleep=sleep) as http:
        for source, publication in sorted(publications().items()):
            previous = states.get(source)
            if wanted is not None and source not in wanted:
                if previous:
                    outcome.sources[source] = previous
                continue
            state = fetch_source(source, publication, http, fetch_dir, previous)
            state.checked_at = now
            if state.status in ("refreshed", "unchanged"):
                state.last_success = now
            outcome.sources[source] = state
    write_json(fetch_dir / STATE_FILE, {s: asdict(st) for s, st in sorted(outcome.sources.items())})
    return outcome


def fetch_source(
    source: str, publication: Publication, http: Publishers, fetch_dir: Path, previous: SourceState | None
) -> SourceState:
    raw_path = fetch_dir / "raw" / source / publication.raw_name
    kept = previous or SourceState(status="failed")
    staged = fetch_dir / "datasets" / source
    # Conditional only when the raw file is here to fall back on.
    validators = kept.validators if raw_path.is_file() and not staged.is_symlink() else Validators()
    try:
        retrieved = publication.retrieve(http, validators)
        raw = retrieved.raw if retrieved.raw is not None else raw_path.read_bytes()
        install(source, publication, retrieved, raw, fetch_dir)
    except ManualSource as exc:
        return SourceState(status="manual", reason=str(exc), url=publication.page_url, data_date=kept.data_date)
    except NotConfigured as exc:
        return SourceState(status="not_configured", reason=str(exc))
    except PublisherError as exc:
        return failed(kept, str(exc))
    except OSError as exc:
        return failed(kept, f"écriture impossible : {exc}")
    published = retrieved.published
    return SourceState(
        status="unchanged" if retrieved.raw is None else "refreshed",
        last_success=kept.last_success,
        data_date=published.data_date.isoformat() if published.data_date else kept.data_date,
        url=published.url,
        licence=published.licence,
        sha256=retrieved.sha256 or kept.sha256,
        etag=retrieved.validators.etag,
        last_modified=retrieved.validators.last_modified,
        version=retrieved.validators.version,
    )


def failed(previous: SourceState, reason: str) -> SourceState:
    """This run failed; what is in use (date, validators, last success) is the previous data's."""
    return SourceState(
        status="failed",
        reason=reason,
        last_success=previous.last_success,
        data_date=previous.data_date,
        url=previous.url,
        licence=previous.licence,
        sha256=previous.sha256,
        etag=previous.etag,
        last_modified=previous.last_modified,
        version=previous.version,
    )


def install(source: str, publication: Publication, retrieved: Retrieved, raw: bytes, fetch_dir: Path) -> None:
    """Normalise into a new folder, then swap it in with the raw file: a failure leaves the previous pair."""
    datasets = fetch_dir / "datasets"
    building = Path(tempfile.mkdtemp(dir=datasets, prefix=f".{source}."))
    try:
        publication.normalise(raw, building)
        published = retrieved.published
        write_json(
            building / PUBLISHED_FILE,
            {
                "data_date": published.data_date.isoformat() if published.data_date else None,
                "url": published.url,
                "page_url": publication.page_url,
                "licence": published.licence,
                "sha256": retrieved.sha256 or hashlib.sha256(raw).hexdigest(),
            },
        )
        raw_dir = fetch_dir / "raw" / source
        raw_dir.mkdir(parents=True, exist_ok=True)
        if retrieved.raw is not None:
            temporary = raw_dir / f".{publication.raw_name}.tmp"
            temporary.write_bytes(raw)
            os.replace(temporary, raw_dir / publication.raw_name)
        target = datasets / source
        old = datasets / f".{source}.old"
        shutil.rmtree(old, ignore_errors=True)
        if target.is_symlink():
            target.unlink()
        elif target.exists():
            os.replace(target, old)
        os.replace(building, target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(building, ignore_errors=True)


def link_shared_folders(shared_datasets: Path, datasets: Path) -> None:
    """Every shared folder not fetched yet is read from the shared copy (a link, nothing copied)."""
    for folder in sorted(p for p in shared_datasets.iterdir() if p.is_dir()):
        target = datasets / folder.name
        if target.is_symlink() and target.resolve() != folder.resolve():
            target.unlink()
        if not target.exists() and not target.is_symlink():
            target.symlink_to(folder.resolve(), target_is_directory=True)


def published_date(dataset_dir: Path) -> str | None:
    """The publisher's date of a fetched folder (None for a shared copy: its module's date holds)."""
    try:
        return json.loads((dataset_dir / PUBLISHED_FILE).read_text(encoding="utf-8")).get("data_date")
    except (OSError, ValueError, AttributeError):
        return None


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
