"""The embedded engine: one SQLite file, no server to run.

- `docs`: one row per structure (position, facets, hours, the structure's JSON);
- `svc`: one row per (service, search category) with the service's effective filters;
- `fts`: FTS5 on the normalised tokens of `text.py` (the same tokens Elasticsearch indexes), BM25.

At start-up the structured part (positions, categories, filters, weekly hours) is loaded into numpy
columns (`columns.py`): the spatial prefilter, filters, distance, sorting and facets are vectorised.

A full load writes a new file and swaps it in with an atomic rename, so a failed build never leaves
the API with a half-built index; open readers keep the old file until they reconnect.
"""

from __future__ import annotations

import functools
import json
import math
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import numpy as np

from directory_api.geography.distance import haversine_km
from directory_api.models import Structure
from directory_api.search.backend import (
    NAME_ALTERNATIVE_MAX,
    SearchBackend,
    SearchHit,
    SearchQuery,
    SearchResult,
    facet_counts,
)
from directory_api.search.columns import GENDER_CODES, UNKNOWN, Columns
from directory_api.search.documents import Document, build_document
from directory_api.taxonomy import Taxonomy, get_taxonomy

KM_PER_DEGREE_LAT = 111.195  # for the bounding-box prefilter only
BATCH_SIZE = 2000
DECAY_HALF_KM = 2.0
STRUCTURE_CACHE_SIZE = 5000
FTS_WEIGHTS = (4.0, 1.0)  # name and kind weigh more than description and address
SCHEMA = """
CREATE TABLE docs(
    rid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
    department TEXT NOT NULL, source TEXT NOT NULL, categories TEXT NOT NULL,
    hours TEXT, quality_boost REAL NOT NULL, body TEXT NOT NULL);
CREATE TABLE svc(
    rid INTEGER NOT NULL, category TEXT, free INTEGER, anonymous INTEGER, pmr INTEGER,
    gender TEXT, age_min INTEGER, age_max INTEGER, languages TEXT, minors_rule INTEGER NOT NULL);
CREATE VIRTUAL TABLE fts USING fts5(name, body, tokenize = 'unicode61 remove_diacritics 0');
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
"""
INDEXES = """
CREATE INDEX svc_rid ON svc(rid);
"""


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _hours_json(structure: Structure) -> str | None:
    """Only what the opening filter needs: the structure's hours, or each service's."""
    if structure.hours is not None:
        return json.dumps({"structure": structure.hours.model_dump(mode="json")})
    services = [s.hours.model_dump(mode="json") if s.hours else None for s in structure.services]
    if all(h is None for h in services):
        return None
    return json.dumps({"services": services})


def _fts_query(token_groups: list[list[str]], operator: str) -> str:
    groups = []
    for variants in token_groups:
        quoted = " OR ".join(f'"{v}"' for v in variants if v)
        if quoted:
            groups.append(f"({quoted})")
    return f" {operator} ".join(groups)


def _serialized(method):
    """Run the method under the backend's lock (one query at a time per process)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


class EmbeddedBackend(SearchBackend):
    name = "embedded"

    def __init__(self, path: Path, taxonomy: Taxonomy | None = None) -> None:
        self.path = Path(path)
        self.taxonomy = taxonomy or get_taxonomy()
        # One connection per process, one query at a time: the work is CPU-bound under the GIL, so
        # threads would only add memory (a page cache each) and contention. Scale with processes.
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._conn_generation = -1
        self._conn_inode: int | None = None
        self._generation = 0
        self._columns: Columns | None = None
        self._columns_generation = -1
        self._structure_cache: OrderedDict[int, Structure] = OrderedDict()

    # -- connections --------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        # Another process may have rebuilt the index (new file swapped in): follow it.
        inode = self.path.stat().st_ino if self.path.exists() else None
        if self._conn is not None and inode != self._conn_inode:
            self._generation += 1
        if self._conn is None or self._conn_generation != self._generation:
            if self._conn is not None:
                self._conn.close()
            if not self.path.exists():
                self._create_empty(self.path)
            self._conn = sqlite3.connect(self.path, check_same_thread=False)
            self._conn.execute("PRAGMA cache_size = -32768")  # 32 MB
            self._conn_generation = self._generation
            self._conn_inode = self.path.stat().st_ino
        return self._conn

    @staticmethod
    def _create_empty(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".empty.tmp")
        tmp.unlink(missing_ok=True)
        conn = sqlite3.connect(tmp)
        conn.executescript(SCHEMA + INDEXES)
        conn.commit()
        conn.close()
        os.replace(tmp, path)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- writing ------------------------------------------------------------------------------
    def _rows(self, structure: Structure, rid: int | None) -> tuple[tuple, tuple, list[tuple]]:
        doc = build_document(structure, self.taxonomy)
        docs_row = (
            rid,
            doc.id,
            doc.lat,
            doc.lon,
            doc.department,
            doc.source,
            " ".join(doc.categories),
            _hours_json(structure),
            doc.quality_boost,
            structure.model_dump_json(exclude_none=True),
        )
        return docs_row, (doc.name_text, doc.body_text), list(self._service_rows(rid, doc))

    @staticmethod
    def _write(conn: sqlite3.Connection, batch: list[tuple[tuple, tuple, list[tuple]]]) -> None:
        conn.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [b[0] for b in batch])
        conn.executemany(
            "INSERT INTO fts(rowid, name, body) VALUES (?, ?, ?)", [(b[0][0], *b[1]) for b in batch]
        )
        conn.executemany("INSERT INTO svc VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [r for b in batch for r in b[2]])

    def _insert(self, conn: sqlite3.Connection, structure: Structure) -> None:
        next_rid = conn.execute("SELECT COALESCE(MAX(rid), 0) + 1 FROM docs").fetchone()[0]
        self._write(conn, [self._rows(structure, next_rid)])

    @staticmethod
    def _service_rows(rid: int | None, doc: Document) -> Iterator[tuple[object, ...]]:
        for row in doc.services:
            languages = f" {' '.join(row.languages)} " if row.languages else None
            values = (
                _flag(row.free),
                _flag(row.anonymous),
                _flag(row.wheelchair_access),
                row.gender,
                row.age_min,
                row.age_max,
                languages,
                int(row.minors_rule),
            )
            for category in row.categories:
                yield (rid, category, *values)

    def bulk_load(self, structures: Iterable[Structure], fingerprint: str | None = None) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".building.tmp")
        tmp.unlink(missing_ok=True)
        conn = sqlite3.connect(tmp)
        conn.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + SCHEMA)
        count = 0
        try:
            conn.execute("BEGIN")
            batch = []
            for count, structure in enumerate(structures, start=1):  # noqa: B007
                batch.append(self._rows(structure, count))
                if len(batch) >= BATCH_SIZE:
                    self._write(conn, batch)
                    batch = []
            self._write(conn, batch)
            conn.executescript(INDEXES)
            conn.execute("INSERT INTO fts(fts) VALUES ('optimize')")
            conn.execute(
                "INSERT INTO meta VALUES ('built_at', ?)", (datetime.now().astimezone().isoformat(),)
            )
            if fingerprint:
                conn.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (fingerprint,))
            conn.commit()
            conn.execute("ANALYZE")
            conn.close()
        except BaseException:
            conn.close()
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, self.path)  # atomic swap: readers never see a half-built index
        self._reset()
        return count

    def _reset(self) -> None:
        with self._lock:
            self.close()
            self._generation += 1

    @_serialized
    def upsert(self, structure: Structure) -> None:
        conn = self._connect()
        with conn:
            self._delete(conn, structure.id)
            self._insert(conn, structure)
        self._invalidate_columns()

    @_serialized
    def delete(self, structure_id: str) -> bool:
        conn = self._connect()
        with conn:
            deleted = self._delete(conn, structure_id)
        self._invalidate_columns()
        return deleted

    @staticmethod
    def _delete(conn: sqlite3.Connection, structure_id: str) -> bool:
        row = conn.execute("SELECT rid FROM docs WHERE id = ?", (structure_id,)).fetchone()
        if row is None:
            return False
        for table, column in (("docs", "rid"), ("svc", "rid"), ("fts", "rowid")):
            conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (row[0],))  # noqa: S608
        return True

    # -- reading ------------------------------------------------------------------------------
    @_serialized
    def get(self, structure_id: str) -> Structure | None:
        row = self._connect().execute("SELECT body FROM docs WHERE id = ?", (structure_id,)).fetchone()
        return Structure.model_validate_json(row[0]) if row else None

    @_serialized
    def count(self) -> int:
        return self._connect().execute("SELECT COUNT(*) FROM docs").fetchone()[0]

    @_serialized
    def indexed_fingerprint(self) -> str | None:
        if not self.path.exists():
            return None
        row = self._connect().execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        return row[0] if row else None

    @_serialized
    def vocabulary(self) -> set[str]:
        conn = self._connect()
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_vocab USING fts5vocab(main, fts, 'row')")
        return {row[0] for row in conn.execute("SELECT term FROM temp.fts_vocab")}

    def all_structures(self) -> Iterator[Structure]:
        for (body,) in self._connect().execute("SELECT body FROM docs ORDER BY id"):
            yield Structure.model_validate_json(body)

    @_serialized
    def warm_up(self) -> None:
        """Load the in-memory columns and the holiday calendar before the first request."""
        from directory_api.opening import is_public_holiday, parse_moment

        is_public_holiday(parse_moment(None).date())
        self._get_columns()

    def _invalidate_columns(self) -> None:
        """After a single-document change the columns are reloaded on the next search."""
        self._columns = None

    def _get_columns(self) -> Columns:
        conn = self._connect()  # first: it notices an index swapped in by another process
        if self._columns is None or self._columns_generation != self._generation:
            self._columns = Columns(conn)
            self._columns_generation = self._generation
            self._structure_cache.clear()
        return self._columns

    @_serialized
    def search(self, query: SearchQuery) -> SearchResult:
        cols = self._get_columns()
        conn = self._connect()
        mask = np.ones(cols.size, dtype=bool)
        lat0, lon0 = query.lat, query.lon
        if query.has_location and query.radius_km is not None:
            assert lat0 is not None and lon0 is not None
            # A box slightly larger than the circle (1 %), the exact distance filter comes after.
            dlat = 1.01 * query.radius_km / KM_PER_DEGREE_LAT
            dlon = 1.01 * query.radius_km / (KM_PER_DEGREE_LAT * max(math.cos(math.radians(lat0)), 0.01))
            mask &= (np.abs(cols.lat - lat0) <= dlat) & (np.abs(cols.lon - lon0) <= dlon)
        if query.department:
            if query.department in cols.departments:
                mask &= cols.department == cols.departments.index(query.department)
            else:
                mask[:] = False
        scores = np.zeros(cols.size, dtype=np.float64)
        name_mask = self._name_matches(conn, cols, query, scores)

        if query.text_tokens:
            operator = "AND" if query.text_required else "OR"
            weights = ", ".join(str(w) for w in FTS_WEIGHTS)
            matches = conn.execute(
                f"SELECT rowid, -bm25(fts, {weights}) FROM fts WHERE fts MATCH ?",  # noqa: S608
                (_fts_query(query.text_tokens, operator),),
            ).fetchall()
            if matches:
                rids = np.fromiter((m[0] for m in matches), dtype=np.int64, count=len(matches))
                positions = cols.position_of_rid[rids]
                scores[positions] = np.fromiter((m[1] for m in matches), dtype=np.float64, count=len(matches))
                if query.text_required:
                    text_mask = np.zeros(cols.size, dtype=bool)
                    text_mask[positions] = True
                    mask &= text_mask
            elif query.text_required:
                mask[:] = False

        distance_all = np.zeros(cols.size)
        if query.has_location:
            assert lat0 is not None and lon0 is not None
            inside_box = np.nonzero(mask)[0]
            distance_all[inside_box] = haversine_km(lat0, lon0, cols.lat[inside_box], cols.lon[inside_box])
            if query.radius_km is not None:
                mask &= distance_all <= query.radius_km
        kept = self._meets_conditions(cols, query, mask, name_mask, strict=True)
        if query.condition_match == "unknown":
            kept = self._meets_conditions(cols, query, mask, name_mask, strict=False) & ~kept
        candidates = np.nonzero(kept)[0]
        distance_km = distance_all[candidates]

        facets = self._facets(cols, candidates)
        text = scores[candidates]
        # Relevance fades with distance, halved every 2 km (the same decay as the Elasticsearch engine).
        relevance = (1.0 + text) * cols.quality_boost[candidates]
        if query.has_location:
            relevance = relevance * np.power(0.5, distance_km / DECAY_HALF_KM)
        if query.sort == "distance" and query.has_location:
            order = np.lexsort((cols.id_rank[candidates], -text, distance_km))
        else:
            order = np.lexsort((cols.id_rank[candidates], -relevance))
        page = order[query.offset : query.offset + query.limit]
        hits = []
        if len(page):
            page_rids = [int(r) for r in cols.rid[candidates[page]]]
            structures = self._structures(conn, page_rids)
            for index, rid in zip(page, page_rids, strict=True):
                hits.append(
                    SearchHit(
                        structure=structures[rid],
                        distance_m=round(float(distance_km[index]) * 1000, 1) if query.has_location else None,
                        score=round(float(relevance[index]), 6),
                    )
                )
        return SearchResult(total=len(candidates), hits=hits, facets=facets)

    def _structures(self, conn: sqlite3.Connection, rids: list[int]) -> dict[int, Structure]:
        """Parsed structures by rid, through a small LRU cache (the same places come back often)."""
        cache = self._structure_cache
        missing = [rid for rid in rids if rid not in cache]
        if missing:
            rows = conn.execute(
                f"SELECT rid, body FROM docs WHERE rid IN ({','.join('?' * len(missing))})",  # noqa: S608
                missing,
            ).fetchall()
            for rid, body in rows:
                cache[rid] = Structure.model_validate_json(body)
        found = {}
        for rid in rids:
            cache.move_to_end(rid)
            found[rid] = cache[rid]
        while len(cache) > STRUCTURE_CACHE_SIZE:
            cache.popitem(last=False)
        return found

    @staticmethod
    def _name_matches(conn: sqlite3.Connection, cols: Columns, query: SearchQuery, scores: np.ndarray) -> np.ndarray | None:
        """Documents whose name holds every word of a text that named a need (and their name score)."""
        if not (query.name_tokens and query.text_categories):
            return None
        match = " AND ".join(f"name : ({' OR '.join(chr(34) + v + chr(34) for v in variants)})" for variants in query.name_tokens)
        weights = ", ".join(str(w) for w in FTS_WEIGHTS)
        # See NAME_ALTERNATIVE_MAX: the alternative is for places named by rare words.
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_columns USING fts5vocab(main, fts, 'col')")
        rarest = min(
            sum(
                row[0]
                for variant in variants
                for row in conn.execute("SELECT doc FROM temp.fts_columns WHERE term = ? AND col = 'name'", (variant,))
            )
            for variants in query.name_tokens
        )
        if rarest == 0 or rarest > NAME_ALTERNATIVE_MAX:
            return None
        found = conn.execute(
            f"SELECT rowid, -bm25(fts, {weights}) FROM fts WHERE fts MATCH ?", (match,)  # noqa: S608
        ).fetchall()
        name_mask = np.zeros(cols.size, dtype=bool)
        if found:
            positions = cols.position_of_rid[np.fromiter((f[0] for f in found), dtype=np.int64, count=len(found))]
            name_mask[positions] = True
            scores[positions] += np.fromiter((f[1] for f in found), dtype=np.float64, count=len(found))
        return name_mask

    @classmethod
    def _meets_conditions(
        cls, cols: Columns, query: SearchQuery, mask: np.ndarray, name_mask: np.ndarray | None, *, strict: bool
    ) -> np.ndarray:
        """The documents of `mask` known to meet the categories and conditions (`strict`), or not known
        to fail them; the opening condition last, since its exact check runs document by document."""
        kept = mask.copy()
        cls._filter_services(cols, query, kept, name_mask, strict=strict)
        if query.open_at is not None:
            is_open = cols.open_mask(query.open_at, kept)
            kept = is_open if strict else is_open | (kept & ~cols.has_hours)
        return kept

    @staticmethod
    def _service_rows_ok(cols: Columns, query: SearchQuery, *, strict: bool) -> np.ndarray | None:
        """Service rows meeting every condition (known to, or not known to fail when not `strict`)."""
        conditions: list[np.ndarray] = []
        for values, wanted in ((cols.sv_free, query.free), (cols.sv_anonymous, query.anonymous), (cols.sv_pmr, query.wheelchair_access)):
            if wanted is not None:
                conditions.append(values == int(wanted) if strict else values != int(not wanted))
        if query.gender is not None:
            code = GENDER_CODES[str(query.gender)]
            known = (cols.sv_gender == GENDER_CODES["all"]) | (cols.sv_gender == code)
            conditions.append(known if strict else known | (cols.sv_gender == GENDER_CODES[None]))
        if query.age is not None:
            min_unknown, max_unknown = cols.sv_age_min == UNKNOWN, cols.sv_age_max == UNKNOWN
            possible = (min_unknown | (cols.sv_age_min <= query.age)) & (max_unknown | (cols.sv_age_max >= query.age))
            conditions.append(possible & ~(min_unknown & max_unknown) if strict else possible)
        if query.language:
            conditions.append(cols.language_rows_mask(query.language, strict=strict))
        if conditions and query.age is None:
            conditions.append(~cols.sv_minors_rule)
        return functools.reduce(np.logical_and, conditions) if conditions else None

    @classmethod
    def _filter_services(
        cls, cols: Columns, query: SearchQuery, mask: np.ndarray, name_mask: np.ndarray | None, *, strict: bool
    ) -> None:
        """One service must match the conditions and each list of categories (the `category`
        parameter and the need named in the text are two lists: a structure must match both,
        possibly through different services)."""
        rows_ok = cls._service_rows_ok(cols, query, strict=strict)
        any_service_ok = cols.documents_of_rows(np.nonzero(rows_ok)[0]) if rows_ok is not None else None
        category_lists = [(c, c is query.text_categories) for c in (query.categories, query.text_categories) if c]
        for categories, from_text in category_lists:
            rows = cols.category_rows(categories)
            if rows_ok is not None:
                rows = rows[rows_ok[rows]]
            matched = cols.documents_of_rows(rows)
            if from_text and name_mask is not None:
                # A place named by the words also counts, if one of its services meets the conditions.
                matched |= name_mask if any_service_ok is None else name_mask & any_service_ok
            mask &= matched
        if not category_lists and any_service_ok is not None:
            mask &= any_service_ok

    @staticmethod
    def _facets(cols: Columns, candidates: np.ndarray) -> dict[str, dict[str, int]]:
        selected = np.zeros(cols.size, dtype=bool)
        selected[candidates] = True
        category_counts = np.bincount(
            cols.entry_category[selected[cols.entry_doc]], minlength=len(cols.facet_categories)
        )
        department_counts = np.bincount(cols.department[candidates], minlength=len(cols.departments))
        source_counts = np.bincount(cols.source[candidates], minlength=len(cols.sources))

        return {
            "categories": facet_counts(zip(cols.facet_categories, category_counts.tolist(), strict=True), by_count=True),
            "department": facet_counts(zip(cols.departments, department_counts.tolist(), strict=True), by_count=False),
            "source": facet_counts(zip(cols.sources, source_counts.tolist(), strict=True), by_count=True),
        }
