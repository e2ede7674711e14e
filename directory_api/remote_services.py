"""Help that is not a place (`data/remote-services.yml`): which lines fit a need, and whether they answer now.

A line fits a need when it is filed under that need or one below it (« Santé sexuelle » → the numéro vert,
filed under contraception), or under a need above it that is not a whole domain (a search for gynecology
gets the sexual-health lines, not every « Santé » line). Lines limited by age are left out when the person
gave an age outside them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from pathlib import Path

import yaml
from pydantic import TypeAdapter

from directory_api.models import RemoteService
from directory_api.opening import Opening, opening_at
from directory_api.sources._osm_hours import parse_osm_opening_hours
from directory_api.taxonomy import Taxonomy

REMOTE_SERVICES_FILE = Path(__file__).resolve().parent.parent / "data" / "remote-services.yml"


@cache
def load_remote_services(path: Path = REMOTE_SERVICES_FILE) -> tuple[RemoteService, ...]:
    services = TypeAdapter(list[RemoteService]).validate_python(yaml.safe_load(path.read_text(encoding="utf-8")))
    for service in services:
        parse_osm_opening_hours(service.hours)  # a typo in the hours fails here, not in a search
    return tuple(services)


def fitting(
    services: Iterable[RemoteService], needs: Iterable[str], taxonomy: Taxonomy, age: int | None = None
) -> list[RemoteService]:
    """The lines for these needs, those filed under a need itself first, then in the file's order."""
    needs = list(dict.fromkeys(needs))
    if not needs:
        return []
    below = {cid for need in needs for cid in taxonomy.descendants(need)}
    above = {cid for need in needs for cid in taxonomy.ancestors(need) if taxonomy.categories[cid].parents}
    found = []
    for order, service in enumerate(services):
        filed = set(service.categories)
        if not filed & (below | above):
            continue
        if age is not None and not ((service.min_age or 0) <= age <= (service.max_age or 120)):
            continue
        found.append((0 if filed & set(needs) else 1, order, service))
    return [service for *_, service in sorted(found, key=lambda entry: entry[:2])]


def spoken_phone(number: str) -> str:
    """A number as people say it: « 3919 », « 116 006 », « 0 800 08 11 11 » (numéros verts), « 09 74 75 13 13 »."""
    if len(number) == 6:
        return f"{number[:3]} {number[3:]}"
    if len(number) != 10:
        return number
    if number.startswith("080"):
        return f"{number[0]} {number[1:4]} {number[4:6]} {number[6:8]} {number[8:]}"
    return " ".join(number[i : i + 2] for i in range(0, 10, 2))


def remote_opening(service: RemoteService, now: datetime) -> Opening:
    return opening_at(parse_osm_opening_hours(service.hours), now)
