"""The API under load at 100,000 structures, one kind of query at a time: wrk at 8, 32 and 64
connections for geo + category and for geo + text, with the memory of each process (the uvicorn
parent, each worker, and Elasticsearch when it is the engine).

`bench/engines_bench.py` measures a mix of both kinds; this splits them, as the reliability issue asks,
and reuses its synthetic directory, queries and wrk driver. Writes the `load` section of
docs/reliability.md.

Usage: python bench/api_load.py [--size 100000] [--duration 10] [--engines embedded elasticsearch]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from engines_bench import (  # noqa: E402
    CONNECTIONS,
    ES_PORT,
    ES_URL,
    process_rss_mb,
    process_tree,
    queries_by_kind,
    run_wrk,
    serve_api,
)
from report import replace_section  # noqa: E402
from search_bench import synthetic  # noqa: E402

from directory_api.importer import read_structures  # noqa: E402
from directory_api.search.backend import SearchBackend  # noqa: E402
from directory_api.search.elastic import ElasticsearchBackend  # noqa: E402
from directory_api.search.embedded import EmbeddedBackend  # noqa: E402

LOAD_KINDS = ("geo+category", "geo+text")


def is_resource_tracker(pid: int) -> bool:
    """multiprocessing's helper process (about 12 MB), a child of uvicorn but not a worker."""
    try:
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def elasticsearch_pid() -> int | None:
    pid_file = REPO / "var" / "elasticsearch" / f"instance-{ES_PORT}" / "elasticsearch.pid"
    return int(pid_file.read_text().strip()) if pid_file.exists() else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--engines", nargs="+", default=["embedded", "elasticsearch"], choices=["embedded", "elasticsearch"])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    real = list(read_structures(REPO / "data" / "structures"))
    queries = queries_by_kind(real, args.queries)
    rows: list[dict] = []
    es_env = {**os.environ, "ES_PORT": str(ES_PORT), "ES_HEAP": "1g"}
    if "elasticsearch" in args.engines:
        subprocess.run(["bash", str(REPO / "scripts" / "elasticsearch.sh"), "start"], check=True, env=es_env, stdout=subprocess.DEVNULL)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            for engine in args.engines:
                backend: SearchBackend
                if engine == "embedded":
                    backend = EmbeddedBackend(workdir / "load.sqlite")
                    env = {"INDEX_PATH": str(workdir / "load.sqlite")}
                else:
                    backend = ElasticsearchBackend(ES_URL, "load", timeout_s=120, retries=2)
                    env = {"SEARCH_BACKEND": "elasticsearch", "ELASTICSEARCH_URL": ES_URL, "ELASTICSEARCH_INDEX": "load"}
                backend.bulk_load(synthetic(real, args.size))
                backend.close()
                with serve_api(env) as (base, server):
                    for kind in LOAD_KINDS:
                        paths = ["/structures?" + urlencode(q, doseq=True) for q in queries[kind]]
                        run_wrk(base, paths, workdir, 16, 6)  # warm-up
                        for connections in CONNECTIONS:
                            result = run_wrk(base, paths, workdir, connections, args.duration)
                            pids = process_tree(server.pid)
                            es_pid = elasticsearch_pid() if engine == "elasticsearch" else None
                            rows.append({
                                **result, "engine": engine, "kind": kind,
                                "parent_mb": process_rss_mb(pids[0]),
                                "workers_mb": [process_rss_mb(p) for p in pids[1:] if not is_resource_tracker(p)],
                                "es_mb": process_rss_mb(es_pid) if es_pid else None,
                            })
                            print(rows[-1], flush=True)
    finally:
        if "elasticsearch" in args.engines:
            subprocess.run(["bash", str(REPO / "scripts" / "elasticsearch.sh"), "stop"], env=es_env, check=False)

    size_label = f"{args.size:,}".replace(",", "\u202f")  # French thousands separator
    lines = [
        "### L'API sous charge, par sorte de requête",
        "",
        f"`bench/api_load.py`, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC : {size_label} lieux synthétiques "
        "tirés des vrais (comme `bench/engines_bench.py`), `directory serve --workers 2`, wrk (2 fils) sur les "
        f"mêmes 2 cœurs, {args.duration} s par palier après 6 s de chauffe, {args.queries} requêtes différentes par "
        "sorte, en boucle. Mémoire résidente de chaque processus à la fin du palier : le parent uvicorn, chaque "
        "travailleur, et Elasticsearch (tas de 1 Go) quand c'est le moteur.",
        "",
        "| moteur | requêtes | connexions | requêtes/s | p50 | p95 | erreurs | parent | travailleurs | Elasticsearch |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        workers = " + ".join(f"{mb:.0f}" for mb in r["workers_mb"])
        es = f"{r['es_mb']:.0f} Mo" if r["es_mb"] else "—"
        lines.append(
            f"| {r['engine']} | {r['kind']} | {r['connections']} | {r['rps']:.0f} | {r['p50']:.1f} ms | {r['p95']:.1f} ms | "
            f"{r['errors']} | {r['parent_mb']:.0f} Mo | {workers} Mo | {es} |"
        )
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        replace_section(REPO / "docs" / "reliability.md", "load", text)


if __name__ == "__main__":
    main()
