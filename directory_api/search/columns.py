"""In-memory columns of the embedded index, for vectorised filtering, distance, sorting and facets.

SQLite keeps the documents and the full-text index; these numpy columns, loaded from it once per
process, answer the structured part of a query (position, categories, service filters, opening)
without a row-by-row loop in Python. At 100k structures a filter pass is a few hundred microseconds.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from directory_api.models import WEEKDAYS, OpeningHours
from directory_api.opening import PARIS, is_public_holiday, opening_at

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
GENDER_CODES = {None: 0, "all": 1, "men": 2, "women": 3}
UNKNOWN = -1


def _tri(value: int | None) -> int:
    return UNKNOWN if value is None else int(value)


@dataclass
class Schedule:
    """Weekly opening intervals in minutes from Monday 00:00 (Paris wall clock), per document."""

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    exceptional: np.ndarray  # bool per document: closures, validity dates or holiday rules to check exactly
    hours: dict[int, list[OpeningHours]]  # position → hours, for the exact check


def weekly_intervals(hours: OpeningHours) -> list[tuple[int, int]]:
    if hours.always_open:
        return [(0, MINUTES_PER_WEEK)]
    result = []
    for day_index, day in enumerate(WEEKDAYS):
        for slot in hours.weekly.get(day, []):
            start = day_index * MINUTES_PER_DAY + slot.start.hour * 60 + slot.start.minute
            end = day_index * MINUTES_PER_DAY + slot.end.hour * 60 + slot.end.minute
            if end <= start:
                end += MINUTES_PER_DAY  # overnight
            if end > MINUTES_PER_WEEK:  # Sunday night into Monday morning
                result.append((start, MINUTES_PER_WEEK))
                result.append((0, end - MINUTES_PER_WEEK))
            else:
                result.append((start, end))
    return result


def _parse_hours(raw: str, cache: dict[str, list[OpeningHours]]) -> list[OpeningHours]:
    if raw not in cache:
        data = json.loads(raw)
        if "structure" in data:
            cache[raw] = [OpeningHours.model_validate(data["structure"])]
        else:
            cache[raw] = [OpeningHours.model_validate(h) for h in data["services"] if h]
    return cache[raw]


class Columns:
    def __init__(self, conn: sqlite3.Connection) -> None:
        rows = conn.execute(
            "SELECT rid, lat, lon, department, source, categories, hours, id, quality_boost FROM docs ORDER BY rid"
        ).fetchall()
        self.size = len(rows)
        self.rid = np.fromiter((r[0] for r in rows), dtype=np.int64, count=self.size)
        self.lat = np.fromiter((r[1] for r in rows), dtype=np.float64, count=self.size)
        self.lon = np.fromiter((r[2] for r in rows), dtype=np.float64, count=self.size)
        self.quality_boost = np.fromiter((r[8] for r in rows), dtype=np.float64, count=self.size)
        max_rid = int(self.rid.max()) if self.size else 0
        self.position_of_rid = np.full(max_rid + 1, -1, dtype=np.int64)
        self.position_of_rid[self.rid] = np.arange(self.size)

        # Rank of each document's id: the last tie-break of every sort, as in the other engines.
        self.id_rank = np.empty(self.size, dtype=np.int64)
        self.id_rank[np.argsort(np.array([r[7] for r in rows], dtype=object))] = np.arange(self.size)
        self.departments, self.department = self._codes([r[3] for r in rows])
        self.sources, self.source = self._codes([r[4] for r in rows])

        # Own categories (for facets): one entry per (document, category).
        category_names: dict[str, int] = {}
        entry_doc, entry_category = [], []
        for position, row in enumerate(rows):
            for category in row[5].split():
                entry_doc.append(position)
                entry_category.append(category_names.setdefault(category, len(category_names)))
        self.facet_categories = list(category_names)
        self.entry_doc = np.array(entry_doc, dtype=np.int64)
        self.entry_category = np.array(entry_category, dtype=np.int64)

        self._load_services(conn)
        self.schedule = self._load_schedule(rows)
        # Documents whose hours are known (possibly « closed at that time »): the others are « unknown ».
        self.has_hours = np.zeros(self.size, dtype=bool)
        self.has_hours[list(self.schedule.hours)] = True

    @staticmethod
    def _codes(values: list[str]) -> tuple[list[str], np.ndarray]:
        names: dict[str, int] = {}
        codes = np.fromiter((names.setdefault(v, len(names)) for v in values), dtype=np.int32, count=len(values))
        return list(names), codes

    def _load_services(self, conn: sqlite3.Connection) -> None:
        rows = conn.execute(
            "SELECT rid, category, free, anonymous, pmr, gender, age_min, age_max, languages, minors_rule FROM svc"
        ).fetchall()
        count = len(rows)
        self.sv_doc = self.position_of_rid[np.fromiter((r[0] for r in rows), dtype=np.int64, count=count)]
        self.service_categories, sv_category = self._codes([r[1] for r in rows])
        self.sv_free = np.fromiter((_tri(r[2]) for r in rows), dtype=np.int8, count=count)
        self.sv_anonymous = np.fromiter((_tri(r[3]) for r in rows), dtype=np.int8, count=count)
        self.sv_pmr = np.fromiter((_tri(r[4]) for r in rows), dtype=np.int8, count=count)
        self.sv_gender = np.fromiter((GENDER_CODES.get(r[5], 0) for r in rows), dtype=np.int8, count=count)
        self.sv_age_min = np.fromiter((UNKNOWN if r[6] is None else r[6] for r in rows), dtype=np.int16, count=count)
        self.sv_age_max = np.fromiter((UNKNOWN if r[7] is None else r[7] for r in rows), dtype=np.int16, count=count)
        self.sv_languages = [r[8] for r in rows]
        self.sv_minors_rule = np.fromiter((bool(r[9]) for r in rows), dtype=bool, count=count)
        self._language_rows: dict[tuple[str, bool], np.ndarray] = {}
        # Rows grouped by category (CSR): rows of category c are order[offsets[c]:offsets[c + 1]].
        self._category_code = {name: code for code, name in enumerate(self.service_categories)}
        self._category_order = np.argsort(sv_category, kind="stable")
        counts = np.bincount(sv_category, minlength=len(self.service_categories))
        self._category_offsets = np.concatenate([[0], np.cumsum(counts)])

    def _load_schedule(self, rows: list[tuple]) -> Schedule:
        cache: dict[str, list[OpeningHours]] = {}
        interval_cache: dict[str, list[tuple[int, int]]] = {}
        docs, starts, ends = [], [], []
        exceptional = np.zeros(self.size, dtype=bool)
        hours_by_position: dict[int, list[OpeningHours]] = {}
        for position, row in enumerate(rows):
            raw = row[6]
            if raw is None:
                continue
            hours_list = _parse_hours(raw, cache)
            hours_by_position[position] = hours_list
            if raw not in interval_cache:
                interval_cache[raw] = [iv for hours in hours_list for iv in weekly_intervals(hours)]
            for start, end in interval_cache[raw]:
                docs.append(position)
                starts.append(start)
                ends.append(end)
            if any(h.closures or h.valid_from or h.valid_until for h in hours_list):
                exceptional[position] = True
        return Schedule(
            doc=np.array(docs, dtype=np.int64),
            start=np.array(starts, dtype=np.int32),
            end=np.array(ends, dtype=np.int32),
            exceptional=exceptional,
            hours=hours_by_position,
        )

    # -- filters ------------------------------------------------------------------------------
    def category_rows(self, categories: list[str]) -> np.ndarray:
        parts = []
        for category in categories:
            code = self._category_code.get(category)
            if code is not None:
                parts.append(self._category_order[self._category_offsets[code] : self._category_offsets[code + 1]])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def language_rows_mask(self, language: str, *, strict: bool = True) -> np.ndarray:
        """Rows known to speak `language` (French is assumed where languages are unknown); not
        `strict`: also the rows whose languages are unknown."""
        key = (language, strict)
        if key not in self._language_rows:
            wanted = f" {language} "
            self._language_rows[key] = np.fromiter(
                ((lang is not None and wanted in lang) or (lang is None and (language == "fr" or not strict)) for lang in self.sv_languages),
                dtype=bool,
                count=len(self.sv_languages),
            )
        return self._language_rows[key]

    def documents_of_rows(self, rows: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        mask[self.sv_doc[rows]] = True
        return mask

    def open_mask(self, at: datetime, candidates: np.ndarray) -> np.ndarray:
        """Documents open at `at`, among the candidate mask.

        Fast path: weekly intervals on the Paris wall clock. Closures, validity dates and public
        holidays can only take openness away, so the exact check (`opening_at`, one by one) runs only
        on documents the fast path found open and that have such rules (all of them with hours when
        today or yesterday is a public holiday, for overnight slots).
        """
        local = at.astimezone(PARIS)
        minute = local.weekday() * MINUTES_PER_DAY + local.hour * 60 + local.minute
        schedule = self.schedule
        hit = (schedule.start <= minute) & (minute < schedule.end)
        result = np.zeros(self.size, dtype=bool)
        result[schedule.doc[hit]] = True
        result &= candidates
        holiday = is_public_holiday(local.date()) or is_public_holiday(local.date() - timedelta(days=1))
        exact = result if holiday else result & schedule.exceptional
        for position in np.nonzero(exact)[0]:
            result[position] = any(opening_at(h, at).status == "open" for h in schedule.hours[int(position)])
        return result
