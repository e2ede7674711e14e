"""Reader of the data·inclusion **v1** format (a list of structures and a list of services) into our model.

A format reader, not a dataset: a future source module (say a data·inclusion export of Île-de-France)
gives `read_data_inclusion` its two JSON lists. It is also the way back of our own export
(`directory_api.exports.data_inclusion`), which the tests run as a round trip.

Every record becomes a structure (with its services) or a `Reject` with its file, position in the list
(1 = first record) and reason; every value our model cannot hold is listed in `unexpressible`. Where the
two models differ, the reading never claims more than the data says:
- thématiques become our categories through data·inclusion's Soliguide mapping read backwards, and a
  thématique shared by several categories gives their common parent (`sante--sante-sexuelle` →
  `sexual_health`), see `categories_from_thematiques`;
- v1 publics are « at least one of »; ours combine criteria with « and ». A list that spans several of
  our criteria, or holds a public we have no value for, gives unknown publics (`None`), never « everyone »;
- `date_maj` is the data date (the oldest of the structure's and its services'), `lien_source` the
  source page, `source` the source id; v1 has no licence field, so the caller gives licences by source.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import HttpUrl, TypeAdapter, ValidationError

from directory_api.exports.data_inclusion import (
    NETWORK_KINDS,
    RecordKind,
    Unexpressible,
    categories_from_thematiques,
    loose_categories,
    service_type,
)
from directory_api.geography.communes import CommuneIndex
from directory_api.models import Modalities, OpeningHours, Provenance, Publics, Reject, Service, Structure, Welcome
from directory_api.sources._osm_hours import parse_osm_opening_hours
from directory_api.sources._places import LICENCE_OUVERTE_2
from directory_api.sources.common import RowError, french_phone, locate
from directory_api.sources.hours_parsing import HoursParseError

STRUCTURES_FILE = "structures.json"
SERVICES_FILE = "services.json"
IDF_DEPARTMENTS = {"75", "77", "78", "91", "92", "93", "94", "95"}

# v1 public -> (our criterion, our value), only where ours means the same or more: « personnes en
# situation juridique spécifique » is wider than « sortant de prison », so it has no row.
PUBLICS_BACK: dict[str, tuple[str, str]] = {
    "femmes": ("gender", "women"),
    "familles": ("family", "family"),
    "personnes-exilees": ("groups", "exiles"),
    "personnes-en-situation-de-handicap": ("groups", "handicap"),
    "etudiants": ("groups", "student"),
    "seniors": ("groups", "elderly"),
    "jeunes": ("groups", "youth"),
}
MODE_LABELS = {
    "se-presenter": "se présenter",
    "telephoner": "téléphoner",
    "envoyer-un-courriel": "envoyer un courriel",
    "utiliser-lien-mobilisation": "utiliser le lien de mobilisation",
}
# Fields of a v1 service that describe where and how to reach it; ours are the structure's.
SERVICE_PLACE_FIELDS = (
    "adresse", "complement_adresse", "code_postal", "code_insee", "commune", "latitude", "longitude",
    "telephone", "courriel", "source", "lien_source",
)
_URL = TypeAdapter(HttpUrl)
_INSEE = re.compile(r"^\d[\dAB]\d{3}$")


class OutOfScopeError(RowError):
    """A record outside the directory's mission (outside Île-de-France)."""


class DataInclusionImport(NamedTuple):
    structures: list[Structure]
    rejects: list[Reject]
    unexpressible: list[Unexpressible]  # values of imported records that our model cannot hold


def read_data_inclusion_files(structures_path: Path, services_path: Path, **options: Any) -> DataInclusionImport:
    return read_data_inclusion(
        json.loads(structures_path.read_text(encoding="utf-8")),
        json.loads(services_path.read_text(encoding="utf-8")),
        **options,
    )


def read_data_inclusion(
    structures_json: Sequence[Any],
    services_json: Sequence[Any],
    *,
    licences: Mapping[str, str] | None = None,
    default_licence: str = LICENCE_OUVERTE_2,
    communes: CommuneIndex | None = None,
    loose_thematiques: bool = False,
) -> DataInclusionImport:
    """Our structures from v1 structures and services (the parsed JSON lists).

    `licences`: licence per v1 `source` (v1 has none), `default_licence` otherwise (data·inclusion
    publishes under Licence Ouverte 2.0). `communes`: when given, a structure without coordinates is
    placed at the centre of its commune (`location_precision: "commune"`) instead of being rejected.
    `loose_thematiques`: records of other sources (the API) also get the broader category of a
    thématique the exact reading leaves out (`loose_categories`).
    """
    reader = _Reader(licences or {}, default_licence, communes, loose_thematiques)
    return reader.read(structures_json, services_json)


class _Reader:
    def __init__(
        self, licences: Mapping[str, str], default_licence: str, communes: CommuneIndex | None, loose: bool = False
    ) -> None:
        self.loose = loose  # see `loose_categories`; off for our own export read back (exact round trip)
        self.licences = licences
        self.default_licence = default_licence
        self.communes = communes
        self.rejects: list[Reject] = []
        self.rejected_service_lines: set[int] = set()
        self.losses: list[Unexpressible] = []

    def read(self, structures_json: Sequence[Any], services_json: Sequence[Any]) -> DataInclusionImport:
        structure_ids = {raw.get("id") for raw in structures_json if isinstance(raw, Mapping)}
        services_by_structure: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
        for line, raw in enumerate(services_json, 1):
            if not isinstance(raw, Mapping):
                self._reject(SERVICES_FILE, line, None, "data-inclusion", "enregistrement qui n'est pas un objet JSON")
            elif raw.get("structure_id") not in structure_ids:
                self._reject(
                    SERVICES_FILE, line, raw, None, f"structure rattachée inconnue : {raw.get('structure_id')!r}"
                )
            else:
                services_by_structure.setdefault(raw["structure_id"], []).append((line, raw))
        structures: list[Structure] = []
        seen: set[object] = set()
        for line, raw in enumerate(structures_json, 1):
            if not isinstance(raw, Mapping):
                self._reject(STRUCTURES_FILE, line, None, "data-inclusion", "enregistrement qui n'est pas un objet JSON")
                continue
            if raw.get("id") in seen:
                self._reject(STRUCTURES_FILE, line, raw, None, f"identifiant de structure en double : {raw.get('id')}")
                continue
            seen.add(raw.get("id"))
            services = services_by_structure.pop(raw.get("id"), [])
            kept_losses = len(self.losses)
            try:
                structures.append(self._structure(raw, services))
            except RowError as exc:
                del self.losses[kept_losses:]
                self._reject(STRUCTURES_FILE, line, raw, None, str(exc), out_of_scope=isinstance(exc, OutOfScopeError))
                for service_line, service in services:
                    if service_line not in self.rejected_service_lines:
                        self._reject(SERVICES_FILE, service_line, service, None, f"structure rejetée : {exc}")
        return DataInclusionImport(structures, self.rejects, self.losses)

    # --- records ------------------------------------------------------------------------------------

    def _reject(
        self, file: str, line: int, raw: Mapping[str, Any] | None, source: str | None, reason: str,
        *, out_of_scope: bool = False,
    ) -> None:
        record_id = raw.get("id") if raw is not None else None
        if file == SERVICES_FILE:
            self.rejected_service_lines.add(line)
        self.rejects.append(
            Reject(
                source=source or (str(raw.get("source")) if raw is not None and raw.get("source") else "data-inclusion"),
                file=file,
                line=line,
                reason=reason,
                record_id=str(record_id) if record_id is not None else None,
                out_of_scope=out_of_scope,
            )
        )

    def _lose(self, record: RecordKind, record_id: str, field: str, reason: str) -> None:
        self.losses.append(Unexpressible(record_id, record, field, reason))

    def _structure(self, raw: Mapping[str, Any], raw_services: list[tuple[int, Mapping[str, Any]]]) -> Structure:
        sid = _required(raw, "id")
        name = _required(raw, "nom")
        source = _required(raw, "source")
        data_date = _date(raw, "date_maj")
        insee_code = self._pattern(raw, "structure", sid, "code_insee", _INSEE)
        postcode = self._pattern(raw, "structure", sid, "code_postal", re.compile(r"^\d{5}$"))
        department = _department(insee_code, postcode)
        lat, lon, precision = self._position(raw, insee_code, postcode)
        description = _text(raw, "description")
        services: list[Service] = []
        service_dates = []
        for line, raw_service in raw_services:
            kept_losses = len(self.losses)
            try:
                services.append(self._service(raw_service, raw, description))
                service_dates.append(_date(raw_service, "date_maj"))
            except RowError as exc:
                del self.losses[kept_losses:]  # a rejected record has its reason, not field entries
                self._reject(SERVICES_FILE, line, raw_service, None, str(exc))
        if not services:
            raise RowError("aucun service importable (il en faut au moins un par lieu)")
        if raw.get("accessibilite_lieu"):
            link = raw["accessibilite_lieu"]
            self._lose("structure", sid, "accessibilite_lieu", f"lien Accesslibre sans champ dans notre modèle : {link}")
        try:
            return Structure(
                id=sid,
                name=name,
                kind=self._kind(raw, sid),
                description=description,
                address=_text(raw, "adresse"),
                address_complement=_text(raw, "complement_adresse"),
                postcode=postcode,
                insee_code=insee_code,
                commune=_text(raw, "commune"),
                department=department,
                lat=lat,
                lon=lon,
                location_precision=precision,
                phones=self._phones(raw, "structure", sid),
                email=self._email(raw, "structure", sid),
                website=self._website(raw, sid),
                siret=self._pattern(raw, "structure", sid, "siret", re.compile(r"^\d{14}$")),
                services=services,
                hours=self._hours(raw, "structure", sid),
                sources=[
                    Provenance(
                        source=source,
                        source_record_id=sid,
                        licence=self.licences.get(source, self.default_licence),
                        # A record is as old as its oldest part.
                        data_date=min([data_date, *service_dates]),
                        source_url=_text(raw, "lien_source"),
                    )
                ],
            )
        except ValidationError as exc:
            raise RowError(f"fiche invalide : {_first_error(exc)}") from exc

    def _service(self, raw: Mapping[str, Any], structure: Mapping[str, Any], structure_description: str | None) -> Service:
        service_id = _required(raw, "id")
        name = _required(raw, "nom")
        _date(raw, "date_maj")
        thematiques = _list(raw, "thematiques")
        categories, unresolved = categories_from_thematiques(thematiques)
        if self.loose and unresolved:  # records of other sources: a broader category rather than none
            loose = {cid: None for t in unresolved for cid in loose_categories(t)}
            categories = [*categories, *(cid for cid in loose if cid not in categories)]
            unresolved = [t for t in unresolved if not loose_categories(t)]
        if not categories:
            raise RowError(f"aucune thématique correspondant à nos catégories : {', '.join(thematiques) or 'aucune'}")
        if unresolved:
            reason = f"thématiques sans catégorie correspondante : {', '.join(unresolved)}"
            self._lose("service", service_id, "thematiques", reason)
        description = _text(raw, "description")
        for field in SERVICE_PLACE_FIELDS:
            if raw.get(field) is not None and raw.get(field) != structure.get(field):
                reason = f"valeur propre au service non reprise (notre modèle la prend au lieu) : {raw[field]}"
                self._lose("service", service_id, field, reason)
        if raw.get("type") and raw["type"] != service_type(categories):
            self._lose("service", service_id, "type", f"type de service sans champ dans notre modèle : {raw['type']}")
        for field, reason in (
            ("zone_eligibilite", "zone d'éligibilité sans champ dans notre modèle"),
            ("volume_horaire_hebdomadaire", "volume horaire sans champ dans notre modèle"),
            ("nombre_semaines", "durée en semaines sans champ dans notre modèle"),
            ("contact_nom_prenom", "nom de contact non repris (donnée personnelle)"),
        ):
            if raw.get(field) not in (None, []):
                # A person's name stays out of our reports too.
                value = "" if field == "contact_nom_prenom" else f" : {raw[field]}"
                self._lose("service", service_id, field, f"{reason}{value}")
        try:
            return Service(
                id=service_id,
                name=name,
                # The export repeats the place's description when a service has none.
                description=None if description == structure_description else description,
                categories=categories,
                publics=self._publics(raw, service_id),
                modalities=self._modalities(raw),
                hours=self._hours(raw, "service", service_id),
            )
        except ValidationError as exc:
            raise RowError(f"service invalide : {_first_error(exc)}") from exc

    # --- fields -------------------------------------------------------------------------------------

    def _position(self, raw: Mapping[str, Any], insee_code: str | None, postcode: str | None) -> tuple[float, float, str]:
        lat, lon = raw.get("latitude"), raw.get("longitude")
        if isinstance(lat, int | float) and isinstance(lon, int | float) and not isinstance(lat, bool):
            return float(lat), float(lon), "address"
        if self.communes is None:
            raise RowError("position inconnue : ni latitude ni longitude")
        lat, lon, precision, _ = locate(self.communes, coordinates=None, insee_code=insee_code, postcode=postcode)
        return lat, lon, precision

    def _pattern(
        self, raw: Mapping[str, Any], record: RecordKind, record_id: str, field: str, pattern: re.Pattern[str]
    ) -> str | None:
        value = _text(raw, field)
        if value is not None and not pattern.match(value):
            self._lose(record, record_id, field, f"valeur hors du format de notre modèle : {value}")
            return None
        return value

    def _kind(self, raw: Mapping[str, Any], sid: str) -> str | None:
        networks = _list(raw, "reseaux_porteurs")
        kinds = [NETWORK_KINDS[n] for n in networks if n in NETWORK_KINDS]
        others = [n for n in networks if n not in NETWORK_KINDS] + [n for n in networks if n in NETWORK_KINDS][1:]
        if others:
            reason = f"réseaux porteurs sans type de lieu correspondant : {', '.join(others)}"
            self._lose("structure", sid, "reseaux_porteurs", reason)
        return kinds[0] if kinds else None

    def _phones(self, raw: Mapping[str, Any], record: RecordKind, record_id: str) -> list[str]:
        value = _text(raw, "telephone")
        phone = french_phone(value)
        if value and phone is None:
            self._lose(record, record_id, "telephone", f"numéro illisible : {value}")
        return [phone] if phone else []

    def _email(self, raw: Mapping[str, Any], record: RecordKind, record_id: str) -> str | None:
        value = _text(raw, "courriel")
        if value and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            self._lose(record, record_id, "courriel", f"courriel illisible : {value}")
            return None
        return value

    def _website(self, raw: Mapping[str, Any], sid: str) -> HttpUrl | None:
        value = _text(raw, "site_web")
        if value is None:
            return None
        try:
            return _URL.validate_python(value)
        except ValidationError:
            self._lose("structure", sid, "site_web", f"adresse web illisible : {value}")
            return None

    def _hours(self, raw: Mapping[str, Any], record: RecordKind, record_id: str) -> OpeningHours | None:
        value = _text(raw, "horaires_accueil")
        try:
            return parse_osm_opening_hours(value)
        except HoursParseError:
            # Unknown rather than a guess: our model cannot keep hours it cannot read as hours.
            self._lose(record, record_id, "horaires_accueil", f"horaires OSM non lus (inconnus) : {value}")
            return None

    def _publics(self, raw: Mapping[str, Any], service_id: str) -> Publics | None:
        values = _list(raw, "publics")
        precisions = _text(raw, "publics_precisions")
        if not values:
            if precisions:
                self._lose("service", service_id, "publics_precisions", f"précisions sans liste de publics : {precisions}")
            return None
        if values == ["tous-publics"]:
            return Publics(welcome=Welcome.unconditional, description=precisions)
        back = [PUBLICS_BACK.get(value) for value in values]
        criteria = {pair[0] for pair in back if pair}
        if None in back or len(criteria) > 1:
            self._lose(
                "service", service_id, "publics",
                f"publics non exprimables avec nos critères (inconnus) : {', '.join(values)}"
                + (f" ; {precisions}" if precisions else ""),
            )
            return None
        chosen = [value for _, value in back]  # type: ignore[misc]
        criterion = criteria.pop()
        if criterion == "gender":
            return Publics(welcome=Welcome.exclusive, gender=chosen[0], description=precisions)
        return Publics(welcome=Welcome.exclusive, description=precisions, **{criterion: chosen})

    def _modalities(self, raw: Mapping[str, Any]) -> Modalities | None:
        frais = raw.get("frais")
        by = _list(raw, "mobilisable_par")
        referral = True if by == ["professionnels"] else None
        modes = _list(raw, "modes_mobilisation")
        precisions = _text(raw, "mobilisation_precisions")
        remote = "a-distance" in _list(raw, "modes_accueil")
        other = [
            _text(raw, "conditions_acces"),
            None if referral else precisions,
            f"Modes de mobilisation : {', '.join(MODE_LABELS.get(m, m) for m in modes)}." if modes else None,
            f"Mobilisable par : {', '.join(by)}." if by and not referral else None,
            f"Lien de mobilisation : {raw['lien_mobilisation']}" if raw.get("lien_mobilisation") else None,
            "Service aussi proposé à distance." if remote else None,
        ]
        modalities = Modalities(
            free=True if frais == "gratuit" else False if frais == "payant" else None,
            price_details=_text(raw, "frais_precisions"),
            referral=referral,
            referral_details=precisions if referral else None,
            other=" ".join(part for part in other if part) or None,
        )
        return modalities if modalities.model_dump(exclude_none=True) else None


def _text(raw: Mapping[str, Any], field: str) -> str | None:
    value = raw.get(field)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _required(raw: Mapping[str, Any], field: str) -> str:
    value = _text(raw, field)
    if value is None:
        raise RowError(f"champ obligatoire manquant : {field}")
    return value


def _date(raw: Mapping[str, Any], field: str) -> date:
    value = _required(raw, field)
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise RowError(f"date illisible ({field}) : {value}") from exc


def _list(raw: Mapping[str, Any], field: str) -> list[str]:
    value = raw.get(field)
    return [str(item) for item in value] if isinstance(value, list) else []


def _department(insee_code: str | None, postcode: str | None) -> str | None:
    code = (insee_code or postcode or "")[:2]
    if not code:
        return None
    if code not in IDF_DEPARTMENTS:
        raise OutOfScopeError(f"hors Île-de-France (département {code})")
    return code


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    return f"{'.'.join(str(part) for part in error['loc'])} ({error['type']})"
