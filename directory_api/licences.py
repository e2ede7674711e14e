"""What may leave the service: a place is served to people whatever its licence, but exported (CSV,
GeoJSON, the data·inclusion export) only from sources whose licence allows redistribution."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from directory_api.models import Structure


def redistributable(structure: Structure) -> bool:
    """False when a source that forbids redistribution gave any of the place's fields (a merged place
    whose restricted record only confirmed another source's fields can still be exported)."""
    return not any(p.no_redistribution and p.fields != [] for p in structure.sources)


def exportable(structures: Iterable[Structure]) -> Iterator[Structure]:
    return (s for s in structures if redistributable(s))
