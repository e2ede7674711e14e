"""Public toilets of Île-de-France (Région Île-de-France consolidation, May 2024), mostly OpenStreetMap.

Two kinds of rows (column `Source`):
- `Openstreetmap` (2,564 rows): OSM toilets, kept. Id from the OSM element (`toilettes-idf-osm-node-123`).
  Many are toilets inside a building open to the public (restaurants, petrol stations, shopping
  centres): said in the description, as access may depend on the place's hours or be for customers.
- `Autres` (653 rows): the README says these rows *are* the Ville de Paris `sanisettesparis` data and the
  RATP station toilets, i.e. copies of `paris-sanisettes` (Nov. 2024) and `ratp-toilettes`, which we import
  directly from their own, fresher files. They are out of scope here (« copie de paris-sanisettes » /
  « copie de ratp-toilettes »): 586 of the 606 Paris rows and all 47 RATP rows sit at exactly the same
  point as a row of those datasets (checked by the tests); the other 20 are sanisettes of the older
  snapshot that the newer Paris export no longer lists at that point.
  OSM rows that describe the same Paris toilets as `paris-sanisettes` (about 500 within 10 m) are kept:
  merging across sources is a later step.

`Accessible au public` is « Oui » or empty (never « Non »), so no row is left out as non-public; empty
stays unknown. `Tarif` → free (Gratuit / Payant / unknown), `Accessibilite PMR` → wheelchair_access,
`Relais bébé` → description. Hours: OSM `opening_hours` syntax (`24/7`, `Mo-Fr 08:00-20:00; Sa …`), parsed
for the common subset; texts it cannot read (months, « sunset », free text) stay in the description.
Paris rows carry INSEE 75056 (no arrondissement in the source): commune « Paris ».
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from directory_api.fetch.publications import REGION_DATA, OpendatasoftExport
from directory_api.models import Modalities, Reject, Service, Structure
from directory_api.sources._osm_hours import parse_osm_opening_hours
from directory_api.sources._places import ODBL, ODBL_URL, join_sentences, resolve_place, yes_no
from directory_api.sources.base import ImportContext, SourceInfo
from directory_api.sources.common import RowError, check_row_shape, read_csv
from directory_api.sources.hours_parsing import HoursParseError
from directory_api.sources.ratp_toilettes import station_near, station_provenance

INFO = SourceInfo(
    id="idf-toilettes-publiques",
    title="Toilettes publiques en Île-de-France (Région Île-de-France, OpenStreetMap)",
    publisher="Région Île-de-France ; © les contributeurs d'OpenStreetMap",
    licence=ODBL,
    licence_url=ODBL_URL,
    data_date=date(2024, 5, 18),
    url="https://data.iledefrance.fr/explore/dataset/toilettes-publiques-en-ile-de-france/",
    share_alike=True,
)

FILE = "toilettes-publiques-en-ile-de-france.csv"
# Where the publisher serves it (directory fetch).
PUBLICATION = OpendatasoftExport(
    portal=REGION_DATA,
    dataset="toilettes-publiques-en-ile-de-france",
    file=FILE,
    export="csv",
    columns=(
        "Source", "Accessible au public", "Tarif", "Accessibilite PMR", "Indications de localisation", "Type",
        "Horaires d'ouverture", "Relais bébé", "coord_geo", "osm_id", "nom_de_la_commune",
        "code_geogrephique_commune", "nom_departement", "code_geographique_departement",
    ),
    point="coord_geo",
    cadence="variable (consolidation régionale)",
)

COPY_OF_PARIS_SANISETTES = "copie de paris-sanisettes (source « Autres »)"
COPY_OF_RATP_TOILETTES = "copie de ratp-toilettes (source « Autres »)"

_IN_BUILDING = "Toilettes dans un bâtiment recevant du public"
NEAR_STATION_M = 150


def read(ctx: ImportContext) -> Iterator[Structure | Reject]:
    path = ctx.dataset(INFO.id) / FILE
    for line, row in read_csv(path):
        osm_id = (row.get("osm_id") or "").strip() or None
        if (row.get("Source") or "").strip() == "Autres":
            reason = COPY_OF_RATP_TOILETTES if "RATP" in (row.get("Type") or "") else COPY_OF_PARIS_SANISETTES
            yield INFO.out_of_scope(path, line, reason)
            continue
        try:
            check_row_shape(row)
            yield _structure(ctx, row)
        except RowError as exc:
            yield INFO.reject(path, line, str(exc), osm_id)


def _structure(ctx: ImportContext, row: dict[str, str]) -> Structure:
    osm_id = row["osm_id"].strip()
    match = re.fullmatch(r"(node|way|relation)/(\d+)", osm_id)
    if not match:
        raise RowError(f"identifiant OpenStreetMap illisible : {osm_id!r}")
    structure_id = f"toilettes-idf-osm-{match.group(1)}-{match.group(2)}"
    place = resolve_place(
        ctx.communes,
        lat=row["lat"],
        lon=row["lon"],
        insee_code=row["code_geogrephique_commune"] or None,
    )
    toilet_type = re.sub(r"\s+", " ", row["Type"]).strip()
    in_building = toilet_type.startswith(_IN_BUILDING)
    hint = re.sub(r"\s+", " ", row["Indications de localisation"]).strip() or None
    # « Toilettes publiques — Paris » tells a person nothing: the source's own hint, else the station
    # within sight (IDFM), else the commune.
    station = None if hint else station_near(ctx, place.lat, place.lon, NEAR_STATION_M)
    near = None
    if station is not None:
        gare = station.name.lower().startswith("gare ")
        near = "près de la " + station.name[0].lower() + station.name[1:] if gare else f"près de la station {station.name}"
    where = hint or near or place.commune_name or row["nom_de_la_commune"] or "Île-de-France"
    label = "Toilettes dans un établissement" if in_building else "Toilettes publiques"
    hours_text = re.sub(r"\s+", " ", row["Horaires d'ouverture"]).strip()
    try:
        hours = parse_osm_opening_hours(hours_text)
        hours_note = None
    except HoursParseError:
        hours, hours_note = None, f"Horaires donnés par la source : « {hours_text} »"
    tarif = row["Tarif"].strip().lower()
    free = {"gratuit": True, "payant": False}.get(tarif)
    return Structure(
        id=structure_id,
        name=f"{label} — {where}",
        kind=label,
        description=join_sentences(
            [
                "Toilettes situées dans un établissement (restaurant, station-service, centre commercial…) : "
                "accès selon ses horaires, parfois réservé à la clientèle" if in_building else None,
                "Urinoir" if "urinoir" in toilet_type.lower() else None,
                "Toilettes assises" if "assises" in toilet_type.lower() else None,
                "Relais bébé (table à langer)" if yes_no(row["Relais bébé"]) else None,
                hours_note,
                "Données OpenStreetMap (mai 2024), parfois incomplètes : vérifier sur place",
            ]
        ),
        insee_code=place.insee_code,
        commune=place.commune_name or row["nom_de_la_commune"] or None,
        department=place.department or row["code_geographique_departement"] or None,
        postcode=place.postcode(),
        lat=place.lat,
        lon=place.lon,
        location_precision=place.precision,
        services=[Service(id=f"{structure_id}-toilettes", name="Toilettes", categories=["toilets"])],
        modalities=Modalities(
            free=free,
            price_details="Payant (tarif non précisé)" if free is False else None,
            wheelchair_access=yes_no(row["Accessibilite PMR"]),
        ),
        hours=hours,
        sources=[
            INFO.provenance(osm_id),
            *([station_provenance(station, ["name"])] if station else []),
        ],
    )
