"""The overload scenario of issue 17: a one-word search while 24 GeoJSON exports (about 5 MB each) run at
once, on the real server (`directory serve`, two workers, the embedded engine).

Prints the search's p50 / p95 alone and under the exports, and how the exports were answered (200, 429),
for two cases: the 24 exports from one client, and from 24 clients (behind a trusted proxy, each with
its own X-Forwarded-For), identical (served from the minute's cache) or all different (each built). The goal (docs/reliability.md): search p95 under 200 ms during the exports.

Usage: python bench/overload_bench.py [--exports 24] [--searches 60]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import httpx  # noqa: E402
from report import percentile  # noqa: E402

from tests.servers import free_port  # noqa: E402

EXPORT = "/structures.geojson?place=paris"
SEARCH = "/structures?q=douche&place=paris%2011e"
# The searches stand for many people: they carry the directory's key, so that their own count never limits them.
TOKEN = "jeton-du-banc-d-essai-surcharge-0123456789"


def serve(index: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "directory_api.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=REPO, env={**os.environ, "INDEX_PATH": str(index), **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("le serveur n'a pas démarré")


def search_times(base: str, count: int) -> list[float]:
    times = []
    with httpx.Client(base_url=base, timeout=60, headers={"X-Directory-Token": TOKEN}) as client:
        for _ in range(count):
            started = time.perf_counter()
            client.get(SEARCH).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--exports", type=int, default=24)
    parser.add_argument("--searches", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "directory.sqlite"
        env = {"USAGE_PATH": f"{tmp}/usage.sqlite", "REPORTS_PATH": f"{tmp}/reports.sqlite",
               "FORWARDED_ALLOW_IPS": "127.0.0.1", "RATE_LIMITS_ENABLED": "true", "DIRECTORY_API_TOKEN": TOKEN}
        subprocess.run([sys.executable, "-m", "directory_api.cli", "build-index"], cwd=REPO,
                       env={**os.environ, "INDEX_PATH": str(index)}, check=True, capture_output=True)
        process, base = serve(index, env)
        try:
            search_times(base, 10)  # warm-up
            alone = search_times(base, args.searches)
            print(f"recherche seule : p50 {percentile(alone, 50):.0f} ms, p95 {percentile(alone, 95):.0f} ms")
            for clients, distinct in ((1, False), (args.exports, False), (args.exports, True)):
                loaded, statuses, sizes = under_exports(base, args, clients, distinct)
                kind = "tous différents" if distinct else "identiques"
                print(f"pendant {args.exports} exports ({kind}) de {clients} client(s) : p50 {percentile(loaded, 50):.0f} ms, "
                      f"p95 {percentile(loaded, 95):.0f} ms ; exports : statuts {dict(sorted(statuses.items()))}, "
                      f"plus gros {max(sizes) / 1e6:.1f} Mo")
        finally:
            process.terminate()
            process.wait(timeout=20)


def under_exports(
    base: str, args: argparse.Namespace, clients: int, distinct: bool
) -> tuple[list[float], Counter[int], list[int]]:
    statuses: Counter[int] = Counter()
    sizes: list[int] = []

    def export(number: int) -> None:
        headers = {"X-Forwarded-For": f"198.51.100.{number % clients + 1}"}
        with httpx.Client(base_url=base, timeout=120, headers=headers) as client:
            response = client.get(f"{EXPORT}&radius_km={20 + number if distinct else 30}")
            statuses[response.status_code] += 1
            sizes.append(len(response.content))

    threads = [threading.Thread(target=export, args=(n,)) for n in range(args.exports)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    loaded = search_times(base, args.searches)
    for thread in threads:
        thread.join()
    time.sleep(1)
    return loaded, statuses, sizes


if __name__ == "__main__":
    main()
