"""What every source mapping provides.

One module per source in `directory_api/sources/`, each exposing:
- `INFO: SourceInfo`, the source's identity, licence and data date;
- `read(ctx: ImportContext) -> Iterator[Structure | Reject]`, which turns every row of the source
  into either a structure or a reject (file, line, reason). A row is never dropped silently.

A live connector (a Soliguide or data·inclusion API export, say) is just another module with the same
two names: the importer does not care where rows come from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from directory_api.geography.communes import CommuneIndex
from directory_api.models import Provenance, Reject, Structure


@dataclass(frozen=True)
class SourceInfo:
    id: str  # also the dataset folder name under ../shared/datasets
    title: str
    publisher: str
    licence: str
    licence_url: str
    data_date: date
    url: str | None = None
    share_alike: bool = False  # ODbL: attribution and share-alike, kept in a separate file

    def provenance(self, record_id: str, fields: list[str] | None = None) -> Provenance:
        return Provenance(
            source=self.id,
            source_record_id=record_id,
            licence=self.licence,
            data_date=self.data_date,
            source_url=self.url,
            fields=fields,
        )

    def reject(self, file: Path | str, line: int, reason: str, record_id: str | None = None) -> Reject:
        """A row that should have become a structure but could not (listed in rejects.csv)."""
        return Reject(source=self.id, file=Path(file).name, line=line, reason=reason, record_id=record_id)

    def out_of_scope(self, file: Path | str, line: int, reason: str, record_id: str | None = None) -> Reject:
        """A row deliberately left out (outside the mission); counted per reason in the report.

        Keep `reason` short and generic (e.g. « catégorie FINESS 146 hors périmètre ») so that counts group.
        """
        return Reject(
            source=self.id, file=Path(file).name, line=line, reason=reason, record_id=record_id, out_of_scope=True
        )


@dataclass
class ImportContext:
    datasets_dir: Path
    communes: CommuneIndex
    cache: dict[str, object] = field(default_factory=dict)  # shared look-ups between sources

    def dataset(self, folder: str) -> Path:
        return self.datasets_dir / folder


class SourceModule(Protocol):
    INFO: SourceInfo

    def read(self, ctx: ImportContext) -> Iterator[Structure | Reject]: ...
