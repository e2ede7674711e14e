"""Usage counters (issue 8): how many searches, for which need, in which département, at which hour.

Only aggregated, non-identifying counters are kept. One search adds 1 to one cell keyed by
(need category, département, hour):

- need: the `category` filter(s), else the needs recognised in the text (a taxonomy id, never the
  text itself), else « aucune »; more than three needs at once count as « plusieurs »;
- département: the `department` filter, else the one of the `place` asked for, else the one of the
  commune whose centre is nearest to the search position, else « inconnu »;
- hour: the hour of the search in Paris time, truncated (« 2026-11-26T07 »).

Never stored: the text typed, the place typed, coordinates, address, user agent, ids of any kind.

Counting must never slow down nor break a search: the search only adds 1 to a small in-memory tally
(a dict under a lock); a background thread per process writes the tally to SQLite once a second (one
UPSERT transaction per batch, WAL mode, several server processes allowed). A failed write keeps the tally
for the next attempt and logs the error's type only. A process killed outright loses at most the
tally of its last second; a normal stop writes it.

Reading: `GET /usage` gives, for days that are over (yesterday and before, Paris time), one cell per
need, département and day: the hours are added up first, and a cell under 5 searches is then shown as
« < 5 » without its number. No row or column totals are given: with them, subtracting the shown cells
would reveal the hidden ones. What it guarantees (docs/reliability.md): a person who pads a cell with
their own searches learns at best, the next day, that some other search of that need happened in that
département that day — never the hour, nor anything while it happens.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from directory_api.api.parameters import FIRST_DAY, LAST_DAY, StructureFilters
from directory_api.api.schemas import ErrorResponse, QueryEcho
from directory_api.geography.communes import CommuneIndex, in_idf_bbox
from directory_api.geography.distance import haversine_km

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
NO_CATEGORY = "aucune"
SEVERAL_CATEGORIES = "plusieurs"
MAX_KEY_CATEGORIES = 3  # beyond, the combination itself could be rare enough to single someone out
UNKNOWN_DEPARTMENT = "inconnu"
SUPPRESS_BELOW = 5
SUPPRESSED_LABEL = "< 5"
MAX_RANGE_DAYS = 31
# The writer writes at most once a second: waking it on every search cost a SQLite transaction per
# search (8 ms of a 11 ms search, measured) and cut the API's throughput under load by two thirds.
FLUSH_EVERY_S = 1.0


# -- keys ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class UsageKey:
    category: str
    department: str
    hour: str


def hour_key(moment: datetime) -> str:
    """« 2026-11-26T07 »: the hour in Paris time (a naive moment is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(PARIS).strftime("%Y-%m-%dT%H")


def category_key(categories: Iterable[str]) -> str:
    chosen = sorted(set(categories))
    if not chosen:
        return NO_CATEGORY
    if len(chosen) > MAX_KEY_CATEGORIES:
        return SEVERAL_CATEGORIES
    return "+".join(chosen)


class DepartmentLocator:
    """The département of a position: that of the commune (or Paris arrondissement) whose centre is
    nearest. Coarse near borders, which is all an hourly statistic needs; outside the region's box,
    « inconnu »."""

    def __init__(self, communes: CommuneIndex) -> None:
        kept = [
            c
            for c in communes.communes
            if c.kind in ("commune", "arrondissement_municipal") and c.insee_code != "75056"
        ]
        self._lat = np.array([c.lat for c in kept])
        self._lon = np.array([c.lon for c in kept])
        self._departments = [c.department for c in kept]

    @classmethod
    def load(cls, places_dir: Path) -> DepartmentLocator:
        return cls(CommuneIndex.from_jsonl(places_dir / "communes.jsonl"))

    def department(self, lat: float, lon: float) -> str | None:
        if not self._departments or not in_idf_bbox(lat, lon):
            return None
        return self._departments[int(np.argmin(haversine_km(lat, lon, self._lat, self._lon)))]


def usage_key(params: StructureFilters, echo: QueryEcho, locator: DepartmentLocator | None, now: datetime) -> UsageKey:
    """The cell of one search. Reads only the filters and what the service understood of them."""
    department = echo.department or (echo.place.department if echo.place else None)
    if department is None and echo.lat is not None and echo.lon is not None and locator is not None:
        department = locator.department(echo.lat, echo.lon)
    return UsageKey(
        category=category_key(params.category or echo.text_categories),
        department=department or UNKNOWN_DEPARTMENT,
        hour=hour_key(now),
    )


# -- storage ---------------------------------------------------------------------------------------
class UsageStore:
    """The counters in a SQLite file, shared by every server process (WAL; one connection per call)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.chmod(0o600)  # SQLite gives its -wal and -shm files the same mode
        with closing(self._connect()) as conn:
            conn.execute("PRAGMA journal_mode=WAL")  # readers never block the writers of other processes
            conn.execute(
                "CREATE TABLE IF NOT EXISTS usage_counts ("
                " category TEXT NOT NULL, department TEXT NOT NULL, hour TEXT NOT NULL,"
                " count INTEGER NOT NULL, PRIMARY KEY (hour, category, department)) WITHOUT ROWID"
            )

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; a power cut may lose the last batch
        return conn

    def add(self, counts: Mapping[UsageKey, int]) -> None:
        """Adds every count in one transaction: all or nothing."""
        if not counts:
            return
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT INTO usage_counts (category, department, hour, count) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (hour, category, department) DO UPDATE SET count = count + excluded.count",
                    [(k.category, k.department, k.hour, n) for k, n in counts.items()],
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def cells(self, first_hour: str, end_hour: str) -> list[tuple[UsageKey, int]]:
        """Cells with first_hour <= hour < end_hour (the keys sort as text), in hour order."""
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT category, department, hour, count FROM usage_counts WHERE hour >= ? AND hour < ?"
                " ORDER BY hour, category, department",
                (first_hour, end_hour),
            ).fetchall()
        return [(UsageKey(category, department, hour), count) for category, department, hour, count in rows]

    def day_cells(self, first_day: date, last_day: date) -> list[tuple[str, str, str, int]]:
        """(category, département, day, count) summed over the hours of each day, in day order."""
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT category, department, substr(hour, 1, 10) AS day, SUM(count) FROM usage_counts"
                " WHERE hour >= ? AND hour < ? GROUP BY day, category, department ORDER BY day, category, department",
                (f"{first_day.isoformat()}T00", f"{(last_day + timedelta(days=1)).isoformat()}T00"),
            ).fetchall()
        return [(category, department, day, int(count)) for category, department, day, count in rows]

    def total(self) -> int:
        with closing(self._connect()) as conn:
            return int(conn.execute("SELECT COALESCE(SUM(count), 0) FROM usage_counts").fetchone()[0])


class UsageRecorder:
    """Counts the searches of one server process: `record` is called by the search service."""

    def __init__(
        self, store: UsageStore, locator: DepartmentLocator | None, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.store, self.locator = store, locator
        self._clock = clock or (lambda: datetime.now(PARIS))
        self._pending: Counter[UsageKey] = Counter()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._writer: threading.Thread | None = None

    def start(self) -> None:
        self._writer = threading.Thread(target=self._run, name="usage-writer", daemon=True)
        self._writer.start()

    def record(self, params: StructureFilters, echo: QueryEcho) -> None:
        """Adds 1 to the search's cell, in memory. Never raises: a search is never refused for this."""
        try:
            key = usage_key(params, echo, self.locator, self._clock())
            with self._lock:
                self._pending[key] += 1
        except Exception as exc:  # noqa: BLE001 (anything: the search must still be answered)
            logger.warning("compteur d'usage non incrémenté (%s)", type(exc).__name__)

    def flush(self) -> bool:
        """Writes the tally; on failure puts it back for the next attempt. True when written."""
        with self._lock:
            batch, self._pending = self._pending, Counter()
        if not batch:
            return True
        try:
            self.store.add(batch)
            return True
        except Exception as exc:  # noqa: BLE001
            with self._lock:
                self._pending.update(batch)
            # The type only: the message could name the file, never a person, but stay terse.
            logger.warning("compteurs d'usage non écrits, nouvel essai plus tard (%s)", type(exc).__name__)
            return False

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(FLUSH_EVERY_S)
            self._wake.clear()
            if not self.flush():
                self._stop.wait(FLUSH_EVERY_S)  # the file is busy or broken: do not spin

    def close(self) -> None:
        """Stops the writer and writes what is left (on a normal server stop)."""
        self._stop.set()
        self._wake.set()
        if self._writer is not None:
            self._writer.join(timeout=15)
        self.flush()


def make_recorder(path: Path, places_dir: Path) -> UsageRecorder | None:
    """The recorder of this process, or None (logged) when its file cannot be opened: the API then
    serves without counting rather than not at all."""
    try:
        store = UsageStore(path)
    except (sqlite3.Error, OSError) as exc:
        logger.warning("compteurs d'usage désactivés : fichier inutilisable (%s)", type(exc).__name__)
        return None
    try:
        locator: DepartmentLocator | None = DepartmentLocator.load(places_dir)
    except (OSError, ValueError) as exc:
        logger.warning("département des positions inconnu pour les compteurs (%s)", type(exc).__name__)
        locator = None
    recorder = UsageRecorder(store, locator)
    recorder.start()
    return recorder


# -- reading: GET /usage ---------------------------------------------------------------------------
router = APIRouter(tags=["statistiques d'usage"])


class UsageCell(BaseModel):
    category: str = Field(
        description="Besoin cherché : identifiant de catégorie (voir `/categories`), plusieurs reliés par "
        "« + » ; « aucune » sans besoin précisé ; « plusieurs » au-delà de trois besoins à la fois."
    )
    department: str = Field(description="Département d'Île-de-France (« 75 »…), ou « inconnu ».")
    day: date = Field(description="Jour (heure de Paris), toujours terminé.")
    count: int | None = Field(description="Nombre de recherches ; `null` quand il est inférieur à 5 (masqué).")
    count_label: str = Field(description="Le nombre en texte, ou « < 5 » quand il est masqué.")


class UsageStats(BaseModel):
    since: date = Field(description="Premier jour compté (heure de Paris).")
    until: date = Field(description="Dernier jour compté (inclus).")
    threshold: int = Field(description="Seuil de masquage : une case en dessous n'est pas chiffrée.")
    cells: list[UsageCell] = Field(description="Une case par besoin, département et jour ayant eu des recherches.")
    hidden_cells: int = Field(description="Nombre de cases masquées (« < 5 »).")
    note: str = Field(description="Ce que ces compteurs contiennent, et ce qu'ils ne contiennent pas.")


NOTE = (
    "Compteurs agrégés : une recherche ajoute 1 à la case (besoin, département, heure) ; seules les "
    "journées terminées sont publiées, par jour. Aucun texte tapé, aucune position, adresse IP, navigateur "
    "ni identifiant n'est conservé. Une case de moins de 5 recherches dans la journée est affichée « < 5 », "
    "et aucun total n'est donné, pour que rien ne désigne une personne."
)


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", field), "msg": message, "ctx": {"error": message}}]
    )


@router.get(
    "/usage",
    response_model=UsageStats,
    responses={
        404: {"model": ErrorResponse, "description": "Compteurs désactivés (réglage `USAGE_ENABLED`)."},
        422: {"model": ErrorResponse, "description": "Dates invalides (champ et raison)."},
    },
    summary="Statistiques d'usage agrégées",
)
def usage_stats(
    request: Request,
    since: Annotated[
        date | None, Query(description="Premier jour (AAAA-MM-JJ, heure de Paris) ; par défaut 6 jours avant `until`.")
    ] = None,
    until: Annotated[
        date | None, Query(description="Dernier jour inclus (AAAA-MM-JJ), au plus tard hier ; par défaut hier.")
    ] = None,
) -> UsageStats:
    """Nombre de recherches par besoin, département et jour, sur au plus 31 jours terminés.

    Seuls des compteurs agrégés existent : ni texte de recherche, ni position, ni adresse IP, ni
    navigateur, ni identifiant. Seules les journées terminées sont publiées (jusqu'à hier), par jour :
    on ne peut pas suivre les recherches pendant qu'elles ont lieu. Une case de moins de 5 recherches
    dans la journée est masquée (« < 5 ») et aucun total n'est donné (il permettrait de retrouver les
    cases masquées par soustraction)."""
    recorder: UsageRecorder | None = getattr(request.app.state, "usage", None)
    if recorder is None:
        raise HTTPException(status_code=404, detail="Statistiques d'usage désactivées sur ce serveur.")
    for name, value in (("since", since), ("until", until)):
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            raise _invalid(name, f"date hors de la plage permise (années {FIRST_DAY.year} à {LAST_DAY.year})")
    yesterday = datetime.now(PARIS).date() - timedelta(days=1)
    if until is not None and until > yesterday:
        raise _invalid("until", "seules les journées terminées sont publiées : au plus tard hier")
    until = until or yesterday
    since = since or until - timedelta(days=6)
    if since > until:
        raise _invalid("since", "since doit précéder until (ou lui être égale)")
    if (until - since).days >= MAX_RANGE_DAYS:
        raise _invalid("since", f"au plus {MAX_RANGE_DAYS} jours à la fois")
    cells = [
        UsageCell(
            category=category,
            department=department,
            day=date.fromisoformat(day),
            count=count if count >= SUPPRESS_BELOW else None,
            count_label=str(count) if count >= SUPPRESS_BELOW else SUPPRESSED_LABEL,
        )
        for category, department, day, count in recorder.store.day_cells(since, until)
    ]
    return UsageStats(
        since=since,
        until=until,
        threshold=SUPPRESS_BELOW,
        cells=cells,
        hidden_cells=sum(cell.count is None for cell in cells),
        note=NOTE,
    )
