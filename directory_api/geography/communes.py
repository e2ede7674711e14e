"""Communes and Paris arrondissements of Île-de-France, by INSEE code and by postcode.

Used by the import (département of a record, fallback position when a source has no coordinates)
and by the gazetteer. Built from `../shared/datasets/communes-idf` by the import and committed as
`data/places/communes.jsonl`, so the API needs nothing outside the repository.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

from pydantic import BaseModel, ConfigDict

IDF_DEPARTMENTS = {
    "75": "Paris",
    "77": "Seine-et-Marne",
    "78": "Yvelines",
    "91": "Essonne",
    "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis",
    "94": "Val-de-Marne",
    "95": "Val-d'Oise",
}

# Generous bounding box of the region, to catch swapped or foreign coordinates.
IDF_BBOX = (48.10, 1.40, 49.25, 3.60)  # min lat, min lon, max lat, max lon


def in_idf_bbox(lat: float, lon: float) -> bool:
    return IDF_BBOX[0] <= lat <= IDF_BBOX[2] and IDF_BBOX[1] <= lon <= IDF_BBOX[3]


class Commune(BaseModel):
    model_config = ConfigDict(frozen=True)

    insee_code: str
    name: str
    kind: str  # commune | arrondissement_municipal | commune_deleguee | commune_associee
    department: str
    postcodes: tuple[str, ...]
    lat: float
    lon: float
    population: int | None = None
    parent: str | None = None  # arrondissements: 75056; former communes: the current commune
    former_codes: tuple[str, ...] = ()


class CommuneIndex:
    def __init__(self, communes: list[Commune]) -> None:
        self.communes = communes
        self._by_insee: dict[str, Commune] = {}
        self._by_postcode: dict[str, list[Commune]] = defaultdict(list)
        for commune in communes:
            self._by_insee.setdefault(commune.insee_code, commune)
            for former in commune.former_codes:
                self._by_insee.setdefault(former, commune)
            for postcode in commune.postcodes:
                self._by_postcode[postcode].append(commune)

    def by_insee(self, code: str | None) -> Commune | None:
        return self._by_insee.get(code or "")

    def by_postcode(self, postcode: str | None) -> list[Commune]:
        """Communes of a postcode, the most specific first (a Paris arrondissement before Paris)."""
        found = self._by_postcode.get(postcode or "", [])
        return sorted(found, key=lambda c: (c.kind != "arrondissement_municipal", -(c.population or 0)))

    @classmethod
    def from_shared(cls, folder: Path) -> CommuneIndex:
        communes: list[Commune] = []
        with (folder / "communes-idf.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                communes.append(
                    Commune(
                        insee_code=row["insee_code"],
                        name=row["nom"],
                        kind=row["type"],
                        department=row["departement_code"],
                        postcodes=tuple(p for p in row["codes_postaux"].split("|") if p),
                        lat=float(row["latitude"]),
                        lon=float(row["longitude"]),
                        population=int(row["population"]) if row["population"] else None,
                        parent=row["commune_parent"] or None,
                        former_codes=tuple(c for c in row["anciens_codes"].split("|") if c),
                    )
                )
        current = {c.insee_code: c for c in communes}
        with (folder / "communes-deleguees-associees-idf.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                parent = current.get(row["commune_actuelle_code"])
                if parent is None or row["insee_code"] == parent.insee_code:
                    continue  # same name and code as the commune nouvelle: already there
                communes.append(
                    parent.model_copy(
                        update={
                            "insee_code": row["insee_code"],
                            "name": row["nom"],
                            "kind": row["type"],
                            "parent": parent.insee_code,
                            "population": None,
                            "former_codes": (),
                        }
                    )
                )
        return cls(communes)

    @classmethod
    def from_jsonl(cls, path: Path) -> CommuneIndex:
        with path.open(encoding="utf-8") as handle:
            return cls([Commune.model_validate(json.loads(line)) for line in handle if line.strip()])

    def write_jsonl(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as handle:
            for commune in self.communes:
                handle.write(commune.model_dump_json(exclude_defaults=True) + "\n")
