"""Elasticsearch under faults, with the real servers (issue 8, « Proven under faults »).

A. A single node stopped (SIGTERM, or SIGKILL, or frozen with SIGSTOP) during a load run against
   `directory serve`, then restarted with its data (`scripts/elasticsearch.sh resume`): failed requests
   and their statuses, the longest answer while down, the downtime and the recovery time.
B. A three-node cluster on loopback, the index with one replica, the API knowing the three nodes: one
   node SIGKILLed during a load run (the elected master first, then, once it is back, another node):
   failed requests, cluster status during and after, and no document lost.

    .venv/bin/python bench/es_faults.py                 # both experiments (~6 min on 2 cores)
    .venv/bin/python bench/es_faults.py --experiment A --mode stop kill freeze

Prints a Markdown table per experiment and writes var/es-faults.json. The load generator, the servers
and Elasticsearch share the machine: latencies include that contention.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from directory_api.importer import read_structures  # noqa: E402
from directory_api.models import Structure  # noqa: E402

SCRIPT = REPO / "scripts" / "elasticsearch.sh"
ES_HOME = Path(os.environ.get("ES_HOME_DIR", REPO / "var" / "elasticsearch"))
FRENCH_503 = "momentanément indisponible"
TEXTS = ["douche", "manger", "toilettes", "eau potable", "médecin", "pharmacie", "hébergement", "laverie"]


# --- servers ---------------------------------------------------------------------------------

def es_script(command: str, **env: str) -> str:
    """Run scripts/elasticsearch.sh; its progress goes to stderr, the URL(s) it prints are returned."""
    result = subprocess.run(
        ["bash", str(SCRIPT), command], env={**os.environ, **env}, check=True, stdout=subprocess.PIPE, text=True
    )
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def es_pid(port: int) -> int:
    return int((ES_HOME / f"instance-{port}" / "elasticsearch.pid").read_text().strip())


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api_env(urls: str, index: str, timeout_s: float, replicas: int = 0) -> dict[str, str]:
    return {
        "SEARCH_BACKEND": "elasticsearch", "ELASTICSEARCH_URL": urls, "ELASTICSEARCH_INDEX": index,
        "ELASTICSEARCH_TIMEOUT_S": str(timeout_s), "ELASTICSEARCH_REPLICAS": str(replicas),
    }


def build_index(env: dict[str, str]) -> None:
    """`directory build-index` on Elasticsearch (the settings come from the environment, as deployed)."""
    subprocess.run(
        [sys.executable, "-m", "directory_api.cli", "build-index", "--backend", "elasticsearch"],
        cwd=REPO, env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL,
    )


@contextmanager
def serve_api(env: dict[str, str], workdir: Path) -> Iterator[str]:
    """`directory serve` on a free port (one process); yields its base URL, stops it at the end."""
    port = free_port()
    log = workdir / f"api-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "directory_api.cli", "serve", "--port", str(port)],
        cwd=REPO, env={**os.environ, "USAGE_ENABLED": "false", **env}, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"l'API n'a pas démarré : {log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- load ------------------------------------------------------------------------------------

@dataclass
class Sample:
    start: float  # seconds since the run began
    end: float
    status: int  # 0: no HTTP answer at all (connection error or client timeout)
    french: bool  # the body carries the French « momentarily unavailable » message

    @property
    def duration(self) -> float:
        return self.end - self.start


def query_paths(structures: list[Structure], count: int = 300, seed: int = 8) -> list[str]:
    """A mix of what people ask: geo + need, geo + words, one place's page."""
    rng = random.Random(seed)
    placed = [s for s in structures if any(service.categories for service in s.services)]
    paths = []
    for i in range(count):
        s = rng.choice(placed)
        lat, lon = round(s.lat + rng.uniform(-0.01, 0.01), 5), round(s.lon + rng.uniform(-0.01, 0.01), 5)
        if i % 3 == 0:
            category = rng.choice([c for service in s.services for c in service.categories])
            paths.append("/structures?" + urlencode({"category": category, "lat": lat, "lon": lon, "radius_km": 5}))
        elif i % 3 == 1:
            paths.append("/structures?" + urlencode({"q": rng.choice(TEXTS), "lat": lat, "lon": lon}))
        else:
            paths.append(f"/structures/{quote(s.id, safe='')}")
    return paths


class LoadRun:
    """`concurrency` clients, each sending the next request as soon as the previous one is answered, or
    0.1 s after a failure (hammering instant 503s would only steal the CPU of the restarting engine)."""

    def __init__(self, base: str, paths: list[str], concurrency: int = 4, client_timeout_s: float = 30.0) -> None:
        self.base, self.paths, self.concurrency, self.client_timeout_s = base, paths, concurrency, client_timeout_s
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.t0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.t0

    def _client(self, worker: int) -> None:
        with httpx.Client(base_url=self.base, timeout=self.client_timeout_s) as client:
            i = worker * 7919
            while not self._stop.is_set():
                path = self.paths[i % len(self.paths)]
                i += 1
                start = self.now()
                try:
                    response = client.get(path)
                    status, french = response.status_code, FRENCH_503 in response.text
                except httpx.HTTPError:
                    status, french = 0, False
                with self._lock:
                    self.samples.append(Sample(start, self.now(), status, french))
                if status != 200:
                    self._stop.wait(0.1)

    def __enter__(self) -> LoadRun:
        self.t0 = time.monotonic()
        self._threads = [threading.Thread(target=self._client, args=(w,), daemon=True) for w in range(self.concurrency)]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.client_timeout_s + 5)
        self.samples.sort(key=lambda s: s.start)


def warm_up(base: str, paths: list[str], concurrency: int, seconds: float = 5.0) -> None:
    """A few seconds of the same load, not counted: the first searches of a fresh server are slow."""
    with LoadRun(base, paths, concurrency):
        time.sleep(seconds)


def percentile_ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def failures(samples: list[Sample]) -> dict[str, int]:
    return {str(k): v for k, v in sorted(Counter(s.status for s in samples if s.status != 200).items())}


# --- A: the single node stopped and restarted under load --------------------------------------

@dataclass
class RestartResult:
    mode: str
    timeout_s: float
    retries: int
    requests: int
    failed: int
    statuses: dict[str, int]
    all_503_french: bool
    max_answer_while_down_s: float
    es_down_s: float  # from the fault to Elasticsearch healthy again
    error_window_s: float  # from the first failed answer to the last one
    first_200_after_healthy_s: float | None
    last_error_after_healthy_s: float  # 0: no failed answer once Elasticsearch was healthy
    p50_before_ms: float
    p95_before_ms: float
    p95_after_ms: float
    documents_before: int
    documents_after: int
    slowest_while_down: list[dict[str, float]] = field(default_factory=list)  # start from the fault, duration, status


def fault_single(mode: str, port: int) -> None:
    if mode == "stop":
        es_script("stop", ES_PORT=str(port))
    elif mode == "kill":
        os.kill(es_pid(port), signal.SIGKILL)
    else:  # freeze: the process stays, its sockets accept but nothing answers
        os.kill(es_pid(port), signal.SIGSTOP)


def heal_single(mode: str, port: int, heap: str) -> None:
    if mode == "freeze":
        os.kill(es_pid(port), signal.SIGCONT)
        url = f"http://127.0.0.1:{port}/_cluster/health"
        while httpx.get(url, timeout=5).json().get("status") not in ("green", "yellow"):
            time.sleep(0.2)
    else:
        es_script("resume", ES_PORT=str(port), ES_HEAP=heap)


def es_count(urls: str, index: str) -> int:
    for url in urls.split(","):
        try:
            return int(httpx.get(f"{url}/{index}/_count", timeout=10).json()["count"])
        except (httpx.HTTPError, KeyError):
            continue
    raise RuntimeError("aucun nœud ne répond")


def restart_under_load(
    base: str, es_port: int, index: str, paths: list[str], *, mode: str, heap: str, timeout_s: float, retries: int,
    concurrency: int, before_s: float, down_s: float, after_s: float, warm_up_s: float = 5.0,
) -> tuple[RestartResult, list[Sample]]:
    url = f"http://127.0.0.1:{es_port}"
    documents_before = es_count(url, index)
    warm_up(base, paths, concurrency, warm_up_s)
    with LoadRun(base, paths, concurrency) as load:
        time.sleep(before_s)
        t_fault = load.now()
        fault_single(mode, es_port)
        time.sleep(down_s)
        heal_single(mode, es_port, heap)
        t_healthy = load.now()
        time.sleep(after_s)
    samples = load.samples
    documents_after = es_count(url, index)

    before = [s.duration for s in samples if s.end < t_fault and s.status == 200]
    after = [s for s in samples if s.start >= t_healthy]
    failed = [s for s in samples if s.status != 200]
    while_down = [s for s in samples if s.end > t_fault and s.start < t_healthy]
    first_200 = next((s.end for s in after if s.status == 200), None)
    # Answers started before « healthy » may still fail after it: any failed answer ending later counts.
    last_error = max((s.end for s in failed if s.end > t_healthy), default=t_healthy)
    result = RestartResult(
        mode=mode, timeout_s=timeout_s, retries=retries, requests=len(samples), failed=len(failed),
        statuses=failures(samples), all_503_french=all(s.french for s in failed if s.status == 503),
        max_answer_while_down_s=round(max((s.duration for s in while_down), default=0.0), 3),
        es_down_s=round(t_healthy - t_fault, 1),
        error_window_s=round(failed[-1].end - failed[0].start, 1) if failed else 0.0,
        first_200_after_healthy_s=None if first_200 is None else round(first_200 - t_healthy, 2),
        last_error_after_healthy_s=round(last_error - t_healthy, 2),
        p50_before_ms=percentile_ms(before, 0.5), p95_before_ms=percentile_ms(before, 0.95),
        p95_after_ms=percentile_ms([s.duration for s in after if s.status == 200], 0.95),
        documents_before=documents_before, documents_after=documents_after,
        slowest_while_down=[
            {"start": round(s.start - t_fault, 2), "duration": round(s.duration, 3), "status": s.status}
            for s in sorted(while_down, key=lambda s: -s.duration)[:5]
        ],
    )
    return result, samples


def experiment_a(args: argparse.Namespace, paths: list[str], workdir: Path) -> list[RestartResult]:
    port, index = args.es_port, "faults-a"
    url = es_script("start", ES_PORT=str(port), ES_HEAP=args.heap)
    results = []
    try:
        env = api_env(url, index, args.timeout)
        build_index(env)
        with serve_api({**env, "ELASTICSEARCH_RETRIES": str(args.retries)}, workdir) as base:
            for mode in args.mode:
                print(f"A — {mode} : charge, panne, relance…", file=sys.stderr)
                result, _ = restart_under_load(
                    base, port, index, paths, mode=mode, heap=args.heap, timeout_s=args.timeout, retries=args.retries,
                    concurrency=args.concurrency, before_s=args.before, down_s=args.down, after_s=args.after,
                )
                results.append(result)
    finally:
        es_script("stop", ES_PORT=str(port))
    return results


# --- B: a three-node cluster, one node killed under load --------------------------------------

@dataclass
class HealthPoll:
    at: float
    status: str  # green / yellow / red, or « sans maître » / « sans réponse »
    nodes: int


@dataclass
class KillResult:
    killed: str
    was_master: bool
    held_primary: bool
    requests: int
    failed: int
    statuses: dict[str, int]
    max_answer_s: float
    p95_before_ms: float
    p95_after_kill_ms: float
    statuses_during: list[str]
    no_master_s: float  # how long the health polls found no elected master
    green_again_s: float | None  # from the kill to green (the lost copies rebuilt on the other nodes)
    served: int
    documents_before: int
    documents_after: int
    sample_ids_found: str
    health_polls: list[HealthPoll] = field(repr=False, default_factory=list)


class HealthPoller:
    """Polls the cluster health on the given nodes every half second (a node that is down is skipped)."""

    def __init__(self, urls: list[str], clock: LoadRun) -> None:
        self.urls, self.clock = urls, clock
        self.polls: list[HealthPoll] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            status, nodes = "sans réponse", 0
            for url in self.urls:
                try:
                    response = httpx.get(f"{url}/_cluster/health", params={"master_timeout": "1s"}, timeout=3)
                except httpx.HTTPError:
                    continue
                if response.status_code == 503:
                    status = "sans maître"
                    break
                body = response.json()
                status, nodes = body["status"], body["number_of_nodes"]
                break
            self.polls.append(HealthPoll(round(self.clock.now(), 2), status, nodes))
            self._stop.wait(0.5)

    def __enter__(self) -> HealthPoller:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def master_port(urls: list[str]) -> int:
    for url in urls:
        try:
            name = httpx.get(f"{url}/_cat/master", params={"format": "json"}, timeout=5).json()[0]["node"]
            return int(name.removeprefix("node-"))
        except (httpx.HTTPError, KeyError, IndexError, ValueError):
            continue
    raise RuntimeError("pas de maître élu")


def primary_port(urls: list[str], index: str) -> int:
    """The node holding the primary copy of the index's shard (killing it promotes the replica)."""
    for url in urls:
        try:
            shards = httpx.get(f"{url}/_cat/shards/{index}", params={"format": "json"}, timeout=5).json()
            return int(next(s["node"] for s in shards if s["prirep"] == "p").removeprefix("node-"))
        except (httpx.HTTPError, StopIteration, ValueError):
            continue
    raise RuntimeError("copie primaire introuvable")


def wait_green(urls: list[str], timeout_s: float) -> float | None:
    """Seconds until the cluster is green, or None after `timeout_s`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        for url in urls:
            try:
                if httpx.get(f"{url}/_cluster/health", params={"master_timeout": "1s"}, timeout=3).json().get("status") == "green":
                    return time.monotonic() - started
                break
            except (httpx.HTTPError, ValueError):
                continue
        time.sleep(0.5)
    return None


def ids_found(urls: list[str], index: str, ids: list[str]) -> int:
    for url in urls:
        try:
            docs = httpx.post(f"{url}/{index}/_mget", json={"ids": ids}, params={"_source": "false"}, timeout=10).json()["docs"]
            return sum(1 for doc in docs if doc.get("found"))
        except (httpx.HTTPError, KeyError):
            continue
    raise RuntimeError("aucun nœud ne répond")


def kill_under_load(
    base: str, ports: list[int], index: str, paths: list[str], served: int, sample_ids: list[str], *,
    target: str, concurrency: int, before_s: float, after_s: float, green_timeout_s: float,
) -> KillResult:
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    master = master_port(urls)
    primary = primary_port(urls, index)
    victim = {"master": master, "primary": primary}.get(target) or next(p for p in ports if p not in (master, primary))
    survivors = [u for u, p in zip(urls, ports, strict=True) if p != victim]
    documents_before = es_count(",".join(urls), index)
    warm_up(base, paths, concurrency)
    with LoadRun(base, paths, concurrency) as load, HealthPoller(survivors, load) as poller:
        time.sleep(before_s)
        t_kill = load.now()
        os.kill(es_pid(victim), signal.SIGKILL)
        time.sleep(after_s)
    green_after = wait_green(survivors, green_timeout_s)
    samples = load.samples
    failed = [s for s in samples if s.status != 200]
    during = [p for p in poller.polls if p.at >= t_kill]
    seen: list[str] = []
    for p in during:
        label = f"{p.status} ({p.nodes} nœuds)" if p.nodes else p.status
        if not seen or seen[-1] != label:
            seen.append(label)
    headless = [p.at for p in during if p.status in ("sans maître", "sans réponse")]
    no_master = headless[-1] - headless[0] + 0.5 if headless else 0.0
    return KillResult(
        killed=f"node-{victim}", was_master=victim == master, held_primary=victim == primary, requests=len(samples), failed=len(failed),
        statuses=failures(samples), max_answer_s=round(max(s.duration for s in samples), 3),
        p95_before_ms=percentile_ms([s.duration for s in samples if s.end < t_kill], 0.95),
        p95_after_kill_ms=percentile_ms([s.duration for s in samples if s.start >= t_kill], 0.95),
        statuses_during=seen, no_master_s=round(no_master, 1),
        green_again_s=None if green_after is None else round(load.now() - t_kill, 1),
        served=served, documents_before=documents_before, documents_after=es_count(",".join(survivors), index),
        sample_ids_found=f"{ids_found(survivors, index, sample_ids)}/{len(sample_ids)}",
        health_polls=poller.polls,
    )


def experiment_b(args: argparse.Namespace, structures: list[Structure], paths: list[str], workdir: Path) -> list[KillResult]:
    ports = [args.cluster_port + i for i in range(3)]
    cluster_env = {
        "ES_CLUSTER_PORTS": ",".join(map(str, ports)),
        "ES_CLUSTER_TRANSPORT_PORTS": ",".join(str(p + 100) for p in ports),
        "ES_HEAP": args.cluster_heap,
    }
    index = "faults-b"
    results = []
    try:
        urls = es_script("cluster-start", **cluster_env)
        env = api_env(urls, index, args.timeout, replicas=1)
        build_index(env)
        if wait_green(urls.split(","), 120) is None:
            raise RuntimeError("l'index n'est pas vert (réplique non allouée)")
        rng = random.Random(3)
        sample_ids = [s.id for s in rng.sample(structures, 500)]
        with serve_api({**env, "ELASTICSEARCH_RETRIES": str(args.retries)}, workdir) as base:
            for n, target in enumerate(args.kill):
                if n:  # bring the previous victim back with its data, and wait for both copies again
                    print("B — relance du nœud tué (données gardées)…", file=sys.stderr)
                    es_script("cluster-start", ES_KEEP_DATA="1", **cluster_env)
                    if wait_green(urls.split(","), args.green_timeout) is None:
                        raise RuntimeError("la grappe n'est pas redevenue verte")
                print(f"B — charge, SIGKILL ({target})…", file=sys.stderr)
                results.append(kill_under_load(
                    base, ports, index, paths, len(structures), sample_ids, target=target,
                    concurrency=args.concurrency, before_s=args.before, after_s=args.after,
                    green_timeout_s=args.green_timeout,
                ))
    finally:
        es_script("cluster-stop", **cluster_env)
    return results


# --- report ----------------------------------------------------------------------------------

def markdown_a(results: list[RestartResult]) -> str:
    lines = [
        "| panne | requêtes | échouées (statuts) | 503 en français | plus longue réponse pendant la panne | "
        "ES absent | 1er 200 après ES sain | dernière erreur après ES sain | p95 avant / après | documents avant / après |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {"stop": "arrêt (SIGTERM) + relance", "kill": "SIGKILL + relance", "freeze": "gel (SIGSTOP / SIGCONT)"}
    for r in results:
        statuses = ", ".join(f"{k} : {v}" for k, v in r.statuses.items()) or "—"
        lines.append(
            f"| {labels[r.mode]} | {r.requests} | {r.failed} ({statuses}) | {'oui' if r.all_503_french else 'NON'} | "
            f"{r.max_answer_while_down_s:.2f} s (délai {r.timeout_s:g} s, {r.retries} nouvel essai) | {r.es_down_s:.1f} s | "
            f"{r.first_200_after_healthy_s} s | {r.last_error_after_healthy_s} s | "
            f"{r.p95_before_ms:.0f} / {r.p95_after_ms:.0f} ms | {r.documents_before} / {r.documents_after} |"
        )
    return "\n".join(lines)


def markdown_b(results: list[KillResult]) -> str:
    lines = [
        "| nœud tué | requêtes | échouées | plus longue réponse | p95 avant / après | état de la grappe après le SIGKILL | "
        "sans maître | vert de nouveau | lieux servis | documents avant / après | échantillon retrouvé |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        green = f"{r.green_again_s:.0f} s" if r.green_again_s is not None else "non"
        roles = ", ".join(role for role, yes in (("maître", r.was_master), ("copie primaire", r.held_primary)) if yes)
        lines.append(
            f"| {r.killed}{f' ({roles})' if roles else ''} | {r.requests} | {r.failed} | {r.max_answer_s:.2f} s | "
            f"{r.p95_before_ms:.0f} / {r.p95_after_kill_ms:.0f} ms | {' → '.join(r.statuses_during)} | "
            f"{r.no_master_s:.1f} s | {green} | {r.served} | {r.documents_before} / {r.documents_after} | {r.sample_ids_found} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", nargs="+", choices=["A", "B"], default=["A", "B"])
    parser.add_argument("--mode", nargs="+", choices=["stop", "kill", "freeze"], default=["stop"], help="A : pannes à tenter")
    parser.add_argument(
        "--kill", nargs="+", choices=["master", "primary", "other"], default=["master", "primary"],
        help="B : nœuds à tuer, dans l'ordre (le maître élu, celui qui a la copie primaire, un autre)",
    )
    parser.add_argument("--es-port", type=int, default=9291, help="A : port HTTP du nœud seul")
    parser.add_argument("--cluster-port", type=int, default=9281, help="B : premier des trois ports HTTP (transport : +100)")
    parser.add_argument("--heap", default="512m", help="A : tas du nœud seul")
    parser.add_argument("--cluster-heap", default="384m", help="B : tas de chaque nœud")
    parser.add_argument("--timeout", type=float, default=2.0, help="ELASTICSEARCH_TIMEOUT_S de l'API")
    parser.add_argument("--retries", type=int, default=1, help="ELASTICSEARCH_RETRIES de l'API")
    parser.add_argument("--concurrency", type=int, default=4, help="clients simultanés")
    parser.add_argument("--before", type=float, default=10, help="secondes de charge avant la panne")
    parser.add_argument("--down", type=float, default=10, help="A : secondes de panne avant la relance")
    parser.add_argument("--after", type=float, default=15, help="secondes de charge après la relance (A) ou le SIGKILL (B)")
    parser.add_argument("--green-timeout", type=float, default=180, help="B : attente maximale du retour au vert")
    parser.add_argument("--out", type=Path, default=REPO / "var" / "es-faults.json")
    args = parser.parse_args()

    structures = list(read_structures(REPO / "data" / "structures"))
    paths = query_paths(structures)
    report: dict[str, object] = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "args": {
        k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}}
    with tempfile.TemporaryDirectory(prefix="es-faults-") as tmp:
        if "A" in args.experiment:
            a = experiment_a(args, paths, Path(tmp))
            report["A"] = [asdict(r) for r in a]
            print("\n### A. Elasticsearch arrêté sous charge\n\n" + markdown_a(a))
        if "B" in args.experiment:
            b = experiment_b(args, structures, paths, Path(tmp))
            report["B"] = [asdict(r) for r in b]
            print("\n### B. Grappe de trois nœuds\n\n" + markdown_b(b))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nécrit : {args.out}", file=sys.stderr)
    if "B" in report:
        ok = all(r["failed"] == 0 and r["documents_after"] == r["served"] for r in report["B"])  # type: ignore[index, union-attr]
        print("B : " + ("aucune requête perdue, aucun document perdu" if ok else "ÉCHEC"), file=sys.stderr)


if __name__ == "__main__":
    main()
