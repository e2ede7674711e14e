"""The embedded engine: one SQLite file, no server to run.

- `docs`: one row per structure (position, facets, the structure's JSON);
- `geo`: an R*Tree on positions, the spatial prefilter;
- `svc`: one row per (service, search category) with the service's effective filters;
- `fts`: FTS5 on the normalised tokens of `text.py` (the same tokens Elasticsearch indexes), BM25.

A full load writes a new file and swaps it in with an atomic rename, so a failed build never leaves
the API with a half-built index; open readers keep the old file until they reconnect.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from directory_api.models import OpeningHours, Structure
from directory_api.opening import opening_at
from directory_api.search.backend import SearchBackend, SearchHit, SearchQuery, SearchResult
from directory_api.search.documents import Document, build_document
from directory_api.taxonomy import Taxonomy, get_taxonomy

KM_PER_DEGREE_LAT = 111.195
BATCH_SIZE = 2000
FTS_WEIGHTS = (4.0, 1.0)  # name and kind weigh more than description and address
SCHEMA = """
CREATE TABLE docs(
    rid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
    department TEXT NOT NULL, source TEXT NOT NULL, categories TEXT NOT NULL,
    hours TEXT, body TEXT NOT NULL);
CREATE VIRTUAL TABLE geo USING rtree(rid, min_lat, max_lat, min_lon, max_lon);
CREATE TABLE svc(
    rid INTEGER NOT NULL, category TEXT, free INTEGER, anonymous INTEGER, pmr INTEGER,
    gender TEXT, age_min INTEGER, age_max INTEGER, languages TEXT);
CREATE VIRTUAL TABLE fts USING fts5(name, body, tokenize = 'unicode61 remove_diacritics 0');
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
"""
INDEXES = """
CREATE INDEX svc_category ON svc(category, rid);
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


class EmbeddedBackend(SearchBackend):
    name = "embedded"

    def __init__(self, path: Path, taxonomy: Taxonomy | None = None) -> None:
        self.path = Path(path)
        self.taxonomy = taxonomy or get_taxonomy()
        self._local = threading.local()
        self._hours_cache: dict[tuple[int, int], list[OpeningHours | None] | None] = {}
        self._generation = 0

    # -- connections --------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "generation", -1) != self._generation:
            if not self.path.exists():
                self._create_empty(self.path)
            conn = sqlite3.connect(self.path, check_same_thread=False)
            conn.execute("PRAGMA query_only = 0")
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("PRAGMA mmap_size = 268435456")
            self._local.conn = conn
            self._local.generation = self._generation
        return conn

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
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

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
            structure.model_dump_json(exclude_none=True),
        )
        return docs_row, (doc.name_text, doc.body_text), list(self._service_rows(rid, doc))

    @staticmethod
    def _write(conn: sqlite3.Connection, batch: list[tuple[tuple, tuple, list[tuple]]]) -> None:
        conn.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [b[0] for b in batch])
        conn.executemany(
            "INSERT INTO geo VALUES (?, ?, ?, ?, ?)", [(b[0][0], b[0][2], b[0][2], b[0][3], b[0][3]) for b in batch]
        )
        conn.executemany(
            "INSERT INTO fts(rowid, name, body) VALUES (?, ?, ?)", [(b[0][0], *b[1]) for b in batch]
        )
        conn.executemany("INSERT INTO svc VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [r for b in batch for r in b[2]])

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
            )
            for category in row.categories:
                yield (rid, category, *values)

    def bulk_load(self, structures: Iterable[Structure]) -> int:
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
        self.close()
        self._generation += 1
        self._hours_cache.clear()

    def upsert(self, structure: Structure) -> None:
        conn = self._connect()
        with conn:
            self._delete(conn, structure.id)
            self._insert(conn, structure)
        self._hours_cache.clear()

    def delete(self, structure_id: str) -> bool:
        conn = self._connect()
        with conn:
            deleted = self._delete(conn, structure_id)
        self._hours_cache.clear()
        return deleted

    @staticmethod
    def _delete(conn: sqlite3.Connection, structure_id: str) -> bool:
        row = conn.execute("SELECT rid FROM docs WHERE id = ?", (structure_id,)).fetchone()
        if row is None:
            return False
        for table, column in (("docs", "rid"), ("geo", "rid"), ("svc", "rid"), ("fts", "rowid")):
            conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (row[0],))  # noqa: S608
        return True

    # -- reading ------------------------------------------------------------------------------
    def get(self, structure_id: str) -> Structure | None:
        row = self._connect().execute("SELECT body FROM docs WHERE id = ?", (structure_id,)).fetchone()
        return Structure.model_validate_json(row[0]) if row else None

    def count(self) -> int:
        return self._connect().execute("SELECT COUNT(*) FROM docs").fetchone()[0]

    def vocabulary(self) -> set[str]:
        conn = self._connect()
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_vocab USING fts5vocab(main, fts, 'row')")
        return {row[0] for row in conn.execute("SELECT term FROM temp.fts_vocab")}

    def all_structures(self) -> Iterator[Structure]:
        for (body,) in self._connect().execute("SELECT body FROM docs ORDER BY id"):
            yield Structure.model_validate_json(body)

    def search(self, query: SearchQuery) -> SearchResult:
        conn = self._connect()
        sql, params = self._candidate_sql(query)
        rows = conn.execute(sql, params).fetchall()
        if query.open_at is not None:
            rows = [row for row in rows if self._is_open(row[0], row[7], query.open_at)]

        facets = self._facets(rows)
        if query.sort == "distance" and query.has_location:
            rows.sort(key=lambda r: (r[5], -r[6], r[8]))
        else:
            rows.sort(key=lambda r: (-self._relevance(r, query), r[8]))
        page = rows[query.offset : query.offset + query.limit]
        hits = []
        if page:
            bodies = dict(
                conn.execute(
                    f"SELECT rid, body FROM docs WHERE rid IN ({','.join('?' * len(page))})",  # noqa: S608
                    [r[0] for r in page],
                ).fetchall()
            )
            for row in page:
                distance = math.sqrt(row[5]) * 1000 if query.has_location else None
                hits.append(
                    SearchHit(
                        structure=Structure.model_validate_json(bodies[row[0]]),
                        distance_m=round(distance, 1) if distance is not None else None,
                        score=round(self._relevance(row, query), 6),
                    )
                )
        return SearchResult(total=len(rows), hits=hits, facets=facets)

    @staticmethod
    def _relevance(row: tuple, query: SearchQuery) -> float:
        """Text score with a distance decay: a good match 5 km away loses to a fair one nearby."""
        text_score = row[6] or 0.0
        base = 1.0 + text_score
        if not query.has_location:
            return base
        return base / (1.0 + math.sqrt(row[5]) / 2.0)

    def _candidate_sql(self, query: SearchQuery) -> tuple[str, list[object]]:
        # Selected columns: rid, department, source, categories, id-less placeholders, d2 (km²),
        # text score, hours, id — indexes used in `search`.
        params: list[object] = []
        joins: list[str] = []
        where: list[str] = []
        if query.has_location:
            assert query.lat is not None and query.lon is not None
            cos_lat = math.cos(math.radians(query.lat))
            d2 = (
                f"((d.lat - {query.lat!r}) * {KM_PER_DEGREE_LAT!r}) * ((d.lat - {query.lat!r}) * {KM_PER_DEGREE_LAT!r})"
                f" + ((d.lon - {query.lon!r}) * {KM_PER_DEGREE_LAT * cos_lat!r})"
                f" * ((d.lon - {query.lon!r}) * {KM_PER_DEGREE_LAT * cos_lat!r})"
            )
        else:
            d2 = "0.0"

        text_score = "0.0"
        if query.text_tokens:
            operator = "AND" if query.text_required else "OR"
            match = _fts_query(query.text_tokens, operator)
            join = "JOIN" if query.text_required else "LEFT JOIN"
            weights = ", ".join(str(w) for w in FTS_WEIGHTS)
            joins.append(
                f"{join} (SELECT rowid AS rid, -bm25(fts, {weights}) AS score FROM fts WHERE fts MATCH ?) f"
                " ON f.rid = d.rid"
            )
            params.append(match)
            text_score = "COALESCE(f.score, 0.0)"

        if query.has_location and query.radius_km is not None:
            assert query.lat is not None and query.lon is not None
            dlat = query.radius_km / KM_PER_DEGREE_LAT
            dlon = query.radius_km / (KM_PER_DEGREE_LAT * max(math.cos(math.radians(query.lat)), 0.01))
            where.append(
                "d.rid IN (SELECT rid FROM geo WHERE min_lat >= ? AND max_lat <= ? AND min_lon >= ? AND max_lon <= ?)"
            )
            params.extend([query.lat - dlat, query.lat + dlat, query.lon - dlon, query.lon + dlon])
            where.append(f"{d2} <= ?")
            params.append(query.radius_km**2)

        if query.department:
            where.append("d.department = ?")
            params.append(query.department)
        service_clauses, service_params = self._service_filter(query)
        where.extend(service_clauses)
        params.extend(service_params)

        sql = (
            f"SELECT d.rid, d.department, d.source, d.categories, NULL, {d2} AS d2, {text_score} AS score,"
            f" d.hours, d.id FROM docs d {' '.join(joins)}"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        return sql, params

    @staticmethod
    def _service_filter(query: SearchQuery) -> tuple[list[str], list[object]]:
        """WHERE clauses on `d.rid`: one service must match the filters and each list of categories.

        The `category` parameter and a need named in the text are two lists: a structure must match
        both, possibly through different services.
        """
        common: list[str] = []
        common_params: list[object] = []
        for column, wanted in (
            ("free", query.free),
            ("anonymous", query.anonymous),
            ("pmr", query.wheelchair_access),
        ):
            if wanted is not None:
                common.append(f"{column} = ?")
                common_params.append(int(wanted))
        if query.gender is not None:
            common.append("(gender IS NULL OR gender IN ('all', ?))")
            common_params.append(str(query.gender))
        if query.age is not None:
            common.append("(age_min IS NULL OR (age_min <= ? AND age_max >= ?))")
            common_params.extend([query.age, query.age])
        if query.language == "fr":
            common.append("(languages IS NULL OR languages LIKE '% fr %')")
        elif query.language:
            common.append("languages LIKE ?")
            common_params.append(f"% {query.language} %")

        clauses: list[str] = []
        params: list[object] = []
        category_lists = [c for c in (query.categories, query.text_categories) if c]
        for categories in category_lists:
            condition = " AND ".join([f"category IN ({','.join('?' * len(categories))})", *common])
            clauses.append(f"d.rid IN (SELECT rid FROM svc WHERE {condition})")
            params.extend([*categories, *common_params])
        if not category_lists and common:
            clauses.append(f"d.rid IN (SELECT rid FROM svc WHERE {' AND '.join(common)})")
            params.extend(common_params)
        return clauses, params

    def _is_open(self, rid: int, hours_json: str | None, at: datetime) -> bool:
        if hours_json is None:
            return False
        key = (self._generation, rid)
        hours = self._hours_cache.get(key)
        if key not in self._hours_cache:
            raw = json.loads(hours_json)
            if "structure" in raw:
                hours = [OpeningHours.model_validate(raw["structure"])]
            else:
                hours = [OpeningHours.model_validate(h) if h else None for h in raw["services"]]
            self._hours_cache[key] = hours
        return any(opening_at(h, at).status == "open" for h in hours or [] if h is not None)

    @staticmethod
    def _facets(rows: list[tuple]) -> dict[str, dict[str, int]]:
        categories: Counter[str] = Counter()
        departments: Counter[str] = Counter()
        sources: Counter[str] = Counter()
        for row in rows:
            departments[row[1]] += 1
            sources[row[2]] += 1
            categories.update(row[3].split())
        return {
            "categories": dict(categories.most_common()),
            "department": dict(sorted(departments.items())),
            "source": dict(sources.most_common()),
        }
