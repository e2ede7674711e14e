"""The Elasticsearch engine, for a region-wide deployment.

It indexes the same documents as the embedded engine (`documents.py`), with the same French tokens
(`text.py`): the CI engine has no `analysis-common` module, so text fields use the core `whitespace`
analyzer on tokens normalised in Python. Typos are handled by Elasticsearch's own fuzziness, one edit
on words of five letters or more, as the embedded engine does with its vocabulary.

A full load goes into a new versioned index (`<alias>-<timestamp>`) and the alias is swapped
atomically once every document is in, so a failed import never leaves the API with a half-built index.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout, TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError, helpers
from tqdm import tqdm

from directory_api.geography.distance import haversine_km
from directory_api.models import WEEKDAYS, HolidayPolicy, OpeningHours, Structure
from directory_api.opening import PARIS, is_public_holiday, opening_at
from directory_api.search.backend import (
    NAME_ALTERNATIVE_MAX,
    EngineUnavailableError,
    SearchBackend,
    SearchHit,
    SearchQuery,
    SearchResult,
    facet_counts,
)
from directory_api.search.columns import MINUTES_PER_DAY, MINUTES_PER_WEEK, weekly_intervals
from directory_api.search.documents import build_document
from directory_api.taxonomy import Taxonomy, get_taxonomy

# Building an index is not a visitor waiting for an answer: its requests get minutes, not the API's
# seconds. With the short timeout, a slow `indices.create` on a busy node timed out, was retried, and the
# retry failed with « already exists » although the first one had worked.
INDEXING_TIMEOUT_S = 300.0
MAX_RESULT_WINDOW = 110_000  # page ≤ 1000 × size ≤ 100, with room
FUZZINESS = "AUTO:5,100"  # one edit from five letters, as `text.fuzzy_allowed`
TEXT_FIELDS = ["name_text^4", "body_text"]
# Words of a long text whose name counts are asked (one `msearch`): a name has few words, and a text of
# 60 words sent 60 counts, one after the other. See `_with_name_alternative` for why results stay exact.
NAME_WORDS_COUNTED = 8
# Places whose opening is checked one by one in Python (closures, validity dates, holiday edge cases).
# Beyond this, the rest are « hours unknown », never « open » (see `_open_filter`).
EXACT_CHECK_MAX = 1000
# `day_slots`: a slot as minutes from the midnight of the day it starts on (< 2 days), shifted by its
# weekday × DAY_SPAN, so that one term says both « contains this minute » and « started on that day ».
DAY_SPAN = 2 * MINUTES_PER_DAY

logger = logging.getLogger(__name__)

INDEX_SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "number_of_replicas": 0,
    "max_result_window": MAX_RESULT_WINDOW,
    "refresh_interval": "1s",
}
MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        "location": {"type": "geo_point"},
        "quality_boost": {"type": "float"},
        "department": {"type": "keyword"},
        "source": {"type": "keyword"},
        "categories": {"type": "keyword"},
        "name_text": {"type": "text", "analyzer": "whitespace"},
        "body_text": {"type": "text", "analyzer": "whitespace"},
        "services": {
            "type": "nested",
            "properties": {
                "categories": {"type": "keyword"},
                "free": {"type": "boolean"},
                "anonymous": {"type": "boolean"},
                "wheelchair_access": {"type": "boolean"},
                "gender": {"type": "keyword"},
                "age_min": {"type": "short"},
                "age_max": {"type": "short"},
                "languages": {"type": "keyword"},
                "minors_rule": {"type": "boolean"},
            },
        },
        "open_minutes": {"type": "integer_range"},  # weekly slots, minutes from Monday 00:00 (Paris)
        "hours_rules": {"type": "boolean"},  # closures or validity dates: checked exactly in Python
        "holiday_minutes": {"type": "integer_range"},  # weekly slots that hold on public holidays too
        "day_slots": {"type": "integer_range"},  # slots lost on a public holiday, by start day (DAY_SPAN)
        "holiday_exact": {"type": "boolean"},  # on and after a public holiday: checked exactly in Python
        "has_hours": {"type": "boolean"},  # hours known (else the opening condition is « unknown »)
        "hours": {"type": "keyword", "index": False, "doc_values": False},
        "structure": {"type": "object", "enabled": False},
    },
}

UNAVAILABLE_ERRORS = (TransportConnectionError, ConnectionTimeout, TransportError)


def parse_hosts(url: str | Sequence[str]) -> list[str]:
    """One URL, or several comma-separated (the nodes of a cluster), as a list of URLs."""
    parts = url.split(",") if isinstance(url, str) else list(url)
    hosts = [part.strip() for part in parts if part.strip()]
    if not hosts:
        raise ValueError("aucune adresse Elasticsearch")
    return hosts


def _hours_list(structure: Structure) -> list[OpeningHours]:
    if structure.hours is not None:
        return [structure.hours]
    return [s.hours for s in structure.services if s.hours is not None]


def _slots_by_start_day(hours: OpeningHours) -> list[tuple[int, int, int]]:
    """(weekday, start, end): minutes from the midnight of the day the slot starts on, as
    `opening._intervals` builds them (always open: one slot per day; past midnight: end > one day)."""
    if hours.always_open:
        return [(day, 0, MINUTES_PER_DAY) for day in range(7)]
    slots = []
    for index, day in enumerate(WEEKDAYS):
        for slot in hours.weekly.get(day, []):
            start, end = slot.start.hour * 60 + slot.start.minute, slot.end.hour * 60 + slot.end.minute
            slots.append((index, start, end + MINUTES_PER_DAY if end <= start else end))
    return slots


def _holiday_fields(hours_list: list[OpeningHours]) -> dict[str, Any]:
    """What `opening_at` does on and after a public holiday, as indexed fields (see `_open_filter`).

    Without closures or validity dates, a holiday only changes the slots that start on it: they hold
    (policy « open », or always open with no policy), or they are lost (« closed », or « unknown »:
    never « open » either way); a slot started the day before is decided by that day. Checked exactly
    instead (`holiday_exact`): closures or validity dates, and « unknown » hours where a slot from the
    day before overlaps the next day's (there the first one decides, see `opening_at`)."""
    holding: list[dict[str, int]] = []
    by_day: list[dict[str, int]] = []
    exact = False
    for hours in hours_list:
        if hours.closures or hours.valid_from or hours.valid_until:
            exact = True
        elif hours.public_holidays == HolidayPolicy.open or (hours.always_open and hours.public_holidays == HolidayPolicy.unknown):
            holding.extend({"gte": start, "lt": end} for start, end in weekly_intervals(hours))
        else:
            slots = _slots_by_start_day(hours)
            after_midnight: dict[int, int] = {}  # weekday → minute the previous day's last slot ends
            for day, _, end in slots:
                if end > MINUTES_PER_DAY:
                    next_day = (day + 1) % 7
                    after_midnight[next_day] = max(after_midnight.get(next_day, 0), end - MINUTES_PER_DAY)
            if hours.public_holidays == HolidayPolicy.unknown and any(
                start < after_midnight.get(day, 0) for day, start, _ in slots
            ):
                exact = True
            else:
                by_day.extend({"gte": day * DAY_SPAN + start, "lt": day * DAY_SPAN + end} for day, start, end in slots)
    return {"holiday_minutes": holding, "day_slots": by_day, "holiday_exact": exact}


def to_document(structure: Structure, taxonomy: Taxonomy) -> dict[str, Any]:
    doc = build_document(structure, taxonomy)
    services = []
    for row in doc.services:
        service: dict[str, Any] = {"categories": list(row.categories)}
        for name in ("free", "anonymous", "wheelchair_access", "gender", "age_min", "age_max"):
            value = getattr(row, name)
            if value is not None:
                service[name] = value
        if row.languages:
            service["languages"] = list(row.languages)
        if row.minors_rule:
            service["minors_rule"] = True
        services.append(service)
    hours = _hours_list(structure)
    return {
        "id": doc.id,
        "location": {"lat": doc.lat, "lon": doc.lon},
        "quality_boost": doc.quality_boost,
        "department": doc.department,
        "source": doc.source,
        "categories": list(doc.categories),
        "name_text": doc.name_text,
        "body_text": doc.body_text,
        "services": services,
        "open_minutes": [{"gte": start, "lt": end} for h in hours for start, end in weekly_intervals(h)],
        "hours_rules": any(h.closures or h.valid_from or h.valid_until for h in hours),
        **_holiday_fields(hours),
        "has_hours": bool(hours),
        "hours": json.dumps([h.model_dump(mode="json") for h in hours]) if hours else None,
        "structure": structure.model_dump(mode="json", exclude_none=True),
    }


def _missing(field: str) -> dict[str, Any]:
    return {"bool": {"must_not": {"exists": {"field": field}}}}


def _either(*clauses: dict[str, Any]) -> dict[str, Any]:
    return {"bool": {"should": list(clauses), "minimum_should_match": 1}}


def _exists(field: str) -> dict[str, Any]:
    return {"exists": {"field": field}}


def service_conditions(query: SearchQuery, *, strict: bool = True) -> list[dict[str, Any]]:
    """Conditions one service must meet, as nested clauses: known to (`strict`), or not known to fail."""
    conditions: list[dict[str, Any]] = []
    for name, wanted in (("free", query.free), ("anonymous", query.anonymous), ("wheelchair_access", query.wheelchair_access)):
        if wanted is not None:
            field = f"services.{name}"
            conditions.append({"term": {field: wanted}} if strict else {"bool": {"must_not": {"term": {field: not wanted}}}})
    if query.gender is not None:
        known = {"terms": {"services.gender": ["all", str(query.gender)]}}
        conditions.append(known if strict else _either(_missing("services.gender"), known))
    if query.age is not None:
        conditions.append(_either(_missing("services.age_min"), {"range": {"services.age_min": {"lte": query.age}}}))
        conditions.append(_either(_missing("services.age_max"), {"range": {"services.age_max": {"gte": query.age}}}))
        if strict:
            conditions.append(_either(_exists("services.age_min"), _exists("services.age_max")))
    if query.language == "fr":
        conditions.append(_either(_missing("services.languages"), {"term": {"services.languages": "fr"}}))
    elif query.language:
        speaks = {"term": {"services.languages": query.language}}
        conditions.append(speaks if strict else _either(_missing("services.languages"), speaks))
    if conditions and query.age is None:
        conditions.append({"bool": {"must_not": {"term": {"services.minors_rule": True}}}})
    return conditions


def filter_clauses(query: SearchQuery, *, strict: bool = True) -> list[dict[str, Any]]:
    """Every filter of the query, each a small query fragment (pelias style)."""
    clauses: list[dict[str, Any]] = []
    if query.has_location and query.radius_km is not None:
        clauses.append({"geo_distance": {"distance": f"{query.radius_km}km", "location": {"lat": query.lat, "lon": query.lon}}})
    if query.department:
        clauses.append({"term": {"department": query.department}})
    conditions = service_conditions(query, strict=strict)
    any_service_ok = {"nested": {"path": "services", "query": {"bool": {"filter": conditions}}}} if conditions else None
    category_lists = [(c, c is query.text_categories) for c in (query.categories, query.text_categories) if c]
    for categories, from_text in category_lists:
        nested = [{"terms": {"services.categories": categories}}, *conditions]
        clause: dict[str, Any] = {"nested": {"path": "services", "query": {"bool": {"filter": nested}}}}
        if from_text and query.name_tokens:
            # A place named by the words also counts, if one of its services meets the filters.
            named = {"bool": {"filter": [name_clause(query), *([any_service_ok] if any_service_ok else [])]}}
            clause = _either(clause, named)
        clauses.append(clause)
    if not category_lists and any_service_ok:
        clauses.append(any_service_ok)
    return clauses


def name_clause(query: SearchQuery) -> dict[str, Any]:
    """Every word in the name, as typed (no fuzziness: « douche » must not find « Pharmacie Rouche »)."""
    return {
        "bool": {
            "must": [
                _either(*({"match": {"name_text": variant}} for variant in variants)) for variants in query.name_tokens
            ]
        }
    }


def text_clauses(query: SearchQuery) -> list[dict[str, Any]]:
    clauses = []
    for variants in query.text_tokens:
        matches = [
            {"multi_match": {"query": variant, "type": "most_fields", "fields": TEXT_FIELDS, "fuzziness": FUZZINESS, "prefix_length": 0}}
            for variant in variants
        ]
        clauses.append(matches[0] if len(matches) == 1 else _either(*matches))
    return clauses


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"

    def __init__(
        self,
        url: str | Sequence[str],
        alias: str = "directory",
        *,
        timeout_s: float = 2.0,
        retries: int = 1,
        replicas: int = 0,
        api_key: str | None = None,
        taxonomy: Taxonomy | None = None,
    ) -> None:
        self.alias = alias
        self.replicas = replicas
        self.taxonomy = taxonomy or get_taxonomy()
        # With several nodes, the client sends each request to the next live node (round robin); a
        # connection error or timeout marks the node dead for a while and the retry goes to another one.
        # 429/502/503/504 answers are retried too (the client's default `retry_on_status`). A timeout is
        # retried only when another node exists: on a single hung node it doubled the visitor's wait.
        hosts = parse_hosts(url)
        self.client = Elasticsearch(
            hosts, api_key=api_key, request_timeout=timeout_s, max_retries=retries, retry_on_timeout=len(hosts) > 1
        )

    # -- helpers ------------------------------------------------------------------------------
    def _call(self, function: Any, **kwargs: Any) -> Any:
        """Call Elasticsearch; when it is down or failing, say so as `EngineUnavailableError`."""
        try:
            return function(**kwargs)
        except NotFoundError:
            raise
        except UNAVAILABLE_ERRORS as exc:
            raise EngineUnavailableError(str(exc)) from exc
        except ApiError as exc:
            if exc.meta.status >= 500 or exc.meta.status == 429:
                raise EngineUnavailableError(str(exc)) from exc
            raise

    def health(self) -> bool:
        try:
            status = self.client.options(request_timeout=1.0).cluster.health()["status"]
        except Exception:  # noqa: BLE001 - any failure means "not available"
            return False
        return status in ("green", "yellow")

    # -- writing ------------------------------------------------------------------------------
    def _actions(self, structures: Iterable[Structure], index: str) -> Iterator[dict[str, Any]]:
        for structure in structures:
            yield {"_index": index, "_id": structure.id, "_source": to_document(structure, self.taxonomy)}

    def bulk_load(self, structures: Iterable[Structure], fingerprint: str | None = None) -> int:
        index = f"{self.alias}-{datetime.now(PARIS):%Y%m%d%H%M%S%f}"
        mappings = {**MAPPINGS, "_meta": {"fingerprint": fingerprint}} if fingerprint else MAPPINGS
        settings = {**INDEX_SETTINGS, "number_of_replicas": self.replicas}
        writer = self.client.options(request_timeout=INDEXING_TIMEOUT_S)
        self._call(writer.indices.create, index=index, settings=settings, mappings=mappings)
        count, errors = 0, []
        try:
            progress = tqdm(desc=f"index {index}", unit=" lieux", disable=None)
            for ok, item in helpers.streaming_bulk(
                writer, self._actions(structures, index), chunk_size=1000, raise_on_error=False, max_retries=2
            ):
                if ok:
                    count += 1
                else:
                    errors.append(item)
                progress.update(1)
            progress.close()
            if errors:
                details = "; ".join(json.dumps(e, ensure_ascii=False)[:300] for e in errors[:5])
                raise RuntimeError(f"{len(errors)} documents refusés par Elasticsearch : {details}")
            self._call(writer.indices.refresh, index=index)
            self._swap_alias(index, writer)
        except BaseException:
            writer.indices.delete(index=index, ignore_unavailable=True)
            raise
        return count

    def _swap_alias(self, index: str, writer: Elasticsearch) -> None:
        old = []
        if writer.indices.exists_alias(name=self.alias):
            old = list(writer.indices.get_alias(name=self.alias))
        actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": self.alias}} for name in old]
        actions.append({"add": {"index": index, "alias": self.alias, "is_write_index": True}})
        self._call(writer.indices.update_aliases, actions=actions)  # atomic
        for name in old:
            writer.indices.delete(index=name, ignore_unavailable=True)

    def upsert(self, structure: Structure) -> None:
        document = to_document(structure, self.taxonomy)
        self._call(self.client.index, index=self.alias, id=structure.id, document=document, refresh="wait_for")

    def delete(self, structure_id: str) -> bool:
        try:
            self._call(self.client.delete, index=self.alias, id=structure_id, refresh="wait_for")
        except NotFoundError:
            return False
        return True

    # -- reading ------------------------------------------------------------------------------
    def get(self, structure_id: str) -> Structure | None:
        try:
            found = self._call(self.client.get, index=self.alias, id=structure_id, source_includes=["structure"])
        except NotFoundError:
            return None
        return Structure.model_validate(found["_source"]["structure"])

    def count(self) -> int:
        try:
            return int(self._call(self.client.count, index=self.alias)["count"])
        except NotFoundError:
            return 0

    def indexed_fingerprint(self) -> str | None:
        try:
            mappings = self._call(self.client.indices.get_mapping, index=self.alias)
        except NotFoundError:
            return None
        for index in mappings.values():
            return index["mappings"].get("_meta", {}).get("fingerprint")
        return None

    def vocabulary(self) -> set[str]:
        return set()  # typos are handled by Elasticsearch's fuzziness

    def _counts(self, queries: list[dict[str, Any]]) -> list[int]:
        """How many places each query matches, in one `msearch` request."""
        searches: list[dict[str, Any]] = []
        for clause in queries:
            searches.extend(({}, {"size": 0, "track_total_hits": True, "query": clause}))
        response = self._call(self.client.msearch, index=self.alias, searches=searches)
        counts = []
        for item in response["responses"]:
            if "error" in item:
                status = int(item.get("status", 500))
                message = f"comptage refusé par Elasticsearch ({status}) : {json.dumps(item['error'])[:300]}"
                raise EngineUnavailableError(message) if status >= 500 or status == 429 else RuntimeError(message)
            counts.append(int(item["hits"]["total"]["value"]))
        return counts

    def _with_name_alternative(self, query: SearchQuery) -> SearchQuery:
        """Keep the name alternative only for rare words (see NAME_ALTERNATIVE_MAX), as the embedded engine.

        The embedded engine takes the rarest of every word; here only the first NAME_WORDS_COUNTED are
        counted, with the same outcome: a rarest of 0 drops it (as there); a rarest ≤ the maximum keeps
        it (a later word in no name makes the name clause match nothing: the same results as dropping
        it). With more words, the count of places named by every word decides the rest: none, or more
        than the maximum, drops it; otherwise (a real name holds all the words, so they are few) a
        second request counts the remaining words. Never more than two requests."""
        if not (query.name_tokens and query.text_categories):
            return query
        counted, rest = query.name_tokens[:NAME_WORDS_COUNTED], query.name_tokens[NAME_WORDS_COUNTED:]
        counts = self._counts([
            *({"terms": {"name_text": variants}} for variants in counted),
            *([name_clause(query)] if rest else []),
        ])
        rarest = min(counts[: len(counted)])
        if rest and rarest > NAME_ALTERNATIVE_MAX:
            named = counts[-1]
            if 0 < named <= NAME_ALTERNATIVE_MAX:
                rarest = min(rarest, *self._counts([{"terms": {"name_text": variants}} for variants in rest]))
        if rarest == 0 or rarest > NAME_ALTERNATIVE_MAX:
            return query.model_copy(update={"name_tokens": []})
        return query

    def search(self, query: SearchQuery) -> SearchResult:
        query = self._with_name_alternative(query)
        filters = self._condition_filters(query)
        texts = text_clauses(query)
        # match_all gives every match a base score of 1, as the embedded engine's « 1 + text score ».
        boolean: dict[str, Any] = {"must": [{"match_all": {}}], "filter": filters}
        if texts and query.text_required:
            boolean["must"].extend(texts)
        elif texts:
            boolean["should"] = texts
        if query.name_tokens and query.text_categories:
            boolean.setdefault("should", []).append(name_clause(query))  # named places rank first
        body_query: dict[str, Any] = {"bool": boolean}

        sort: list[Any]
        if query.has_location and query.sort == "distance":
            sort = [self._distance_sort(query), {"_score": "desc"}, {"id": "asc"}]
        else:
            body_query = self._relevance(body_query, query)
            sort = [{"_score": "desc"}, {"id": "asc"}]

        response = self._call(
            self.client.search,
            index=self.alias,
            query=body_query,
            sort=sort,
            from_=query.offset,
            size=query.limit,
            track_total_hits=True,
            source_includes=["structure"],
            aggs={
                "categories": {"terms": {"field": "categories", "size": 300}},
                "department": {"terms": {"field": "department", "size": 20}},
                "source": {"terms": {"field": "source", "size": 100}},
            },
        )
        hits = []
        for hit in response["hits"]["hits"]:
            structure = Structure.model_validate(hit["_source"]["structure"])
            distance = self._distance_m(structure, query)
            hits.append(SearchHit(structure=structure, distance_m=distance, score=float(hit.get("_score") or 0.0)))
        return SearchResult(total=response["hits"]["total"]["value"], hits=hits, facets=self._facets(response["aggregations"]))

    @staticmethod
    def _distance_m(structure: Structure, query: SearchQuery) -> float | None:
        """Same haversine as the embedded engine, so both report the same distance."""
        if not query.has_location:
            return None
        assert query.lat is not None and query.lon is not None
        return round(float(haversine_km(query.lat, query.lon, structure.lat, structure.lon)) * 1000, 1)

    @staticmethod
    def _distance_sort(query: SearchQuery) -> dict[str, Any]:
        return {"_geo_distance": {"location": {"lat": query.lat, "lon": query.lon}, "order": "asc", "unit": "m", "distance_type": "arc"}}

    @staticmethod
    def _relevance(body_query: dict[str, Any], query: SearchQuery) -> dict[str, Any]:
        """Text score × record quality (a small tie-breaker) × distance decay (halved every 2 km), as in
        the embedded engine."""
        functions: list[dict[str, Any]] = [{"field_value_factor": {"field": "quality_boost", "missing": 1.0}}]
        if query.has_location:
            origin = {"lat": query.lat, "lon": query.lon}
            functions.append({"exp": {"location": {"origin": origin, "scale": "2km", "decay": 0.5}}})
        return {
            "function_score": {
                "query": body_query,
                "functions": functions,
                "score_mode": "multiply",
                "boost_mode": "multiply",
            }
        }

    def _condition_filters(self, query: SearchQuery) -> list[dict[str, Any]]:
        """The filters for `query.condition_match`: places known to meet every condition, or places
        not known to fail any and not known to meet them all (the embedded engine's two masks)."""
        known = filter_clauses(query)
        if query.open_at is not None:
            known.append(self._open_filter(query, known)[0])  # places left unchecked are not « open »
        if query.condition_match == "known":
            return known
        possible = filter_clauses(query, strict=False)
        if query.open_at is not None:
            hours_unknown = {"bool": {"must_not": {"term": {"has_hours": True}}}}
            opened, unchecked = self._open_filter(query, possible)
            possible.append(_either(opened, hours_unknown, *([unchecked] if unchecked else [])))
        return [*possible, {"bool": {"must_not": {"bool": {"filter": known}}}}]

    def _open_filter(self, query: SearchQuery, filters: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """(open at `open_at`, places left unchecked or None), as queries.

        Weekly slots are an `integer_range` term query. On (or the day after) a public holiday, the slots
        that hold (`holiday_minutes`) and those started on a day that is not a holiday (`day_slots`) say
        it, as the embedded engine's exact check would. Only places that need `opening_at` (closures,
        validity dates; on holidays `holiday_exact`) are fetched and checked in Python, at most
        EXACT_CHECK_MAX of them, by id: the others are left unchecked, « hours unknown » and not open.
        """
        assert query.open_at is not None
        local = query.open_at.astimezone(PARIS)
        today, yesterday = local.date(), local.date() - timedelta(days=1)
        day_minute = local.hour * 60 + local.minute
        minute = (local.weekday() * MINUTES_PER_DAY + day_minute) % MINUTES_PER_WEEK
        weekly_open = {"term": {"open_minutes": minute}}
        if is_public_holiday(today) or is_public_holiday(yesterday):
            exact_field = "holiday_exact"
            answered: list[dict[str, Any]] = [{"term": {"holiday_minutes": minute}}]
            if not is_public_holiday(yesterday):  # a slot started yesterday and still running
                answered.append({"term": {"day_slots": yesterday.weekday() * DAY_SPAN + MINUTES_PER_DAY + day_minute}})
            if not is_public_holiday(today):
                answered.append({"term": {"day_slots": today.weekday() * DAY_SPAN + day_minute}})
        else:
            exact_field = "hours_rules"
            answered = [{"bool": {"must_not": {"term": {exact_field: True}}}}]
        to_check_query = [weekly_open, {"term": {exact_field: True}}]
        to_check = self._call(
            self.client.search,
            index=self.alias,
            query={"bool": {"filter": [*filters, *to_check_query]}},
            size=EXACT_CHECK_MAX,
            track_total_hits=True,
            source_includes=["hours"],
            sort=[{"id": "asc"}],
        )
        hits = to_check["hits"]["hits"]
        really_open = [
            hit["_id"]
            for hit in hits
            if any(
                opening_at(OpeningHours.model_validate(h), query.open_at).status == "open"
                for h in json.loads(hit["_source"]["hours"])
            )
        ]
        opened = {"bool": {"filter": [weekly_open], "should": [*answered, {"ids": {"values": really_open}}], "minimum_should_match": 1}}
        unchecked = None
        if to_check["hits"]["total"]["value"] > len(hits):
            # Too many to check one by one: the rest (by id) count as « hours unknown », never « open ».
            logger.warning(
                "open_at %s: %d places to check exactly, %d checked, the others are « hours unknown »",
                local.isoformat(), to_check["hits"]["total"]["value"], len(hits),
            )
            after = [{"range": {"id": {"gt": hits[-1]["sort"][0]}}}] if hits else []
            unchecked = {"bool": {"filter": [*to_check_query, *after]}}
        return opened, unchecked

    @staticmethod
    def _facets(aggregations: dict[str, Any]) -> dict[str, dict[str, int]]:
        def named(name: str, by_count: bool) -> dict[str, int]:
            return facet_counts(((b["key"], int(b["doc_count"])) for b in aggregations[name]["buckets"]), by_count=by_count)

        return {
            "categories": named("categories", by_count=True),
            "department": named("department", by_count=False),
            "source": named("source", by_count=True),
        }

    def close(self) -> None:
        self.client.close()
