"""How each publisher publishes a source: where its metadata and file are, and how the file it serves
becomes the file the source module reads (the « staged » file, as in `../shared/datasets/<source>/`).

A source module declares `PUBLICATION` with one of these; `directory fetch` does the rest
(`directory_api/fetch/runner.py`). Each class says where its facts come from:
- Opendatasoft Explore API v2.1 (opendata.paris.fr, data.iledefrance.fr, data.ratp.fr): dataset
  metadata at `/api/explore/v2.1/catalog/datasets/{id}` (`metas.default.modified`, `metas.default.license`),
  whole exports at `/api/explore/v2.1/catalog/datasets/{id}/exports/{csv|json}`
  (https://help.opendatasoft.com/apis/ods-explore-v2/, « Export datasets »). The CSV export is
  `;`-separated; `use_labels=true` gives the column labels as headers, a geo point is « lat, lon ».
- data.gouv.fr API v1: `/api/1/datasets/{slug}/` lists `resources` with `title`, `url`, `last_modified`,
  `checksum` {type, value}, and the dataset's `license` (https://guides.data.gouv.fr/, « API »).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from directory_api.fetch.download import PublisherError, Publishers, Validators

PARIS = ZoneInfo("Europe/Paris")
PARIS_DATA = "https://opendata.paris.fr"
REGION_DATA = "https://data.iledefrance.fr"
RATP_DATA = "https://data.ratp.fr"
DATA_GOUV = "https://www.data.gouv.fr"


class FormatChanged(PublisherError):
    """The publisher's file no longer has the shape the source module reads."""


@dataclass(frozen=True)
class Published:
    """What the publisher says of the version it serves today."""

    url: str  # the file to download
    data_date: date | None  # the publisher's date of the data (never the download date)
    licence: str | None = None
    checksum: tuple[str, str] | None = None  # (hashlib algorithm, hex digest) announced by the publisher
    version: str | None = None  # the publisher's version stamp, when its metadata has one


@dataclass(frozen=True)
class Retrieved:
    """One retrieval: the raw file (None when unchanged since `validators`) and what the publisher said."""

    published: Published
    raw: bytes | None
    validators: Validators
    sha256: str | None


class Publication(Protocol):
    page_url: str  # the publisher's page for people
    cadence: str  # how often the publisher updates it, in French
    raw_name: str  # the name the raw download is kept under

    def retrieve(self, http: Publishers, validators: Validators) -> Retrieved:
        """The current version; `validators` from the previous download make it conditional."""
        ...

    def normalise(self, raw: bytes, out_dir: Path) -> None:
        """Write the staged file(s) the source module reads into `out_dir`; FormatChanged if it cannot."""
        ...


def retrieve_file(locate: Callable[[Publishers], Published], http: Publishers, validators: Validators, label: str) -> Retrieved:
    """A publication that is one file: its metadata, then the file (conditional), checked against the
    checksum the publisher announces."""
    published = locate(http)
    if published.version and published.version == validators.version:
        return Retrieved(published, None, validators, None)  # the metadata says nothing changed
    download = http.download(published.url, validators, label)
    if download.content is not None and published.checksum is not None:
        algorithm, expected = published.checksum
        actual = hashlib.new(algorithm, download.content).hexdigest()
        if actual != expected:
            raise PublisherError(f"fichier altéré : somme {algorithm} {actual[:12]}… au lieu de {expected[:12]}… annoncée")
    kept = Validators(download.validators.etag, download.validators.last_modified, published.version)
    return Retrieved(published, download.content, kept, download.sha256)


def publisher_date(value: object) -> date | None:
    """An ISO date or datetime of a publisher's metadata, as a Paris calendar day."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(PARIS).date() if moment.tzinfo else moment.date()


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], line_end: str = "\n") -> None:
    """The staged form: UTF-8 without BOM, comma-separated, minimal quoting, LF (CRLF where the staged
    file has it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator=line_end)
        writer.writerow(header)
        writer.writerows(rows)


def require_columns(found: Iterable[str], expected: Iterable[str], what: str) -> None:
    missing = [c for c in expected if c not in set(found)]
    if missing:
        raise FormatChanged(f"format changé ({what}) : colonne(s) attendue(s) absente(s) : {', '.join(missing)}")


def text_cell(value: object) -> str:
    """A JSON value as the staged CSV writes it: null → empty, 2.0 → 2, the rest as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def split_point(text: str) -> tuple[str, str]:
    """« 48.83, 2.30 » (an Opendatasoft geo point in CSV) → ("48.83", "2.30"); empty when absent."""
    if not text.strip():
        return "", ""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2:
        raise FormatChanged(f"format changé : point « {text[:40]} » au lieu de « lat, lon »")
    return parts[0], parts[1]


@dataclass(frozen=True)
class OpendatasoftExport:
    """A dataset of an Opendatasoft portal, exported whole.

    `columns` are the staged file's columns that the export gives as they are (labels for the CSV export
    with `use_labels`, field names for JSON); `point` is the geo point field from which `lat`, `lon` are
    added (kept itself only when listed in `columns`).
    """

    portal: str
    dataset: str
    file: str
    export: Literal["csv", "json"]
    columns: tuple[str, ...]
    point: str | None = None
    cadence: str = "variable (portail Opendatasoft)"
    keep: Callable[[Mapping[str, Any]], bool] | None = None  # rows of the staged file, when it is a subset
    sort_key: Callable[[Mapping[str, Any]], Any] | None = None

    @property
    def page_url(self) -> str:
        return f"{self.portal}/explore/dataset/{self.dataset}/"

    @property
    def raw_name(self) -> str:
        return f"{self.dataset}.{self.export}"

    @property
    def metadata_url(self) -> str:
        return f"{self.portal}/api/explore/v2.1/catalog/datasets/{self.dataset}"

    @property
    def export_url(self) -> str:
        base = f"{self.portal}/api/explore/v2.1/catalog/datasets/{self.dataset}/exports/{self.export}"
        return base + ("?delimiter=%3B&use_labels=true" if self.export == "csv" else "")

    def retrieve(self, http: Publishers, validators: Validators) -> Retrieved:
        return retrieve_file(self.locate, http, validators, self.dataset)

    def locate(self, http: Publishers) -> Published:
        meta = http.get_json(self.metadata_url)
        default = meta.get("metas", {}).get("default", {}) if isinstance(meta, dict) else {}
        if not isinstance(default, dict):
            raise FormatChanged("format changé : métadonnées Opendatasoft sans « metas.default »")
        when = publisher_date(default.get("modified")) or publisher_date(default.get("data_processed"))
        stamp = default.get("data_processed") or default.get("modified")
        return Published(self.export_url, when, default.get("license"), version=str(stamp) if stamp else None)

    def normalise(self, raw: bytes, out_dir: Path) -> None:
        records = self._records(raw)
        if self.keep is not None:
            records = [r for r in records if self.keep(r)]
        if self.sort_key is not None:
            records.sort(key=self.sort_key)
        header = list(self.columns) + (["lat", "lon"] if self.point else [])
        write_csv(out_dir / self.file, header, (self._row(r) for r in records))

    def _records(self, raw: bytes) -> list[dict[str, Any]]:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FormatChanged(f"format changé : export non UTF-8 ({exc.reason})") from exc
        if self.export == "json":
            try:
                records = json.loads(text)
            except ValueError as exc:
                raise FormatChanged(f"format changé : export JSON illisible ({exc})") from exc
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                raise FormatChanged("format changé : l'export JSON n'est pas une liste d'enregistrements")
            fields = {key for record in records for key in record}
            require_columns(fields, [*self.columns, *([self.point] if self.point else [])], self.dataset)
            return records
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=";")
        require_columns(reader.fieldnames or [], [*self.columns, *([self.point] if self.point else [])], self.dataset)
        return list(reader)

    def _row(self, record: Mapping[str, Any]) -> list[str]:
        row = [text_cell(record.get(c)) for c in self.columns]
        if self.point:
            value = record.get(self.point)
            if isinstance(value, dict):  # JSON export: {"lon": …, "lat": …}
                row += [text_cell(value.get("lat")), text_cell(value.get("lon"))]
            else:
                row += list(split_point(text_cell(value)))
        return row


@dataclass(frozen=True)
class DataGouvResource:
    """A resource of a data.gouv.fr dataset, chosen by its title (its id changes with each upload)."""

    dataset: str  # the slug
    title: str  # a regular expression matched against the resource titles
    raw_name: str
    convert: Callable[[bytes, Path], None]  # raw file → staged file(s)
    cadence: str = "variable (data.gouv.fr)"

    @property
    def page_url(self) -> str:
        return f"{DATA_GOUV}/fr/datasets/{self.dataset}/"

    @property
    def metadata_url(self) -> str:
        return f"{DATA_GOUV}/api/1/datasets/{self.dataset}/"

    def retrieve(self, http: Publishers, validators: Validators) -> Retrieved:
        return retrieve_file(self.locate, http, validators, self.dataset)

    def locate(self, http: Publishers) -> Published:
        meta = http.get_json(self.metadata_url)
        resources = meta.get("resources") if isinstance(meta, dict) else None
        if not isinstance(resources, list):
            raise FormatChanged("format changé : métadonnées data.gouv.fr sans « resources »")
        matching = [r for r in resources if isinstance(r, dict) and re.search(self.title, str(r.get("title", "")), re.I)]
        if not matching:
            raise FormatChanged(f"format changé : aucune ressource « {self.title} » dans le jeu {self.dataset}")
        # The newest upload of that title (several can be listed for a while).
        resource = max(matching, key=lambda r: str(r.get("last_modified") or ""))
        checksum = resource.get("checksum")
        announced = None
        if isinstance(checksum, dict) and checksum.get("type") in hashlib.algorithms_available and checksum.get("value"):
            announced = (str(checksum["type"]), str(checksum["value"]).lower())
        return Published(
            str(resource["url"]),
            publisher_date(resource.get("last_modified")) or publisher_date(meta.get("last_modified")),
            str(meta.get("license") or "") or None,
            announced,
        )

    def normalise(self, raw: bytes, out_dir: Path) -> None:
        self.convert(raw, out_dir)


@dataclass(frozen=True)
class ManualPublication:
    """A source its publisher ships in a form the fetch does not read (an annual archive, say): the
    fetch says where to get it, and the staged copy stays in use."""

    page_url: str
    cadence: str
    how: str  # what a person does, in French
    raw_name: str = field(default="", init=False)

    def retrieve(self, http: Publishers, validators: Validators) -> Retrieved:
        raise ManualSource(self.how)

    def normalise(self, raw: bytes, out_dir: Path) -> None:
        raise ManualSource(self.how)


class ManualSource(Exception):
    """Not fetched automatically; the message says how to update it."""


class NotConfigured(Exception):
    """A source that needs something only the operator can give (a token): not a failure."""
