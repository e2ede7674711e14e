"""The real API behind two server processes (`directory serve --workers 2`): no shared state is lost.

Every client of these tests is 127.0.0.1 (the client address is the only key of the report limit: a
forwarded-for header is not trusted). Hence two starts: one with a limit too high to be met, to check
that every accepted report is stored exactly once and that the usage counters add up to exactly the
searches answered; one with a low limit, to check that it holds across both processes.

That both processes served is checked from their CPU time (/proc), without any debug header.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.servers import REPO, free_port

WORKERS = 2
THREADS = 32
SEARCHES = [
    {"q": "douche"}, {"category": "shower", "place": "Paris 18e"}, {"category": "food", "department": "93"},
    {"q": "avortement", "lat": 48.8566, "lon": 2.3522}, {"category": "health", "lat": 48.8049, "lon": 2.1204},
    {"q": "manger", "place": "Montreuil"}, {"category": ["shower", "toilets"], "department": "75"},
    {"q": "toilettes", "open_now": "true"}, {"place": "Gare du Nord"}, {"q": "pilule du lendemain", "place": "Créteil"},
]  # fmt: skip
INVALID_SEARCHES = [{"radius_km": "abc"}, {"place": "Atlantide-sur-Mer"}]  # 422: answered, but not searches


# -- the server -------------------------------------------------------------------------------------
def start_workers(
    tmp: Path, extra_env: dict[str, str] | None = None, workers: int = WORKERS, index: Path | None = None
) -> tuple[subprocess.Popen, str, Path]:
    """`directory serve --workers N` on a free port, its own index, reports and usage files in `tmp`;
    returns once every worker has started."""
    index = index or tmp / "directory.sqlite"
    env = {
        **os.environ,
        "INDEX_PATH": str(index),
        "REPORTS_PATH": str(tmp / "reports.sqlite"),
        "USAGE_PATH": str(tmp / "usage.sqlite"),
        **(extra_env or {}),
    }
    directory = [sys.executable, "-m", "directory_api.cli"]
    if not index.exists():
        subprocess.run([*directory, "build-index"], cwd=REPO, env=env, check=True, capture_output=True)
    port = free_port()
    log = tmp / f"api-{port}.log"
    process = subprocess.Popen(
        [*directory, "serve", "--port", str(port), "--workers", str(workers)],
        cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # a loaded machine: each worker loads the gazetteer and warms up
    while time.monotonic() < deadline:
        started = log.read_text(errors="replace").count("Application startup complete")
        if started >= workers and len(worker_pids(process.pid)) == workers:
            try:
                if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                    return process, base, log
            except httpx.TransportError:
                pass
        if process.poll() is not None:
            break
        time.sleep(0.3)
    stop(process)
    raise RuntimeError(f"le serveur n'a pas démarré : {log.read_text(errors='replace')}")


def stop(process: subprocess.Popen) -> None:
    """A normal stop (SIGTERM): each worker finishes its requests and writes its last counts."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def worker_pids(parent: int) -> list[int]:
    """The worker processes of uvicorn's supervisor (multiprocessing `spawn_main` children)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"spawn_main" in cmdline:
            pids.append(int(entry.name))
    return sorted(pids)


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


# -- the load ---------------------------------------------------------------------------------------
_local = threading.local()


def client() -> httpx.Client:
    """One connection per thread: 32 threads, 32 keep-alive connections spread over the workers."""
    if not hasattr(_local, "client"):
        # Idle connections dropped after 2 s, before the server's 5 s keep-alive: never a request sent on
        # a connection the server is closing (a reset, on a loaded machine).
        _local.client = httpx.Client(timeout=60, limits=httpx.Limits(keepalive_expiry=2))
    return _local.client


def run_mixed(base: str, place: str, searches: int, reports: int, invalid: int = 0, seed: int = 8) -> dict:
    """`searches` valid searches, `invalid` refused ones and `reports` reports, shuffled, from THREADS
    threads. Returns the statuses and the ids of the accepted reports."""
    rng = random.Random(seed)
    tasks: list[tuple[str, dict]] = [("search", rng.choice(SEARCHES)) for _ in range(searches)]
    tasks += [("invalid", rng.choice(INVALID_SEARCHES)) for _ in range(invalid)]
    tasks += [("report", {"kind": "other", "message": f"Signalement de charge n° {n}"}) for n in range(reports)]
    rng.shuffle(tasks)

    def send(task: tuple[str, dict]) -> tuple[str, int, int | None]:
        kind, payload = task
        if kind == "report":
            answer = client().post(f"{base}/structures/{place}/reports", json=payload)
            return kind, answer.status_code, answer.json().get("id") if answer.status_code == 201 else None
        return kind, client().get(f"{base}/structures", params=payload).status_code, None

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(send, tasks))
    return {"results": results}


def some_place(base: str) -> str:
    return httpx.get(f"{base}/structures", params={"category": "shower", "size": 1}, timeout=60).json()["items"][0]["id"]


def reports_stored(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM reports ORDER BY id")]


def usage_total(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT COALESCE(SUM(count), 0) FROM usage_counts").fetchone()[0])


def wait_for_total(path: Path, expected: int, timeout_s: float = 30) -> int:
    deadline = time.monotonic() + timeout_s
    total = usage_total(path)
    while total < expected and time.monotonic() < deadline:  # each worker writes within a second
        time.sleep(0.2)
        total = usage_total(path)
    return total


def assert_both_served(before: dict[int, int], after: dict[int, int]) -> None:
    spent = {pid: after[pid] - before[pid] for pid in before}
    total = sum(spent.values())
    assert len(spent) == WORKERS and total > 0, spent
    assert all(ticks >= 0.05 * total for ticks in spent.values()), f"un processus n'a presque rien servi : {spent}"


# -- the tests --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("workers-index") / "directory.sqlite"
    env = {**os.environ, "INDEX_PATH": str(path)}
    subprocess.run([sys.executable, "-m", "directory_api.cli", "build-index"], cwd=REPO, env=env, check=True, capture_output=True)
    return path


def test_should_lose_no_report_and_no_count_with_two_processes(tmp_path: Path, index: Path):
    process, base, log = start_workers(tmp_path, {"REPORTS_RATE_LIMIT": "100000"}, index=index)
    try:
        pids = worker_pids(process.pid)
        place = some_place(base)
        before = {pid: cpu_ticks(pid) for pid in pids}
        run = run_mixed(base, place, searches=600, reports=150, invalid=40)
        after = {pid: cpu_ticks(pid) for pid in pids}
        statuses = [(kind, status) for kind, status, _ in run["results"]]
        assert statuses.count(("search", 200)) == 600, sorted(set(statuses))
        assert statuses.count(("invalid", 422)) == 40
        accepted = [report_id for kind, status, report_id in run["results"] if kind == "report" and status == 201]
        assert len(accepted) == 150
        # Every accepted report stored exactly once, under the id it was given.
        stored = reports_stored(tmp_path / "reports.sqlite")
        assert len(set(accepted)) == len(accepted) and sorted(accepted) == stored
        # 1 + 600 searches answered (the first one found the place): counted once each, while serving…
        assert wait_for_total(tmp_path / "usage.sqlite", 601) == 601
        stats = httpx.get(f"{base}/usage", timeout=60)
        assert stats.status_code == 200  # today is not published yet (closed days only): the totals above count
        assert_both_served(before, after)
    finally:
        stop(process)
    # …and after a normal stop (each worker writes what it still holds): nothing counted twice.
    assert usage_total(tmp_path / "usage.sqlite") == 601
    assert "Traceback" not in log.read_text(errors="replace")


def test_should_hold_the_report_limit_across_both_processes(tmp_path: Path, index: Path):
    limit = 7
    process, base, log = start_workers(tmp_path, {"REPORTS_RATE_LIMIT": str(limit)}, index=index)
    try:
        pids = worker_pids(process.pid)
        place = some_place(base)
        before = {pid: cpu_ticks(pid) for pid in pids}
        # Searches too, so that the CPU time tells which process served: reports alone cost little.
        run = run_mixed(base, place, searches=300, reports=120, seed=9)
        after = {pid: cpu_ticks(pid) for pid in pids}
        reports = [status for kind, status, _ in run["results"] if kind == "report"]
        # With a count per process, up to 2 × 7 would pass.
        assert reports.count(201) == limit and reports.count(429) == 120 - limit
        assert len(reports_stored(tmp_path / "reports.sqlite")) == limit
        assert_both_served(before, after)
    finally:
        stop(process)
    assert "Traceback" not in log.read_text(errors="replace")
