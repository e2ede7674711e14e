"""Export of the directory to the data·inclusion **v1** schema (one list of structures, one of services).

The references are copies committed under `data/reference/data-inclusion/` (see its README): the two v1
JSON Schemas and data·inclusion's own mappings from Soliguide categories and publics to v1 vocabularies.
Our categories are Soliguide category ids, so we map them exactly as data·inclusion maps Soliguide.

Rules (documented for users in docs/data-inclusion.md):
- a service is exported when at least one of its categories has a thématique in data·inclusion's
  mapping (data·inclusion itself drops Soliguide services without one); a structure is exported when at
  least one of its services is. Everything else, and every value that the v1 schema cannot carry, is
  listed in `unexpressible` with a French reason: nothing is dropped silently;
- `source` is the record's first (main) source, `date_maj` its data date (the oldest of its sources),
  `lien_source` the main source's page when we have one; `id` is our stable id;
- v1 structures have no publics, modalities or languages: each service carries the effective values
  (its own, else its structure's). Opening hours keep v1's inheritance (service hours, else structure's)
  and are written in the OpenStreetMap `opening_hours` syntax, as v1 requires;
- what v1 has no structured value for (age ranges, preferential welcome, anonymity, wheelchair access,
  appointments…) goes into the French free-text fields (`publics_precisions`, `conditions_acces`,
  `mobilisation_precisions`) rather than being lost.

The reader of this format (and so the way back) is `directory_api.sources.data_inclusion`; the
vocabulary tables here are shared with it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from directory_api.labels import ADMINISTRATIVE_LABELS, FAMILY_LABELS, GENDER_LABELS, GROUP_LABELS
from directory_api.models import (
    WEEKDAYS,
    HolidayPolicy,
    Modalities,
    OpeningHours,
    Provenance,
    Publics,
    Service,
    Structure,
    TimeSlot,
    Welcome,
)
from directory_api.taxonomy import Taxonomy, get_taxonomy

REFERENCE_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "reference" / "data-inclusion"
STRUCTURE_SCHEMA = REFERENCE_DIR / "structure.schema.json"
SERVICE_SCHEMA = REFERENCE_DIR / "service.schema.json"

NAME_LENGTH = (3, 150)  # v1 `nom`, structures and services
DESCRIPTION_LENGTH = (5, 10_000)  # v1 `description`

JsonDict = dict[str, Any]
RecordKind = Literal["structure", "service"]


@dataclass(frozen=True)
class Unexpressible:
    """A record, or a value of a record, that the v1 schema cannot carry. `field` is None for a whole
    record left out of the export. The reason is French and starts with a stable phrase (before « : »)
    so that entries can be counted by reason."""

    id: str
    record: RecordKind
    field: str | None
    reason: str

    @property
    def reason_key(self) -> str:
        return self.reason.split(" : ", 1)[0]

    def as_json(self) -> dict[str, str | None]:
        return {"id": self.id, "record": self.record, "field": self.field, "reason": self.reason}


class UnexpressibleError(ValueError):
    """A whole record cannot be exported; the message is the French reason."""


# --- vocabularies -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SoliguideMapping:
    """data·inclusion's mappings from Soliguide values to v1 vocabularies (empty tuple: no equivalent)."""

    thematiques: dict[str, tuple[str, ...]]  # Soliguide category -> thématiques
    types: dict[str, str]  # Soliguide category -> type de service
    publics: dict[str, tuple[str, ...]]  # Soliguide public -> publics


def _read_pairs(path: Path) -> dict[str, tuple[str, ...]]:
    pairs: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)  # header
        for source, target in reader:
            values = pairs.setdefault(source, [])
            if target and target not in values:
                values.append(target)
    return {key: tuple(values) for key, values in pairs.items()}


@cache
def load_mapping(directory: Path = REFERENCE_DIR) -> SoliguideMapping:
    types = _read_pairs(directory / "soliguide-categories-vers-types-de-services-v1.csv")
    return SoliguideMapping(
        thematiques=_read_pairs(directory / "soliguide-categories-vers-thematiques-v1.csv"),
        types={category: values[0] for category, values in types.items() if values},
        publics=_read_pairs(directory / "soliguide-publics-vers-publics-v1.csv"),
    )


def category_thematiques(category: str) -> tuple[str, ...]:
    return load_mapping().thematiques.get(category, ())


# Our public values are Soliguide's, but for one spelling and four groups Soliguide does not have; those
# four get the v1 public that names them (data·inclusion's mapping has no row for them).
_SOLIGUIDE_PUBLIC_NAMES = {"mental_health": "mentalHealth"}
OWN_PUBLICS: dict[str, tuple[str, ...]] = {
    "exiles": ("personnes-exilees",),
    "youth": ("jeunes",),
    "elderly": ("seniors",),
    "homeless": ("personnes-en-situation-durgence",),
}


def public_values(value: str) -> tuple[str, ...]:
    """The v1 publics of one of our public values (gender, administrative, family or group)."""
    if value in OWN_PUBLICS:
        return OWN_PUBLICS[value]
    return load_mapping().publics.get(_SOLIGUIDE_PUBLIC_NAMES.get(value, value), ())


# `kind` has no v1 field; the networks (`reseaux_porteurs`) name some kinds exactly. Only exact matches:
# a « Centre de santé » is not a « centre médico-social », a PMI is not always departmental.
KIND_NETWORKS: dict[str, str] = {
    "CHRS": "chrs",
    "Centre d'hébergement d'urgence": "chu",
    "Centre d'accueil de demandeurs d'asile (CADA)": "cada",
    "Centre provisoire d'hébergement (CPH)": "cph",
    "CSAPA": "csapa",
    "CAARUD": "caarud",
    "Centre médico-psychologique (CMP)": "cmp",
    "Centre communal d'action sociale (CCAS)": "ccas-cias",
    "Foyer de jeunes travailleurs (FJT)": "residences-fjt",
    "France services": "france-service",
    "France services (antenne)": "france-service",
    "France services itinérant (bus)": "france-service",
    "Service social départemental": "departements",
}
# The way back, for networks that name one kind of place (`departements` covers councils, UDAF, CDAS…).
NETWORK_KINDS: dict[str, str] = {
    "chrs": "CHRS",
    "chu": "Centre d'hébergement d'urgence",
    "cada": "Centre d'accueil de demandeurs d'asile (CADA)",
    "cph": "Centre provisoire d'hébergement (CPH)",
    "csapa": "CSAPA",
    "caarud": "CAARUD",
    "cmp": "Centre médico-psychologique (CMP)",
    "ccas-cias": "Centre communal d'action sociale (CCAS)",
    "residences-fjt": "Foyer de jeunes travailleurs (FJT)",
    "france-service": "France services",
}


# --- categories <-> thématiques -------------------------------------------------------------------------


def categories_from_thematiques(
    thematiques: Sequence[str], taxonomy: Taxonomy | None = None
) -> tuple[list[str], list[str]]:
    """Our categories for a set of thématiques, and the thématiques that name none of them.

    The mapping is many-to-many, so the way back never claims more than was said:
    - when exactly one category has exactly these thématiques, it is that category (the mapping is
      reversible there: `pregnancy_care` is the only one with its three thématiques);
    - otherwise a category is a candidate only if all its thématiques are in the set; a thématique with
      one candidate gives it, one with several gives their nearest common ancestors in our taxonomy
      (`sante--sante-sexuelle` alone gives `health`, the only parent common to its eight categories, not
      `emergency_contraception`), one with no common ancestor gives nothing. Categories that are
      ancestors of another result are dropped (the specific one says more).
    """
    taxonomy = taxonomy or get_taxonomy()
    given = set(thematiques)
    candidates = [
        cid for cid in taxonomy.categories if category_thematiques(cid) and set(category_thematiques(cid)) <= given
    ]
    exact = [cid for cid in candidates if set(category_thematiques(cid)) == given]
    if len(exact) == 1:
        return exact, []
    found: dict[str, None] = {}
    unresolved: list[str] = []
    for thematique in dict.fromkeys(thematiques):
        named = [cid for cid in candidates if thematique in category_thematiques(cid)]
        common = _lowest_common_ancestors(named, taxonomy) if len(named) > 1 else named
        if not common:
            unresolved.append(thematique)
        for cid in common:
            found.setdefault(cid, None)
    kept = [cid for cid in found if not any(cid in taxonomy.ancestors(other) for other in found)]
    return kept, unresolved


def _lowest_common_ancestors(categories: list[str], taxonomy: Taxonomy) -> list[str]:
    common: set[str] | None = None
    for cid in categories:
        lineage = {cid, *taxonomy.ancestors(cid)}
        common = lineage if common is None else common & lineage
    if not common:
        return []
    lowest = [cid for cid in common if not any(cid in taxonomy.ancestors(other) for other in common)]
    return sorted(lowest, key=lambda cid: (taxonomy[cid].rank, cid))


def loose_categories(thematique: str, taxonomy: Taxonomy | None = None) -> list[str]:
    """For records of other sources (the data·inclusion API), a thématique the exact reading leaves out:
    the categories that list it, as their lowest common ancestors, taken in the domain most of them share
    (« rechercher une solution d'hébergement temporaire » is listed by night shelters, emergency and
    citizen housing, and day centres: the housing domain). Empty when no domain has most of them."""
    taxonomy = taxonomy or get_taxonomy()
    named = [cid for cid in taxonomy.categories if thematique in category_thematiques(cid)]
    by_root: dict[str, list[str]] = {}
    for cid in named:
        roots = [a for a in (cid, *taxonomy.ancestors(cid)) if not taxonomy[a].parents]
        for root in roots[:1]:
            by_root.setdefault(root, []).append(cid)
    ranked = sorted(by_root.values(), key=len, reverse=True)
    if not ranked or (len(ranked) > 1 and len(ranked[0]) == len(ranked[1])):
        return []
    return _lowest_common_ancestors(ranked[0], taxonomy)


@cache
def reversible_categories() -> frozenset[str]:
    """Categories that come back unchanged from their own thématiques (exact round trip)."""
    taxonomy = get_taxonomy()
    return frozenset(
        cid
        for cid in taxonomy.categories
        if category_thematiques(cid) and categories_from_thematiques(category_thematiques(cid))[0] == [cid]
    )


# --- opening hours ----------------------------------------------------------------------------------

OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


def to_osm_opening_hours(hours: OpeningHours) -> str:
    """Weekly hours in the OpenStreetMap `opening_hours` syntax (`Mo-Fr 09:00-12:00,14:00-17:00; PH off`).

    Days with the same slots share one rule; days named by no rule are closed, as in our model. Raises
    `UnexpressibleError` on what this subset cannot say (a slot of exactly 24 h not starting at midnight).
    """
    if hours.always_open:
        return "24/7"
    by_slots: dict[str, list[int]] = {}
    for index, day in enumerate(WEEKDAYS):
        slots = hours.weekly.get(day) or []
        if slots:
            by_slots.setdefault(",".join(_osm_slot(slot) for slot in slots), []).append(index)
    rules = [f"{_osm_days(days)} {slots}" for slots, days in by_slots.items()]
    if hours.public_holidays == HolidayPolicy.closed:
        rules.append("PH off")
    return "; ".join(rules) if rules else "off"


def _osm_slot(slot: TimeSlot) -> str:
    if slot.start.second or slot.end.second:
        raise UnexpressibleError(f"horaire à la seconde près : {slot.start}-{slot.end}")
    if slot.start == slot.end and slot.start.hour + slot.start.minute:
        raise UnexpressibleError(f"plage de 24 h ne commençant pas à minuit : {slot.start:%H:%M}")
    end = "24:00" if slot.end.hour == slot.end.minute == 0 else f"{slot.end:%H:%M}"
    return f"{slot.start:%H:%M}-{end}"  # an end before the start runs past midnight, as in OSM


def _osm_days(days: list[int]) -> str:
    """`Mo-We,Fr` for days 0, 1, 2, 4 (runs of three or more days as ranges)."""
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{OSM_DAYS[run[0]]}-{OSM_DAYS[run[-1]]}")
        else:
            parts.extend(OSM_DAYS[day] for day in run)
    return ",".join(parts)


# --- publics and modalities -------------------------------------------------------------------------

def _restrictions(publics: Publics) -> list[list[str]]:
    """The restricted criteria of a public, each a list of our values (OR inside, AND between)."""
    criteria = [list(publics.administrative), list(publics.family), list(publics.groups)]
    if publics.gender != "all":
        criteria.insert(0, [publics.gender])
    return [values for values in criteria if values]


def to_di_publics(publics: Publics | None) -> tuple[list[str] | None, str | None]:
    """v1 `publics` and `publics_precisions`.

    v1 lists publics of which a person must belong to at least one, `tous-publics` alone meaning everyone.
    Unconditional and preferential welcomes are `tous-publics` (everyone is welcome; the preference is
    said in the text). An exclusive welcome lists the v1 publics of its values, or stays `null` (unknown,
    never « tous publics ») when one of them, or an age limit alone, has no v1 equivalent.
    """
    if publics is None:
        return None, None
    text = " ".join(part for part in (publics.description, _publics_sentence(publics)) if part) or None
    if publics.welcome != Welcome.exclusive:
        return ["tous-publics"], text
    values: dict[str, None] = {}
    for criterion in _restrictions(publics):
        for value in criterion:
            mapped = public_values(value)
            if not mapped:
                return None, text
            values.update(dict.fromkeys(mapped))
    return (list(values) or None), text


def _publics_sentence(publics: Publics) -> str | None:
    parts = [
        " ou ".join(labels[value] for value in values)
        for labels, values in (
            (GENDER_LABELS, [publics.gender] if publics.gender != "all" else []),
            (ADMINISTRATIVE_LABELS, publics.administrative),
            (FAMILY_LABELS, publics.family),
            (GROUP_LABELS, publics.groups),
        )
        if values
    ]
    if (publics.age_min, publics.age_max) != (0, 120):
        if publics.age_min == 0:
            parts.append(f"jusqu'à {publics.age_max} ans")
        elif publics.age_max == 120:
            parts.append(f"à partir de {publics.age_min} ans")
        else:
            parts.append(f"de {publics.age_min} à {publics.age_max} ans")
    if publics.welcome == Welcome.unconditional:
        return "Accueil inconditionnel." if not parts else f"Accueil inconditionnel ; public visé : {' ; '.join(parts)}."
    if publics.welcome == Welcome.preferential:
        return f"Accueil de tous, adapté en priorité à : {' ; '.join(parts)}." if parts else None
    return f"Accueil réservé à : {' ; '.join(parts)}." if parts else "Accueil réservé (publics non précisés)."


_CONDITIONS = (  # (field, sentence when True, sentence when False)
    ("unconditional", "Sans condition d'accès.", "Accès sous conditions."),
    ("appointment", "Sur rendez-vous.", "Sans rendez-vous."),
    ("registration", "Sur inscription.", "Sans inscription."),
    ("referral", "Sur orientation uniquement.", None),
    ("anonymous", "Anonyme.", "Non anonyme."),
    (
        "wheelchair_access",
        "Accessible aux personnes à mobilité réduite.",
        "Non accessible aux personnes à mobilité réduite.",
    ),
    ("animals_accepted", "Animaux acceptés.", "Animaux non acceptés."),
)


def to_di_modalities(modalities: Modalities | None, *, phone: str | None, email: str | None) -> JsonDict:
    """v1 `frais`, `frais_precisions`, `conditions_acces` and the `mobilisation` fields."""
    empty: JsonDict = {
        "frais": None, "frais_precisions": None, "conditions_acces": None,
        "modes_mobilisation": None, "mobilisable_par": None, "mobilisation_precisions": None,
    }
    if modalities is None:
        return empty
    modes: list[str] = []
    if modalities.referral is not True and (modalities.unconditional or modalities.appointment is False):
        modes.append("se-presenter")
    if modalities.appointment:
        modes += [mode for mode, contact in (("telephoner", phone), ("envoyer-un-courriel", email)) if contact]
    if modalities.referral:
        by = ["professionnels"]
    elif modalities.referral is False or modes:
        by = ["usagers"]
    else:
        by = []
    conditions = []
    for field, if_true, if_false in _CONDITIONS:
        value = getattr(modalities, field)
        sentence = if_true if value is True else if_false if value is False else None
        if sentence:
            conditions.append(sentence)
    if modalities.other:
        conditions.append(modalities.other)
    precisions = [
        f"{label} : {text}"
        for label, text in (("Orientation", modalities.referral_details), ("Rendez-vous", modalities.appointment_details))
        if text
    ]
    return {
        "frais": None if modalities.free is None else "gratuit" if modalities.free else "payant",
        "frais_precisions": modalities.price_details,
        "conditions_acces": " ".join(conditions) or None,
        "modes_mobilisation": modes or None,
        "mobilisable_par": by or None,
        "mobilisation_precisions": " ".join(precisions) or None,
    }


# --- records ----------------------------------------------------------------------------------------


def e164(phone: str) -> str:
    """`01 44 67 27 00` as `+33144672700` (v1 prefers E.164); short numbers (`115`, `3919`) as they are."""
    digits = re.sub(r"\D", "", phone)
    return f"+33{digits[1:]}" if len(digits) == 10 and digits.startswith("0") else digits


def _check_name(name: str) -> None:
    low, high = NAME_LENGTH
    if not low <= len(name) <= high:
        raise UnexpressibleError(f"nom de {len(name)} caractères, le schéma en demande de {low} à {high} : « {name} »")


def _description(record: RecordKind, record_id: str, text: str | None, losses: list[Unexpressible]) -> str | None:
    low, high = DESCRIPTION_LENGTH
    if text is None or low <= len(text) <= high:
        return text
    if len(text) < low:
        reason = f"description trop courte (moins de {low} caractères) : « {text} »"
        losses.append(Unexpressible(record_id, record, "description", reason))
        return None
    reason = f"description tronquée à {high} caractères : {len(text)} caractères"
    losses.append(Unexpressible(record_id, record, "description", reason))
    return text[: high - 1] + "…"


def _hours(record: RecordKind, record_id: str, hours: OpeningHours | None, losses: list[Unexpressible]) -> str | None:
    """OSM hours, or None with the reason when a part of them cannot be said without misleading (hours
    for a period only would read as permanent ones)."""
    if hours is None:
        return None
    reason: str | None = None
    text = ""
    if hours.valid_from or hours.valid_until:
        period = f"du {hours.valid_from or '…'} au {hours.valid_until or '…'}"
        reason = f"horaires valables sur une période seulement, non exportés : {period}"
    elif hours.closures:
        closures = ", ".join(f"du {c.start} au {c.end or '…'}" for c in hours.closures)
        reason = f"horaires avec fermetures temporaires, non exportés : {closures}"
    else:
        try:
            text = to_osm_opening_hours(hours)
        except UnexpressibleError as exc:
            reason = f"horaires non exprimables en OSM : {exc}"
    if reason:
        losses.append(Unexpressible(record_id, record, "hours", reason))
        return None
    if hours.public_holidays == HolidayPolicy.open:
        reason = "ouverture les jours fériés non exprimée : ouvert comme un jour ordinaire"
        losses.append(Unexpressible(record_id, record, "hours.public_holidays", reason))
    return text


def _main_source(structure: Structure) -> Provenance:
    return structure.sources[0]


def _location(structure: Structure) -> JsonDict:
    # A commune centre is not the place: v1 has no precision field, so such positions are left out.
    precise = structure.location_precision == "address"
    return {
        "commune": structure.commune,
        "code_postal": structure.postcode,
        "code_insee": structure.insee_code,
        "adresse": structure.address,
        "complement_adresse": structure.address_complement,
        "longitude": structure.lon if precise else None,
        "latitude": structure.lat if precise else None,
    }


def check_structure(structure: Structure) -> None:
    """Raises `UnexpressibleError` when the structure cannot be a v1 record at all."""
    _check_name(structure.name)


def to_di_structure(structure: Structure, losses: list[Unexpressible] | None = None) -> JsonDict:
    """The v1 structure of one of our structures. Values v1 cannot carry are appended to `losses`."""
    losses = losses if losses is not None else []
    check_structure(structure)
    main = _main_source(structure)
    network = KIND_NETWORKS.get(structure.kind or "")
    record: JsonDict = {
        "source": main.source,
        "id": structure.id,
        "nom": structure.name,
        "date_maj": structure.data_date.isoformat(),
        "lien_source": main.source_url,
        "siret": structure.siret,
        **_location(structure),
        "telephone": e164(structure.phones[0]) if structure.phones else None,
        "courriel": structure.email,
        "site_web": str(structure.website) if structure.website else None,
        "description": _description("structure", structure.id, structure.description, losses),
        "horaires_accueil": _hours("structure", structure.id, structure.hours, losses),
        "accessibilite_lieu": None,
        "reseaux_porteurs": [network] if network else None,
    }
    losses.extend(_structure_losses(structure, network))
    return record


def _structure_losses(structure: Structure, network: str | None) -> list[Unexpressible]:
    main = _main_source(structure)
    found: list[tuple[str, str]] = []  # (field, reason)
    if structure.kind and NETWORK_KINDS.get(network or "") != structure.kind:
        detail = f" (réseau porteur « {network} » seulement)" if network else ""
        found.append(("kind", f"type de lieu sans champ v1 : « {structure.kind} »{detail}"))
    if structure.finess:
        found.append(("finess", f"numéro FINESS sans champ v1 : {structure.finess}"))
    if len(structure.phones) > 1:
        found.append(("phones", f"un seul téléphone en v1, non exportés : {' / '.join(structure.phones[1:])}"))
    if structure.location_precision != "address":
        reason = "position approximative (centre de la commune) non exportée : v1 n'a pas de champ de précision"
        found.append(("lat,lon", reason))
    if structure.languages:
        found.append(("languages", f"langues sans champ v1 : {', '.join(structure.languages)}"))
    if structure.last_verified:
        found.append(("last_verified", f"date de vérification sans champ v1 : {structure.last_verified}"))
    if not structure.id.endswith(main.source_record_id):  # otherwise our id carries it
        found.append(("sources.source_record_id", f"identifiant dans la source sans champ v1 : {main.source_record_id}"))
    if len(structure.sources) > 1:
        others = "; ".join(f"{p.source} ({p.licence}, données du {p.data_date})" for p in structure.sources[1:])
        found.append(("sources", f"sources secondaires sans champ v1 (une seule source par fiche) : {others}"))
    return [Unexpressible(structure.id, "structure", field, reason) for field, reason in found]


@cache
def export_thematiques(category: str) -> tuple[str, ...]:
    """The thématiques a category is exported with: its own, or, for a broad category the mapping does
    not name (« food », read from data·inclusion's « alimentation »), the thématiques that read back as
    exactly it, so that what came in goes out unchanged."""
    own = category_thematiques(category)
    if own:
        return own
    every = dict.fromkeys(t for cid in get_taxonomy().descendants(category) for t in category_thematiques(cid))
    return tuple(t for t in every if categories_from_thematiques([t]) == ([category], []))


def service_thematiques(service: Service) -> tuple[list[str], list[str]]:
    """The service's thématiques, and its categories that have none."""
    found: dict[str, None] = {}
    unmapped = []
    for category in service.categories:
        thematiques = export_thematiques(category)
        if not thematiques:
            unmapped.append(category)
        found.update(dict.fromkeys(thematiques))
    return list(found), unmapped


def service_type(categories: Sequence[str]) -> str | None:
    """v1 `type` (one value) from data·inclusion's mapping, when the categories agree on one."""
    types = {load_mapping().types.get(c) for c in categories if export_thematiques(c)} - {None}
    return types.pop() if len(types) == 1 else None


def to_di_services(structure: Structure, losses: list[Unexpressible] | None = None) -> list[JsonDict]:
    """The v1 services of a structure that v1 can express; the others are appended to `losses`."""
    losses = losses if losses is not None else []
    try:
        check_structure(structure)
    except UnexpressibleError as exc:
        losses.extend(Unexpressible(s.id, "service", None, f"lieu non exportable : {exc}") for s in structure.services)
        return []
    records = []
    for service in structure.services:
        try:
            records.append(_di_service(structure, service, losses))
        except UnexpressibleError as exc:
            losses.append(Unexpressible(service.id, "service", None, str(exc)))
    return records


def _di_service(structure: Structure, service: Service, losses: list[Unexpressible]) -> JsonDict:
    _check_name(service.name)
    thematiques, unmapped = service_thematiques(service)
    if not thematiques:
        raise UnexpressibleError(
            f"aucune thématique data·inclusion pour ses catégories : {', '.join(service.categories)}"
            " (data·inclusion écarte ces services)"
        )
    own: list[Unexpressible] = []
    if unmapped:
        reason = f"catégories sans thématique data·inclusion : {', '.join(unmapped)}"
        own.append(Unexpressible(service.id, "service", "categories", reason))
    languages = structure.effective_languages(service)
    if languages:
        own.append(Unexpressible(service.id, "service", "languages", f"langues sans champ v1 : {', '.join(languages)}"))
    main = _main_source(structure)
    phone = e164(structure.phones[0]) if structure.phones else None
    publics, publics_text = to_di_publics(structure.effective_publics(service))
    record: JsonDict = {
        "source": main.source,
        "structure_id": structure.id,
        "id": service.id,
        "nom": service.name,
        "description": _service_description(structure, service, own),
        "lien_source": main.source_url,
        "date_maj": structure.data_date.isoformat(),
        "type": service_type(service.categories),
        "thematiques": thematiques,
        "publics": publics,
        "publics_precisions": publics_text,
        **to_di_modalities(structure.effective_modalities(service), phone=phone, email=structure.email),
        **_location(structure),
        "telephone": phone,
        "courriel": structure.email,
        "contact_nom_prenom": None,
        "modes_accueil": ["en-presentiel"],  # every record of the directory is a place people go to
        "zone_eligibilite": None,
        "lien_mobilisation": None,
        "volume_horaire_hebdomadaire": None,
        "nombre_semaines": None,
        # v1 services inherit the structure's hours when they have none, as ours do.
        "horaires_accueil": _hours("service", service.id, service.hours, own),
    }
    losses.extend(own)
    return record


def _service_description(structure: Structure, service: Service, losses: list[Unexpressible]) -> str:
    """v1 requires a service description: ours, else the place's, else a sentence made of its facts."""
    text = _description("service", service.id, service.description, losses)
    if text is None:
        text = _description("service", service.id, structure.description, [])
    if text is None:
        text = f"{service.name} ({structure.kind or structure.name})."
    return text


def export(structures: Iterable[Structure]) -> tuple[list[JsonDict], list[JsonDict], list[Unexpressible]]:
    """The whole directory as v1 structures and services, and every record or value left out, with why.

    Counts add up: each of our structures and services is either exported or listed once with
    `field=None`; field entries concern exported records only.
    """
    di_structures: list[JsonDict] = []
    di_services: list[JsonDict] = []
    losses: list[Unexpressible] = []
    for structure in structures:
        try:
            check_structure(structure)
        except UnexpressibleError as exc:
            losses.append(Unexpressible(structure.id, "structure", None, str(exc)))
            losses.extend(Unexpressible(s.id, "service", None, f"lieu non exportable : {exc}") for s in structure.services)
            continue
        service_losses: list[Unexpressible] = []
        services = to_di_services(structure, service_losses)
        if not services:
            reason = f"aucun service exprimable en v1 : catégories {', '.join(structure.categories())}"
            losses.append(Unexpressible(structure.id, "structure", None, reason))
            losses.extend(loss for loss in service_losses if loss.field is None)
            continue
        di_structures.append(to_di_structure(structure, losses))
        di_services.extend(services)
        losses.extend(service_losses)
    return di_structures, di_services, losses
