"""Rail stations of Île-de-France (métro, RER, Transilien, tram, VAL, câble), one per interchange.

Built from `../shared/datasets/idfm-gares` (Île-de-France Mobilités, ODbL) by the import and written to
`data/places/stations.jsonl`, a file of its own so that the ODbL data stays separable (attribution and
share-alike: see `data/places/README.md`). The API reads only that file.

One station per IDFM *zone de correspondance* (`stations-idf-par-zone-de-correspondance.csv`), with two
adjustments:
- zones that carry the same name and lie less than 800 m apart are merged (IDFM keeps e.g. the RER E
  platforms of « Gare du Nord » (Magenta) and « Gare Saint-Lazare » (Haussmann) as zones of their own);
  the merged station keeps the id and position of the zone with the most lines, `zone_ids` lists all;
- the per-line file (`gares-idf-par-ligne.csv`) adds what the grouped file lacks: IDFM's « principal »
  flag (major stations) and the subtitles people also use (`Bir-Hakeim` « Tour Eiffel »).
Stations outside Île-de-France (Transilien/TER ends in Oise, Eure, Loiret…) are left out.
"""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from directory_api.geography.communes import IDF_DEPARTMENTS
from directory_api.text import words

GROUPED_FILE = "stations-idf-par-zone-de-correspondance.csv"
PER_LINE_FILE = "gares-idf-par-ligne.csv"
MERGE_DISTANCE_KM = 0.8


class Station(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str  # IDFM id_ref_ZdC (of the main zone when several were merged)
    name: str
    lines: tuple[str, ...]  # IDFM commercial names, in IDFM order: ("METRO 4", "RER B", …)
    modes: tuple[str, ...]  # METRO, RER, TRAIN, TRAMWAY, TRAM, VAL, CABLE
    insee_code: str  # commune, or arrondissement (751xx) in Paris
    commune: str  # display name: "Montreuil", "Paris 10e"
    department: str
    lat: float
    lon: float
    principal: bool = False  # IDFM « principal » flag: one of the ~140 major stations
    aliases: tuple[str, ...] = ()  # other names of the station (long names, subtitles)
    zone_ids: tuple[str, ...] = ()  # every IDFM zone merged into this station


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def short_commune_name(name: str) -> str:
    """« Paris 10e Arrondissement » → « Paris 10e »; other names unchanged."""
    return name.removesuffix(" Arrondissement")


_LINE_ORDER = ("METRO", "RER", "TRAIN", "TRAM", "CDGVAL", "ORLYVAL", "FUNICULAIRE", "CABLE", "GL")


def line_sort_key(line: str) -> tuple[int, int, str]:
    """IDFM order: METRO, RER, TRAIN, TRAM, VAL, CABLE, then by number (METRO 3 < METRO 3bis < METRO 10)."""
    head, _, rest = line.partition(" ")
    rank = _LINE_ORDER.index(head) if head in _LINE_ORDER else len(_LINE_ORDER)
    number = re.match(r"\d+", rest)
    return rank, int(number.group()) if number else 0, rest


def _split(cell: str) -> list[str]:
    return [v for v in cell.split("|") if v]


def _add_unique(values: list[str], new: list[str]) -> None:
    for value in new:
        if value not in values:
            values.append(value)


def stations_from_shared(folder: Path) -> list[Station]:
    """Stations of Île-de-France from the shared `idfm-gares` folder, sorted by id."""
    principal: set[str] = set()
    subtitles: dict[str, list[str]] = defaultdict(list)
    with (folder / PER_LINE_FILE).open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            zone = row["id_ref_ZdC"]
            if row["principal"] == "1":
                principal.add(zone)
            for extra in (row["nom_so_gar"].strip(), row["nom_long"].strip()):
                if extra:
                    _add_unique(subtitles[zone], [extra])

    zones: list[dict] = []
    with (folder / GROUPED_FILE).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["insee_commune"][:2] not in IDF_DEPARTMENTS:
                continue
            long_names = _split(row["noms_longs"])
            name = row["nom"].strip()
            if name in ("", "NC"):  # three CDGVAL stops have no zone name
                name = long_names[0] if long_names else row["id_ref_ZdC"]
            aliases: list[str] = []
            _add_unique(aliases, long_names + subtitles.get(row["id_ref_ZdC"], []))
            zones.append(
                {
                    "id": row["id_ref_ZdC"],
                    "name": name,
                    "lines": _split(row["lignes"]),
                    "modes": _split(row["modes"]),
                    "insee_code": row["insee_commune"],
                    "commune": short_commune_name(row["nom_commune"]),
                    "department": row["insee_commune"][:2],
                    "lat": round(float(row["latitude"]), 6),
                    "lon": round(float(row["longitude"]), 6),
                    "principal": row["id_ref_ZdC"] in principal,
                    "aliases": aliases,
                    "zone_ids": [row["id_ref_ZdC"]],
                }
            )

    # Merge same-name zones that are one interchange in practice (main zone = most lines).
    by_name: dict[str, list[dict]] = defaultdict(list)
    for zone in zones:
        by_name[" ".join(words(zone["name"]))].append(zone)
    stations: list[Station] = []
    for group in by_name.values():
        group.sort(key=lambda z: (-len(z["lines"]), z["id"]))
        clusters: list[list[dict]] = []
        for zone in group:
            for cluster in clusters:
                main = cluster[0]
                if distance_km(main["lat"], main["lon"], zone["lat"], zone["lon"]) <= MERGE_DISTANCE_KM:
                    cluster.append(zone)
                    break
            else:
                clusters.append([zone])
        for cluster in clusters:
            main = dict(cluster[0])
            for other in cluster[1:]:
                _add_unique(main["lines"], other["lines"])
                _add_unique(main["modes"], other["modes"])
                _add_unique(main["aliases"], other["aliases"])
                main["zone_ids"] = main["zone_ids"] + other["zone_ids"]
                main["principal"] = main["principal"] or other["principal"]
            main["lines"] = sorted(main["lines"], key=line_sort_key)
            main["aliases"] = [a for a in main["aliases"] if a != main["name"]]
            stations.append(Station.model_validate(main))
    stations.sort(key=lambda s: s.id)
    return stations


def write_jsonl(stations: list[Station], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for station in stations:
            handle.write(station.model_dump_json(exclude_defaults=True) + "\n")


def read_jsonl(path: Path) -> list[Station]:
    with path.open(encoding="utf-8") as handle:
        return [Station.model_validate_json(line) for line in handle if line.strip()]
