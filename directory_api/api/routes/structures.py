from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from directory_api.api.dependencies import ServiceDep
from directory_api.api.export_files import export_response
from directory_api.api.parameters import StructureFilters, StructureSearchParams
from directory_api.api.schemas import ErrorResponse, SearchResponse, StructureDetail
from directory_api.opening import parse_moment
from directory_api.quality import quality

router = APIRouter(tags=["structures"])
ERRORS = {422: {"model": ErrorResponse, "description": "Paramètres invalides (champ et valeurs permises)."}}


@router.get("/structures", response_model=SearchResponse, responses=ERRORS, summary="Chercher des lieux")
def search_structures(params: Annotated[StructureSearchParams, Query()], service: ServiceDep) -> SearchResponse:
    """Cherche les lieux d'aide par besoin, texte, position et conditions d'accès.

    `query` dans la réponse montre comment la demande a été comprise : lieu résolu, catégories
    cherchées (sous-catégories comprises) et besoins reconnus dans le texte.
    """
    return service.search(params)


@router.get(
    "/structures.csv",
    responses={200: {"content": {"text/csv": {}}, "description": "Fichier CSV pour tableur : en-têtes en français, "
                     "séparateur point-virgule, UTF-8 avec BOM, virgule décimale."}, **ERRORS},
    summary="Exporter la recherche en CSV",
)
def export_csv(params: Annotated[StructureFilters, Query()], request: Request) -> Response:
    """Mêmes filtres que `/structures`, au plus 5 000 lieux, triés par distance ou pertinence ; avec les
    conditions, les horaires de la semaine et le lien vers la fiche de chaque lieu."""
    return export_response(request, "csv", params, "text/csv; charset=utf-8", "lieux.csv")


@router.get(
    "/structures.geojson",
    responses={200: {"content": {"application/geo+json": {}}, "description": "FeatureCollection GeoJSON."}, **ERRORS},
    summary="Exporter la recherche en GeoJSON",
)
def export_geojson(params: Annotated[StructureFilters, Query()], request: Request) -> Response:
    """Mêmes filtres que `/structures`, au plus 5 000 lieux, en GeoJSON (WGS84)."""
    return export_response(request, "geojson", params, "application/geo+json", "structures.geojson")


@router.get(
    "/structures/{structure_id}",
    response_model=StructureDetail,
    responses={
        301: {"description": "Fiche fusionnée avec une autre (même lieu) : l'en-tête `Location` donne la fiche commune."},
        404: {"model": ErrorResponse, "description": "Identifiant inconnu."},
    },
    summary="Fiche d'un lieu",
)
def get_structure(structure_id: str, service: ServiceDep) -> StructureDetail | RedirectResponse:
    """Fiche complète : services, horaires, publics, modalités, provenance et fraîcheur des données.

    L'identifiant d'une fiche fusionnée avec celle d'une autre source (même lieu) redirige
    définitivement (301) vers la fiche commune."""
    structure = service.backend.get(structure_id) if len(structure_id) <= 200 else None
    if structure is None and structure_id in service.merged_into:
        return RedirectResponse(f"/structures/{quote(service.merged_into[structure_id])}", status_code=301)
    if structure is None:
        raise HTTPException(status_code=404, detail=f"Aucun lieu avec l'identifiant « {structure_id[:200]} ».")
    now = parse_moment(None)
    return StructureDetail(
        **structure.model_dump(),
        opening=service.opening(structure, now),
        freshness=service.freshness(structure, now.date()),
        quality=quality(structure, now.date()),
    )
