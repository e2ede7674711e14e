from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from directory_api.api.dependencies import GazetteerDep
from directory_api.api.schemas import ErrorResponse, PlacesResponse
from directory_api.geography.gazetteer import MAX_MESSAGE_CHARS

router = APIRouter(tags=["lieux"])


@router.get(
    "/places",
    response_model=PlacesResponse,
    responses={422: {"model": ErrorResponse}},
    summary="Résoudre un lieu tapé par une personne",
)
def search_places(
    gazetteer: GazetteerDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_MESSAGE_CHARS,
                            description="Commune, code postal, arrondissement, département ou gare ; ou un message entier, "
                            "où le lieu est cherché (« je suis à Levallois, c'est possible samedi ? »).")],
    limit: Annotated[int, Query(ge=1, le=20, description="Nombre maximal de candidats.")] = 5,
) -> PlacesResponse:
    """Candidats classés (commune, arrondissement, code postal, département, gare d'Île-de-France),
    tolérant les fautes, les accents manquants et les abréviations (« st denis », « 13e », « 93 »)."""
    items = gazetteer.search(q, limit=limit)
    message = None if items else f"Aucun lieu d'Île-de-France ne correspond à « {q} »."
    return PlacesResponse(q=q, items=items, message=message)
