"""Paris municipal bains-douches (free public showers), Ville de Paris, export of September 2025.

The 17 rows are the `Bains-douches` subset of the « Îlots de fraîcheur — équipements et activités »
dataset (see `paris_ilots_fraicheur_equipements`, which leaves these rows out to avoid duplicates).

Hours: one cell per day, « 07h30 - 13h00 », `-` = closed, valid over `horaires_periode`
(« du 01/01/20 au 01/01/32 » → valid_from / valid_until, « à partir du 16/06/20 » → valid_from). Two
sites (Bidassoa, Rouvet) have every day closed: kept as given (closed every day over the period) and said
so in the description. Validity periods that ended before the export (Charenton) are kept as dates and
flagged in the description. `statut_ouverture` is empty for every bains-douches row (README), so no
temporary closure is derived from it. Public holidays: not stated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from directory_api.fetch.publications import PARIS_DATA, OpendatasoftExport
from directory_api.models import WEEKDAYS, Modalities, OpeningHours, Reject, Service, Structure, TimeSlot, Weekday
from directory_api.sources._places import (
    ODBL,
    ODBL_URL,
    french_date,
    join_sentences,
    paris_arrondissement,
    parse_validity_period,
    readable_address,
    resolve_place,
    yes_no,
)
from directory_api.sources.base import ImportContext, SourceInfo
from directory_api.sources.common import RowError, map_rows
from directory_api.sources.hours_parsing import HoursParseError, merge_slots, parse_day

INFO = SourceInfo(
    id="paris-bains-douches",
    title="Bains-douches municipaux de Paris",
    publisher="Ville de Paris",
    licence=ODBL,
    licence_url=ODBL_URL,
    data_date=date(2025, 9, 15),
    url="https://opendata.paris.fr/explore/dataset/ilots-de-fraicheur-equipements-activites/",
    share_alike=True,
)

FILE = "paris-bains-douches.csv"
# The fields of the « îlots de fraîcheur » export kept in the staged file (geo_shape, a duplicate of the point, is dropped).
ILOTS_COLUMNS = (
    "identifiant", "id_dicom", "nom", "type", "payant", "adresse", "arrondissement", "statut_ouverture",
    "horaires_periode", "horaires_lundi", "horaires_mardi", "horaires_mercredi", "horaires_jeudi",
    "horaires_vendredi", "horaires_samedi", "horaires_dimanche", "proposition_usager",
)
# Where the publisher serves it (directory fetch).
PUBLICATION = OpendatasoftExport(
    portal=PARIS_DATA,
    dataset="ilots-de-fraicheur-equipements-activites",  # the bains-douches are its « Bains-douches » rows
    file=FILE,
    export="json",
    columns=ILOTS_COLUMNS,
    point="geo_point_2d",
    keep=lambda record: record.get("type") == "Bains-douches",
    sort_key=lambda record: int(re.sub(r"\D", "", str(record.get("identifiant"))) or 0),  # BD1…BD17
    cadence="saisonnière (périodes d'ouverture)",
)

OFFICIAL_PAGE = "https://www.paris.fr/pages/les-bains-douches-municipaux-138"
PARIS_DAY_COLUMNS = {
    "horaires_lundi": Weekday.monday,
    "horaires_mardi": Weekday.tuesday,
    "horaires_mercredi": Weekday.wednesday,
    "horaires_jeudi": Weekday.thursday,
    "horaires_vendredi": Weekday.friday,
    "horaires_samedi": Weekday.saturday,
    "horaires_dimanche": Weekday.sunday,
}
_DAY_LABELS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def read(ctx: ImportContext) -> Iterator[Structure | Reject]:
    path = ctx.dataset(INFO.id) / FILE
    yield from map_rows(INFO, path, "identifiant", lambda row: _structure(ctx, row))


def _structure(ctx: ImportContext, row: dict[str, str]) -> Structure:
    record_id = row["identifiant"]
    if not record_id:
        raise RowError("identifiant manquant")
    arrondissement = paris_arrondissement(ctx.communes, row["arrondissement"])
    place = resolve_place(ctx.communes, lat=row["lat"], lon=row["lon"], commune=arrondissement)
    structure_id = f"bains-douches-{record_id}"
    hours = parse_paris_data_hours(row)
    free = _free(row["payant"])
    return Structure(
        id=structure_id,
        name=re.sub(r"\s*-\s*", "-", row["nom"]).strip(),  # « Bain -douche Pyrénées » (source typo)
        kind="Bains-douches municipaux",
        description=join_sentences(
            [
                "Douches publiques municipales" + (", gratuites" if free else ""),
                hours.description,
                "Horaires habituels de la Ville, qui peuvent changer (jours fériés, travaux) : "
                "vérifier sur paris.fr",
            ]
        ),
        address=readable_address(row["adresse"]),
        **place.structure_fields(row["arrondissement"]),
        website=OFFICIAL_PAGE,
        services=[
            Service(id=f"{structure_id}-douche", name="Douches", categories=["shower"]),
        ],
        modalities=Modalities(free=free),
        hours=hours.hours,
        sources=[INFO.provenance(record_id)],
    )


def _free(payant: str) -> bool | None:
    paying = yes_no(payant)
    return None if paying is None else not paying


class ParisDataHours:
    """Hours of a Paris Data « équipements » row (bains-douches, îlots de fraîcheur).

    `hours` is None when the source gives no usable weekly hours; `description` is a French sentence
    for the structure description (raw text that could not be read, expired or odd periods), or None.
    """

    def __init__(self, hours: OpeningHours | None, description: str | None) -> None:
        self.hours = hours
        self.description = description


def parse_paris_data_hours(row: dict[str, str], data_date: date = INFO.data_date) -> ParisDataHours:
    cells = [row[column].strip() for column in PARIS_DAY_COLUMNS]
    period_text = re.sub(r"\s+", " ", row.get("horaires_periode", "")).strip()
    try:
        period = parse_validity_period(period_text)
    except ValueError:
        period = None
    period_note = None
    if period_text and not period:
        period_note = f"Précision de la source : « {period_text.rstrip('.')} »"
    if not any(cells):
        return ParisDataHours(None, period_note)
    raw = " ; ".join(
        f"{label} : {cell or 'non renseigné'}" for label, cell in zip(_DAY_LABELS, cells, strict=True)
    )
    if period_text:
        raw += f" ; période : {period_text}"
    unreadable = ParisDataHours(None, join_sentences([f"Horaires donnés par la source : {raw}", period_note]))
    if not all(cells):
        return unreadable  # some days not given: the week is not known
    weekly: dict[Weekday, list[TimeSlot]] = {}
    try:
        for column, cell in zip(PARIS_DAY_COLUMNS, cells, strict=True):
            slots = parse_day(cell)
            if slots:
                weekly[PARIS_DAY_COLUMNS[column]] = merge_slots(slots)
    except HoursParseError:
        return unreadable
    valid_from, valid_until = period if period else (None, None)
    notes: list[str | None] = [period_note]
    if not weekly:
        notes.append(
            "La source n'indique aucun jour d'ouverture"
            + (" sur cette période" if period else "")
            + " : lieu fermé ou horaires non renseignés, à vérifier"
        )
    if valid_until is not None and valid_until < data_date:
        notes.append(
            f"Ces horaires n'étaient valables que jusqu'au {french_date(valid_until)} "
            "(date dépassée au moment de l'export) : à vérifier"
        )
    elif valid_until is not None and valid_from is not None and valid_from > data_date:
        notes.append(f"Ces horaires ne s'appliquent qu'à partir du {french_date(valid_from)}")
    hours = OpeningHours(
        weekly={day: weekly[day] for day in WEEKDAYS if day in weekly},
        valid_from=valid_from,
        valid_until=valid_until,
        notes=raw,
    )
    return ParisDataHours(hours, join_sentences(notes))
