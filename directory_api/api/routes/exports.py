"""The whole directory in the data·inclusion v1 format (`directory_api.exports.data_inclusion`).

Built from the normalised files the index is built from (`data/structures/`), once per process on the
first request (about two seconds), then served from memory: the data only changes with a redeploy.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from directory_api.exports.data_inclusion import export
from directory_api.importer import read_structures
from directory_api.licences import exportable

router = APIRouter(prefix="/exports/data-inclusion", tags=["exports data·inclusion"])

SCHEMA_URL = "https://gip-inclusion.github.io/data-inclusion-schema/latest/"
LICENCE_NOTE = (
    "Chaque enregistrement garde la licence de sa source (`source` ; la licence figure dans la fiche "
    "`/structures/{id}`, champ `sources`) : Licence Ouverte 2.0, ou ODbL 1.0 pour les sources sous ODbL "
    "(citer la source et partager à l'identique toute base qui en dérive)."
)


@dataclass
class ExportFiles:
    structures: bytes
    services: bytes
    unexpressible: bytes


class DataInclusionExport:
    """The export of one data directory, computed once and kept in memory (thread-safe)."""

    def __init__(self, structures_dir: Path) -> None:
        self.structures_dir = structures_dir
        self._lock = threading.Lock()
        self._files: ExportFiles | None = None

    def files(self) -> ExportFiles:
        with self._lock:  # two first requests at once compute it once
            if self._files is None:
                self._files = self._build()
            return self._files

    def _build(self) -> ExportFiles:
        structures, services, unexpressible = export(exportable(read_structures(self.structures_dir)))
        return ExportFiles(
            structures=_dumps(structures),
            services=_dumps(services),
            unexpressible=_dumps([entry.as_json() for entry in unexpressible]),
        )


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def get_export(request: Request) -> DataInclusionExport:
    return request.app.state.data_inclusion_export


ExportDep = Annotated[DataInclusionExport, Depends(get_export)]


def _json_file(content: bytes, filename: str) -> Response:
    return Response(
        content=content,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _list_of_objects(description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": description,
            "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}},
        }
    }


STRUCTURES_DESCRIPTION = f"""Tout l'annuaire, un lieu par structure du [schéma data·inclusion v1]({SCHEMA_URL}).

Seuls les lieux dont au moins un service a une thématique data·inclusion sont exportés (correspondance
Soliguide → data·inclusion établie par data·inclusion) : toilettes, fontaines, douches, espaces frais
ou psychiatrie n'en ont pas. Ce qui n'est pas exporté, et pourquoi, est listé par
`/exports/data-inclusion/unexpressible.json`. `source` est la source principale du lieu, `date_maj`
la date de ses données (la plus ancienne de ses sources), `lien_source` la page de la source.

{LICENCE_NOTE}"""

SERVICES_DESCRIPTION = f"""Les services des lieux exportés, au [schéma data·inclusion v1]({SCHEMA_URL}).

`structure_id` renvoie à `/exports/data-inclusion/structures.json`. Publics et modalités (gratuité,
orientation, rendez-vous…) sont ceux du service, ou à défaut de son lieu ; adresse, position et contact
sont ceux du lieu ; les horaires (format OpenStreetMap) ne sont donnés que s'ils sont propres au
service, sinon ceux du lieu s'appliquent, comme le prévoit le schéma. Ce que le vocabulaire v1 ne sait
pas dire (tranches d'âge, accueil préférentiel, anonymat, accessibilité…) est écrit en français dans
`publics_precisions`, `conditions_acces` et `mobilisation_precisions`.

{LICENCE_NOTE}"""


@router.get(
    "/structures.json",
    response_class=Response,
    responses=_list_of_objects("Liste JSON de structures au schéma data·inclusion v1."),
    summary="Exporter les lieux au format data·inclusion v1 (structures)",
    description=STRUCTURES_DESCRIPTION,
)
def data_inclusion_structures(files: ExportDep) -> Response:
    return _json_file(files.files().structures, "data-inclusion-structures.json")


@router.get(
    "/services.json",
    response_class=Response,
    responses=_list_of_objects("Liste JSON de services au schéma data·inclusion v1."),
    summary="Exporter les services au format data·inclusion v1",
    description=SERVICES_DESCRIPTION,
)
def data_inclusion_services(files: ExportDep) -> Response:
    return _json_file(files.files().services, "data-inclusion-services.json")


@router.get(
    "/unexpressible.json",
    response_class=Response,
    responses=_list_of_objects(
        "Liste JSON d'entrées `{id, record, field, reason}` : `record` vaut `structure` ou `service`, "
        "`field` est vide quand tout l'enregistrement est écarté."
    ),
    summary="Ce que l'export data·inclusion ne peut pas porter",
)
def data_inclusion_unexpressible(files: ExportDep) -> Response:
    """Chaque lieu ou service non exporté, et chaque valeur qu'aucun champ v1 ne peut porter (numéro
    FINESS, type de lieu, téléphones en plus du premier, horaires valables sur une période…), avec la
    raison en français. Rien n'est écarté sans être listé ici."""
    return _json_file(files.files().unexpressible, "data-inclusion-non-exprimables.json")
