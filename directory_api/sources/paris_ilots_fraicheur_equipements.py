"""Paris « îlots de fraîcheur » (cool places for heatwaves), Ville de Paris, export of September 2025.

Every place the City lists as a cool place becomes a structure with `cooling_space`, plus the category
its type fits (museums → `museums`, libraries → `libraries`, swimming pools → `sport_activities`,
« Découverte et Initiation » → `other_activities`, bains-douches → `shower`). The 17 `Bains-douches` rows
are the very places of `paris-bains-douches` (same `identifiant`, `id_dicom` and cells, checked by the
tests): they are imported like the others and merged with them (`directory_api/merge.py`), which adds
that they are cool places to the showers' records. The one row with an empty `type` (`BR120`,
« Brumisateur Parc Python Duvernois ») is a mister, as the README says and its id prefix shows.

`identifiant` is not unique (BR120, MU75 and MA22 name two places each): those get the name's slug
appended to their id, for both places, so that neither id depends on row order.

Hours: as in `paris_bains_douches` (one cell per day, `-`/« Fermé » closed, validity period). Cells left
empty mean « not given »: a week with some days not given, or a cell that cannot be read (truncated
pool hours), gives `hours = None` and the raw text in the description. Free-text periods (« Horaires
d'ouverture de l'espace vert », « Accès libre »…) go to the description. `statut_ouverture = Eteint`
(misters switched off at export time) is said in the description.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from directory_api.fetch.publications import PARIS_DATA, OpendatasoftExport
from directory_api.models import Modalities, Reject, Service, Structure
from directory_api.sources._places import (
    ODBL,
    ODBL_URL,
    join_sentences,
    paris_arrondissement,
    readable_address,
    readable_name,
    resolve_place,
    unique_ids,
    yes_no,
)
from directory_api.sources.base import ImportContext, SourceInfo
from directory_api.sources.common import RowError, check_row_shape, read_csv
from directory_api.sources.paris_bains_douches import ILOTS_COLUMNS, parse_paris_data_hours

INFO = SourceInfo(
    id="paris-ilots-fraicheur-equipements",
    title="Îlots de fraîcheur : équipements et activités (Paris)",
    publisher="Ville de Paris",
    licence=ODBL,
    licence_url=ODBL_URL,
    data_date=date(2025, 9, 15),
    url="https://opendata.paris.fr/explore/dataset/ilots-de-fraicheur-equipements-activites/",
    share_alike=True,
)

FILE = "ilots-de-fraicheur-equipements-activites.csv"
# Where the publisher serves it (directory fetch).
PUBLICATION = OpendatasoftExport(
    portal=PARIS_DATA,
    dataset="ilots-de-fraicheur-equipements-activites",
    file=FILE,
    export="json",
    columns=ILOTS_COLUMNS,
    point="geo_point_2d",
    cadence="saisonnière (périodes d'ouverture)",
)



@dataclass(frozen=True)
class PlaceType:
    kind: str
    categories: tuple[str, ...]
    description: str


_COOL = "Lieu frais listé par la Ville de Paris pour les périodes de forte chaleur (îlot de fraîcheur)"
TYPES: dict[str, PlaceType] = {
    "Ombrière pérenne": PlaceType("Ombrière", ("cooling_space",), "Abri ou structure d'ombrage en plein air"),
    "Ombrière temporaire": PlaceType(
        "Ombrière temporaire", ("cooling_space",), "Structure d'ombrage temporaire en plein air"
    ),
    "Lieux de culte": PlaceType("Lieu de culte", ("cooling_space",), "Lieu de culte ouvert au public"),
    "Brumisateur": PlaceType("Brumisateur", ("cooling_space",), "Brumisateur en plein air"),
    "Musée": PlaceType("Musée", ("cooling_space", "museums"), "Musée"),
    "Piscine": PlaceType("Piscine", ("cooling_space", "sport_activities"), "Piscine"),
    "Mairie d'arrondissement": PlaceType(
        "Mairie d'arrondissement", ("cooling_space",), "Équipement municipal avec une salle rafraîchie"
    ),
    "Bibliothèque": PlaceType("Bibliothèque", ("cooling_space", "libraries"), "Bibliothèque"),
    "Terrain de boules": PlaceType("Terrain de boules", ("cooling_space",), "Terrain de boules en plein air"),
    "Baignade extérieure": PlaceType("Baignade en plein air", ("cooling_space",), "Baignade en plein air"),
    "Bains-douches": PlaceType(
        "Bains-douches municipaux", ("cooling_space", "shower"), "Bains-douches municipaux (douches publiques)"
    ),
    "Découverte et Initiation": PlaceType(
        "Lieu d'activités", ("cooling_space", "other_activities"), "Lieu d'accueil et d'activités"
    ),
}
_TYPE_BY_ID_PREFIX = {"BR": "Brumisateur"}  # README: the row with an empty type is a mister (BR…)

_SERVICE_NAMES = {
    "cooling_space": "Espace fraîcheur",
    "museums": "Musée",
    "libraries": "Bibliothèque",
    "sport_activities": "Natation",
    "other_activities": "Activités de découverte",
    "shower": "Douches",
}


def read(ctx: ImportContext) -> Iterator[Structure | Reject]:
    path = ctx.dataset(INFO.id) / FILE
    rows = list(read_csv(path))
    ids = unique_ids(
        [f"ilot-fraicheur-{row.get('identifiant') or ''}" for _, row in rows],
        [row.get("nom") or "" for _, row in rows],
    )
    for (line, row), structure_id in zip(rows, ids, strict=True):
        record_id = row.get("identifiant") or None
        try:
            check_row_shape(row)
            yield _structure(ctx, row, structure_id)
        except RowError as exc:
            yield INFO.reject(path, line, str(exc), record_id)


def place_type(row: dict[str, str]) -> PlaceType:
    type_name = row["type"] or _TYPE_BY_ID_PREFIX.get(row["identifiant"][:2], "")
    if type_name not in TYPES:
        raise RowError(f"type de lieu inconnu : {row['type']!r}")
    return TYPES[type_name]


def _structure(ctx: ImportContext, row: dict[str, str], structure_id: str) -> Structure:
    record_id = row["identifiant"]
    if not record_id:
        raise RowError("identifiant manquant")
    if not row["nom"]:
        raise RowError("nom manquant")
    kind = place_type(row)
    arrondissement = paris_arrondissement(ctx.communes, row["arrondissement"])
    place = resolve_place(ctx.communes, lat=row["lat"], lon=row["lon"], commune=arrondissement)
    hours = parse_paris_data_hours(row, INFO.data_date)
    paying = yes_no(row["payant"])
    switched_off = row["statut_ouverture"].strip().lower() == "eteint"
    return Structure(
        id=structure_id,
        name=readable_name(row["nom"]),
        kind=kind.kind,
        description=join_sentences(
            [
                kind.description,
                _COOL,
                "Éteint au moment de l'export des données (septembre 2025)" if switched_off else None,
                hours.description,
                "Données de la Ville de Paris (septembre 2025) : vérifier avant de se déplacer",
            ]
        ),
        address=readable_address(row["adresse"]),
        **place.structure_fields(row["arrondissement"]),
        services=[
            Service(id=f"{structure_id}-{category}", name=_SERVICE_NAMES[category], categories=[category])
            for category in kind.categories
        ],
        modalities=Modalities(
            free=None if paying is None else not paying,
            price_details="Payant (tarif non précisé par la source)" if paying else None,
        ),
        hours=hours.hours,
        sources=[INFO.provenance(record_id)],
    )
