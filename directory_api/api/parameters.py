"""Query parameters of `/structures` (and its CSV / GeoJSON exports), with French descriptions.

Cross-field rules (lat and lon together, a position or a place, open_now or open_at) live in the
model validator, not in the routes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from directory_api.models import Gender
from directory_api.taxonomy import check_category_id

MAX_PAGE_SIZE = 100
MAX_EXPORT = 5000
# Dates a person can mean: beyond, date arithmetic (time zones, weekdays) overflows into a server error.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
# More categories than the taxonomy has is never a real search, only work for the server.
MAX_CATEGORIES = 20

CategoryParam = Annotated[str, AfterValidator(check_category_id)]


class StructureFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(
        default=None,
        max_length=200,
        description="Texte libre : un besoin (« douche », « avortement », « pilule du lendemain ») "
        "et/ou un nom. Les accents, majuscules et une faute de frappe par mot long sont tolérés.",
    )
    category: list[CategoryParam] = Field(
        default_factory=list,
        max_length=MAX_CATEGORIES,
        description="Identifiant de catégorie (voir `/categories`), répétable. "
        "Une catégorie parente inclut toutes ses sous-catégories.",
    )
    lat: float | None = Field(default=None, ge=-90, le=90, description="Latitude (WGS84) du point de recherche.")
    lon: float | None = Field(default=None, ge=-180, le=180, description="Longitude (WGS84) du point de recherche.")
    place: str | None = Field(
        default=None,
        max_length=200,
        description="Lieu en toutes lettres (commune, code postal, arrondissement, département, gare), "
        "résolu par `/places`. Ne pas combiner avec lat/lon.",
    )
    radius_km: float | None = Field(
        default=None,
        gt=0,
        le=100,
        description="Rayon de recherche en km autour du point (10 km par défaut quand un point est donné).",
    )
    open_now: bool = Field(
        default=False,
        description="Lieux ouverts maintenant (heure de Paris) d'abord, puis ceux aux horaires inconnus ; "
        "les lieux connus fermés sont écartés.",
    )
    open_at: datetime | None = Field(
        default=None,
        description="Lieux ouverts à cette date et heure (ISO 8601, heure de Paris par défaut), puis ceux aux "
        "horaires inconnus.",
    )
    free: bool | None = Field(
        default=None, description="`true` : les services gratuits d'abord, puis ceux dont la gratuité n'est pas précisée."
    )
    anonymous: bool | None = Field(
        default=None, description="`true` : les services anonymes d'abord, puis ceux dont l'anonymat n'est pas précisé."
    )
    age: int | None = Field(
        default=None, ge=0, le=120,
        description="Âge de la personne : exclut les services réservés à d'autres âges ; ceux qui le précisent d'abord.",
    )
    gender: Gender | None = Field(
        default=None, description="`women` ou `men` : exclut les services réservés à l'autre public."
    )
    pmr: bool | None = Field(
        default=None,
        description="`true` : les lieux accessibles en fauteuil roulant d'abord, puis ceux dont l'accès n'est pas précisé.",
    )
    strict: bool = Field(
        default=False,
        description="`true` : seulement les lieux dont la fiche confirme chaque condition demandée "
        "(gratuit, anonyme, accessible, public, âge, langue, ouvert).",
    )
    language: str | None = Field(
        default=None,
        pattern=r"^[a-z]{2,3}$",
        description="Langue parlée (code ISO 639, ex. `ar`, `en`) : les lieux qui la parlent d'abord, puis ceux "
        "dont la fiche ne dit pas leurs langues ; le français est supposé quand elle ne dit rien.",
    )
    department: Literal["75", "77", "78", "91", "92", "93", "94", "95"] | None = Field(
        default=None, description="Département d'Île-de-France."
    )

    @field_validator("open_at")
    @classmethod
    def _plausible_date(cls, value: datetime | None) -> datetime | None:
        if value is not None and not FIRST_DAY <= value.date() <= LAST_DAY:
            raise ValueError(f"date hors de la plage permise (années {FIRST_DAY.year} à {LAST_DAY.year})")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> StructureFilters:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat et lon vont ensemble : donnez les deux ou aucun")
        if self.place and self.lat is not None:
            raise ValueError("donnez soit place, soit lat et lon, pas les deux")
        if self.open_now and self.open_at is not None:
            raise ValueError("donnez soit open_now, soit open_at, pas les deux")
        return self


class StructureSearchParams(StructureFilters):
    sort: Literal["distance", "relevance"] | None = Field(
        default=None,
        description="`distance` (le plus proche d'abord) ou `relevance` (pertinence du texte, "
        "atténuée par la distance). Par défaut : `relevance` si `q` est donné, sinon `distance`.",
    )
    nearby_help: bool = Field(
        default=True,
        description="Quand aucun lieu du besoin demandé n'est dans le rayon, chercher les lieux qui peuvent "
        "aider ou orienter (`query.nearby_help` les nomme) ; `false` : répondre sans lieu.",
    )
    page: int = Field(default=1, ge=1, le=1000, description="Numéro de page (à partir de 1).")
    size: int = Field(default=20, ge=1, le=MAX_PAGE_SIZE, description="Nombre de résultats par page.")
