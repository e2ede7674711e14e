"""data·inclusion (GIP Plateforme de l'inclusion): the structures and services of DORA, Soliguide, France
Travail, les emplois de l'inclusion… for the eight Île-de-France départements, read from its API with the
operator's token (`DATA_INCLUSION_TOKEN`), mapped by the v1 reader (`sources/data_inclusion.py`).

This is how food aid, day centres, domiciliation and the other needs no open file covers reach a
deployment. Without a token the source is not active: nothing is imported, nothing fails.

API facts (gip-inclusion/data-inclusion, api/, commit d4969e3 of 2026-06-30): `GET /api/v1/structures` and
`/api/v1/services` with `code_departement`, `page` (from 1) and `size` (at most 10,000), answering
`{"items", "total", "page", "size", "pages"}`; `GET /api/v1/sources` lists the sources
(`slug`, `nom`, `description`), with no licence; `Authorization: Bearer <token>`; 401 for a bad token,
403 without the `api` scope. Each record's `source` is its origin and its `id` is prefixed `source--`.

Licences: data·inclusion states none per source in the API. Its open dataset on data.gouv.fr is under the
Licence Ouverte 2.0 (the reader's default); Soliguide's records are reserved by the API to some
partners (`utils/soliguide.is_allowed_user`), so they are served here but never exported
(`no_redistribution`). `RESTRICTED_ORIGINS` is the one list to extend when a source's terms say so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from directory_api.fetch.download import PublisherError, Publishers, Validators
from directory_api.fetch.publications import FormatChanged, NotConfigured, Published, Retrieved
from directory_api.models import Reject, Structure
from directory_api.sources._places import LICENCE_OUVERTE_2
from directory_api.sources.base import ImportContext, SourceInfo
from directory_api.sources.data_inclusion import (
    IDF_DEPARTMENTS,
    SERVICES_FILE,
    STRUCTURES_FILE,
    read_data_inclusion_files,
)

API = "https://api.data.inclusion.gouv.fr"
PAGE_SIZE = 5_000  # the API's default; its maximum is 10,000
RESTRICTED_ORIGINS = {"soliguide": "Soliguide (réservé par data·inclusion à certains partenaires)"}
SOURCES_FILE = "sources.json"

INFO = SourceInfo(
    id="data-inclusion-idf",
    title="data·inclusion — structures et services d'insertion d'Île-de-France (API)",
    publisher="GIP Plateforme de l'inclusion (data·inclusion), d'après DORA, Soliguide, France Travail…",
    licence=f"{LICENCE_OUVERTE_2} (selon la source d'origine de chaque fiche)",
    licence_url="https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    data_date=date(2026, 6, 30),  # never used alone: each record carries its own `date_maj`
    url="https://www.data.inclusion.gouv.fr/",
)


class DataInclusionApi:
    """The API, page by page and département by département, as one raw JSON document."""

    page_url = "https://www.data.inclusion.gouv.fr/"
    cadence = "quotidienne (API data·inclusion)"
    raw_name = "data-inclusion-idf.json"

    def retrieve(self, http: Publishers, validators: Validators) -> Retrieved:
        token = http.data_inclusion_token
        if not token:
            raise NotConfigured("jeton DATA_INCLUSION_TOKEN absent (à demander à data·inclusion) : source non activée")
        headers = {"Authorization": f"Bearer {token}"}
        sources = http.get_json(f"{API}/api/v1/sources", headers=headers)
        if not isinstance(sources, list):
            raise FormatChanged("format changé : /api/v1/sources n'est pas une liste")
        document: dict[str, Any] = {"sources": sources, "structures": [], "services": []}
        for kind in ("structures", "services"):
            for department in sorted(IDF_DEPARTMENTS):
                document[kind].extend(self._pages(http, headers, kind, department))
        dates = [str(r.get("date_maj")) for r in document["structures"] + document["services"] if isinstance(r, dict) and r.get("date_maj")]
        raw = json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")
        newest = max(dates, default=None)
        published = Published(API, date.fromisoformat(newest[:10]) if newest else None, INFO.licence)
        return Retrieved(published, raw, Validators(), None)

    def _pages(self, http: Publishers, headers: dict[str, str], kind: str, department: str) -> Iterator[dict[str, Any]]:
        page, pages = 1, 1
        while page <= pages:
            body = http.get_json(
                f"{API}/api/v1/{kind}",
                headers=headers,
                params={"code_departement": department, "page": page, "size": PAGE_SIZE},
            )
            if not isinstance(body, dict) or not isinstance(body.get("items"), list) or not isinstance(body.get("pages"), int):
                raise FormatChanged(f"format changé : page {page} de /api/v1/{kind} sans « items » ni « pages »")
            yield from body["items"]
            pages = body["pages"]
            page += 1

    def normalise(self, raw: bytes, out_dir: Path) -> None:
        try:
            document = json.loads(raw)
        except ValueError as exc:
            raise PublisherError(f"document data·inclusion illisible : {exc}") from exc
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, key in ((STRUCTURES_FILE, "structures"), (SERVICES_FILE, "services"), (SOURCES_FILE, "sources")):
            (out_dir / name).write_text(json.dumps(document[key], ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


PUBLICATION = DataInclusionApi()


def is_configured(ctx: ImportContext) -> bool:
    """Active once `directory fetch` brought the API's records (a token was given)."""
    return (ctx.dataset(INFO.id) / STRUCTURES_FILE).is_file()


def read(ctx: ImportContext) -> Iterator[Structure | Reject]:
    folder = ctx.dataset(INFO.id)
    result = read_data_inclusion_files(
        folder / STRUCTURES_FILE, folder / SERVICES_FILE, communes=ctx.communes, loose_thematiques=True
    )
    for structure in result.structures:
        for provenance in structure.sources:
            origin = provenance.source
            provenance.source = INFO.id  # the origin stays in the record id (`dora--…`) and its page
            if origin in RESTRICTED_ORIGINS:
                provenance.licence = f"Licence de {RESTRICTED_ORIGINS[origin]} : rediffusion non autorisée"
                provenance.no_redistribution = True
        yield structure
    for reject in result.rejects:
        yield Reject(
            source=INFO.id, file=reject.file, line=reject.line, reason=reject.reason,
            record_id=reject.record_id, out_of_scope=reject.out_of_scope,
        )
