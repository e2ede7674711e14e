"""Export files (CSV, GeoJSON): built in a process of their own, one at a time on the machine, kept for
the minute, compressed once, and streamed.

An export is megabytes (5,000 places) and about a second of CPU. Built in a server process, it held
the interpreter against that process's searches (p95 above 300 ms under 24 different exports); so it is
built by a child process (`ExportBuilder`, one per server process, with its own engine), one at a time
on the machine (a lock file the builders share), which leaves a core to the searches. Each file is
compressed once (the pages' gzip middleware would do it in the event loop, holding every search of the
process), kept for the minute it was built in (it says which places are open « au moment de
l'export »; the data only changes with a new index, and a minute is as stale as an export can get),
and sent in chunks.
"""

from __future__ import annotations

import fcntl
import gzip
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from fastapi import Request
from fastapi.responses import StreamingResponse

from directory_api.api.csv_export import write_csv
from directory_api.api.parameters import MAX_EXPORT, StructureFilters
from directory_api.api.schemas import QueryEcho, StructureItem
from directory_api.api.search_service import DirectoryService
from directory_api.licences import redistributable
from directory_api.models import Structure
from directory_api.search.backend import EngineUnavailableError
from directory_api.settings import Settings
from directory_api.taxonomy import Taxonomy

CHUNK_BYTES = 256 * 1024
MAX_FILES = 8  # per process: a few distinct exports a minute, megabytes each


@dataclass(frozen=True)
class ExportFile:
    raw: bytes
    compressed: bytes


class ExportCache:
    """The last few export files of this process, each for the minute it was built in."""

    def __init__(self) -> None:
        self._files: OrderedDict[tuple[str, ...], ExportFile] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], build: Callable[[], bytes]) -> ExportFile:
        key = (*key, str(int(time.time() // 60)))
        with self._lock:
            if key in self._files:
                self._files.move_to_end(key)
                return self._files[key]
        raw = build()
        built = ExportFile(raw=raw, compressed=gzip.compress(raw, compresslevel=5))
        with self._lock:
            self._files[key] = built
            while len(self._files) > MAX_FILES:
                self._files.popitem(last=False)
        return built


# -- the builder process -------------------------------------------------------------------------------
_child: tuple[DirectoryService, Path] | None = None  # in the builder process: its service and lock file


def _start_child(settings: Settings) -> None:
    global _child
    from directory_api.api.app import make_service  # the app module imports this one

    _child = (make_service(settings), settings.reports_path.parent / "exports.lock")


def _build_in_child(kind: str, params: StructureFilters, base_url: str) -> tuple[bytes, QueryEcho]:
    assert _child is not None, "export builder not started"
    service, lock_path = _child
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one export at a time on the machine; released on close
        rows, echo = service.export(params, MAX_EXPORT)
        rows = [(item, structure) for item, structure in rows if redistributable(structure)]
        return (geojson_bytes(rows) if kind == "geojson" else csv_bytes(rows, service.taxonomy, base_url)), echo


def geojson_bytes(rows: list[tuple[StructureItem, Structure]]) -> bytes:
    features = [
        {
            "type": "Feature",
            "id": item.id,
            "geometry": {"type": "Point", "coordinates": [item.lon, item.lat]},
            "properties": item.model_dump(mode="json", exclude={"lat", "lon"}),
        }
        for item, _ in rows
    ]
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def csv_bytes(rows: list[tuple[StructureItem, Structure]], taxonomy: Taxonomy, base_url: str) -> bytes:
    return write_csv(rows, taxonomy, base_url).encode("utf-8")


class ExportBuilder:
    """A process of one worker that builds the exports of this server process, started on the first one."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        settings.reports_path.parent.mkdir(parents=True, exist_ok=True)

    def build(self, kind: str, params: StructureFilters, base_url: str) -> tuple[bytes, QueryEcho]:
        with self._lock:
            if self._pool is None:  # spawn: a fresh interpreter, not a copy of the server's threads
                self._pool = ProcessPoolExecutor(
                    1, mp_context=get_context("spawn"), initializer=_start_child, initargs=(self.settings,)
                )
        try:
            return self._pool.submit(_build_in_child, kind, params, base_url).result()
        except BrokenProcessPool:  # the builder died (killed, out of memory): a new one next time
            with self._lock:
                self._pool = None
            raise EngineUnavailableError("export builder stopped") from None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


def _chunks(content: bytes) -> Iterator[bytes]:
    for start in range(0, len(content), CHUNK_BYTES):
        yield content[start : start + CHUNK_BYTES]


def export_response(request: Request, kind: str, params: StructureFilters, media_type: str, filename: str) -> StreamingResponse:
    """The export of this request (path and query), from the cache, gzipped when the client accepts it."""
    cache: ExportCache = request.app.state.export_cache
    builder: ExportBuilder = request.app.state.export_builder
    base_url = str(request.base_url)  # the CSV links to the site

    def build() -> bytes:
        content, echo = builder.build(kind, params, base_url)
        recorder = getattr(request.app.state, "usage", None)
        if recorder is not None:  # counted here: the builder process has no counter of its own
            recorder.record(params, echo)
        return content

    query = [f"{name}={value}" for name, value in sorted(request.query_params.multi_items())]
    file = cache.get((request.url.path, base_url, *query), build)
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Vary": "Accept-Encoding"}
    content = file.raw
    if "gzip" in request.headers.get("accept-encoding", ""):
        content = file.compressed
        headers["Content-Encoding"] = "gzip"  # the gzip middleware leaves an encoded response alone
    headers["Content-Length"] = str(len(content))
    return StreamingResponse(_chunks(content), media_type=media_type, headers=headers)
