from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from directory_api.api.dependencies import ServiceDep, TaxonomyDep
from directory_api.api.schemas import CategoryMatch, CategoryNode, ErrorResponse, NeedMatchResponse
from directory_api.search.understanding import understand
from directory_api.taxonomy import Taxonomy

router = APIRouter(tags=["catégories"])


def _node(taxonomy: Taxonomy, category_id: str) -> CategoryNode:
    category = taxonomy[category_id]
    return CategoryNode(
        id=category.id,
        label=category.label,
        description=category.description,
        terms=list(category.terms),
        children=[_node(taxonomy, child) for child in taxonomy.children(category_id)],
    )


@router.get("/categories", response_model=list[CategoryNode], summary="Arbre des besoins")
def list_categories(taxonomy: TaxonomyDep) -> list[CategoryNode]:
    """L'arbre des catégories (identifiants Soliguide), avec libellés et mots de recherche.
    Une catégorie peut apparaître sous deux parents (ex. psychiatrie)."""
    return [_node(taxonomy, root) for root in taxonomy.roots]


@router.get(
    "/categories/match",
    response_model=NeedMatchResponse,
    responses={422: {"model": ErrorResponse}},
    summary="Reconnaître les besoins nommés dans un texte",
)
def match_categories(
    service: ServiceDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Texte tapé par une personne (« pilule du lendemain », « douch »).")],
) -> NeedMatchResponse:
    """Les catégories que le texte nomme, avec les mêmes synonymes et la même tolérance aux fautes que
    la recherche (`/structures?q=`). Liste vide quand aucun besoin n'est reconnu."""
    understood = understand(q, service.matcher, service.vocabulary)
    taxonomy = service.taxonomy
    return NeedMatchResponse(
        q=q,
        categories=[CategoryMatch(id=cid, label=taxonomy[cid].label) for cid in understood.categories],
        matched_terms=understood.matched_terms,
    )
