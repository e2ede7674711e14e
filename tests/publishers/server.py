"""A local stand-in for the publishers, serving their real formats, for `directory fetch` without the internet.

The files are made from the staged datasets (`../shared/datasets`) in the form each publisher serves them:
- Opendatasoft portals (opendata.paris.fr, data.iledefrance.fr, data.ratp.fr), Explore API v2.1: dataset
  metadata (`metas.default.modified`, `license`) and whole exports, CSV (`;`, UTF-8 BOM, labels, a geo
  point as « lat, lon », plus the `geo_shape` column the staged files dropped) or JSON (a list of records,
  geo points as {"lon", "lat"}, nulls);
- data.gouv.fr API v1: dataset metadata with `resources` (title, url on static.data.gouv.fr,
  last_modified, sha1 checksum) and the files: the FINESS extraction in its raw form (Latin-1, `;`,
  a `finess;etalab` first line, `structureet` and `geolocalisation` lines, Lambert-93, one establishment
  of the Ain to be left out), the national France services list (`;`, one row outside Île-de-France);
- the data·inclusion API v1 (`/api/v1/sources`, `/structures`, `/services`): Bearer token, 401 without,
  the `{"items", "total", "page", "size", "pages"}` envelope over test records (data_inclusion_records.json),
  at most `page_cap` items a page so that pagination is exercised.

Every URL is `http://127.0.0.1:<port>/<publisher host>/<path>`, the form FETCH_MIRROR gives. ETag and
Last-Modified are sent and honoured (304). `faults` makes a publisher fail the way real ones do.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from directory_api.fetch.publications import DataGouvResource, OpendatasoftExport
from directory_api.fetch.runner import publications
from directory_api.sources import (
    all_sources,
    finess_etablissements_idf,
    france_services,
)
from directory_api.sources.data_inclusion_idf import API as DATA_INCLUSION_API
from tests.servers import free_port

HERE = Path(__file__).resolve().parent
DATA_INCLUSION_HOST = DATA_INCLUSION_API.removeprefix("https://")
TOKEN = "jeton-de-test-data-inclusion"
# A real line of the 2016 extraction of the Ain (quoted in ../shared/datasets/finess-etablissements-idf/README.md).
AIN_LINES = (
    "structureet;010002301;010002293;PHARMACIE TEST;PHARMACIE TEST;;;;;;;;;01;AIN;01000 BOURG EN BRESSE;;;620;Pharmacie d'Officine;3301;Pharmacies d'Officine;;;;;;;;;;",
    "geolocalisation;010002301;882538.9;6542885.8;1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93;2016-01-01",
)


@dataclass
class Served:
    body: bytes
    media_type: str
    modified: date


@dataclass
class PublisherServer:
    datasets: Path
    faults: dict[str, str] = field(default_factory=dict)  # host or path part → down|truncated|renamed_column|dropped_field|bad_checksum|429|…
    requests: list[tuple[str, int, bool]] = field(default_factory=list)  # path, status, conditional
    page_cap: int = 1  # items a page: Paris has two test structures, so two pages
    files: dict[str, Served] = field(default_factory=dict)
    meta: dict[str, object] = field(default_factory=dict)
    di_records: dict[str, Any] = field(default_factory=dict)
    _hits: dict[str, int] = field(default_factory=dict)

    # --- building the publishers' files ------------------------------------------------------------

    def build(self) -> None:
        dates = {m.INFO.id: m.INFO.data_date for m in all_sources()}
        done: set[tuple[str, str]] = set()
        for source, publication in publications().items():
            if isinstance(publication, OpendatasoftExport):
                key = (publication.portal, publication.dataset)
                # A dataset several sources read (the îlots de fraîcheur and their bains-douches) is made
                # from the source that keeps all its rows.
                if key in done or publication.keep is not None and any(
                    isinstance(p, OpendatasoftExport) and (p.portal, p.dataset) == key and p.keep is None
                    for p in publications().values()
                ):
                    continue
                done.add(key)
                self._opendatasoft(source, publication, dates[source])
            elif isinstance(publication, DataGouvResource):
                self._data_gouv(source, publication, dates[source])
        self.di_records = json.loads((HERE / "data_inclusion_records.json").read_text(encoding="utf-8"))

    def _opendatasoft(self, source: str, publication: OpendatasoftExport, modified: date) -> None:
        staged = read_staged(self.datasets / source / publication.file)
        host = publication.portal.removeprefix("https://")
        base = f"/{host}/api/explore/v2.1/catalog/datasets/{publication.dataset}"
        self.meta[base] = {
            "dataset_id": publication.dataset,
            "metas": {"default": {
                "modified": f"{modified.isoformat()}T08:00:00+00:00",
                "data_processed": f"{modified.isoformat()}T08:05:00+00:00",
                "license": "Open Database License (ODbL)",
            }},
        }
        columns = list(publication.columns)
        if publication.export == "csv":
            handle = io.StringIO(newline="")
            writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
            writer.writerow([*columns, "geo_shape"])
            for row in staged:
                shape = json.dumps({"type": "Point", "coordinates": [float(row["lon"]), float(row["lat"])]}) if row.get("lat") else ""
                writer.writerow([*(row[c] for c in columns), shape])
            body = ("\ufeff" + handle.getvalue()).encode("utf-8")
            self.files[f"{base}/exports/csv"] = Served(body, "text/csv; charset=utf-8", modified)
        else:
            records = []
            for row in staged:
                record: dict[str, Any] = {c: row[c] if row[c] != "" else None for c in columns}
                if publication.point:
                    point = {"lon": float(row["lon"]), "lat": float(row["lat"])} if row.get("lat") else None
                    record[publication.point] = point
                    record["geo_shape"] = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [point["lon"], point["lat"]]}} if point else None
                records.append(record)
            body = json.dumps(records, ensure_ascii=False).encode("utf-8")
            self.files[f"{base}/exports/json"] = Served(body, "application/json", modified)

    def _data_gouv(self, source: str, publication: DataGouvResource, modified: date) -> None:
        if source == finess_etablissements_idf.INFO.id:
            body = finess_extraction(self.datasets / source / finess_etablissements_idf.FILE_NAME, modified)
            title, other = "Extraction Finess des établissements géolocalisés", "Extraction Finess des établissements"
        elif source == france_services.INFO.id:
            body = france_services_list(self.datasets / source / france_services.FILE)
            title, other = "Liste des structures France services", "Documentation de la liste"
        else:
            raise AssertionError(f"pas de fichier de test pour {source}")
        path = f"/static.data.gouv.fr/resources/{publication.dataset}/{publication.raw_name}"
        self.files[path] = Served(body, "text/csv", modified)
        stamp = f"{modified.isoformat()}T08:00:00+00:00"
        self.meta[f"/www.data.gouv.fr/api/1/datasets/{publication.dataset}/"] = {
            "slug": publication.dataset,
            "license": "lov2",
            "last_modified": stamp,
            "resources": [
                {"id": "autre", "title": other, "url": f"https://static.data.gouv.fr/resources/{publication.dataset}/autre.pdf",
                 "last_modified": "2019-01-01T00:00:00+00:00", "format": "pdf", "checksum": None},
                {"id": "fichier", "title": title, "url": f"https://static.data.gouv.fr{path.removeprefix('/static.data.gouv.fr')}",
                 "last_modified": stamp, "format": "csv", "filesize": len(body),
                 "checksum": {"type": "sha1", "value": hashlib.sha1(body).hexdigest()}},
            ],
        }

    # --- serving -----------------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.handle)])

    async def handle(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        conditional = "if-none-match" in request.headers or "if-modified-since" in request.headers
        response = self._respond(path, request)
        self.requests.append((path, response.status_code, conditional))
        return response

    def _fault(self, path: str) -> str | None:
        for key, fault in self.faults.items():
            if key in path:
                return fault
        return None

    def _respond(self, path: str, request: Request) -> Response:
        fault = self._fault(path)
        if fault == "down":
            return Response("Service indisponible", status_code=503)
        if fault == "429":
            hits = self._hits[path] = self._hits.get(path, 0) + 1
            if hits == 1:
                return Response("Trop de requêtes", status_code=429, headers={"Retry-After": "1"})
        if path.startswith(f"/{DATA_INCLUSION_HOST}/"):
            return self._data_inclusion(path.removeprefix(f"/{DATA_INCLUSION_HOST}"), request, fault)
        if path in self.meta:
            return JSONResponse(self._metadata(path))
        served = self.files.get(path)
        if served is None:
            return Response("Introuvable", status_code=404)
        body = self._body(path)
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        headers = {
            "ETag": etag,
            "Last-Modified": format_datetime(datetime.combine(served.modified, datetime.min.time(), UTC), usegmt=True),
        }
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        if fault == "truncated":  # announces the whole file, sends half of it
            # Starlette keeps a Content-Length it is given; the server then closes the connection short.
            return Response(body[: len(body) // 2], media_type=served.media_type, headers={**headers, "Content-Length": str(len(body))})
        return Response(body, media_type=served.media_type, headers=headers)

    def _body(self, path: str) -> bytes:
        """A file as served today: a changed format is the publisher's new file (its checksum with it)."""
        body = self.files[path].body
        fault = self._fault(path)
        if fault == "renamed_column":
            body = rename_first_column(body)
        if fault == "dropped_field":  # the FINESS layout losing a field
            body = b"\r\n".join(line.rsplit(b";", 1)[0] if line.startswith(b"structureet;") else line for line in body.split(b"\r\n"))
        if fault == "bad_checksum":  # altered on the way: not the file the metadata describes
            body = body + b"\n"
        return body

    def _metadata(self, path: str) -> object:
        meta = json.loads(json.dumps(self.meta[path]))
        for resource in meta.get("resources", []):  # type: ignore[union-attr]
            file_path = "/" + resource["url"].removeprefix("https://")
            if resource.get("checksum") and file_path in self.files and self._fault(file_path) != "bad_checksum":
                resource["checksum"]["value"] = hashlib.sha1(self._body(file_path)).hexdigest()
        return meta

    def _data_inclusion(self, path: str, request: Request, fault: str | None) -> Response:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"detail": "Not authenticated"}, status_code=401)
        if path == "/api/v1/sources":
            return JSONResponse(self.di_records["sources"])
        kind = path.removeprefix("/api/v1/")
        if kind not in ("structures", "services"):
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        department = request.query_params.get("code_departement", "")
        page = int(request.query_params.get("page", "1"))
        size = min(int(request.query_params.get("size", "5000")), self.page_cap)
        items = [r for r in self.di_records[kind] if str(r.get("code_insee") or "").startswith(department)]
        chunk = items[(page - 1) * size : page * size]
        body = {"items": chunk, "total": len(items), "page": page, "size": len(chunk), "pages": max(1, math.ceil(len(items) / size))}
        if fault == "changed_envelope":
            body = {"results": chunk, "count": len(items)}
        text = json.dumps(body, ensure_ascii=False)
        if fault == "truncated_page" and page == 2:
            text = text[: len(text) // 2]
        return Response(text, media_type="application/json")

    # --- running -----------------------------------------------------------------------------------

    def start(self) -> str:
        self.build()
        port = free_port()
        self._server = uvicorn.Server(uvicorn.Config(self.app(), host="127.0.0.1", port=port, log_level="warning", access_log=False))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("le serveur des éditeurs n'a pas démarré")
            time.sleep(0.05)
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def read_staged(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def rename_first_column(body: bytes) -> bytes:
    """A publisher renaming a column: the export's first column gets another name."""
    text = body.decode("utf-8-sig")
    if text.lstrip().startswith("["):
        records = json.loads(text)
        first = next(iter(records[0]))
        return json.dumps([{(f"{k}_v2" if k == first else k): v for k, v in r.items()} for r in records]).encode()
    header, rest = text.split("\n", 1)
    cells = header.split(";")
    cells[0] = cells[0] + "_v2"
    return (";".join(cells) + "\n" + rest).encode("utf-8")


def finess_extraction(staged: Path, modified: date) -> bytes:
    """The raw extraction the staged file came from, as far as it can be rebuilt: the street in `voie`
    (the staged file joined the parts), the position as Lambert-93."""
    fields = finess_etablissements_idf.STRUCTUREET_FIELDS
    lines = [f"finess;etalab;100;{modified.isoformat()}"]
    geo = []
    for row in read_staged(staged):
        values = dict.fromkeys(fields, "")
        values.update(
            section="structureet", nofinesset=row["nofinesset"], nofinessej=row["nofinessej"], rs=row["rs"],
            rslongue=row["rs"], voie=row["adresse"], lieuditbp=row["adresse_complement"],
            departement=row["departement"], ligneacheminement=f"{row['codepostal']} {row['ville_acheminement']}".strip(),
            telephone=row["telephone"], categetab=row["categetab"], libcategetab=row["libcategetab"],
            categagretab=row["categagretab"], libcategagretab=row["libcategagretab"], siret=row["siret"],
            codeape=row["codeape"], codesph=row["codesph"], libsph=row["libsph"], dateouv=row["dateouv"], datemaj=row["datemaj"],
        )
        lines.append(";".join(values[f] for f in fields))
        if row["coordxet"]:
            geo.append(f"geolocalisation;{row['nofinesset']};{row['coordxet']};{row['coordyet']};1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93;{row['datemaj']}")
    lines.insert(1, AIN_LINES[0])
    geo.append(AIN_LINES[1])
    return ("\r\n".join(lines + geo) + "\r\n").encode("latin-1")


def france_services_list(staged: Path) -> bytes:
    rows = read_staged(staged)
    outside = dict(rows[0], id_fs="99999", insee_dep="01", lib_fs="France services de test hors Île-de-France")
    handle = io.StringIO(newline="")
    writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=";", lineterminator="\n")
    writer.writeheader()
    writer.writerows([outside, *rows])
    return ("\ufeff" + handle.getvalue()).encode("utf-8")

