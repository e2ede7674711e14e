"""The directory's data model: the single source of truth.

Field meanings follow the data·inclusion v1 schema (structure / service) and Soliguide's publics,
modalities and hours models; names are English. The JSON Schema in `data/schema/` is generated from
these classes (`directory schema`).

Honesty rule: a value nobody gave us stays `None` ("unknown"). A tri-state `bool | None` never defaults
to a claim, hours that are not known are `None`, and `last_verified` stays `None` for imported open data.
"""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, model_validator

from directory_api.taxonomy import check_category_id


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, use_enum_values=True)


CategoryId = Annotated[str, AfterValidator(check_category_id)]


class Provenance(Model):
    """Where a record (or part of it) comes from."""

    source: str = Field(description="Identifiant de la source, ex. `finess-etablissements-idf`.")
    source_record_id: str = Field(description="Identifiant de l'enregistrement dans la source.")
    licence: str = Field(description="Licence de la source, ex. `Licence Ouverte 2.0` ou `ODbL 1.0`.")
    data_date: date = Field(description="Date des données de la source (pas la date d'import).")
    source_url: str | None = Field(default=None, description="Page de la source.")
    fields: list[str] | None = Field(
        default=None, description="Champs fournis par cette source (tous si absent)."
    )
    no_redistribution: bool | None = Field(
        default=None,
        description="Vrai : la licence de la source n'en permet pas la rediffusion ; servie, jamais exportée.",
    )


class Welcome(StrEnum):
    """Soliguide `accueil` / data·inclusion publics semantics."""

    unconditional = "unconditional"  # everyone
    preferential = "preferential"  # everyone, adapted to the listed publics
    exclusive = "exclusive"  # only the listed publics


class Gender(StrEnum):
    all = "all"
    men = "men"
    women = "women"


class AdministrativeSituation(StrEnum):
    regular = "regular"
    asylum = "asylum"
    refugee = "refugee"
    undocumented = "undocumented"


class FamilySituation(StrEnum):
    isolated = "isolated"
    family = "family"
    couple = "couple"
    pregnant = "pregnant"


class PublicGroup(StrEnum):
    addiction = "addiction"
    handicap = "handicap"
    hiv = "hiv"
    lgbt = "lgbt"
    mental_health = "mental_health"
    prison = "prison"
    prostitution = "prostitution"
    student = "student"
    violence = "violence"
    exiles = "exiles"
    youth = "youth"
    elderly = "elderly"
    homeless = "homeless"


class Publics(Model):
    """Who is welcome. Empty lists mean "no restriction on this criterion"."""

    welcome: Welcome = Welcome.unconditional
    gender: Gender = Gender.all
    age_min: int = Field(default=0, ge=0, le=120)
    age_max: int = Field(default=120, ge=0, le=120)
    administrative: list[AdministrativeSituation] = Field(default_factory=list)
    family: list[FamilySituation] = Field(default_factory=list)
    groups: list[PublicGroup] = Field(default_factory=list)
    description: str | None = None

    @model_validator(mode="after")
    def _ages_ordered(self) -> Publics:
        if self.age_min > self.age_max:
            raise ValueError("age_min doit être inférieur ou égal à age_max")
        return self


class Modalities(Model):
    """How to get in. `None` = not stated by the source."""

    unconditional: bool | None = Field(default=None, description="Sans condition d'accès.")
    appointment: bool | None = Field(default=None, description="Sur rendez-vous.")
    appointment_details: str | None = None
    registration: bool | None = Field(default=None, description="Sur inscription.")
    referral: bool | None = Field(
        default=None, description="Sur orientation uniquement (ex. par le 115 / SIAO)."
    )
    referral_details: str | None = None
    free: bool | None = Field(default=None, description="Gratuit (data·inclusion `frais`).")
    price_details: str | None = None
    anonymous: bool | None = Field(default=None, description="Anonyme.")
    # Rules of law for minors (centres de santé sexuelle, IVG, contraception d'urgence), apart from
    # what the place says for everyone: a 16-year-old asking « gratuit » must find them.
    free_for_minors: bool | None = Field(default=None, description="Gratuit pour les mineur·es (règle de droit).")
    anonymous_for_minors: bool | None = Field(
        default=None, description="Anonyme ou confidentiel pour les mineur·es (règle de droit)."
    )
    wheelchair_access: bool | None = Field(default=None, description="Accessible PMR.")
    animals_accepted: bool | None = None
    other: str | None = None


class Weekday(StrEnum):
    monday = "monday"
    tuesday = "tuesday"
    wednesday = "wednesday"
    thursday = "thursday"
    friday = "friday"
    saturday = "saturday"
    sunday = "sunday"


WEEKDAYS: list[Weekday] = list(Weekday)


class TimeSlot(Model):
    """A slot on one day. `end <= start` means the slot runs past midnight (e.g. 20:00–08:00)."""

    start: time
    end: time


class HolidayPolicy(StrEnum):
    open = "open"  # opens on public holidays as on a normal day
    closed = "closed"
    unknown = "unknown"


class TemporaryClosure(Model):
    start: date
    end: date | None = Field(default=None, description="Dernier jour de fermeture inclus ; vide = sans date de fin.")
    reason: str | None = None


class OpeningHours(Model):
    """Weekly hours. A missing day key means closed that day; unknown hours are `None` on the owner."""

    always_open: bool = Field(default=False, description="Ouvert 24 h/24, 7 j/7.")
    weekly: dict[Weekday, list[TimeSlot]] = Field(default_factory=dict)
    public_holidays: HolidayPolicy = HolidayPolicy.unknown
    valid_from: date | None = Field(default=None, description="Début de validité de ces horaires.")
    valid_until: date | None = Field(default=None, description="Fin de validité de ces horaires (incluse).")
    closures: list[TemporaryClosure] = Field(default_factory=list)
    notes: str | None = Field(default=None, description="Horaires tels que donnés par la source.")


LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}$", description="Code ISO 639.")]


class Service(Model):
    """One thing a place offers. `None` fields inherit the structure's value."""

    id: str
    name: str
    description: str | None = None
    categories: list[CategoryId] = Field(min_length=1)
    publics: Publics | None = None
    modalities: Modalities | None = None
    hours: OpeningHours | None = None
    languages: list[LanguageCode] | None = None


LocationPrecision = Literal["address", "commune"]


class Structure(Model):
    """A place that helps people."""

    id: str = Field(description="Identifiant stable d'un import à l'autre.")
    name: str = Field(min_length=1)
    kind: str | None = Field(default=None, description="Type de lieu, ex. « Pharmacie », « CHRS ».")
    description: str | None = None
    address: str | None = None
    address_complement: str | None = None
    postcode: str | None = Field(default=None, pattern=r"^\d{5}$")
    insee_code: str | None = Field(default=None, pattern=r"^\d[\dAB]\d{3}$")
    commune: str | None = None
    department: str | None = Field(default=None, pattern=r"^(75|77|78|91|92|93|94|95)$")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    location_precision: LocationPrecision = Field(
        default="address", description="`commune` : position approximative (centre de la commune)."
    )
    phones: list[str] = Field(default_factory=list)
    email: str | None = None
    website: HttpUrl | None = None
    finess: str | None = Field(default=None, pattern=r"^\d[\dAB]\d{7}$")
    siret: str | None = Field(default=None, pattern=r"^\d{14}$")
    services: list[Service] = Field(min_length=1)
    publics: Publics | None = None
    modalities: Modalities | None = None
    hours: OpeningHours | None = None
    languages: list[LanguageCode] | None = None
    last_verified: date | None = Field(
        default=None, description="Date de la dernière vérification humaine ; vide si jamais vérifiée."
    )
    sources: list[Provenance] = Field(min_length=1)
    merged_ids: list[str] = Field(
        default_factory=list,
        description="Identifiants des fiches d'autres sources fusionnées dans celle-ci (même lieu) ; "
        "ils mènent à cette fiche.",
    )

    @property
    def data_date(self) -> date:
        """The oldest data date among the sources that gave something: a record is as old as its oldest
        part (a merged source whose every field another source gave better does not count)."""
        return min((p.data_date for p in self.sources if p.fields != []), default=min(p.data_date for p in self.sources))

    def categories(self) -> list[str]:
        seen: dict[str, None] = {}
        for service in self.services:
            for category in service.categories:
                seen.setdefault(category, None)
        return list(seen)

    def effective_publics(self, service: Service) -> Publics | None:
        return service.publics if service.publics is not None else self.publics

    def effective_modalities(self, service: Service) -> Modalities | None:
        return service.modalities if service.modalities is not None else self.modalities

    def effective_hours(self, service: Service) -> OpeningHours | None:
        return service.hours if service.hours is not None else self.hours

    def effective_languages(self, service: Service) -> list[str] | None:
        return service.languages if service.languages is not None else self.languages


class Reject(Model):
    """A source row that did not become a structure, with the reason why.

    Errors (bad coordinates, unreadable row...) go to `rejects.csv` for review. Rows deliberately left
    out because they are outside the mission (a dialysis unit in FINESS, say) are `out_of_scope`: they
    are counted per reason in the import report, so every row of every file is accounted for.
    """

    source: str
    file: str
    line: int = Field(description="Numéro de ligne dans le fichier (en-tête = 1).")
    reason: str
    record_id: str | None = None
    out_of_scope: bool = False


class RemoteSource(Model):
    """The official or operator page a remote service's number and hours were read on."""

    title: str
    url: HttpUrl
    publisher: str
    evidence: str = Field(description="L'extrait lu qui donne le numéro (et les horaires).")
    checked: date = Field(description="Date de la lecture.")


class RemoteService(Model):
    """Help that is not a place: a phone line, a chat, an online service (data·inclusion
    `modes_accueil: a-distance`), for the area it serves. Unknown is `None`, never guessed."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str = Field(min_length=1)
    description: str
    phone: str | None = Field(default=None, pattern=r"^\d{3,10}$", description="Numéro tel qu'il se compose.")
    website: HttpUrl | None = None
    chat_url: HttpUrl | None = None
    hours: str | None = Field(default=None, description="Horaires au format OpenStreetMap `opening_hours`.")
    hours_text: str | None = Field(default=None, description="Horaires tels que la source les dit.")
    free: bool | None = None
    anonymous: bool | None = None
    public: str
    min_age: int | None = Field(default=None, ge=0, le=120)
    max_age: int | None = Field(default=None, ge=0, le=120)
    area: Literal["national", "ile-de-france"]
    categories: list[CategoryId] = Field(min_length=1)
    first_for: list[CategoryId] = Field(
        default_factory=list,
        description="Besoins pour lesquels cette ligne passe avant tout lieu (danger, une nuit dehors).",
    )
    source: RemoteSource
