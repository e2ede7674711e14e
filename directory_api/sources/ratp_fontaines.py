"""Drinking fountains in and at RATP stations (RATP open data; export date unknown, no later than June 2026).

81 rows, probably an older or partial copy (115 fountains on data.gouv.fr in September 2026, per the
README). Category `fountain`, free. Id `fontaine-ratp-<identifiant_ratp>`.

Access: `en_zone_controlee_ou_non = en zone contrôlée` (7 rows) → behind the ticket barriers, a valid
transport ticket is needed; empty (74 rows) is « presumably outside the controlled zone » per the README:
said as « probablement », not as a fact. Both in `modalities.other`.

Commune names are not normalised (« Boulogne », « Bussy St Georges », « Ivry ») and two postcodes are
wrong (Marcel Sembat « 92000 » in Boulogne-Billancourt, Mairie d'Ivry « 94000 » in Ivry): the commune is
the postcode's or the written name's, whichever is nearest to the fountain; a postcode that does not
belong to that commune is replaced by the commune's own (when it has only one). No hours in the data: unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from directory_api.fetch.publications import RATP_DATA, OpendatasoftExport
from directory_api.geography.communes import Commune
from directory_api.models import Modalities, Reject, Service, Structure
from directory_api.sources._places import (
    commune_by_name,
    distance_m,
    join_sentences,
    paris_arrondissement,
    readable_address,
    resolve_place,
)
from directory_api.sources.base import ImportContext, SourceInfo
from directory_api.sources.common import RowError, map_rows, parse_coordinates
from directory_api.text import fold

INFO = SourceInfo(
    id="ratp-fontaines",
    title="Fontaines à eau dans le réseau RATP",
    publisher="RATP",
    licence="Licence Ouverte",  # reported for the data.gouv.fr page, not stated in the copy (README)
    licence_url="https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    data_date=date(2026, 6, 24),  # unknown export date, « no later than » the copy's commit
    url="https://www.data.gouv.fr/datasets/fontaines-a-eau-dans-le-reseau-ratp",
)

FILE = "fontaines-a-eau-dans-le-reseau-ratp.csv"
# Where the publisher serves it (directory fetch).
PUBLICATION = OpendatasoftExport(
    portal=RATP_DATA,
    dataset="fontaines-a-eau-dans-le-reseau-ratp",
    file=FILE,
    export="json",
    columns=(
        "ligne", "station_ou_gare", "longitude", "latitude", "adresse", "code_postal", "commune",
        "numero_de_l_acces_a_la_station_le_plus_proche", "nom_de_l_acces_a_la_station_le_plus_proche",
        "en_zone_controlee_ou_non", "identifiant_ratp", "id_idm_de_l_acces_le_plus_proche",
    ),
    cadence="variable",
)

IN_CONTROLLED_ZONE = "Dans la zone contrôlée : un titre de transport valable est nécessaire pour y accéder."
PROBABLY_OUTSIDE = (
    "Probablement hors de la zone contrôlée, donc accessible sans titre de transport "
    "(la source ne le précise pas)."
)


def read(ctx: ImportContext) -> Iterator[Structure | Reject]:
    path = ctx.dataset(INFO.id) / FILE
    yield from map_rows(INFO, path, "identifiant_ratp", lambda row: _structure(ctx, row))


def _structure(ctx: ImportContext, row: dict[str, str]) -> Structure:
    record_id = row["identifiant_ratp"]
    if not record_id:
        raise RowError("identifiant RATP manquant")
    commune = resolve_commune(ctx, row)
    place = resolve_place(
        ctx.communes, lat=row["latitude"], lon=row["longitude"], commune=commune, postcode=row["code_postal"]
    )
    structure_id = f"fontaine-ratp-{record_id}"
    station = re.sub(r"\s+", " ", row["station_ou_gare"]).strip()
    address = readable_address(row["adresse"])
    exit_name = re.sub(r"\s+", " ", row["nom_de_l_acces_a_la_station_le_plus_proche"]).strip()
    exit_number = row["numero_de_l_acces_a_la_station_le_plus_proche"].strip()
    in_zone = fold(row["en_zone_controlee_ou_non"]).strip() == "en zone controlee"
    exit_text = None
    if exit_name or exit_number:
        exit_text = "Accès le plus proche : " + " ".join(
            part for part in [f"n° {exit_number}" if exit_number else "", exit_name] if part
        )
    return Structure(
        id=structure_id,
        name=f"Fontaine à boire — {station}" if station else "Fontaine à boire (RATP)",
        kind="Fontaine à boire",
        description=join_sentences(
            [
                f"Fontaine à eau potable de la RATP, {station} (ligne {row['ligne']})" if station else None,
                exit_text,
                "Eau potable gratuite",
                "Données RATP de date inconnue (copie de juin 2026 au plus tard), sans doute incomplètes",
            ]
        ),
        address=address,
        **place.structure_fields(consistent_postcode(commune, row["code_postal"])),
        services=[Service(id=f"{structure_id}-eau", name="Eau potable", categories=["fountain"])],
        modalities=Modalities(free=True, other=IN_CONTROLLED_ZONE if in_zone else PROBABLY_OUTSIDE),
        sources=[INFO.provenance(record_id)],
    )


def resolve_commune(ctx: ImportContext, row: dict[str, str]) -> Commune | None:
    """The commune of a row. Paris: the arrondissement of the postcode. Elsewhere the postcode's
    communes and the commune of the written name are candidates; when they disagree (« 92000 » with
    « Boulogne Billancourt », « 94000 » with « Ivry »: wrong postcodes in the source) the candidate
    nearest to the fountain wins."""
    postcode = row["code_postal"].strip()
    if postcode.startswith("75"):
        return paris_arrondissement(ctx.communes, postcode)
    try:
        point = parse_coordinates(row["latitude"], row["longitude"])
    except RowError:
        point = None
    by_postcode = ctx.communes.by_postcode(postcode)
    named = commune_by_name(ctx.communes, row["commune"], near=point) if row["commune"].strip() else None
    if named is not None and any(c.insee_code == named.insee_code for c in by_postcode):
        return named
    candidates = ([named] if named else []) + by_postcode
    if not candidates:
        return None
    if point is None:
        return candidates[0]
    return min(candidates, key=lambda c: distance_m(point[0], point[1], c.lat, c.lon))


def consistent_postcode(commune: Commune | None, postcode: str) -> str | None:
    """The source's postcode, unless it does not belong to the commune found."""
    postcode = postcode.strip()
    if commune is not None and postcode not in commune.postcodes:
        return None
    return postcode or None
