"""Typed async client of the directory API: needs, places and structures.

The models mirror the API's response models (`directory_api/api/schemas.py`), reduced to the fields the
assistant uses; unknown fields are ignored so that the API can grow without breaking the bot.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field

from actions.settings import ActionSettings, load_settings


class DirectoryUnavailableError(RuntimeError):
    """The directory API did not answer (down, timeout, 5xx)."""


class NeedCategory(BaseModel):
    id: str
    label: str


class NeedMatch(BaseModel):
    q: str
    categories: list[NeedCategory]


class PlaceCandidate(BaseModel):
    label: str
    kind: str
    department: str
    lat: float
    lon: float
    score: float
    radius_km: float


class PlacesAnswer(BaseModel):
    q: str
    items: list[PlaceCandidate]


class Opening(BaseModel):
    status: Literal["open", "closed", "unknown"]
    next_change: datetime | None = None
    label: str


class Freshness(BaseModel):
    stale: bool
    warning: str | None = None


class StructureItem(BaseModel):
    id: str
    name: str
    categories: list[str]
    address: str | None = None
    postcode: str | None = None
    commune: str | None = None
    lat: float
    lon: float
    location_precision: str | None = None
    distance_m: float | None = None
    phones: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    unconfirmed: list[str] = Field(default_factory=list)  # asked conditions the record does not confirm
    opening: Opening
    freshness: Freshness


class AnswerQuery(BaseModel):
    """What the assistant reads of the API's `query` echo."""

    nearby_help: list[str] = Field(default_factory=list)  # categories searched instead of a need without places


class RemoteOpening(BaseModel):
    status: str
    label: str


class RemoteLine(BaseModel):
    """A line, chat or online service the API gives for the need (`remote`: data/remote-services.yml)."""

    id: str
    name: str
    description: str = ""
    phone: str | None = None
    phone_label: str | None = None  # as people say it, from the API
    website: str | None = None
    hours_text: str | None = None
    free: bool | None = None
    opening: RemoteOpening


class SearchAnswer(BaseModel):
    total: int
    unconfirmed_total: int = 0  # of `total`, the places kept although their record does not confirm a filter
    items: list[StructureItem]
    query: AnswerQuery = Field(default_factory=AnswerQuery)
    remote: list[RemoteLine] = Field(default_factory=list)
    remote_first: bool = False  # no place fits, or none is known open now: the lines before the places

    @property
    def none_confirmed(self) -> bool:
        return self.total > 0 and self.unconfirmed_total == self.total


class StructureQuery(BaseModel):
    """Parameters of `GET /structures` the assistant uses (same names as the API)."""

    category: list[str]
    lat: float
    lon: float
    radius_km: float | None = None
    department: str | None = None
    open_now: bool = False
    open_at: datetime | None = None
    free: bool | None = None
    anonymous: bool | None = None
    age: int | None = None
    gender: Literal["women", "men"] | None = None
    # The assistant widens its radius itself first; only when nothing is found does it ask for the
    # places that can help instead (`query.nearby_help`), and it says so.
    nearby_help: bool = False
    page: int = 1
    size: int = 3

    def params(self) -> dict[str, Any]:
        values = self.dict(exclude_none=True)
        if not values.get("open_now"):
            values.pop("open_now", None)
        if "open_at" in values:
            values["open_at"] = self.open_at.isoformat(timespec="minutes")  # type: ignore[union-attr]
        return values


# One pooled HTTP client per event loop and API address: building a client costs milliseconds (TLS
# context) and a kept-alive connection saves a handshake on each of the several calls of a search.
_clients: dict[tuple[int, str], httpx.AsyncClient] = {}


def _client(settings: ActionSettings) -> httpx.AsyncClient:
    key = (id(asyncio.get_running_loop()), settings.directory_api_url)
    client = _clients.get(key)
    if client is None or client.is_closed:
        token = settings.directory_api_token
        headers = {"X-Directory-Token": token} if token else {}
        client = httpx.AsyncClient(base_url=settings.directory_api_url, timeout=settings.timeout_s, headers=headers)
        _clients[key] = client
    return client


MAX_PLACE_QUERY_CHARS = 1000  # the API's limit for `/places?q=` (a whole message is read for its place)


class DirectoryClient:
    def __init__(self, settings: ActionSettings | None = None) -> None:
        self.settings = settings or load_settings()

    async def _get(self, path: str, params: dict[str, Any]) -> Any:
        try:
            response = await _client(self.settings).get(path, params=params)
        except httpx.HTTPError as error:
            raise DirectoryUnavailableError(type(error).__name__) from error
        if response.status_code >= 500 or response.status_code == 429:  # 429: the API is protecting itself
            raise DirectoryUnavailableError(f"HTTP {response.status_code}")
        response.raise_for_status()  # 4xx: our request is wrong, a bug to see in tests
        return response.json()

    async def match_needs(self, text: str) -> list[NeedCategory]:
        body = await self._get("/categories/match", {"q": text[:200]})
        return NeedMatch.parse_obj(body).categories

    async def find_places(self, text: str, limit: int = 4) -> list[PlaceCandidate]:
        body = await self._get("/places", {"q": text[:MAX_PLACE_QUERY_CHARS], "limit": limit})
        return PlacesAnswer.parse_obj(body).items

    async def search(self, query: StructureQuery) -> SearchAnswer:
        return SearchAnswer.parse_obj(await self._get("/structures", query.params()))
