"""Paris drinking-water fountains (Eau de Paris / Ville de Paris, export of September 2025).

Category `fountain` (drinking water), free. Id `fontaine-paris-<gid>`. Name « Fontaine à boire — 37 boulevard
Pasteur » (« face au … » when the street number carries the F / FACE mark). 159 fountains stand outside
Paris, nearly all in Paris-run cemeteries (Thiais, Pantin, Bagneux…): kept, with their commune.

Hours: the README gives none (street furniture, some in parks and cemeteries, some closed in winter) and
does not say fountains run 24/7, so available fountains have unknown hours (`None`).
Unavailable fountains (`dispo = NON`, 60 rows) must not look available: their hours say « closed every
day » over the unavailability period (`weekly = {}`, `valid_from` = start, `valid_until` = planned end
when it is still ahead of the export) with a `TemporaryClosure` carrying the French reason. A planned end
already past at export time while the fountain is still unavailable is not trusted: the closure has no
end date, and the description says the planned end has passed. The planned end day itself is counted
as closed (the source's end is a moment of that day). After a future planned end the hours are
no longer valid, i.e. unknown again, never « open ».
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime

from directory_api.fetch.publications import PARIS_DATA, OpendatasoftExport
from directory_api.geography.communes import Commune
from directory_api.models import Modalities, OpeningHours, Reject, Service, Structure, TemporaryClosure
from directory_api.sources._places import (
    ODBL,
    ODBL_URL,
    commune_by_name,
    french_date,
    join_sentences,
    paris_arrondissement,
    readable_address,
    resolve_place,
)
from directory_api.sources.base import ImportContext, SourceInfo
from directory_api.sources.common import RowError, map_rows, parse_coordinates
from directory_api.text import fold

INFO = SourceInfo(
    id="paris-fontaines",
    title="Fontaines à boire de Paris (Eau de Paris)",
    publisher="Eau de Paris / Ville de Paris",
    licence=ODBL,
    licence_url=ODBL_URL,
    data_date=date(2025, 9, 15),
    url="https://opendata.paris.fr/explore/dataset/fontaines-a-boire/",
    share_alike=True,
)

FILE = "fontaines-a-boire.csv"
# Where the publisher serves it (directory fetch).
PUBLICATION = OpendatasoftExport(
    portal=PARIS_DATA,
    dataset="fontaines-a-boire",
    file=FILE,
    export="json",
    columns=("gid", "type_objet", "modele", "no_voirie_pair", "no_voirie_impair", "voie", "commune", "dispo", "debut_ind", "fin_ind", "motif_ind"),
    point="geo_point_2d",
    cadence="quotidienne (disponibilité)",
)


TYPE_LABELS = {
    "FONTAINE_BOIS": "Fontaine « Bois »",
    "FONTNE_WALLACE": "Fontaine Wallace",
    "FONTAINE_2EN1": "Fontaine 2 en 1",
    "FONTAINE_ARCEAU": "Fontaine Arceau",
    "BORNE_FONTAINE": "Borne-fontaine",
    "FTNE_PETILLANTE": "Fontaine pétillante (eau plate et gazeuse)",
    "FONTAINE_TOTEM": "Fontaine Totem",
    "FTNE_POING_EAU": "Fontaine Poing d'eau",
    "FONTAINE_ALBIEN": "Fontaine à l'eau de l'Albien",
    "FTNE_MILLENAIRE": "Fontaine du Millénaire",
}
REASONS = {
    "APP SANS EAU": "appareil sans eau",
    "APP SUR CHANTIER": "appareil sur un chantier",
    "APP A REPARER": "appareil à réparer",
    "APP A RENOUVELER": "appareil à renouveler",
    "APP SIGNALE": "appareil signalé (panne en cours de vérification)",
    "FERME DEMANDE TIERS": "fermée à la demande d'un tiers",
    "FERME DEMANDE SSQ": "fermée à la demande du service (SSQ)",
    "FERMETURE HIVERNALE": "fermeture hivernale",
    "INACCESSIBLE": "inaccessible",
}


def read(ctx: ImportContext) -> Iterator[Structure | Reject]:
    path = ctx.dataset(INFO.id) / FILE
    yield from map_rows(INFO, path, "gid", lambda row: _structure(ctx, row))


def _structure(ctx: ImportContext, row: dict[str, str]) -> Structure:
    record_id = row["gid"]
    if not record_id:
        raise RowError("identifiant de fontaine (gid) manquant")
    commune = _commune(ctx, row)
    place = resolve_place(ctx.communes, lat=row["lat"], lon=row["lon"], commune=commune)
    if commune is None and row["commune"]:
        raise RowError(f"commune inconnue : {row['commune']!r}")
    structure_id = f"fontaine-paris-{record_id}"
    address = fountain_address(row)
    type_label = TYPE_LABELS.get(row["type_objet"], "Fontaine à boire")
    model = re.sub(r"\s+", " ", row["modele"]).strip()
    in_cemetery = fold(row["voie"]).strip().startswith("cimetiere")
    hours, status = availability(row, INFO.data_date)
    return Structure(
        id=structure_id,
        name=f"Fontaine à boire — {address}" if address else "Fontaine à boire",
        kind="Fontaine à boire",
        description=join_sentences(
            [
                status,
                type_label + (f", modèle « {model} »" if model and model != "Particulier" else ""),
                "Dans un cimetière : accessible aux heures d'ouverture du cimetière" if in_cemetery else None,
                "Eau potable gratuite (Eau de Paris)",
            ]
        ),
        address=address,
        **place.structure_fields(),
        services=[Service(id=f"{structure_id}-eau", name="Eau potable", categories=["fountain"])],
        modalities=Modalities(free=True),
        hours=hours,
        sources=[INFO.provenance(record_id)],
    )


def _commune(ctx: ImportContext, row: dict[str, str]) -> Commune | None:
    arrondissement = paris_arrondissement(ctx.communes, row["commune"])
    if arrondissement is not None:
        return arrondissement
    if not row["commune"]:
        return None
    try:
        near = parse_coordinates(row["lat"], row["lon"])
    except RowError:
        near = None
    return commune_by_name(ctx.communes, row["commune"], near=near)


_FACE = re.compile(r"\bF(?:ACE)?\b|(?<=\d)F\b|^F(?=\d)", re.IGNORECASE)


def fountain_address(row: dict[str, str]) -> str | None:
    """« 37F » + « BOULEVARD PASTEUR » → « face au 37 boulevard Pasteur »; no number → the street."""
    street = readable_address(row["voie"])
    raw_number = (row["no_voirie_pair"] or row["no_voirie_impair"]).strip()
    if not raw_number:
        return street
    facing = bool(_FACE.search(raw_number))
    number = _FACE.sub(" ", raw_number)
    number = re.sub(r"\s+", " ", number).strip()
    number = re.sub(r"^(\d+)\s*B$", r"\1 bis", number, flags=re.IGNORECASE)
    number = re.sub(r"^(\d+)\s*T$", r"\1 ter", number, flags=re.IGNORECASE)
    if not re.match(r"^\d", number):
        return street
    text = f"{number} {street}" if street else number
    return f"face au {text}" if facing else text


def _parse_timestamp(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).date()
    except ValueError as exc:
        raise RowError(f"date d'indisponibilité illisible : {value!r}") from exc


def availability(row: dict[str, str], data_date: date) -> tuple[OpeningHours | None, str | None]:
    """Hours (None = unknown) and a French status sentence for the description."""
    dispo = row["dispo"].strip().upper()
    if dispo == "OUI":
        return None, None
    if dispo != "NON":
        raise RowError(f"disponibilité inconnue : {row['dispo']!r}")
    start = _parse_timestamp(row["debut_ind"]) or data_date
    planned_end = _parse_timestamp(row["fin_ind"])
    reason_code = re.sub(r"\s+", " ", row["motif_ind"]).strip().upper()
    reason = REASONS.get(reason_code, reason_code.lower() or None)
    end = planned_end if planned_end is not None and planned_end >= data_date else None
    status = f"Hors service depuis le {french_date(start)}" + (f" ({reason})" if reason else "")
    if end is not None:
        status += f", retour prévu le {french_date(end)}"
    elif planned_end is not None:
        status += f" ; le retour était prévu le {french_date(planned_end)} mais la fontaine était encore " \
                  "indisponible au moment de l'export"
    status += " (état en septembre 2025 : vérifier sur place)"
    hours = OpeningHours(
        weekly={},
        valid_from=start,
        valid_until=end,
        closures=[TemporaryClosure(start=start, end=end, reason=reason.capitalize() if reason else None)],
        notes=f"Indisponible (dispo = NON) depuis le {start.isoformat()}"
        + (f", fin prévue le {planned_end.isoformat()}" if planned_end else "")
        + (f", motif : {reason_code}" if reason_code else ""),
    )
    return hours, status
