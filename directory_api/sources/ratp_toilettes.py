"""Toilets in RATP metro and RER stations (RATP open data, records of 3 October 2022).

48 rows, probably incomplete (the live dataset had 87 rows in 2026, per the README). Category `toilets`.
Name « Toilettes — station Trocadéro (métro 6) ». The source has no id, no commune and station names
without accents: each row is matched to the nearest station point *of the same line* in the IDFM
station layer (`idfm-gares`, all 48 within 410 m), which gives the written station name and the
commune; those fields carry a second provenance (`idfm-gares`). The id is the station and line slug
(`toilettes-ratp-trocadero-metro-6`), with the position appended when one station and line has
several toilets.

Access: `en_zone_controlee = oui` → behind the ticket barriers, a valid transport ticket is needed;
`hors_zone_controlee_*` → reachable without a ticket; none set → not stated. Said in `modalities.other`.
Door opening (push-button, or Navigo pass / ticket t+) in the same text. `tarif_gratuit_payant` → free,
`accessibilite_pmr` → wheelchair_access. `accessible_au_public = non` (one row) → out of scope. No hours in
the data (station hours apply): unknown.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from directory_api.fetch.publications import RATP_DATA, OpendatasoftExport
from directory_api.models import Modalities, Provenance, Reject, Service, Structure
from directory_api.sources._places import (
    ODBL,
    ODBL_URL,
    coordinate_key,
    distance_m,
    join_sentences,
    resolve_place,
    unique_ids,
    yes_no,
)
from directory_api.sources.base import ImportContext, SourceInfo
from directory_api.sources.common import RowError, check_row_shape, parse_coordinates, read_csv, slug

INFO = SourceInfo(
    id="ratp-toilettes",
    title="Toilettes publiques dans le réseau RATP",
    publisher="RATP",
    licence=ODBL,
    licence_url=ODBL_URL,
    data_date=date(2022, 10, 3),
    url="https://www.data.gouv.fr/datasets/toilettes-publiques-dans-le-reseau-ratp",
    share_alike=True,
)

FILE = "sanitaires-reseau-ratp.csv"
# Where the publisher serves it (directory fetch).
PUBLICATION = OpendatasoftExport(
    portal=RATP_DATA,
    dataset="sanitaires-reseau-ratp",
    file=FILE,
    export="json",
    columns=(
        "ligne", "station", "accessible_au_public", "tarif_gratuit_payant", "acces_passe_navigo_ou_ticket_t",
        "acces_bouton_poussoir", "en_zone_controlee", "hors_zone_controlee_station",
        "hors_zone_controlee_voie_publique", "accessibilite_pmr", "localisation", "gestionnaire",
    ),
    point="coord_geo",
    cadence="variable",
)

NOT_PUBLIC = "toilettes non accessibles au public"

STATIONS_SOURCE = "idfm-gares"
STATIONS_FILE = "gares-idf-par-ligne.csv"
STATIONS_LICENCE = ODBL  # README of idfm-gares: « treat it as ODbL until checked »
STATIONS_DATA_DATE = date(2026, 5, 26)
STATIONS_URL = "https://prim.iledefrance-mobilites.fr/jeux-de-donnees/emplacement-des-gares-idf"
MAX_STATION_DISTANCE_M = 600


@dataclass(frozen=True)
class StationPoint:
    record_id: str
    name: str
    line: str  # IDFM commercial name: « METRO 14 », « RER A »
    insee_code: str
    lat: float
    lon: float


def read(ctx: ImportContext) -> Iterator[Structure | Reject]:
    path = ctx.dataset(INFO.id) / FILE
    rows = list(read_csv(path))
    bases = [f"toilettes-ratp-{slug(row.get('station') or '')}-{slug(line_label(row.get('ligne') or ''))}"
             for _, row in rows]
    ids = unique_ids(bases, [_position_key(row) for _, row in rows])
    for (line, row), structure_id in zip(rows, ids, strict=True):
        if yes_no(row.get("accessible_au_public")) is False:
            yield INFO.out_of_scope(path, line, NOT_PUBLIC, structure_id)
            continue
        try:
            check_row_shape(row)
            yield _structure(ctx, row, structure_id)
        except RowError as exc:
            yield INFO.reject(path, line, str(exc), structure_id)


def line_label(code: str) -> str:
    """« A » → « RER A », « 14 » → « métro 14 »."""
    code = code.strip()
    return f"RER {code.upper()}" if code.isalpha() else f"métro {code}"


def _position_key(row: dict[str, str]) -> str:
    try:
        coordinates = parse_coordinates(row.get("lat"), row.get("lon"))
    except RowError:
        coordinates = None
    return coordinate_key(*coordinates) if coordinates else ""


def station_points(ctx: ImportContext) -> list[StationPoint]:
    """IDFM station points per line, read once per import."""
    key = f"{STATIONS_SOURCE}/{STATIONS_FILE}"
    if key not in ctx.cache:
        ctx.cache[key] = _read_station_points(ctx.dataset(STATIONS_SOURCE) / STATIONS_FILE)
    return ctx.cache[key]  # type: ignore[return-value]


def _read_station_points(path: Path) -> list[StationPoint]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            StationPoint(
                record_id=f"{row['gares_id']}/{row['res_com']}",
                name=row["nom_long"],
                line=row["res_com"],
                insee_code=row["insee_commune"],
                lat=float(row["latitude"]),
                lon=float(row["longitude"]),
            )
            for row in csv.DictReader(handle)
        ]


def station_provenance(station: StationPoint, fields: list[str]) -> Provenance:
    """The IDFM station layer as the source of the fields a record takes from it."""
    return Provenance(
        source=STATIONS_SOURCE,
        source_record_id=station.record_id,
        licence=STATIONS_LICENCE,
        data_date=STATIONS_DATA_DATE,
        source_url=STATIONS_URL,
        fields=fields,
    )


def station_near(ctx: ImportContext, lat: float, lon: float, max_m: float) -> StationPoint | None:
    """The station point of any line nearest to a position, if within `max_m` (vectorised: the
    OpenStreetMap toilets ask it 2,500 times)."""
    points = station_points(ctx)
    if not points:
        return None
    key = f"{STATIONS_SOURCE}/{STATIONS_FILE}/array"
    if key not in ctx.cache:
        ctx.cache[key] = np.array([(p.lat, p.lon) for p in points])
    positions: np.ndarray = ctx.cache[key]  # type: ignore[assignment]
    dy = (positions[:, 0] - lat) * 111_195
    dx = (positions[:, 1] - lon) * 111_195 * math.cos(math.radians(lat))
    distances = np.hypot(dx, dy)
    best = int(np.argmin(distances))
    return points[best] if distances[best] <= max_m else None


def nearest_station(points: list[StationPoint], line_code: str, lat: float, lon: float) -> StationPoint | None:
    idfm_line = line_label(line_code).replace("métro", "METRO")
    candidates = [p for p in points if p.line == idfm_line]
    if not candidates:
        return None
    best = min(candidates, key=lambda p: distance_m(lat, lon, p.lat, p.lon))
    return best if distance_m(lat, lon, best.lat, best.lon) <= MAX_STATION_DISTANCE_M else None


def _structure(ctx: ImportContext, row: dict[str, str], structure_id: str) -> Structure:
    coordinates = parse_coordinates(row["lat"], row["lon"])
    if coordinates is None:
        raise RowError("coordonnées manquantes et commune inconnue : position inconnue")
    station = nearest_station(station_points(ctx), row["ligne"], *coordinates)
    place = resolve_place(
        ctx.communes, lat=row["lat"], lon=row["lon"], insee_code=station.insee_code if station else None
    )
    station_name = station.name if station else row["station"]
    line = line_label(row["ligne"])
    free = {"gratuit": True, "payant": False}.get(row["tarif_gratuit_payant"].strip().lower())
    sources = [INFO.provenance(structure_id)]
    if station is not None:
        sources.append(station_provenance(station, ["name", "commune", "insee_code", "department", "postcode"]))
    where = f"{'gare' if line.startswith('RER') else 'station'} {station_name} ({line})"
    return Structure(
        id=structure_id,
        name=f"Toilettes — {where}",
        kind="Toilettes en station (RATP)",
        description=join_sentences(
            [
                f"Toilettes publiques de la RATP, {where}",
                "Horaires : ceux de la station",
                "Données RATP d'octobre 2022, sans doute incomplètes : vérifier sur place",
            ]
        ),
        address_complement=re.sub(r"\s+", " ", row["localisation"]).strip(" ,") or None,
        **place.structure_fields(),
        services=[Service(id=f"{structure_id}-toilettes", name="Toilettes", categories=["toilets"])],
        modalities=Modalities(
            free=free,
            price_details="Payant (tarif non précisé)" if free is False else None,
            wheelchair_access=yes_no(row["accessibilite_pmr"]),
            other=access_text(row),
        ),
        sources=sources,
    )


def access_text(row: dict[str, str]) -> str:
    """Where the toilets are relative to the ticket barriers, and how the door opens, in French."""
    pass_needed = bool(yes_no(row["acces_passe_navigo_ou_ticket_t"]))
    without_ticket = "" if pass_needed else " : accessibles sans titre de transport"
    if yes_no(row["en_zone_controlee"]):
        where = "Dans la zone contrôlée : un titre de transport valable est nécessaire pour y accéder."
    elif yes_no(row["hors_zone_controlee_station"]):
        where = f"Dans la station, hors de la zone contrôlée{without_ticket}."
    elif yes_no(row["hors_zone_controlee_voie_publique"]):
        where = f"À l'extérieur, sur la voie publique{without_ticket}."
    else:
        where = "La source ne dit pas si ces toilettes sont dans la zone contrôlée."
    parts = [where]
    if pass_needed:
        parts.append("Un passe Navigo ou un ticket t+ est demandé pour y accéder (ouverture de la porte).")
    if yes_no(row["acces_bouton_poussoir"]):
        parts.append("Porte à ouverture par bouton-poussoir.")
    return " ".join(parts)
