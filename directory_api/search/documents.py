"""What the engines index for one structure. The single place where search rules about records live,
shared by every engine so that they agree.

A structure is searched through its services: a filter (category, free, age...) matches when one
service matches all of it, each service taking the structure's values where it has none of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from directory_api.models import Gender, Modalities, Structure
from directory_api.quality import quality
from directory_api.taxonomy import Taxonomy
from directory_api.text import normalize_parts

# Pharmacies are plentiful (600+ in the region) and help with one need only: emergency contraception.
# They match a search for that category itself, never a search for a parent (sexual_health, health),
# so that they do not bury the sexual-health centres for every other need.
NARROW_KINDS = frozenset({"Pharmacie"})

# Record quality is a small tie-breaker of relevance ranking: at most +5 % for a complete, fresh record,
# far below the distance decay (halved every 2 km), and never used when results are sorted by distance.
QUALITY_TIEBREAK = 0.05

MAJORITY_AGE = 18


@dataclass(frozen=True)
class ServiceRow:
    categories: tuple[str, ...]  # own categories and their ancestors
    free: bool | None
    anonymous: bool | None
    wheelchair_access: bool | None
    gender: str | None  # None = unknown
    age_min: int | None
    age_max: int | None
    languages: tuple[str, ...] | None  # None = unknown (French assumed)
    # A row that only says what the law gives minors (free, anonymous): the engines ignore it when the
    # query gives no age, so that « gratuit » alone is not confirmed by a rule for under-18s.
    minors_rule: bool = False


@dataclass(frozen=True)
class Document:
    id: str
    lat: float
    lon: float
    department: str
    source: str
    categories: tuple[str, ...]  # the structure's own categories (facets)
    name_text: str
    body_text: str
    services: tuple[ServiceRow, ...]
    quality_boost: float  # 1 + QUALITY_TIEBREAK × quality score, as of the day the index was built


def search_categories(structure: Structure, own: list[str], taxonomy: Taxonomy) -> tuple[str, ...]:
    if structure.kind in NARROW_KINDS:
        return tuple(own)
    expanded: dict[str, None] = dict.fromkeys(own)
    for category in own:
        for ancestor in taxonomy.ancestors(category):
            expanded.setdefault(ancestor, None)
    return tuple(expanded)


def minors_row(row: ServiceRow, modalities: Modalities) -> ServiceRow | None:
    """The same service as seen by a minor, when a rule of law makes it free or anonymous for them
    and the record does not already say so for everyone; None otherwise."""
    free = True if modalities.free_for_minors else row.free
    anonymous = True if modalities.anonymous_for_minors else row.anonymous
    if (free, anonymous) == (row.free, row.anonymous):
        return None
    if row.age_min is not None and row.age_min >= MAJORITY_AGE:
        return None
    age_max = MAJORITY_AGE - 1 if row.age_max is None else min(row.age_max, MAJORITY_AGE - 1)
    return replace(
        row, free=free, anonymous=anonymous, age_min=row.age_min or 0, age_max=age_max, minors_rule=True
    )


def build_document(structure: Structure, taxonomy: Taxonomy, today: date | None = None) -> Document:
    rows = []
    for service in structure.services:
        modalities = structure.effective_modalities(service)
        publics = structure.effective_publics(service)
        languages = structure.effective_languages(service)
        row = ServiceRow(
            categories=search_categories(structure, list(service.categories), taxonomy),
            free=modalities.free if modalities else None,
            anonymous=modalities.anonymous if modalities else None,
            wheelchair_access=modalities.wheelchair_access if modalities else None,
            gender=str(publics.gender) if publics else None,
            age_min=publics.age_min if publics else None,
            age_max=publics.age_max if publics else None,
            languages=tuple(languages) if languages else None,
        )
        rows.append(row)
        if modalities is not None and (minors := minors_row(row, modalities)) is not None:
            rows.append(minors)
    body_parts = [
        structure.description,
        structure.address,
        structure.commune,
        *(s.name for s in structure.services),
        *(s.description for s in structure.services),
    ]
    return Document(
        id=structure.id,
        lat=structure.lat,
        lon=structure.lon,
        department=structure.department or "",
        source=structure.sources[0].source,
        categories=tuple(structure.categories()),
        name_text=normalize_parts([structure.name, structure.kind]),
        body_text=normalize_parts(body_parts),
        services=tuple(rows),
        quality_boost=round(1 + QUALITY_TIEBREAK * quality(structure, today or date.today()).score, 4),
    )


def gender_matches(service_gender: str | None, wanted: Gender | None) -> bool:
    return wanted is None or service_gender in (None, Gender.all, wanted)
