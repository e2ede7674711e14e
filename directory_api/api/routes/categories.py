from __future__ import annotations

from fastapi import APIRouter

from directory_api.api.dependencies import TaxonomyDep
from directory_api.api.schemas import CategoryNode
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
