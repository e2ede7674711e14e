"""The CSV a social worker opens in a spreadsheet: French headers, semicolons, UTF-8 with a BOM (so that
Excel reads the accents), decimal commas, the conditions, the hours and a link to each place page.
Each column is declared once, with how it is read from the result and the record."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from functools import cache
from urllib.parse import quote

from directory_api.api.schemas import StructureItem
from directory_api.models import OpeningHours, Structure
from directory_api.opening import weekly_text
from directory_api.sources import all_sources
from directory_api.taxonomy import Taxonomy

Row = tuple[StructureItem, Structure]
Cell = Callable[[StructureItem, Structure], str]


@cache
def _titles() -> dict[str, str]:
    return {module.INFO.id: module.INFO.title for module in all_sources()}


def source_title(source_id: str) -> str:
    return _titles().get(source_id, source_id)


def known_hours(place: Structure) -> OpeningHours | None:
    return place.hours or next((s.hours for s in place.services if s.hours is not None), None)


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}".replace(".", ",")


def columns(taxonomy: Taxonomy, place_url: Callable[[str], str]) -> list[tuple[str, Cell]]:
    return [
        ("Nom", lambda item, _: item.name),
        ("Type", lambda item, _: item.kind or ""),
        ("Besoins", lambda item, _: ", ".join(taxonomy[c].label for c in item.categories if c in taxonomy)),
        ("Adresse", lambda item, _: item.address or ""),
        ("Code postal", lambda item, _: item.postcode or ""),
        ("Commune", lambda item, _: item.commune or ""),
        ("Téléphone", lambda item, _: " / ".join(item.phones)),
        ("Distance (km)", lambda item, _: _number(None if item.distance_m is None else item.distance_m / 1000, 1)),
        ("Position", lambda item, _: "approximative (centre de la commune)" if item.location_precision == "commune" else "à l'adresse"),
        ("Conditions", lambda item, _: " ; ".join(item.conditions)),
        ("À vérifier", lambda item, _: " ; ".join(item.unconfirmed)),
        ("Horaires", lambda _, place: weekly_text(known_hours(place)) or "inconnus"),
        ("Ouverture au moment de l'export", lambda item, _: item.opening.label),
        ("Données du", lambda item, _: item.freshness.data_date.strftime("%d/%m/%Y")),
        ("Avertissement", lambda item, _: item.freshness.warning or ""),
        ("Fiche", lambda item, _: place_url(item.id)),
        ("Sources", lambda item, _: " ; ".join(dict.fromkeys(source_title(p.source) for p in item.sources))),
        ("Licences", lambda item, _: ", ".join(sorted({p.licence for p in item.sources}))),
        ("Latitude", lambda item, _: _number(item.lat, 6)),
        ("Longitude", lambda item, _: _number(item.lon, 6)),
        ("Identifiant", lambda item, _: item.id),
    ]


def safe_cell(text: str) -> str:
    """A cell a spreadsheet would run as a formula (=, +, -, @) is written as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(rows: Iterable[Row], taxonomy: Taxonomy, base_url: str) -> str:
    """The CSV of `rows`; each place's page is linked under `base_url` (the site's address)."""
    base = base_url.rstrip("/")
    declared = columns(taxonomy, lambda structure_id: f"{base}/lieux/{quote(structure_id)}")
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([header for header, _ in declared])
    for item, place in rows:
        writer.writerow([safe_cell(cell(item, place)) for _, cell in declared])
    return buffer.getvalue()
