"""The search interface every engine implements, and the engine-neutral query and result types.

The API resolves places and parses the text (see `understanding.py`) before calling an engine, so
that every engine receives the same, already understood query and must return the same results.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from directory_api.models import Gender, Structure

SortOrder = Literal["distance", "relevance"]
# Which places the conditions (free, anonymous, wheelchair access, gender, age, opening) keep. A record
# often does not say: « known » keeps the places known to meet every condition, « unknown » the places
# not known to fail any and not known to meet them all. Only places known to fail one are never kept.
ConditionMatch = Literal["known", "unknown"]
# A word found in more names than this names a kind of place (« toilettes », « pharmacie »), which
# the category already finds: the name alternative only applies to rarer words (« pimms »).
NAME_ALTERNATIVE_MAX = 500
FACET_FIELDS = ("categories", "department", "source", "free", "anonymous", "wheelchair_access")


class EngineUnavailableError(RuntimeError):
    """The search engine does not answer (down, overloaded or too slow): the API says 503."""


class SearchQuery(BaseModel):
    """A query as the engines see it: categories already detected, text already normalised."""

    categories: list[str] = Field(default_factory=list, description="Catégories demandées (une suffit).")
    text_categories: list[str] = Field(default_factory=list, description="Catégories reconnues dans le texte.")
    text_tokens: list[list[str]] = Field(
        default_factory=list,
        description="Mots du texte à chercher, chacun avec ses variantes (fautes de frappe).",
    )
    text_required: bool = True  # False when the text named a need: the words then only rank
    name_tokens: list[list[str]] = Field(
        default_factory=list,
        description="Quand le texte nomme un besoin : tous ses mots. Un lieu dont le nom les contient tous "
        "est aussi retenu (« pimms », « hôpital Bicêtre » cherchent aussi un nom).",
    )
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    department: str | None = None
    open_at: datetime | None = None
    free: bool | None = None
    anonymous: bool | None = None
    wheelchair_access: bool | None = None
    age: int | None = None
    gender: Gender | None = None
    language: str | None = None
    condition_match: ConditionMatch = "known"
    sort: SortOrder = "relevance"
    offset: int = 0
    limit: int = 20

    @property
    def has_location(self) -> bool:
        return self.lat is not None and self.lon is not None

    @property
    def has_conditions(self) -> bool:
        """True when a condition a record may not know is asked (then « unknown » places exist)."""
        return self.language not in (None, "fr") or any(
            value is not None
            for value in (self.free, self.anonymous, self.wheelchair_access, self.gender, self.age, self.open_at)
        )


class SearchHit(BaseModel):
    structure: Structure
    distance_m: float | None = None
    score: float = 0.0


class SearchResult(BaseModel):
    total: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]]


def facet_counts(pairs: Iterable[tuple[str, int]], *, by_count: bool) -> dict[str, int]:
    """Non-zero counts, most frequent first (or by name), the same order in every engine."""
    kept = [(name, count) for name, count in pairs if count]
    kept.sort(key=(lambda kv: (-kv[1], kv[0])) if by_count else (lambda kv: kv[0]))
    return dict(kept)


class SearchBackend(abc.ABC):
    name: str

    @abc.abstractmethod
    def bulk_load(self, structures: Iterable[Structure], fingerprint: str | None = None) -> int:
        """Replace the whole index with these structures; return how many were indexed.
        `fingerprint` identifies the data it was built from (see `indexing.py`)."""

    @abc.abstractmethod
    def indexed_fingerprint(self) -> str | None:
        """The fingerprint of the data the current index was built from, if any."""

    @abc.abstractmethod
    def upsert(self, structure: Structure) -> None: ...

    @abc.abstractmethod
    def delete(self, structure_id: str) -> bool: ...

    @abc.abstractmethod
    def get(self, structure_id: str) -> Structure | None: ...

    @abc.abstractmethod
    def count(self) -> int: ...

    @abc.abstractmethod
    def vocabulary(self) -> set[str]:
        """Every indexed text token (for typo-tolerant query expansion)."""

    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResult: ...

    def health(self) -> bool:
        """True when the engine answers."""
        return True

    def warm_up(self) -> None:  # noqa: B027 - optional hook
        """Prepare what the first request would otherwise wait for."""

    def facets(self, query: SearchQuery) -> dict[str, dict[str, int]]:
        return self.search(query.model_copy(update={"limit": 0})).facets

    def close(self) -> None:  # noqa: B027 - optional hook
        pass
