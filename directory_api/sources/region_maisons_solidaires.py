"""The Maisons Région Solidaire: three places of the Région Île-de-France, with Île-de-France Mobilités and
the DRIHL, that take in and support homeless people living in the metro (138 places).

Read from `data/region/maisons-region-solidaire.yml`, which quotes the Région's brochure (« Région
Solidaire », mars 2026) line by line; the brochure is the provenance. It gives the town, the operator and
the capacity, nothing else: the places sit at the centre of their commune (`location_precision:
commune`), and how to get a place stays unknown (the record says to call the 115).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import yaml

from directory_api.models import Gender, Modalities, Publics, Reject, Service, Structure, Welcome
from directory_api.sources._places import commune_label
from directory_api.sources.base import ImportContext, SourceInfo
from directory_api.sources.common import locate

FILE = Path(__file__).resolve().parent.parent.parent / "data" / "region" / "maisons-region-solidaire.yml"

INFO = SourceInfo(
    id="region-maisons-solidaires",
    title="Maisons Région Solidaire (brochure « Région Solidaire », mars 2026)",
    publisher="Région Île-de-France",
    licence="Informations publiques de la Région Île-de-France (brochure), citées",
    licence_url="https://www.iledefrance.fr",
    data_date=date(2026, 3, 1),
    url="https://www.iledefrance.fr",
)


def read(ctx: ImportContext) -> Iterator[Structure | Reject]:
    document = yaml.safe_load(FILE.read_text(encoding="utf-8"))
    for line, place in enumerate(document["places"], start=1):
        lat, lon, precision, commune = locate(ctx.communes, coordinates=None, insee_code=place["insee_code"])
        women = bool(place.get("women_only"))
        description = (
            f"Accueil et accompagnement de personnes sans abri qui vivent dans le métro{', des femmes' if women else ''} : "
            f"{place['capacity']} places, gérées par {place['operator']}. Programme de la Région Île-de-France avec "
            "Île-de-France Mobilités et la DRIHL. Ni l'adresse ni la façon d'obtenir une place ne sont publiées : "
            "pour une place ce soir, appelez le 115."
        )
        yield Structure(
            id=place["id"],
            name=place["name"],
            kind="Maison Région Solidaire",
            description=description,
            insee_code=place["insee_code"],
            commune=commune_label(commune) if commune else None,
            department=place["insee_code"][:2],
            lat=lat,
            lon=lon,
            location_precision=precision,
            services=[
                Service(
                    id=f"{place['id']}-accueil",
                    name="Hébergement et accompagnement des sans-abri du métro",
                    categories=["emergency_accommodation", "social_accompaniment"],
                )
            ],
            publics=Publics(
                welcome=Welcome.exclusive,
                gender=Gender.women if women else Gender.all,
                groups=["homeless"],
                description="Personnes sans abri qui vivent dans le métro" + (" (femmes)" if women else ""),
            ),
            modalities=Modalities(free=None, referral=None),
            sources=[INFO.provenance(f"brochure-2026:{line}")],
        )
