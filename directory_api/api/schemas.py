"""Response models of the API (the OpenAPI document is generated from them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from directory_api.fetch.status import SourceStatus
from directory_api.geography.gazetteer import Place
from directory_api.models import Provenance, RemoteService, Structure
from directory_api.quality import Quality


class OpeningOut(BaseModel):
    status: Literal["open", "closed", "unknown"] = Field(
        description="`open`, `closed` ou `unknown` (horaires inconnus : jamais présenté comme ouvert)."
    )
    next_change: datetime | None = Field(default=None, description="Prochain changement (heure de Paris).")
    label: str = Field(description="Phrase courte, ex. « Ouvert jusqu'à 18h00 ».")


class Freshness(BaseModel):
    data_date: date = Field(description="Date des données de la source la plus ancienne du lieu.")
    stale: bool = Field(
        description="Des informations utiles pour s'y rendre (adresse, téléphone, horaires, conditions) sont "
        "anciennes : à vérifier avant de se déplacer. Un équipement (fontaine, toilettes) est considéré "
        "fiable trois fois plus longtemps."
    )
    last_verified: date | None = Field(description="Dernière vérification humaine ; vide si jamais vérifiée.")
    warning: str | None = Field(
        default=None, description="Avertissement à afficher, en français : quelles informations sont anciennes."
    )


class StructureItem(BaseModel):
    id: str
    name: str
    kind: str | None
    categories: list[str]
    address: str | None
    postcode: str | None
    commune: str | None
    department: str | None
    lat: float
    lon: float
    location_precision: str = Field(description="`address`, ou `commune` : position approximative (centre de la commune).")
    distance_m: float | None = Field(description="Distance au point de recherche, en mètres.")
    phones: list[str]
    conditions: list[str] = Field(
        description="Conditions clés, en français (« Gratuit », « Anonyme », « Sans rendez-vous », "
        "« Orientation par le SIAO / 115 », « Réservé aux personnes âgées »…) ; vide quand la source n'en dit rien."
    )
    unconfirmed: list[str] = Field(
        default_factory=list,
        description="Conditions demandées que la fiche ne confirme pas (« gratuité non précisée », "
        "« horaires inconnus »…) : le lieu est gardé, après ceux qui les confirment.",
    )
    opening: OpeningOut
    freshness: Freshness
    quality: Quality = Field(description="Complétude et fraîcheur de la fiche (score de 0 à 1).")
    sources: list[Provenance]


class StructureDetail(Structure):
    opening: OpeningOut
    freshness: Freshness
    quality: Quality


class QueryEcho(BaseModel):
    """How the request was understood."""

    q: str | None
    place: Place | None = Field(description="Lieu résolu (paramètre `place`).")
    lat: float | None
    lon: float | None
    radius_km: float | None
    department: str | None
    categories: list[str] = Field(description="Catégories demandées.")
    expanded_categories: list[str] = Field(description="Catégories cherchées, sous-catégories comprises.")
    text_categories: list[str] = Field(description="Besoins reconnus dans le texte `q`.")
    text_terms: list[str] = Field(description="Mots de `q` cherchés dans les noms et descriptions.")
    ignored_terms: list[str] = Field(
        default_factory=list,
        description="Mots de `q`, tels que tapés, laissés de côté parce qu'aucun lieu ne les contient tous "
        "(les résultats contiennent les autres) ; vide quand tous les mots ont servi.",
    )
    nearby_help: list[str] = Field(
        default_factory=list,
        description="Aucun lieu du besoin demandé dans le rayon : les catégories de lieux qui peuvent aider ou "
        "orienter, cherchées à la place (`nearby_help` de la taxonomie) ; vide quand le besoin a trouvé des lieux.",
    )
    open_at: datetime | None
    strict: bool = Field(default=False, description="Lieux sans confirmation des conditions écartés.")
    sort: str


class RemoteServiceItem(RemoteService):
    """A line, chat or online service that fits the need asked, wherever the person is."""

    phone_label: str | None = Field(default=None, description="Le numéro tel qu'on le dit : « 0 800 08 11 11 ».")
    opening: OpeningOut = Field(description="Joignable maintenant d'après ses horaires (`unknown` sans horaires).")


class SearchResponse(BaseModel):
    total: int
    unconfirmed_total: int = Field(
        default=0,
        description="Parmi `total`, lieux gardés sans que leur fiche confirme une condition demandée "
        "(gratuit, anonyme, accessible, public, âge, ouvert) ; ils viennent après les autres.",
    )
    items: list[StructureItem]
    facets: dict[str, dict[str, int]]
    query: QueryEcho
    remote: list[RemoteServiceItem] = Field(
        default_factory=list,
        description="Aide à distance (téléphone, tchat, en ligne) pour le besoin demandé, partout en Île-de-France "
        "(data/remote-services.yml, chaque numéro avec sa source).",
    )
    remote_first: bool = Field(
        default=False,
        description="Vrai quand aucun lieu ne correspond ou qu'aucun n'est connu ouvert maintenant : l'aide à "
        "distance est à montrer avant les lieux.",
    )


class CategoryNode(BaseModel):
    id: str
    label: str
    description: str | None = None
    terms: list[str] = Field(default_factory=list)
    children: list[CategoryNode] = Field(default_factory=list)


class CategoryMatch(BaseModel):
    id: str
    label: str


class NeedMatchResponse(BaseModel):
    q: str
    categories: list[CategoryMatch] = Field(description="Catégories reconnues, dans l'ordre du texte.")
    matched_terms: list[str] = Field(description="Mots (normalisés) qui ont nommé un besoin.")


class PlacesResponse(BaseModel):
    q: str
    items: list[Place]
    message: str | None = Field(default=None, description="Explication quand rien n'est trouvé.")


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    backend: str = Field(description="Moteur de recherche : `embedded` ou `elasticsearch`.")
    engine: Literal["up", "down"] = Field(description="État du moteur de recherche.")
    structures: int | None = Field(description="Nombre de lieux indexés (vide si le moteur ne répond pas).")
    sources: dict[str, SourceStatus] = Field(
        default_factory=dict,
        description="Par source : date de ses données, dernier téléchargement réussi et état du dernier essai "
        "(`directory fetch`) ; une source en échec garde ses données précédentes.",
    )


class ErrorDetail(BaseModel):
    field: str
    message: str
    allowed: list[str] | None = None


class ErrorResponse(BaseModel):
    detail: str
    errors: list[ErrorDetail] = Field(default_factory=list)
