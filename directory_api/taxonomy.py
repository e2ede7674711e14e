"""The need taxonomy (`data/taxonomy.yml`), keyed by Soliguide category ids.

One source of truth: it feeds the API (`/categories`), the category filter (a parent finds its
descendants), the text search synonyms of both engines and, later, the assistant's lookups.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

TAXONOMY_PATH = Path(__file__).resolve().parent.parent / "data" / "taxonomy.yml"


class Category(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    label: str
    parents: tuple[str, ...] = ()
    rank: int = 0
    description: str | None = None
    terms: tuple[str, ...] = Field(default=(), description="Synonymes et mots tapés par les usagers.")
    supersedes: tuple[str, ...] = Field(
        default=(), description="Catégories retirées quand celle-ci est aussi nommée (IVG et « enceinte »)."
    )
    nearby_help: tuple[str, ...] = Field(
        default=(),
        description="Quand aucun lieu de ce besoin n'est dans le rayon : les lieux qui peuvent aider ou orienter "
        "à la place (une domiciliation se demande au CCAS, une aide pour l'AME en France services).",
    )


class Taxonomy:
    def __init__(self, categories: dict[str, Category]) -> None:
        self.categories = categories
        self._children: dict[str, list[str]] = {cid: [] for cid in categories}
        for category in categories.values():
            for parent in category.parents:
                if parent not in categories:
                    raise ValueError(f"catégorie {category.id}: parent inconnu {parent}")
                self._children[parent].append(category.id)
            for superseded in category.supersedes:
                if superseded not in categories:
                    raise ValueError(f"catégorie {category.id}: catégorie remplacée inconnue {superseded}")
            for helper in category.nearby_help:
                if helper not in categories:
                    raise ValueError(f"catégorie {category.id}: aide voisine inconnue {helper}")
        for children in self._children.values():
            children.sort(key=lambda cid: categories[cid].rank)
        self._ancestors = {cid: self._walk_up(cid) for cid in categories}

    @classmethod
    def load(cls, path: Path = TAXONOMY_PATH) -> Taxonomy:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))["categories"]
        return cls({cid: Category(id=cid, **fields) for cid, fields in raw.items()})

    def __contains__(self, category_id: object) -> bool:
        return category_id in self.categories

    def __getitem__(self, category_id: str) -> Category:
        return self.categories[category_id]

    @property
    def roots(self) -> list[str]:
        roots = [c.id for c in self.categories.values() if not c.parents]
        return sorted(roots, key=lambda cid: self.categories[cid].rank)

    def children(self, category_id: str) -> list[str]:
        return self._children[category_id]

    def descendants(self, category_id: str) -> list[str]:
        """The category itself and everything below it (the graph is a DAG)."""
        seen: dict[str, None] = {}
        stack = [category_id]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen[current] = None
            stack.extend(reversed(self._children[current]))
        return list(seen)

    def ancestors(self, category_id: str) -> list[str]:
        """Every category above this one, nearest first."""
        return self._ancestors[category_id]

    def _walk_up(self, category_id: str) -> list[str]:
        seen: dict[str, None] = {}
        stack = list(self.categories[category_id].parents)
        while stack:
            current = stack.pop(0)
            if current not in seen:
                seen[current] = None
                stack.extend(self.categories[current].parents)
        return list(seen)

    def nearby_help(self, category_ids: list[str]) -> list[str]:
        """The categories that can help when none of these needs has a place nearby, in the order
        declared, without the needs themselves."""
        helpers = dict.fromkeys(h for cid in category_ids for h in self.categories[cid].nearby_help)
        return [h for h in helpers if h not in category_ids]

    def expand(self, category_ids: list[str]) -> list[str]:
        expanded: dict[str, None] = {}
        for category_id in category_ids:
            for cid in self.descendants(category_id):
                expanded.setdefault(cid, None)
        return list(expanded)


@cache
def get_taxonomy() -> Taxonomy:
    return Taxonomy.load()


def check_category_id(value: str) -> str:
    if value not in get_taxonomy():
        raise ValueError(f"catégorie inconnue : {value!r}")
    return value
