"""Benchmark of the embedded engine: index build rate, search latency (p50/p95), throughput, memory.

Synthetic directories of 10k, 100k and 1M structures are drawn from the real ones: each synthetic
record copies a real record (categories, publics, modalities, hours, text) and moves it by a few
hundred metres, so density, category mix and vocabulary follow the real data. Queries follow a
realistic mix: geo + category, geo + free text (needs and names, some with typos), geo + category +
open now, département + category. They go through the same service layer as the API (need
detection, place, opening status, items), without HTTP.

Usage: `python bench/search_bench.py [--sizes 10000 100000 1000000] [--queries 2000]`
Writes `docs/benchmarks.md` (the embedded-engine section).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from report import percentile, replace_section  # noqa: E402

from directory_api.api.parameters import StructureSearchParams  # noqa: E402
from directory_api.api.search_service import DirectoryService  # noqa: E402
from directory_api.geography.gazetteer import Gazetteer  # noqa: E402
from directory_api.importer import read_structures  # noqa: E402
from directory_api.models import Structure  # noqa: E402
from directory_api.opening import PARIS  # noqa: E402
from directory_api.search.embedded import EmbeddedBackend  # noqa: E402
from directory_api.taxonomy import get_taxonomy  # noqa: E402

TEXT_QUERIES = [
    "douche", "avortement", "pilule du lendemain", "manger", "toilettes", "cmp", "france services",
    "avortemnt", "dépistage", "psychologue", "hébergement d'urgence", "fontaine", "contraception",
    "bains douches", "centre de santé", "addiction", "caarud", "pmi", "restaurant solidaire", "wc",
]


def synthetic(real: list[Structure], size: int, seed: int = 42) -> Iterator[Structure]:
    rng = random.Random(seed)
    for i in range(size):
        base = real[i % len(real)] if i < len(real) else rng.choice(real)
        if i < len(real):
            yield base
            continue
        yield base.model_copy(
            update={
                "id": f"{base.id}-syn{i}",
                "lat": base.lat + rng.gauss(0, 0.004),  # ~450 m
                "lon": base.lon + rng.gauss(0, 0.006),
            }
        )


def query_mix(real: list[Structure], count: int, seed: int = 7) -> list[StructureSearchParams]:
    rng = random.Random(seed)
    categories = [c for s in real for c in s.categories()]
    departments = ["75", "77", "78", "91", "92", "93", "94", "95"]
    queries = []
    for _ in range(count):
        anchor = rng.choice(real)
        lat, lon = anchor.lat + rng.gauss(0, 0.01), anchor.lon + rng.gauss(0, 0.01)
        kind = rng.random()
        if kind < 0.45:
            params = {"category": [rng.choice(categories)], "lat": lat, "lon": lon, "radius_km": rng.choice([2, 5, 10])}
        elif kind < 0.80:
            params = {"q": rng.choice(TEXT_QUERIES), "lat": lat, "lon": lon, "radius_km": rng.choice([5, 10])}
        elif kind < 0.92:
            params = {"category": [rng.choice(categories)], "lat": lat, "lon": lon, "radius_km": 10, "open_now": True}
        else:
            params = {"category": [rng.choice(categories)], "department": rng.choice(departments)}
        queries.append(StructureSearchParams(**params))
    return queries


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 1e6


def run(size: int, real: list[Structure], n_queries: int, workdir: Path) -> dict[str, float]:
    backend = EmbeddedBackend(workdir / f"bench-{size}.sqlite")
    started = time.perf_counter()
    backend.bulk_load(synthetic(real, size))  # a generator: 1M records never sit in memory at once
    build_s = time.perf_counter() - started
    backend.close()
    backend = EmbeddedBackend(workdir / f"bench-{size}.sqlite")  # a fresh reader, as the API opens it
    rss_before = current_rss_mb()
    service = DirectoryService(
        backend=backend, gazetteer=Gazetteer.load(REPO / "data" / "places"), taxonomy=get_taxonomy()
    )
    started = time.perf_counter()
    backend.warm_up()
    load_s = time.perf_counter() - started
    queries = query_mix(real, n_queries)
    for params in queries[:50]:  # warm-up: page cache, hours cache
        service.search(params)
    latencies = []
    totals = []
    started = time.perf_counter()
    for params in queries:
        t0 = time.perf_counter()
        response = service.search(params)
        latencies.append((time.perf_counter() - t0) * 1000)
        totals.append(response.total)
    elapsed = time.perf_counter() - started
    file_mb = (workdir / f"bench-{size}.sqlite").stat().st_size / 1e6
    backend.close()
    return {
        "size": size,
        "build_s": build_s,
        "build_rate": size / build_s,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "qps": len(queries) / elapsed,
        "median_total": statistics.median(totals),
        "load_s": load_s,
        "serving_rss_mb": current_rss_mb(),
        "columns_mb": current_rss_mb() - rss_before,
        "peak_rss_mb": peak_rss_mb(),
        "file_mb": file_mb,
    }


def write_report(results: list[dict[str, float]], real_count: int, n_queries: int) -> None:
    lines = [
        "## Embedded engine (SQLite FTS5 + numpy columns)",
        "",
        f"Measured {datetime.now(PARIS):%Y-%m-%d %H:%M} (Paris time) on this 2-core machine with `make bench` "
        f"(`bench/search_bench.py`), single process, one query at a time. Synthetic directories drawn from "
        f"the {real_count} real structures (each copy moved by ~450 m); {n_queries} queries per size: 45 % geo + "
        "category, 35 % geo + free text (needs and names, some with typos), 12 % geo + category + open now, "
        "8 % département + category. Latency is the service layer (need detection, engine, opening status, "
        "items), without HTTP. The build rate includes making the synthetic records (~15 % of it). "
        "*Load* is the start-up of a reader (numpy columns and weekly hours read from SQLite); *serving RSS* "
        "is the process's memory after the queries, *peak RSS* includes the build.",
        "",
        "| structures | index build | build rate | load | p50 | p95 | p99 | throughput | median hits | serving RSS | peak RSS | index file |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {int(r['size']):,} | {r['build_s']:.1f} s | {r['build_rate']:,.0f} /s | {r['load_s']:.1f} s | "
            f"{r['p50']:.1f} ms | {r['p95']:.1f} ms | {r['p99']:.1f} ms | {r['qps']:.0f} q/s | "
            f"{r['median_total']:.0f} | {r['serving_rss_mb']:.0f} MB | {r['peak_rss_mb']:.0f} MB | {r['file_mb']:.0f} MB |"
        )
    lines += ["", "Goals (directory core issue): p95 ≤ 20 ms at 100k structures; index build ≥ 20k structures/s."]
    target = REPO / "docs" / "benchmarks.md"
    target.parent.mkdir(exist_ok=True)
    replace_section(target, "embedded", "\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    real = list(read_structures(REPO / "data" / "structures"))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            result = run(size, real, args.queries, Path(tmp))
            print(result, flush=True)
            results.append(result)
    write_report(results, len(real), args.queries)


if __name__ == "__main__":
    main()
