"""Hospitals and clinics that perform IVG, from the DREES SAE (bordereau PERINAT), Île-de-France.

Datasets: `../shared/datasets/sae-2023/` and `../shared/datasets/sae-2024/` (read both READMEs).
One row = one FINESS *établissement géographique* (`FI`) that filed a PERINAT bordereau.

Choices (the API team should know them):
- **Who is an IVG provider.** Per the README, `IVG` > 0 (`realise_ivg_AN`) in a year means the site
  performed IVG that year (`PRIS` is not reliable). We read both years and let the **latest year the
  establishment appears in decide**: a site with IVG in 2024 is a provider (even with none in 2023,
  e.g. Hôpital Foch, or absent from 2023, e.g. the Hôpital Paris-Saclay opened in 2024); a site with
  IVG in 2023 but none in 2024 is not (listing it would send someone in need to a place that stopped);
  a site with IVG in 2023 that is absent from the 2024 file is kept, with a French warning that its
  2024 activity is unknown. This is why one module reads both years rather than two modules: one
  record per establishment, provenance listing the year(s) it comes from (`sae-2023`, `sae-2024`).
- **Every row accounted for.** Each row of each year's file is either part of a structure (its
  `sae-<year>` provenance carries the FINESS number) or an out-of-scope / reject row of that file.
- **No duplicate with FINESS.** The FINESS mapping leaves hospitals out of scope; here each provider
  is joined to FINESS 2021 on `FI` to borrow its geocoded address, coordinates and phone (SAE has no
  coordinates and gives postal, often CEDEX, addresses). The FINESS provenance says which fields it
  provided. When FINESS has no row for the site, or its FINESS commune differs from the SAE commune
  (the site moved), the SAE address is used and the position is the commune centre
  (`location_precision="commune"`).
- **Only `abortion` is claimed from the IVG data**; the split medicamentous / instrumental and the
  late-term counts go into the French service description. Sites with a maternity authorisation
  (`AUTOR`) also get a `pregnancy_care` service.
- **Prices.** IVG is covered at 100 % by the Assurance maladie (law); we only set `free=True` for
  public hospitals (`stjr` = 1), and say « se renseigner » for private ones (a few are not under
  agreement with the Assurance maladie).
- Data date: end of the activity year (counts are for the calendar year). Licence: the README could
  not check it on data.drees; DREES open data are normally under Licence Ouverte 2.0, flagged as
  « à confirmer » in the licence string.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from directory_api.fetch.publications import ManualPublication
from directory_api.geography.communes import Commune
from directory_api.models import Modalities, Provenance, Reject, Service, Structure
from directory_api.sources import finess_etablissements_idf as finess
from directory_api.sources._places import commune_label
from directory_api.sources.base import ImportContext, SourceInfo
from directory_api.sources.common import RowError, check_row_shape, french_phone, read_csv

_LICENCE = "Licence Ouverte 2.0 (à confirmer sur data.drees)"
_LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
_URL = "https://data.drees.solidarites-sante.gouv.fr/explore/dataset/708_bases-statistiques-sae/information/"

# DREES ships each year's base as a 7z archive of SAS and CSV tables (dataset 708_bases-statistiques-sae):
# one new file a year, with a new name, whose IVG block moves between bordereaux over the years. Staged by a
# person, with the method in ../shared/datasets/sae-2024/README.md; `directory fetch` says where to look.
PUBLICATION = ManualPublication(
    page_url=_URL,
    cadence="annuelle (base de l'année N publiée en N+1)",
    how="base annuelle en archive 7z sur data.drees : ajouter le dossier sae-<année> comme sae-2024 "
    "(méthode dans son README), puis relancer l'import",
)

INFO = SourceInfo(
    id="sae-2023",
    title="SAE 2023 (DREES) — établissements de santé pratiquant l'IVG, Île-de-France",
    publisher="DREES, Statistique annuelle des établissements de santé (base statistique)",
    licence=_LICENCE,
    licence_url=_LICENCE_URL,
    data_date=date(2023, 12, 31),
    url=_URL,
)

# The 2024 extraction, read by this same module (see the module docstring).
INFO_2024 = SourceInfo(
    id="sae-2024",
    title="SAE 2024 (DREES) — établissements de santé pratiquant l'IVG, Île-de-France",
    publisher="DREES, Statistique annuelle des établissements de santé (base statistique)",
    licence=_LICENCE,
    licence_url=_LICENCE_URL,
    data_date=date(2024, 12, 31),
    url=_URL,
)

YEARS: dict[int, SourceInfo] = {2023: INFO, 2024: INFO_2024}

# French label of the FINESS category of the IVG establishments (see the READMEs).
_KINDS = {
    "101": "Centre hospitalier universitaire (AP-HP)",
    "355": "Centre hospitalier",
    "365": "Hôpital ou clinique (établissement de soins pluridisciplinaire)",
    "128": "Clinique chirurgicale",
    "122": "Clinique obstétricale et gynécologique",
    "114": "Hôpital d'instruction des armées",
    "106": "Centre hospitalier",
}
_MATERNITY = {
    "TYPE1": "Maternité de type 1 (unité d'obstétrique)",
    "TYPE2": "Maternité de type 2 (obstétrique et néonatologie)",
    "TYPE3": "Maternité de type 3 (obstétrique, néonatologie et réanimation néonatale)",
    "CPPR": "Centre périnatal de proximité (consultations avant et après la naissance, sans accouchement)",
}
_IVG_RIGHTS = (
    "Pour les mineures : IVG sans autorisation parentale (accompagnement par une personne majeure de "
    "son choix), gratuite et confidentielle."
)


@dataclass
class SaeRow:
    year: int
    path: Path
    line: int
    row: dict[str, str]
    identity: dict[str, str]  # the ID bordereau row (ARMT, sir, COMPD), may be empty

    @property
    def fi(self) -> str:
        return self.row["FI"]

    def count(self, column: str) -> int | None:
        """A count of the PERINAT block; None when empty (not answered / not applicable)."""
        value = (self.row.get(column) or "").strip()
        if not value:
            return None
        if not re.fullmatch(r"\d+", value):
            raise RowError(f"valeur non numérique dans {column} : {value!r}")
        return int(value)


def _files(ctx: ImportContext, year: int) -> tuple[Path, Path]:
    folder = ctx.dataset(f"sae-{year}")
    return folder / f"ivg_etablissements_idf_{year}.csv", folder / f"ID_{year}r_IDF_perinat.csv"


def _read_year(ctx: ImportContext, year: int) -> tuple[list[SaeRow], list[Reject]]:
    path, id_path = _files(ctx, year)
    identities = {row["fi"]: row for _, row in read_csv(id_path) if row.get("fi")}
    rows: list[SaeRow] = []
    rejects: list[Reject] = []
    seen: set[str] = set()
    for line, row in read_csv(path):
        fi = row.get("FI") or None
        try:
            check_row_shape(row)
            if not fi or not re.fullmatch(r"\d[\dAB]\d{7}", fi):
                raise RowError(f"numéro FINESS invalide : {fi!r}")
            if fi in seen:
                raise RowError(f"établissement en double dans le fichier : {fi}")
        except RowError as exc:
            rejects.append(YEARS[year].reject(path, line, str(exc), fi))
            continue
        seen.add(fi)
        rows.append(SaeRow(year, path, line, row, identities.get(fi, {})))
    return rows, rejects


def _ivg_text(sae: SaeRow) -> str:
    total = sae.count("IVG") or 0
    medication, instrumental = sae.count("IVGME"), sae.count("IVG_INSTRU_CALC")
    text = f"En {sae.year} : {total} IVG"
    if medication is not None and instrumental is not None:
        text += (
            f", dont {medication} médicamenteuse{_plural(medication)}"
            f" et {instrumental} instrumentale{_plural(instrumental)} (par aspiration)"
        )
    late = [
        f"{n} à {weeks} semaines d'aménorrhée"
        for n, weeks in ((sae.count("IVG1214"), "13–14"), (sae.count("IVG1516"), "15–16"))
        if n
    ]
    if late:
        text += " ; dont " + " et ".join(late)
    return text + "."


def _plural(n: int) -> str:
    return "s" if n > 1 else ""


def _ivg_description(latest: SaeRow, older: SaeRow | None, absent_in_2024: bool) -> str:
    parts = ["IVG pratiquées dans l'établissement (statistique annuelle SAE, DREES).", _ivg_text(latest)]
    if (latest.row.get("PRIS") or "").strip() == "0":
        # README: PRIS and IVG disagree for a few sites; the count is what was done, the answer is doubtful.
        parts.append(
            "L'établissement a pourtant répondu ne pas prendre en charge les IVG : se renseigner avant de s'y rendre."
        )
    if older is not None:
        total = older.count("IVG")
        if total:
            parts.append(f"En {older.year} : {total} IVG.")
        elif total == 0:
            parts.append(f"En {older.year} : aucune IVG déclarée.")
    if absent_in_2024:
        parts.append("L'établissement n'apparaît pas dans la SAE 2024 : activité IVG à confirmer.")
    return " ".join(parts)


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dy = (a[0] - b[0]) * 111.2
    dx = (a[1] - b[1]) * 111.2 * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dx, dy)


def _sae_commune(ctx: ImportContext, sae: SaeRow) -> Commune | None:
    code = sae.identity.get("ARMT") or sae.row.get("COMINSEE")  # Paris: the arrondissement
    return ctx.communes.by_insee(code) if code else None


def _build(ctx: ImportContext, latest: SaeRow, rows: list[SaeRow]) -> Structure:
    fi = latest.fi
    by_year = {r.year: r for r in rows}
    commune = _sae_commune(ctx, latest)
    if commune is None:
        raise RowError(f"commune INSEE inconnue : {latest.row.get('COMINSEE')!r}")
    finess_row = finess.finess_rows(ctx).get(fi)
    # An older edition only gives the activity of its year, in the description.
    sources: list[Provenance] = [
        YEARS[r.year].provenance(fi, fields=None if r is latest else ["description"])
        for r in sorted(rows, key=lambda r: r.year)
    ]

    # Position: FINESS 2021 geocoded address when it is the same place, else the SAE commune centre.
    address = postcode = complement = None
    lat = lon = None
    precision = "commune"
    phones: list[str] = []
    finess_fields: list[str] = []
    if finess_row is not None:
        f_lat, f_lon, f_precision, f_commune = finess.row_location(ctx, finess_row)
        same_place = (
            f_precision == "address"
            and (f_commune.insee_code == commune.insee_code if f_commune else True)
            and _distance_km((f_lat, f_lon), (commune.lat, commune.lon)) < 15
        )
        if same_place:
            lat, lon, precision = f_lat, f_lon, "address"
            address = finess.format_street(finess_row.get("adresse"))
            complement = finess.format_complement(finess_row.get("adresse_complement"))
            postcode = finess.street_postcode(
                finess_row.get("codepostal"), finess_row.get("ville_acheminement"), commune
            )
            finess_fields += ["address", "address_complement", "postcode", "lat", "lon"]
        phone = french_phone(finess_row.get("telephone"))
        if phone:
            phones = [phone]
            finess_fields.append("phones")
    if lat is None or lon is None:
        lat, lon = commune.lat, commune.lon
        street = " ".join(latest.row.get(k, "") for k in ("NUMVOI", "TYPVOI", "NOMVOI")).strip()
        address = finess.format_street(street)
        complement = finess.format_complement(latest.identity.get("COMPD"))
        postcode = finess.street_postcode(latest.row.get("CPO"), latest.row.get("LIBCOM"), commune)
    siret = latest.identity.get("sir") or None
    if not siret and finess_row is not None and finess_row.get("siret"):
        siret = finess_row["siret"]
        finess_fields.append("siret")
    if siret and not re.fullmatch(r"\d{14}", siret):
        siret = None
    if finess_fields:
        sources.append(finess.INFO.provenance(fi, fields=finess_fields))

    ivg_free = latest.row.get("stjr") == "1"
    ivg_modalities = Modalities(
        free=True if ivg_free else None,
        price_details=(
            "IVG prise en charge à 100 % par l'Assurance maladie (et par l'AME), sans avance de frais."
            if ivg_free
            else "L'IVG est prise en charge à 100 % par l'Assurance maladie dans les établissements "
            "conventionnés : se renseigner auprès de l'établissement."
        ),
        # ivg.gouv.fr « Accéder à l'IVG » : for minors, fully covered without advance and anonymous,
        # wherever it is done.
        free_for_minors=True,
        anonymous_for_minors=True,
        other=_IVG_RIGHTS,
    )
    older = by_year.get(2023) if latest.year == 2024 else None
    services = [
        Service(
            id=f"sae-{fi}-ivg",
            name="Interruption volontaire de grossesse (IVG)",
            description=_ivg_description(latest, older, absent_in_2024=latest.year == 2023),
            categories=["abortion"],
            modalities=ivg_modalities,
        )
    ]
    maternity = _MATERNITY.get((latest.row.get("AUTOR") or "").strip().upper())
    if maternity:
        services.append(
            Service(
                id=f"sae-{fi}-maternite",
                name="Maternité et suivi de grossesse",
                description=f"{maternity} (autorisation déclarée dans la SAE {latest.year}).",
                categories=["pregnancy_care"],
            )
        )
    name_row = by_year.get(2023) or latest  # 2023 names are the readable ones (2024: « GHU APHP NUP... »)
    if precision == "commune":
        note = " Adresse postale de la SAE ; position approximative (centre de la commune)."
    else:
        note = ""
    return Structure(
        id=f"sae-{fi}",
        name=finess.clean_name(name_row.row["RS"]),
        kind=_KINDS.get(latest.row.get("cat", ""), "Établissement de santé"),
        description=("Établissement de santé qui pratique l'IVG." + note),
        address=address,
        address_complement=complement,
        postcode=postcode,
        insee_code=commune.insee_code,
        commune=commune_label(commune),
        department=commune.department,
        lat=lat,
        lon=lon,
        location_precision=precision,  # type: ignore[arg-type]
        phones=phones,
        finess=fi,
        siret=siret,
        services=services,
        hours=None,  # the SAE says nothing about hours: unknown
        last_verified=None,
        sources=sources,
    )


def read(ctx: ImportContext) -> Iterator[Structure | Reject]:
    rows_2023, rejects_2023 = _read_year(ctx, 2023)
    rows_2024, rejects_2024 = _read_year(ctx, 2024)
    yield from rejects_2023
    yield from rejects_2024
    by_fi: dict[str, list[SaeRow]] = {}
    for sae in [*rows_2023, *rows_2024]:  # 2023 file order, then establishments new in 2024
        by_fi.setdefault(sae.fi, []).append(sae)
    for fi, rows in by_fi.items():
        latest = max(rows, key=lambda r: r.year)
        try:
            counts = {r.year: r.count("IVG") for r in rows}
        except RowError as exc:
            for sae in rows:
                yield YEARS[sae.year].reject(sae.path, sae.line, str(exc), fi)
            continue
        if counts[latest.year]:
            try:
                yield _build(ctx, latest, rows)
                continue
            except RowError as exc:
                reason = str(exc)
            except ValidationError as exc:
                fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
                reason = f"valeur invalide ({fields or 'enregistrement'})"
            for sae in rows:
                yield YEARS[sae.year].reject(sae.path, sae.line, reason, fi)
            continue
        for sae in rows:
            count = counts[sae.year]
            if count is None:
                reason = f"activité IVG non renseignée (SAE {sae.year})"
            elif count > 0:  # only possible for 2023 when 2024 says none
                if counts[latest.year] is None:
                    reason = "IVG en 2023, activité non renseignée en 2024 (SAE 2024)"
                else:
                    reason = "IVG en 2023 mais aucune déclarée en 2024 (SAE 2024)"
            else:
                reason = "aucune IVG déclarée (SAE)"
            yield YEARS[sae.year].out_of_scope(sae.path, sae.line, reason, fi)
