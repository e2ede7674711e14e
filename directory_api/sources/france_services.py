"""France services points of Île-de-France (ANCT list of 1 August 2024).

One-stop public-service counters: agents help with CAF, CPAM, impôts, ANTS, France Travail… procedures,
online ones included. Every point becomes a structure with two services, administrative help and help
with digital procedures (`administrative_assistance`, `digital_tools_training`); free of charge, as the
France services programme is a free public service. `computers_at_your_disposal` only where the row's
comment says so (the data has no equipment field).

Hours: `h_lundi` … `h_samedi`, « 10:00 - 13:00 / 14:00 - 18:00 ». The README says an empty cell means
closed that day (or not provided): a row with some days filled is read as closed on the empty days and
on Sunday (no Sunday column); a row with every day empty has unknown hours (`None`). Overlapping ranges
entered twice (« 09:00 - 17:30 / 09:00 - 12:00 / 13:30 - 17:30 ») are merged. The raw cells are kept in
`hours.notes`, the free `commentaire` (itinerant stops, summer hours…) in the description.

Itinerant buses (`Bus_équivalent`): the address is the home base, not where the bus stops; said so.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from directory_api.fetch.publications import DataGouvResource, FormatChanged, require_columns, write_csv
from directory_api.models import (
    WEEKDAYS,
    Modalities,
    OpeningHours,
    Reject,
    Service,
    Structure,
    TimeSlot,
    Weekday,
)
from directory_api.sources._places import LICENCE_OUVERTE_2, LICENCE_OUVERTE_2_URL, join_sentences, resolve_place
from directory_api.sources.base import ImportContext, SourceInfo
from directory_api.sources.common import RowError, french_phone, map_rows
from directory_api.sources.data_inclusion import IDF_DEPARTMENTS
from directory_api.sources.hours_parsing import HoursParseError, merge_slots, parse_day

INFO = SourceInfo(
    id="france-services",
    title="Liste des France services (ANCT), Île-de-France",
    publisher="ANCT — Agence nationale de la cohésion des territoires",
    licence=LICENCE_OUVERTE_2,
    licence_url=LICENCE_OUVERTE_2_URL,
    data_date=date(2024, 8, 1),
    url="https://www.data.gouv.fr/fr/datasets/liste-des-structures-france-services/",
)

FILE = "france-services-idf.csv"
COLUMNS = (
    "id_fs", "insee_dep", "lib_fs", "adresse", "complement_adresse", "insee_com", "code_postal", "lib_com",
    "latitude", "longitude", "mail", "telephone", "h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi",
    "h_samedi", "prise_rdv", "commentaire", "type_fs", "format_fs", "groupe_fs", "labellisation_fs",
)


def convert_national_list(raw: bytes, out_dir: Path) -> None:
    """The national CSV → its Île-de-France rows, every column as published (the staged file's form)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatChanged(f"format changé : fichier non UTF-8 ({exc.reason})") from exc
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    require_columns(reader.fieldnames or [], COLUMNS, "liste des France services")
    rows = [[row[c] or "" for c in COLUMNS] for row in reader if (row["insee_dep"] or "").zfill(2) in IDF_DEPARTMENTS]
    if not rows:
        raise FormatChanged("format changé : aucune France services d'Île-de-France dans la liste")
    write_csv(out_dir / FILE, COLUMNS, rows)


PUBLICATION = DataGouvResource(
    dataset="liste-des-structures-france-services",
    title=r"france services",
    raw_name="liste-france-services.csv",
    convert=convert_national_list,
    cadence="mensuelle environ (ANCT)",
)
DAY_COLUMNS = {
    "h_lundi": Weekday.monday,
    "h_mardi": Weekday.tuesday,
    "h_mercredi": Weekday.wednesday,
    "h_jeudi": Weekday.thursday,
    "h_vendredi": Weekday.friday,
    "h_samedi": Weekday.saturday,
}
_DAY_LABELS = dict(zip(DAY_COLUMNS, ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"), strict=True))
_APPOINTMENT_WORDS = re.compile(r"rendez|\brdv\b", re.IGNORECASE)
_FREE_COMPUTERS = re.compile(r"\bPC\b|ordinateur|poste[s]? informatique", re.IGNORECASE)


def read(ctx: ImportContext) -> Iterator[Structure | Reject]:
    path = ctx.dataset(INFO.id) / FILE
    yield from map_rows(INFO, path, "id_fs", lambda row: _structure(ctx, row))


def _structure(ctx: ImportContext, row: dict[str, str]) -> Structure:
    record_id = row["id_fs"]
    if not record_id:
        raise RowError("identifiant France services (id_fs) manquant")
    place = resolve_place(
        ctx.communes,
        lat=row["latitude"],
        lon=row["longitude"],
        insee_code=row["insee_com"] or None,
        postcode=row["code_postal"] or None,
    )
    structure_id = f"france-services-{record_id}"
    itinerant = row["format_fs"] == "Bus_équivalent"
    hours, hours_problem = parse_hours(row)
    comment = re.sub(r"\s+", " ", row["commentaire"]).strip()
    if not re.search(r"[^\W\d_]", comment):
        comment = ""  # a bare number (« 149637178 ») says nothing to a reader
    services = [
        Service(
            id=f"{structure_id}-demarches",
            name="Aide aux démarches administratives",
            description="Accompagnement dans les démarches auprès de la CAF, de l'Assurance maladie, "
            "des impôts, de l'ANTS (titres d'identité, permis, carte grise), de France Travail, "
            "de l'Assurance retraite, de la MSA, de La Poste et de la Justice.",
            categories=["administrative_assistance"],
        ),
        Service(
            id=f"{structure_id}-numerique",
            name="Aide aux démarches en ligne",
            description="Aide pour utiliser les services publics en ligne (créer un compte, "
            "remplir un formulaire, envoyer un document).",
            categories=["digital_tools_training"],
        ),
    ]
    if _FREE_COMPUTERS.search(comment):
        services.append(
            Service(
                id=f"{structure_id}-ordinateurs",
                name="Ordinateurs en libre-service",
                categories=["computers_at_your_disposal"],
            )
        )
    return Structure(
        id=structure_id,
        name=row["lib_fs"],
        kind=_kind(row),
        description=join_sentences(
            [
                "Espace France services : un guichet unique où des agents accueillent et accompagnent "
                "gratuitement dans les démarches administratives",
                "Bus itinérant : l'adresse indiquée est celle de son point de rattachement, "
                "pas celle de ses arrêts" if itinerant else None,
                f"Précisions de la source : « {comment} »" if comment else None,
                hours_problem,
                "Liste ANCT du 1er août 2024 : vérifier les informations auprès de la structure",
            ]
        ),
        address=row["adresse"] or None,
        address_complement=row["complement_adresse"] or None,
        postcode=place.postcode(row["code_postal"]),
        insee_code=place.insee_code or row["insee_com"] or None,
        commune=place.commune_name or row["lib_com"] or None,
        department=place.department or row["insee_dep"] or None,
        lat=place.lat,
        lon=place.lon,
        location_precision=place.precision,
        phones=[p for p in [french_phone(row["telephone"])] if p],
        email=_email(row["mail"]),
        services=services,
        modalities=Modalities(
            free=True,
            appointment=_appointment(row["prise_rdv"]),
            appointment_details=_appointment_details(row["prise_rdv"], comment),
        ),
        hours=hours,
        sources=[INFO.provenance(record_id)],
    )


def parse_hours(row: dict[str, str]) -> tuple[OpeningHours | None, str | None]:
    """Weekly hours of a row, and a French note when the cells could not be read."""
    cells = {column: row[column].strip() for column in DAY_COLUMNS}
    if not any(cells.values()):
        return None, None
    notes = " ; ".join(f"{_DAY_LABELS[c]} : {v or 'fermé'}" for c, v in cells.items()) + " ; dimanche : fermé"
    weekly: dict[Weekday, list[TimeSlot]] = {}
    try:
        for column, text in cells.items():
            slots = parse_day(text)
            if slots:
                weekly[DAY_COLUMNS[column]] = merge_slots(slots)
    except HoursParseError:
        return None, f"Horaires donnés par la source (non interprétés) : {notes}"
    ordered = {day: weekly[day] for day in WEEKDAYS if day in weekly}
    return OpeningHours(weekly=ordered, notes=notes), None


def _kind(row: dict[str, str]) -> str:
    if row["format_fs"] == "Bus_équivalent":
        return "France services itinérant (bus)"
    if row["type_fs"] == "Antenne":
        return "France services (antenne)"
    return "France services"


def _appointment(value: str) -> bool | None:
    return {"Oui": True, "Non": False}.get(value.strip())


def _appointment_details(prise_rdv: str, comment: str) -> str | None:
    if comment and _APPOINTMENT_WORDS.search(comment):
        return comment
    if prise_rdv.strip() == "Oui":
        return "Rendez-vous possible ou demandé (la source ne précise pas lequel)."
    return None


def _email(value: str) -> str | None:
    value = value.strip()
    return value if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) else None
