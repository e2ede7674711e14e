"""The API behind several server processes under a mixed load: searches and reports at once.

Starts `directory serve --workers N` (embedded engine, real data, its own reports and usage files),
drives it for `--duration` seconds from `--connections` concurrent connections (httpx, asyncio), then
checks that no shared state was lost: reports stored = reports accepted (ids unique), usage counters =
searches answered, while serving and after a normal stop. Prints throughput, p50/p95 per kind,
errors, and each worker's share of the CPU time.

Usage: python bench/workers_load.py [--duration 60] [--connections 32] [--workers 2] [--report-share 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from report import percentile  # noqa: E402

from tests.test_workers import (  # noqa: E402
    SEARCHES,
    cpu_ticks,
    reports_stored,
    some_place,
    start_workers,
    stop,
    usage_total,
    wait_for_total,
    worker_pids,
)


async def drive(base: str, place: str, duration_s: float, connections: int, report_share: float, seed: int) -> dict:
    """`connections` loops, each sending one request at a time until the deadline."""
    latencies: dict[str, list[float]] = {"search": [], "report": []}
    statuses: Counter[tuple[str, int]] = Counter()
    failures: Counter[str] = Counter()
    accepted: list[int] = []
    limits = httpx.Limits(max_connections=connections, keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def loop(number: int) -> None:
            rng = random.Random(seed * 1000 + number)
            deadline = time.perf_counter() + duration_s
            sent = 0
            while time.perf_counter() < deadline:
                kind = "report" if rng.random() < report_share else "search"
                started = time.perf_counter()
                try:
                    if kind == "report":
                        body = {"kind": "other", "message": f"Charge {number}-{sent}"}
                        answer = await client.post(f"/structures/{place}/reports", json=body)
                        if answer.status_code == 201:
                            accepted.append(answer.json()["id"])
                    else:
                        answer = await client.get("/structures", params=rng.choice(SEARCHES))
                except httpx.HTTPError as exc:
                    failures[type(exc).__name__] += 1
                    continue
                finally:
                    sent += 1
                latencies[kind].append(time.perf_counter() - started)
                statuses[(kind, answer.status_code)] += 1

        started = time.perf_counter()
        await asyncio.gather(*(loop(n) for n in range(connections)))
        elapsed = time.perf_counter() - started
    return {"latencies": latencies, "statuses": statuses, "failures": failures, "accepted": accepted, "elapsed": elapsed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="secondes de charge (défaut : 60)")
    parser.add_argument("--connections", type=int, default=32, help="connexions simultanées (défaut : 32)")
    parser.add_argument("--workers", type=int, default=2, help="processus serveurs (défaut : 2)")
    parser.add_argument("--report-share", type=float, default=0.1, help="part des signalements (défaut : 0,1)")
    parser.add_argument("--index", type=Path, default=None, help="index embarqué existant (sinon construit)")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="h3_workers_load_") as folder:
        tmp = Path(folder)
        # A limit out of reach: every request comes from 127.0.0.1, and this measures the load, not the limit.
        process, base, log = start_workers(tmp, {"REPORTS_RATE_LIMIT": "100000000"}, args.workers, args.index)
        try:
            pids = worker_pids(process.pid)
            place = some_place(base)  # one search, counted
            before = {pid: cpu_ticks(pid) for pid in pids}
            run = asyncio.run(drive(base, place, args.duration, args.connections, args.report_share, args.seed))
            after = {pid: cpu_ticks(pid) for pid in pids}
            searches = 1 + run["statuses"][("search", 200)]
            counted_live = wait_for_total(tmp / "usage.sqlite", searches)
        finally:
            stop(process)
        counted_after_stop = usage_total(tmp / "usage.sqlite")
        stored = reports_stored(tmp / "reports.sqlite")
        tracebacks = log.read_text(errors="replace").count("Traceback")

    accepted = run["accepted"]
    total = sum(run["statuses"].values())
    unexpected = {f"{k} {s}": n for (k, s), n in run["statuses"].items() if (k, s) not in (("search", 200), ("report", 201))}
    spent = {pid: after[pid] - before[pid] for pid in before}
    print(f"{args.workers} processus, {args.connections} connexions, {run['elapsed']:.1f} s")
    print(f"requêtes : {total} ({total / run['elapsed']:.1f}/s) ; échecs réseau : {dict(run['failures']) or 0} ; "
          f"statuts inattendus : {unexpected or 0} ; traces d'erreur dans le journal : {tracebacks}")  # fmt: skip
    for kind, values in run["latencies"].items():
        if values:
            print(f"  {kind} : {len(values)}, p50 {percentile(values, 50) * 1000:.0f} ms, p95 {percentile(values, 95) * 1000:.0f} ms")
    print(f"part du temps CPU par processus : {', '.join(f'{t / max(1, sum(spent.values())):.0%}' for t in spent.values())}")
    reports_ok = sorted(accepted) == stored and len(set(accepted)) == len(accepted)
    usage_ok = counted_live == searches == counted_after_stop
    print(f"signalements acceptés {len(accepted)}, stockés {len(stored)}, identifiants uniques : {reports_ok}")
    print(f"recherches répondues {searches}, comptées {counted_live} en service et {counted_after_stop} après l'arrêt : {usage_ok}")
    return 0 if reports_ok and usage_ok and not unexpected and not run["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
