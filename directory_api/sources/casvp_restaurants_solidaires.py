"""Restaurants of the CASVP (Centre d'action sociale de la Ville de Paris): Émeraude and solidaires.

OLD DATA: the records were last processed on 16 February 2018 (portal metadata 2019) and never updated
since; every record says so in its description (« Liste de 2018 (à vérifier) ») and its provenance carries
that date, so the API can show its age.

`type` is not documented in the file; the README's reading (Ville de Paris reports):
- `E` — restaurant Émeraude: lunch for retired / elderly and disabled Parisians, on conditions
  → publics exclusive to `elderly` + `handicap`;
- `S` — an Émeraude restaurant that also opens in the evening as a *restaurant solidaire* for people in
  great precarity, on presentation of a card or daily coupon issued by social services or partner
  associations (not walk-in) → a second service with `referral = True`.
Both are `food_distribution`. No hours, phone, price or access conditions in the data: left unknown.

No id in the source: the id is the slug of the restaurant name (unique in the file, and what the CASVP
calls its restaurants). The one empty record (only `code` and `type`) is a reject.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from directory_api.fetch.publications import PARIS_DATA, OpendatasoftExport
from directory_api.models import Modalities, PublicGroup, Publics, Reject, Service, Structure, Welcome
from directory_api.sources._places import (
    ODBL,
    ODBL_URL,
    join_sentences,
    paris_arrondissement,
    readable_address,
    readable_name,
    resolve_place,
    unique_ids,
)
from directory_api.sources.base import ImportContext, SourceInfo
from directory_api.sources.common import RowError, check_row_shape, read_csv, slug

INFO = SourceInfo(
    id="casvp-restaurants-solidaires",
    title="Restaurants Émeraude et restaurants solidaires du CASVP (Paris)",
    publisher="Ville de Paris / Centre d'action sociale de la Ville de Paris (CASVP)",
    licence=ODBL,
    licence_url=ODBL_URL,
    data_date=date(2018, 2, 16),
    url="https://opendata.paris.fr/explore/dataset/restaurants-casvp/",
    share_alike=True,
)

FILE = "restaurants-casvp.csv"
# Where the publisher serves it (directory fetch).
PUBLICATION = OpendatasoftExport(
    portal=PARIS_DATA,
    dataset="restaurants-casvp",
    file=FILE,
    export="csv",
    columns=("code", "nom_restaurant", "adresse", "ville", "tt", "type"),
    point="tt",
    cadence="non mise à jour depuis 2018 selon le portail",
)

OLD_DATA_WARNING = (
    "Liste de 2018 (à vérifier) : ces données n'ont pas été mises à jour depuis février 2018 ; "
    "vérifier l'adresse, les horaires et les conditions auprès du CASVP ou de la mairie d'arrondissement"
)

EMERAUDE_PUBLICS = Publics(
    welcome=Welcome.exclusive,
    groups=[PublicGroup.elderly, PublicGroup.handicap],
    description="Parisiens retraités ou âgés et personnes en situation de handicap, sous conditions.",
)
SOLIDAIRE_PUBLICS = Publics(
    description="Personnes en grande précarité, orientées par un service social ou une association partenaire.",
)


def read(ctx: ImportContext) -> Iterator[Structure | Reject]:
    path = ctx.dataset(INFO.id) / FILE
    rows = list(read_csv(path))
    ids = unique_ids(
        [f"casvp-restaurant-{slug(row.get('nom_restaurant') or '')}" for _, row in rows],
        [row.get("adresse") or "" for _, row in rows],
    )
    for (line, row), structure_id in zip(rows, ids, strict=True):
        record_id = row.get("nom_restaurant") or None
        try:
            check_row_shape(row)
            yield _structure(ctx, row, structure_id)
        except RowError as exc:
            yield INFO.reject(path, line, str(exc), record_id)


def _structure(ctx: ImportContext, row: dict[str, str], structure_id: str) -> Structure:
    if not row["nom_restaurant"] and not row["adresse"]:
        raise RowError("enregistrement vide : ni nom ni adresse (seuls le code postal et le type sont remplis)")
    if not row["nom_restaurant"]:
        raise RowError("nom du restaurant manquant")
    kind = row["type"].strip().upper()
    if kind not in {"E", "S"}:
        raise RowError(f"type de restaurant inconnu : {row['type']!r}")
    arrondissement = paris_arrondissement(ctx.communes, row["code"])
    place = resolve_place(ctx.communes, lat=row["lat"], lon=row["lon"], commune=arrondissement)
    name = readable_name(row["nom_restaurant"])
    services = [
        Service(
            id=f"{structure_id}-emeraude",
            name="Restaurant Émeraude (déjeuner)",
            description="Repas du midi pour les Parisiens retraités ou en situation de handicap, "
            "sous conditions.",
            categories=["food_distribution"],
            publics=EMERAUDE_PUBLICS,
            modalities=Modalities(other="Sous conditions : se renseigner auprès du CASVP."),
        )
    ]
    if kind == "S":
        services.append(
            Service(
                id=f"{structure_id}-solidaire",
                name="Restaurant solidaire (repas du soir)",
                description="Repas du soir pour les personnes en grande précarité.",
                categories=["food_distribution"],
                publics=SOLIDAIRE_PUBLICS,
                modalities=Modalities(
                    referral=True,
                    referral_details="Sur présentation d'une carte ou d'un coupon délivré par un service "
                    "social ou une association partenaire (pas d'accès libre).",
                ),
            )
        )
    return Structure(
        id=structure_id,
        name=f"Restaurant {'solidaire' if kind == 'S' else 'Émeraude'} {name}",
        kind="Restaurant solidaire du CASVP" if kind == "S" else "Restaurant Émeraude du CASVP",
        description=join_sentences(
            [
                OLD_DATA_WARNING,
                "Restaurant Émeraude du Centre d'action sociale de la Ville de Paris, qui ouvre aussi le soir "
                "comme restaurant solidaire" if kind == "S" else
                "Restaurant Émeraude du Centre d'action sociale de la Ville de Paris",
                "Le sens du type (Émeraude / solidaire) est déduit de documents de la Ville, "
                "il n'est pas écrit dans les données",
            ]
        ),
        address=readable_address(row["adresse"]),
        **place.structure_fields(row["code"]),
        services=services,
        sources=[INFO.provenance(row["nom_restaurant"])],
    )
