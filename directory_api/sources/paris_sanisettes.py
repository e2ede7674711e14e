"""Paris public toilets (sanisettes, park toilets, permanent WCs, lavatories, urinals), Ville de Paris,
export of November 2024.

Category `toilets` for every type. Free: the README says sanisettes and park toilets are free of charge
(`free = True`); lavatories are *reported* as paying (unverified note) → `free = None` with a price note;
the other types (permanent WCs, urinals) → unknown. `ACCES_PMR` → `wheelchair_access`; `RELAIS_BEBE`
(baby-changing table) → description. Urinals serve men only (`URINOIR`) or women only (`URINOIR FEMME`):
said in their publics.

Hours (`HORAIRE`): « 6 h - 22 h » / « 6 h - 1 h » / « 19 h - 7 h » / « 10h à 22h » / « 10h/18h » apply
every day; « 24 h / 24 » → `always_open`; « Voir fiche équipement » (park toilets: the park's hours) and
empty → unknown (`None`), with the paris.fr page as website when given.

No id in the source: the id is the type and the position rounded to 5 decimals (about a metre),
`toilettes-paris-sanisette-4883193-230273`; two rows at the very same point get the address appended.
The one row without coordinates (PARC DE BERCY) is placed at the centre of its arrondissement
(precision « commune ») and keyed by its address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from directory_api.fetch.publications import PARIS_DATA, OpendatasoftExport
from directory_api.models import (
    WEEKDAYS,
    Gender,
    Modalities,
    OpeningHours,
    Publics,
    Reject,
    Service,
    Structure,
    Welcome,
)
from directory_api.sources._places import (
    ODBL,
    ODBL_URL,
    coordinate_key,
    join_sentences,
    paris_arrondissement,
    readable_address,
    resolve_place,
    unique_ids,
    yes_no,
)
from directory_api.sources.base import ImportContext, SourceInfo
from directory_api.sources.common import RowError, check_row_shape, parse_coordinates, read_csv, slug
from directory_api.sources.hours_parsing import HoursParseError, is_always_open, parse_range

INFO = SourceInfo(
    id="paris-sanisettes",
    title="Sanisettes et toilettes publiques de Paris",
    publisher="Ville de Paris",
    licence=ODBL,
    licence_url=ODBL_URL,
    data_date=date(2024, 11, 13),
    url="https://opendata.paris.fr/explore/dataset/sanisettesparis/",
    share_alike=True,
)

FILE = "sanisettesparis.csv"
# Where the publisher serves it (directory fetch).
PUBLICATION = OpendatasoftExport(
    portal=PARIS_DATA,
    dataset="sanisettesparis",
    file=FILE,
    export="csv",  # the staged file is the labelled CSV export (upper-case headers)
    columns=("TYPE", "STATUT", "ADRESSE", "ARRONDISSEMENT", "HORAIRE", "ACCES_PMR", "RELAIS_BEBE", "URL_FICHE_EQUIPEMENT", "geo_point_2d"),
    point="geo_point_2d",
    cadence="quotidienne (statuts et horaires)",
)


KINDS = {
    "SANISETTE": "Sanisette",
    "TOILETTES": "Toilettes publiques",
    "WC PUBLICS PERMANENTS": "WC publics permanents",
    "LAVATORY": "Lavatory",
    "URINOIR": "Urinoir",
    "URINOIR FEMME": "Urinoir femme",
}
DESCRIPTIONS = {
    "SANISETTE": "Toilettes publiques automatiques de la Ville de Paris, gratuites",
    "TOILETTES": "Toilettes publiques dans un parc ou un jardin, gratuites",
    "WC PUBLICS PERMANENTS": "Toilettes publiques permanentes de la Ville de Paris",
    "LAVATORY": "Lavatory (toilettes publiques), réputé payant",
    "URINOIR": "Urinoir (usage masculin)",
    "URINOIR FEMME": "Urinoir pour femmes",
}
FREE_TYPES = {"SANISETTE", "TOILETTES"}  # README: « Sanisettes and park toilets are free of charge »
_SEE_PAGE = "voir fiche équipement"


def read(ctx: ImportContext) -> Iterator[Structure | Reject]:
    path = ctx.dataset(INFO.id) / FILE
    rows = list(read_csv(path))
    ids = unique_ids([_base_id(row) for _, row in rows], [row.get("ADRESSE") or "" for _, row in rows])
    for (line, row), structure_id in zip(rows, ids, strict=True):
        try:
            check_row_shape(row)
            yield _structure(ctx, row, structure_id)
        except RowError as exc:
            yield INFO.reject(path, line, str(exc), structure_id)


def _base_id(row: dict[str, str]) -> str:
    type_slug = slug(row.get("TYPE") or "inconnu")
    try:
        coordinates = parse_coordinates(row.get("lat"), row.get("lon"))
    except RowError:
        coordinates = None
    if coordinates is None:
        return f"toilettes-paris-{type_slug}-{slug(row.get('ADRESSE') or '')}-{row.get('ARRONDISSEMENT') or ''}"
    return f"toilettes-paris-{type_slug}-{coordinate_key(*coordinates)}"


def _structure(ctx: ImportContext, row: dict[str, str], structure_id: str) -> Structure:
    toilet_type = re.sub(r"\s+", " ", row["TYPE"]).strip().upper()
    if toilet_type not in KINDS:
        raise RowError(f"type de toilettes inconnu : {row['TYPE']!r}")
    arrondissement = paris_arrondissement(ctx.communes, row["ARRONDISSEMENT"])
    place = resolve_place(ctx.communes, lat=row["lat"], lon=row["lon"], commune=arrondissement)
    address = readable_address(row["ADRESSE"])
    kind = KINDS[toilet_type]
    hours_text = re.sub(r"\s+", " ", row["HORAIRE"]).strip()
    try:
        hours = parse_toilet_hours(hours_text)
        hours_note = None
    except HoursParseError:
        hours, hours_note = None, f"Horaires donnés par la source : « {hours_text} »"
    if hours_text.lower() == _SEE_PAGE:
        hours_note = "Horaires : ceux du parc ou du jardin" + (
            " (voir la fiche de l'équipement sur paris.fr)" if row["URL_FICHE_EQUIPEMENT"] else ""
        )
    baby = yes_no(row["RELAIS_BEBE"])
    free = True if toilet_type in FREE_TYPES else None
    return Structure(
        id=structure_id,
        name=f"{kind} — {address}" if address else kind,
        kind=kind,
        description=join_sentences(
            [
                DESCRIPTIONS[toilet_type],
                "Relais bébé (table à langer)" if baby else None,
                hours_note,
                "Position approximative (centre de l'arrondissement)" if place.precision == "commune" else None,
            ]
        ),
        address=address,
        **place.structure_fields(row["ARRONDISSEMENT"]),
        website=row["URL_FICHE_EQUIPEMENT"] or None,
        services=[Service(id=f"{structure_id}-toilettes", name=kind, categories=["toilets"])],
        publics=_publics(toilet_type),
        modalities=Modalities(
            free=free,
            price_details="Réputé payant (non vérifié)" if toilet_type == "LAVATORY" else None,
            wheelchair_access=yes_no(row["ACCES_PMR"]),
        ),
        hours=hours,
        sources=[INFO.provenance(structure_id)],
    )


def _publics(toilet_type: str) -> Publics | None:
    if toilet_type == "URINOIR":
        return Publics(welcome=Welcome.exclusive, gender=Gender.men, description="Urinoir : usage masculin.")
    if toilet_type == "URINOIR FEMME":
        return Publics(welcome=Welcome.exclusive, gender=Gender.women, description="Urinoir pour femmes.")
    return None


_COMPACT_RANGE = re.compile(r"^(\d{1,2})\s*h\s*/\s*(\d{1,2})\s*h$", re.IGNORECASE)  # « 10h/18h »


def parse_toilet_hours(text: str | None) -> OpeningHours | None:
    """Paris toilet hours, the same every day. None when unknown; raises `HoursParseError` otherwise."""
    if not text or text.strip().lower() == _SEE_PAGE:
        return None
    text = text.strip()
    if is_always_open(text):
        return OpeningHours(always_open=True, notes=text)
    compact = _COMPACT_RANGE.match(text)
    slot = parse_range(f"{compact.group(1)}h - {compact.group(2)}h" if compact else text)
    return OpeningHours(weekly={day: [slot] for day in WEEKDAYS}, notes=text)
