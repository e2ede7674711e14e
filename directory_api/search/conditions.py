"""The conditions a record may not know (free, anonymous, wheelchair access, gender, age, language,
opening), and what a person reads when a place is kept although the record does not say.

The engines keep a place unless it is known to fail a condition (see `ConditionMatch`); the places not
known to meet every condition come after the others, and each says which condition is unconfirmed.
"""

from __future__ import annotations

from collections.abc import Iterable

from directory_api.models import Structure
from directory_api.search.backend import SearchQuery
from directory_api.search.documents import ServiceRow, build_document
from directory_api.taxonomy import Taxonomy

# What a person reads on a place kept without the record saying (one per condition).
UNCONFIRMED_LABELS: dict[str, str] = {
    "free": "gratuité non précisée",
    "anonymous": "anonymat non précisé",
    "wheelchair_access": "accessibilité en fauteuil non précisée",
    "gender": "public (femmes, hommes) non précisé",
    "age": "âge accepté non précisé",
    "language": "langue parlée non précisée",
    "open_at": "horaires inconnus",
}


def asked_conditions(query: SearchQuery) -> list[str]:
    """The conditions of `query` a record may not know, in the order of `UNCONFIRMED_LABELS` (French
    is assumed where a record does not list languages)."""
    return [
        name for name in UNCONFIRMED_LABELS
        if getattr(query, name) is not None and not (name == "language" and query.language == "fr")
    ]  # fmt: skip


def _row_meets(row: ServiceRow, name: str, query: SearchQuery) -> bool:
    """The row is known to meet the condition (the engines' strict test, for one record)."""
    if name in ("free", "anonymous", "wheelchair_access"):
        return getattr(row, name) is getattr(query, name)
    if name == "gender":
        return row.gender in ("all", str(query.gender))
    if name == "language":
        return row.languages is not None and query.language in row.languages
    if name == "age":
        assert query.age is not None
        if row.age_min is None and row.age_max is None:
            return False
        return (row.age_min is None or row.age_min <= query.age) and (row.age_max is None or row.age_max >= query.age)
    return False


def unconfirmed(structure: Structure, query: SearchQuery, taxonomy: Taxonomy) -> list[str]:
    """Names of the asked conditions this record does not confirm, for the services that were searched."""
    asked = asked_conditions(query)
    if not asked:
        return []
    searched = set(taxonomy.expand([*query.categories, *query.text_categories]))
    rows: Iterable[ServiceRow] = [
        row for row in build_document(structure, taxonomy).services if query.age is not None or not row.minors_rule
    ]
    if searched:
        rows = [row for row in rows if searched.intersection(row.categories)] or list(rows)
    rows = list(rows)
    missing = []
    for name in asked:
        if name == "open_at":
            if structure.hours is None and all(s.hours is None for s in structure.services):
                missing.append(name)
        elif not any(_row_meets(row, name, query) for row in rows):
            missing.append(name)
    return missing
