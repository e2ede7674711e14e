"""Turns API parameters into an engine query and engine hits into API items.

Engine-neutral: place resolution, need detection in the text, opening status and freshness are
computed here once, whatever the engine.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime

from directory_api.api.parameters import StructureFilters, StructureSearchParams
from directory_api.api.schemas import Freshness, OpeningOut, QueryEcho, RemoteServiceItem, SearchResponse, StructureItem
from directory_api.freshness import freshness_view
from directory_api.geography.gazetteer import Gazetteer, Place
from directory_api.labels import GENDER_LABELS, listed_publics
from directory_api.models import Publics, RemoteService, Structure
from directory_api.opening import Opening, parse_moment, structure_opening
from directory_api.quality import quality
from directory_api.remote_services import fitting, load_remote_services, remote_opening, spoken_phone
from directory_api.search.backend import (
    EngineUnavailableError,
    SearchBackend,
    SearchHit,
    SearchQuery,
    SearchResult,
    facet_counts,
)
from directory_api.search.conditions import UNCONFIRMED_LABELS, unconfirmed
from directory_api.search.embedded import DECAY_HALF_KM
from directory_api.search.understanding import TermMatcher, Vocabulary, understand
from directory_api.taxonomy import Taxonomy
from directory_api.text import stem, words

DEFAULT_RADIUS_KM = 10.0
logger = logging.getLogger(__name__)


class UnknownPlaceError(ValueError):
    """The `place` parameter names nothing we know in Île-de-France."""


@dataclass
class DirectoryService:
    backend: SearchBackend
    gazetteer: Gazetteer
    taxonomy: Taxonomy
    stale_after_days: int = 365
    # Ids of records merged into another structure → its id (`merge-report.json`).
    merged_into: dict[str, str] = dataclass_field(default_factory=dict)
    # Called once per answered search (results page or export): the usage counters (directory_api.usage).
    on_search: Callable[[StructureFilters, QueryEcho], None] | None = None
    remote_services: tuple[RemoteService, ...] = dataclass_field(default_factory=load_remote_services)

    def __post_init__(self) -> None:
        self.matcher = TermMatcher(self.taxonomy)
        self.refresh_vocabulary()

    def refresh_vocabulary(self) -> None:
        self.vocabulary = Vocabulary(self.backend.vocabulary())
        # Broad categories (with children) some place is filed under as such: each has a lane.
        try:
            filed = self.backend.facets(SearchQuery(limit=0)).get("categories", {})
        except EngineUnavailableError:  # no lane until the engine answers; searches say it is down anyway
            filed = {}
        self.filed_broad = frozenset(cid for cid in filed if cid in self.taxonomy.categories and self.taxonomy.children(cid))

    # -- queries ------------------------------------------------------------------------------
    def build_query(
        self, params: StructureFilters, *, sort: str | None = None, offset: int = 0, limit: int = 20
    ) -> tuple[SearchQuery, QueryEcho]:
        place: Place | None = None
        lat, lon, department = params.lat, params.lon, params.department
        if params.place:
            place = self.gazetteer.resolve(params.place)
            if place is None:
                raise UnknownPlaceError(params.place)
            if place.kind == "department":
                department = department or place.department
            else:
                lat, lon = place.lat, place.lon
        radius = params.radius_km
        if radius is None and lat is not None:
            radius = DEFAULT_RADIUS_KM
        understood = understand(params.q, self.matcher, self.vocabulary)
        open_at = parse_moment(None) if params.open_now else (
            parse_moment(params.open_at) if params.open_at else None
        )
        chosen_sort = sort or ("relevance" if params.q else "distance")
        query = SearchQuery(
            # Engines match these ids against each record's own categories and their ancestors,
            # so that a parent finds its descendants (and narrow kinds such as pharmacies do not).
            categories=list(params.category),
            text_categories=understood.categories,
            text_tokens=understood.tokens,
            text_required=not understood.categories,
            name_tokens=understood.all_tokens,
            lat=lat,
            lon=lon,
            radius_km=radius if lat is not None else None,
            department=department,
            open_at=open_at,
            free=True if params.free else None,
            anonymous=True if params.anonymous else None,
            wheelchair_access=True if params.pmr else None,
            age=params.age,
            gender=params.gender,
            language=params.language,
            sort=chosen_sort if lat is not None or chosen_sort == "relevance" else "relevance",
            offset=offset,
            limit=limit,
        )
        echo = QueryEcho(
            q=params.q,
            place=place,
            lat=lat,
            lon=lon,
            radius_km=query.radius_km,
            department=department,
            categories=params.category,
            expanded_categories=self.taxonomy.expand([*params.category, *understood.categories]),
            text_categories=understood.categories,
            text_terms=[variants[0] for variants in understood.tokens],
            open_at=open_at,
            sort=query.sort,
        )
        return query, echo

    def search(self, params: StructureSearchParams) -> SearchResponse:
        query, echo = self.build_query(
            params, sort=params.sort, offset=(params.page - 1) * params.size, limit=params.size
        )
        query, echo, (result, unconfirmed_total) = self._search_words_relaxed(query, echo, strict=params.strict)
        needs = [*query.categories, *query.text_categories]  # before any help nearby replaces them
        if not result.total and params.nearby_help:
            query, echo, (result, unconfirmed_total) = self._search_nearby_help(query, echo, result, unconfirmed_total, strict=params.strict)
        self._count(params, echo)
        now = query.open_at or parse_moment(None)
        items = [self.item(hit, now, query) for hit in result.hits]
        remote = [self.remote_item(line, now) for line in fitting(self.remote_services, needs, self.taxonomy, params.age)]
        return SearchResponse(
            total=result.total,
            unconfirmed_total=unconfirmed_total,
            items=items,
            facets=result.facets,
            query=echo.model_copy(update={"strict": params.strict}),
            remote=remote,
            # A line for danger or a night outside; nothing fits nearby (help nearby is not what was
            # asked); or nothing is known to be open now.
            remote_first=bool(remote) and (
                any(set(line.first_for) & set(needs) for line in remote)
                or not items or bool(echo.nearby_help) or all(i.opening.status != "open" for i in items)
            ),
        )

    def remote_item(self, line: RemoteService, now: datetime) -> RemoteServiceItem:
        opening = remote_opening(line, now)
        return RemoteServiceItem(
            **line.model_dump(),
            phone_label=spoken_phone(line.phone) if line.phone else None,
            opening=OpeningOut(status=opening.status, next_change=opening.next_change, label=opening.label(now)),
        )

    def total(self, params: StructureFilters) -> int:
        """How many places a search finds, without listing them and without counting it in the usage
        statistics (the page asks it to give the right advice, not the person)."""
        query, echo = self.build_query(params, limit=0)
        return self._search_words_relaxed(query, echo, strict=params.strict)[2][0].total

    def export(
        self, params: StructureFilters, limit: int
    ) -> tuple[list[tuple[StructureItem, Structure]], QueryEcho]:
        """The results as listed, each with its record (the CSV needs the weekly hours)."""
        query, echo = self.build_query(params, limit=limit)
        query, echo, (result, _) = self._search_words_relaxed(query, echo, strict=params.strict)
        self._count(params, echo)
        now = query.open_at or parse_moment(None)
        rows = [(self.item(hit, now, query), hit.structure) for hit in result.hits]
        return rows, echo.model_copy(update={"strict": params.strict})

    def _search_words_relaxed(
        self, query: SearchQuery, echo: QueryEcho, *, strict: bool
    ) -> tuple[SearchQuery, QueryEcho, tuple[SearchResult, int]]:
        """The search; when the text names no need and no place has all its words (« femme battue
        aide »), the words the index does not know are left out, then one word at a time the one
        whose absence finds the most places, until something is found. A person in distress gets the
        nearest places that fit part of what they wrote, and the page says which words were left."""
        first = self._search_by_condition(query, strict=strict)
        if first[0].total or not query.text_required or len(query.text_tokens) < 2:
            return query, echo, first
        # Engine-agnostic: the words that find nothing on their own here go first.
        alone = [
            self.backend.search(query.model_copy(update={"text_tokens": [variants], "limit": 0})).total
            for variants in query.text_tokens
        ]
        words = [variants for variants, count in zip(query.text_tokens, alone, strict=True) if count]
        while words:
            relaxed = query.model_copy(update={"text_tokens": words})
            found = self._search_by_condition(relaxed, strict=strict)
            if found[0].total:
                kept = {variants[0] for variants in words}
                typed = typed_forms(echo.q or "")
                ignored = [typed.get(v[0], v[0]) for v in query.text_tokens if v[0] not in kept]
                terms = [term for term in echo.text_terms if term in kept]
                return relaxed, echo.model_copy(update={"text_terms": terms, "ignored_terms": ignored}), found
            if len(words) == 1:
                break
            counts = [
                self.backend.search(relaxed.model_copy(update={"text_tokens": words[:i] + words[i + 1 :], "limit": 0})).total
                for i in range(len(words))
            ]
            words.pop(counts.index(max(counts)))
        return query, echo, first

    def _search_nearby_help(
        self, query: SearchQuery, echo: QueryEcho, result: SearchResult, unconfirmed_total: int, *, strict: bool
    ) -> tuple[SearchQuery, QueryEcho, tuple[SearchResult, int]]:
        """No place of the needs asked is in reach (no domiciliation near Sarcelles): the places that can
        help or refer instead (the CCAS, France services), by distance, under the same conditions, and
        named in the answer so that nobody takes them for what was asked. The text's other words are
        dropped: they described the missing need."""
        helpers = self.taxonomy.nearby_help([*query.categories, *query.text_categories])
        if not helpers:
            return query, echo, (result, unconfirmed_total)
        helping = query.model_copy(update={
            "categories": helpers, "text_categories": [], "text_tokens": [], "name_tokens": [],
            "text_required": False, "sort": "distance" if query.lat is not None else query.sort,
        })  # fmt: skip
        found = self._search_by_condition(helping, strict=strict)
        if not found[0].total:
            return query, echo, (result, unconfirmed_total)
        return helping, echo.model_copy(update={"nearby_help": helpers}), found

    def _search_by_condition(self, query: SearchQuery, *, strict: bool) -> tuple[SearchResult, int]:
        """Places known to meet the asked conditions, then (unless `strict`) places whose record does
        not say, as one list paged across both; and how many of the second kind there are."""
        known = self._diversified_search(query)
        if strict or not query.has_conditions:
            return known, 0
        # The second list starts where the first one ends, on this page or a later one.
        shown = len(known.hits)
        unknown_query = query.model_copy(
            update={
                "condition_match": "unknown",
                "offset": max(0, query.offset - known.total),
                "limit": query.limit - shown,
            }
        )
        unknown = self._diversified_search(unknown_query)
        facets = {
            name: facet_counts(
                (
                    (key, known.facets.get(name, {}).get(key, 0) + unknown.facets.get(name, {}).get(key, 0))
                    for key in {*known.facets.get(name, {}), *unknown.facets.get(name, {})}
                ),
                by_count=name != "department",
            )
            for name in {*known.facets, *unknown.facets}
        }
        merged = SearchResult(total=known.total + unknown.total, hits=[*known.hits, *unknown.hits], facets=facets)
        return merged, unknown.total

    def lanes(self, query: SearchQuery) -> list[str]:
        """The kinds of place a result list alternates between: the children of a broad category asked
        (« Alimentation »: meals, parcels, groceries... and fountains), in the taxonomy's order, or the
        several categories asked. None when the text ranks the results or one kind is asked."""
        asked = query.categories or query.text_categories
        if query.text_tokens or query.name_tokens or (query.categories and query.text_categories):
            return []
        lanes = list(dict.fromkeys(child for cid in asked for child in (self.taxonomy.children(cid) or [cid])))
        return lanes if len(lanes) > 1 else []

    def generic_lanes(self, query: SearchQuery) -> list[tuple[str, str]]:
        """(query field, broad category) for each broad category at or above a need asked that some
        place is filed under as such: data·inclusion's « alimentation » says food help without saying
        meals or parcels, so such a place is in no child's lane and matches no child."""
        lanes: list[tuple[str, str]] = []
        for name in ("categories", "text_categories"):
            for cid in getattr(query, name):
                for broad in (cid, *self.taxonomy.ancestors(cid)):
                    if broad in self.filed_broad and (name, broad) not in lanes:
                        lanes.append((name, broad))
        return lanes

    def _diversified_search(self, query: SearchQuery) -> SearchResult:
        """One search, the results taken in turn from each lane (see `lanes`), so that the most numerous
        kind (1,400 drinking fountains) does not push the others (50 meals) off the page; places filed
        under a broad category only have a lane of their own (`generic_lanes`)."""
        lanes = self.lanes(query)
        generic = self.generic_lanes(query)
        if not lanes and not generic:
            return precise_first(self.backend.search(query), query)
        wanted = query.offset + query.limit
        if lanes:
            overall = self.backend.search(query.model_copy(update={"limit": 0}))
            # Each lane is the asked list AND the lane (the engines match the two lists separately), so a
            # lane keeps what the broad search keeps (pharmacies stay out of « santé sexuelle »).
            other = "text_categories" if query.categories else "categories"
            per_lane = [
                precise_first(self.backend.search(query.model_copy(update={other: [lane], "offset": 0, "limit": wanted})), query).hits
                for lane in lanes
            ]
        else:
            overall = precise_first(self.backend.search(query.model_copy(update={"offset": 0, "limit": wanted})), query)
            per_lane = [overall.hits]
        total = overall.total
        for name, broad in generic:
            # The nearest places of the broad category, GENERIC_LANE_DEPTH times the page: enough to
            # reach past the numerous kinds filed under a child. Only the places the search asked did
            # not already find (filed under the broad category, under no need asked) are counted.
            asked = set(getattr(query, name))
            found_already = set(self.taxonomy.expand(list(asked))) - {broad}
            broad_query = query.model_copy(update={name: [broad], "offset": 0, "limit": wanted * GENERIC_LANE_DEPTH})
            filed = [
                hit for hit in precise_first(self.backend.search(broad_query), query).hits
                if broad in hit.structure.categories() and not found_already & set(hit.structure.categories())
            ]
            per_lane.append(filed)
            if broad not in asked:
                total += len(filed)
        page = interleave(per_lane, wanted)[query.offset :]
        return SearchResult(total=total, hits=page, facets=overall.facets)

    def _count(self, params: StructureFilters, echo: QueryEcho) -> None:
        # Only searches the engine answered are counted; counting never fails a search.
        if self.on_search is None:
            return
        try:
            self.on_search(params, echo)
        except Exception as exc:  # noqa: BLE001
            logger.warning("recherche non comptée (%s)", type(exc).__name__)

    # -- presentation -------------------------------------------------------------------------
    def opening(self, structure: Structure, now: datetime) -> OpeningOut:
        opening: Opening = structure_opening(structure, now)
        return OpeningOut(status=opening.status, next_change=opening.next_change, label=opening.label(now))

    def freshness(self, structure: Structure, today: date) -> Freshness:
        view = freshness_view(structure, today, self.stale_after_days)
        return Freshness(
            data_date=structure.data_date, stale=view.stale, last_verified=structure.last_verified, warning=view.warning
        )

    def item(self, hit: SearchHit, now: datetime, query: SearchQuery | None = None) -> StructureItem:
        s = hit.structure
        missing = unconfirmed(s, query, self.taxonomy) if query is not None else []
        return StructureItem(
            id=s.id,
            name=s.name,
            kind=s.kind,
            categories=s.categories(),
            address=s.address,
            postcode=s.postcode,
            commune=s.commune,
            department=s.department,
            lat=s.lat,
            lon=s.lon,
            location_precision=s.location_precision,
            distance_m=hit.distance_m,
            phones=s.phones,
            conditions=conditions(s),
            unconfirmed=[UNCONFIRMED_LABELS[name] for name in missing],
            opening=self.opening(s, now),
            freshness=self.freshness(s, now.date()),
            quality=quality(s, now.date()),
            sources=s.sources,
        )


# Key conditions, in the order a person needs them; stated only when every service that says
# anything on the point agrees (a structure with one free and one paid service is not "Gratuit").
CONDITION_LABELS: tuple[tuple[str, bool, str], ...] = (
    ("referral", True, "Sur orientation"),  # completed by who refers, when the record says
    ("free", True, "Gratuit"),
    ("free_for_minors", True, "Gratuit pour les mineur·es"),
    ("anonymous", True, "Anonyme"),
    ("anonymous_for_minors", True, "Confidentiel pour les mineur·es"),
    ("unconditional", True, "Sans condition"),
    ("appointment", False, "Sans rendez-vous"),
    ("appointment", True, "Sur rendez-vous"),
    ("registration", True, "Sur inscription"),
    ("wheelchair_access", True, "Accessible en fauteuil roulant"),
)
# A rule for minors says nothing more when the place is already free or anonymous for everyone.
SUBSUMED_BY = {"free_for_minors": "Gratuit", "anonymous_for_minors": "Anonyme"}


# Added to every distance when lanes are interleaved, so that a place next door does not count as
# infinitely closer than one 200 m away.
LANE_DISTANCE_FLOOR_M = 250.0


# A place known only by its commune is drawn at the commune's centre: it may really be 2 km away.
# Within a page sorted by distance, it counts as this much further, so that it does not come before
# a place at a known address at a similar distance (« À 0 m » came first in the chat).
APPROXIMATE_EXTRA_M = 1000.0
APPROXIMATE_DECAY = 0.5 ** (APPROXIMATE_EXTRA_M / 1000 / DECAY_HALF_KM)  # the same, for a relevance score


def typed_forms(text: str) -> dict[str, str]:
    """Each searched token (folded, stemmed) and the word as the person typed it (« ouverte »)."""
    forms: dict[str, str] = {}
    for typed in re.findall(r"\w+", text):
        for word in words(typed):
            forms.setdefault(stem(word), typed)
    return forms


def ranking_distance(hit: SearchHit) -> float | None:
    """The distance a hit is ranked by: an approximate position counts as `APPROXIMATE_EXTRA_M` further."""
    if hit.distance_m is None:
        return None
    return hit.distance_m + (APPROXIMATE_EXTRA_M if hit.structure.location_precision == "commune" else 0.0)


def precise_first(result: SearchResult, query: SearchQuery) -> SearchResult:
    """A page with places at their commune's centre counted `APPROXIMATE_EXTRA_M` further, so that they
    come after precise ones nearby: by distance, or by relevance, whose score halves every
    `DECAY_HALF_KM` in both engines (the Maison d'Asnières, placed at the town's centre, came first
    for « dormir » at Asnières)."""
    if not query.has_location:
        return result
    if query.sort == "distance":
        hits = sorted(result.hits, key=lambda hit: ranking_distance(hit) or 0.0)
    elif query.sort == "relevance" and any(hit.structure.location_precision == "commune" for hit in result.hits):
        hits = sorted(result.hits, key=lambda hit: -hit.score * (APPROXIMATE_DECAY if hit.structure.location_precision == "commune" else 1.0))
    else:
        return result
    return SearchResult(total=result.total, hits=hits, facets=result.facets)


GENERIC_LANE_DEPTH = 5


def interleave(per_lane: list[list[SearchHit]], wanted: int) -> list[SearchHit]:
    """The first `wanted` hits of several ranked lists, greedily: each step takes the lane head with the
    smallest cost (its distance, or its rank without a location) times one more than the number already
    taken from that lane. Near places still come first, but one lane cannot fill the page; a place
    in two lanes is taken once."""
    taken = [0] * len(per_lane)
    heads = [0] * len(per_lane)
    chosen: dict[str, SearchHit] = {}
    while len(chosen) < wanted:
        best: tuple[float, int] | None = None
        for lane, hits in enumerate(per_lane):
            while heads[lane] < len(hits) and hits[heads[lane]].structure.id in chosen:
                heads[lane] += 1
            if heads[lane] == len(hits):
                continue
            hit = hits[heads[lane]]
            distance = ranking_distance(hit)
            cost = (distance + LANE_DISTANCE_FLOOR_M) if distance is not None else heads[lane] + 1.0
            key = cost * (1 + taken[lane])
            if best is None or key < best[0]:
                best = (key, lane)
        if best is None:
            break
        lane = best[1]
        hit = per_lane[lane][heads[lane]]
        chosen[hit.structure.id] = hit
        taken[lane] += 1
    return list(chosen.values())


def reserved_to(publics: Publics | None) -> list[str]:
    """Who a service is reserved to, in French; empty when it welcomes everyone or does not say."""
    if publics is None or str(publics.welcome) != "exclusive":
        return []
    gender = [GENDER_LABELS[str(publics.gender)]] if str(publics.gender) in GENDER_LABELS else []
    return [*gender, *listed_publics(publics)]


# A referral text longer than this is left to the detail page (a chip is one short line).
REFERRAL_DETAILS_MAX = 90


def conditions(structure: Structure) -> list[str]:
    """The key conditions every service of the place shares, as the record states them: who it is
    reserved to, who refers people to it (« Orientation par le SIAO / 115 », never a guess), price..."""
    stated = [m for m in (structure.modalities, *(svc.modalities for svc in structure.services)) if m is not None]
    labels: list[str] = []
    reserved = [reserved_to(structure.effective_publics(svc)) for svc in structure.services]
    if reserved and all(reserved):
        labels.append("Réservé aux " + ", ".join(dict.fromkeys(label for labels_ in reserved for label in labels_)))
    for field, expected, label in CONDITION_LABELS:
        values = {getattr(m, field) for m in stated} - {None}
        if values == {expected} and SUBSUMED_BY.get(field) not in labels:
            if field == "referral":
                details = {m.referral_details for m in stated if m.referral} - {None}
                if len(details) == 1 and len(detail := details.pop()) <= REFERRAL_DETAILS_MAX:
                    label = detail
            labels.append(label)
    return labels
