"""Side-by-side benchmark of the two engines, in one run on the same machine.

For each size (synthetic directories drawn from the real records, as in `search_bench.py`):
- build both indexes from the same records (build rate);
- run the same queries through the service layer, per kind: geo + category, geo + text, text only
  (p50 / p95);
then, at one size, serve the API on each engine (one uvicorn process) and load it with wrk at 8, 32
and 64 connections on a mix of geo + category and geo + text requests (throughput, p50 / p95, server
memory).

Elasticsearch is the real one, started by `scripts/elasticsearch.sh` on its own port (heap 1 GB).
Writes the `engines` section of docs/benchmarks.md.

Usage: python bench/engines_bench.py [--sizes 10000 100000 1000000] [--queries 300] [--load-size 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import httpx  # noqa: E402
from report import percentile, replace_section  # noqa: E402
from search_bench import TEXT_QUERIES, synthetic  # noqa: E402

from directory_api.api.parameters import StructureSearchParams  # noqa: E402
from directory_api.api.search_service import DirectoryService  # noqa: E402
from directory_api.geography.gazetteer import Gazetteer  # noqa: E402
from directory_api.importer import read_structures  # noqa: E402
from directory_api.models import Structure  # noqa: E402
from directory_api.search.backend import SearchBackend  # noqa: E402
from directory_api.search.elastic import ElasticsearchBackend  # noqa: E402
from directory_api.search.embedded import EmbeddedBackend  # noqa: E402
from directory_api.taxonomy import get_taxonomy  # noqa: E402

ES_PORT = int(os.environ.get("BENCH_ES_PORT", "9250"))
ES_URL = f"http://127.0.0.1:{ES_PORT}"
KINDS = ("geo+category", "geo+text", "text only")
CONNECTIONS = (8, 32, 64)
WORKERS = 2  # one server process per core, as deployed


def queries_by_kind(real: list[Structure], count: int, seed: int = 11) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    categories = [c for s in real for c in s.categories()]
    result: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    for _ in range(count):
        anchor = rng.choice(real)
        lat, lon = round(anchor.lat + rng.gauss(0, 0.01), 5), round(anchor.lon + rng.gauss(0, 0.01), 5)
        result["geo+category"].append({"category": [rng.choice(categories)], "lat": lat, "lon": lon, "radius_km": rng.choice([2, 5, 10])})
        result["geo+text"].append({"q": rng.choice(TEXT_QUERIES), "lat": lat, "lon": lon, "radius_km": rng.choice([5, 10])})
        result["text only"].append({"q": rng.choice(TEXT_QUERIES)})
    return result


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def latencies(service: DirectoryService, queries: list[dict]) -> tuple[float, float]:
    for params in queries[:20]:
        service.search(StructureSearchParams(**params))  # warm-up
    values = []
    for params in queries:
        started = time.perf_counter()
        service.search(StructureSearchParams(**params))
        values.append((time.perf_counter() - started) * 1000)
    return percentile(values, 50), percentile(values, 95)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its direct children (the uvicorn workers), MB."""
    return sum(process_rss_mb(p) for p in process_tree(pid))


def process_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


WRK_SCRIPT = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH %%d %%d %%.1f %%.1f\\n", summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


def process_tree(pid: int) -> list[int]:
    """The server process and its direct children (the uvicorn workers)."""
    pids = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


@contextmanager
def serve_api(env: dict[str, str], workers: int = WORKERS) -> Iterator[tuple[str, subprocess.Popen]]:
    """The real API (`directory serve`) on a free port, until it answers /health."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "directory_api.cli", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=REPO, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_wrk(base: str, paths: list[str], workdir: Path, connections: int, duration: int) -> dict[str, float]:
    """wrk (2 threads) cycling through `paths`: requests/s, errors, p50 and p95 (ms)."""
    paths_file = workdir / "paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    script = workdir / "mix.lua"
    script.write_text(WRK_SCRIPT % paths_file)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(script), base],
        capture_output=True, text=True, check=True,
    ).stdout
    requests, errors, p50, p95 = re.search(r"BENCH (\d+) (\d+) ([\d.]+) ([\d.]+)", out).groups()
    return {"connections": connections, "rps": int(requests) / duration, "errors": int(errors), "p50": float(p50), "p95": float(p95)}


def load_test(env: dict[str, str], paths: list[str], workdir: Path, duration: int) -> list[dict[str, float]]:
    with serve_api(env) as (base, server):
        run_wrk(base, paths, workdir, 16, 6)  # warm-up
        results = []
        for connections in CONNECTIONS:
            results.append({**run_wrk(base, paths, workdir, connections, duration), "rss_mb": rss_mb(server.pid)})
            print(results[-1], flush=True)
        return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--load-size", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()

    subprocess.run(["bash", str(REPO / "scripts" / "elasticsearch.sh"), "start"], check=True,
                   env={**os.environ, "ES_PORT": str(ES_PORT), "ES_HEAP": "1g"}, stdout=subprocess.DEVNULL)
    real = list(read_structures(REPO / "data" / "structures"))
    queries = queries_by_kind(real, args.queries)
    gazetteer = Gazetteer.load(REPO / "data" / "places")
    builds: list[dict] = []
    searches: list[dict] = []
    loads: dict[str, list[dict]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            for size in args.sizes:
                engines: dict[str, SearchBackend] = {
                    "embedded": EmbeddedBackend(workdir / f"bench-{size}.sqlite"),
                    "elasticsearch": ElasticsearchBackend(ES_URL, f"bench-{size}", timeout_s=120, retries=2),
                }
                for name, backend in engines.items():
                    seconds = timed(lambda b=backend, n=size: b.bulk_load(synthetic(real, n)))
                    builds.append({"size": size, "engine": name, "seconds": seconds, "rate": size / seconds})
                    print(builds[-1], flush=True)
                    service = DirectoryService(backend=backend, gazetteer=gazetteer, taxonomy=get_taxonomy())
                    backend.warm_up()
                    for kind in KINDS:
                        p50, p95 = latencies(service, queries[kind])
                        searches.append({"size": size, "engine": name, "kind": kind, "p50": p50, "p95": p95})
                        print(searches[-1], flush=True)
                if size == args.load_size:
                    mix = [q for pair in zip(queries["geo+category"], queries["geo+text"], strict=True) for q in pair]
                    paths = ["/structures?" + urlencode(q, doseq=True) for q in mix]
                    loads["embedded"] = load_test({"INDEX_PATH": str(workdir / f"bench-{size}.sqlite")}, paths, workdir, args.duration)
                    loads["elasticsearch"] = load_test(
                        {"SEARCH_BACKEND": "elasticsearch", "ELASTICSEARCH_URL": ES_URL, "ELASTICSEARCH_INDEX": f"bench-{size}"},
                        paths, workdir, args.duration,
                    )
                es = engines["elasticsearch"]
                es.client.indices.delete(index=f"bench-{size}-*", ignore_unavailable=True)
                es.close()
                engines["embedded"].close()
                (workdir / f"bench-{size}.sqlite").unlink(missing_ok=True)
    finally:
        subprocess.run(["bash", str(REPO / "scripts" / "elasticsearch.sh"), "stop"],
                       env={**os.environ, "ES_PORT": str(ES_PORT)}, check=False)
    write_report(builds, searches, loads, len(real), args)


def write_report(builds: list[dict], searches: list[dict], loads: dict[str, list[dict]], real_count: int, args) -> None:
    lines = [
        "## Embedded engine and Elasticsearch, side by side",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC on this 2-core machine with `bench/engines_bench.py`, one run: "
        f"synthetic directories drawn from the {real_count} real structures, Elasticsearch 8.19.21 (single node, "
        f"heap 1 GB, same machine). {args.queries} queries per kind through the service layer (need detection, "
        "engine, opening status, items), one at a time.",
        "",
        "### Index build",
        "",
        "| structures | embedded | Elasticsearch | ratio (ES / embedded time) |",
        "|---:|---:|---:|---:|",
    ]
    for size in args.sizes:
        emb = next(b for b in builds if b["size"] == size and b["engine"] == "embedded")
        es = next(b for b in builds if b["size"] == size and b["engine"] == "elasticsearch")
        lines.append(
            f"| {size:,} | {emb['seconds']:.1f} s ({emb['rate']:,.0f}/s) | {es['seconds']:.1f} s ({es['rate']:,.0f}/s) | "
            f"{es['seconds'] / emb['seconds']:.1f}× |"
        )
    lines += ["", "### Search latency (p50 / p95, ms)", "",
              "| structures | kind | embedded | Elasticsearch | p95 ratio (ES / embedded) |", "|---:|---|---:|---:|---:|"]
    for size in args.sizes:
        for kind in KINDS:
            emb = next(s for s in searches if s["size"] == size and s["engine"] == "embedded" and s["kind"] == kind)
            es = next(s for s in searches if s["size"] == size and s["engine"] == "elasticsearch" and s["kind"] == kind)
            lines.append(
                f"| {size:,} | {kind} | {emb['p50']:.1f} / {emb['p95']:.1f} | {es['p50']:.1f} / {es['p95']:.1f} | "
                f"{es['p95'] / emb['p95']:.1f} |"
            )
    if loads:
        lines += ["", f"### API under load at {args.load_size:,} structures", "",
                  f"`directory serve --workers {WORKERS}` (uvicorn, one process per core) per engine; wrk (2 threads) on "
                  f"the same 2 cores, {args.duration} s per level after a 6 s warm-up, alternating geo + category and "
                  "geo + text requests. Server RSS sums the uvicorn processes (Elasticsearch's own memory is not "
                  "included: about 1.3 GB with a 1 GB heap).", "",
                  "| engine | connections | requests/s | p50 | p95 | errors | server RSS |", "|---|---:|---:|---:|---:|---:|---:|"]
        for engine, rows in loads.items():
            for r in rows:
                lines.append(
                    f"| {engine} | {r['connections']} | {r['rps']:.0f} | {r['p50']:.1f} ms | {r['p95']:.1f} ms | "
                    f"{r['errors']} | {r['rss_mb']:.0f} MB |"
                )
    lines += ["", "Goals (Elasticsearch issue): Elasticsearch p95 ≤ 30 ms at 1M structures for geo + category + text; "
              "the API ≥ 300 requests/s at 100k."]
    replace_section(REPO / "docs" / "benchmarks.md", "engines", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
