"""Benchmark of the assistant: training time and memory, server start-up and memory, and reply latency
over the REST webhook for a realistic mix of conversations, at 1, 4 and 16 concurrent conversations.

Real servers on loopback (bot/local_servers.py): the directory API (embedded engine), the action
server and the Rasa server. Run with the bot's interpreter (`make bench-bot`). Writes the `bot` section
of docs/benchmarks.md.

Usage: bot/.venv/bin/python bench/bot_bench.py [--conversations 60] [--skip-training]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bot"))
sys.path.insert(0, str(REPO / "bench"))

from local_servers import BOT_DIR, start_action_server, start_directory_api, start_rasa_server  # noqa: E402
from report import percentile, replace_section  # noqa: E402

# Conversations as people hold them: a need and a place (in one or two messages), more results,
# facts, a crisis, small talk. Each turn is timed on its own.
CONVERSATIONS: list[list[str]] = [
    ["slt", "jcherche une douche", "vers gare du nord", "plus de résultats", "merci"],
    ["ou trouver la pilule du lendemain a st denis"],
    ["besoin de manger ce soir", "75011"],
    ["je dors dehors je cherche un lit pour ce soir", "a montreuil"],
    ["jusqu'a quand on peut avorter ?", "ivg a creteil"],
    ["j'ai envie de mourir"],
    ["un dentiste gratuit dans le 93", "plus de résultats"],
    ["bonjour", "tu sers a quoi", "toilettes paris 13"],
    ["mon copain me frappe", "je suis a bobigny"],
    ["test vih anonyme paris 18"],
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure_training() -> tuple[float, float]:
    """A full training from an empty cache: (seconds, peak memory of the training process in MB)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache")}
        started = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).with_name("rasa")), "train", "--domain", "domain", "--out", tmp, "--fixed-model-name", "bench"],
            cwd=BOT_DIR, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - started
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


async def hold(client: httpx.AsyncClient, url: str, turns: list[str], latencies: list[float]) -> None:
    sender = uuid.uuid4().hex
    for message in turns:
        started = time.perf_counter()
        response = await client.post(url, json={"sender": sender, "message": message})
        response.raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)


async def load(url: str, conversations: list[list[str]], concurrency: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    queue: asyncio.Queue[list[str]] = asyncio.Queue()
    for turns in conversations:
        queue.put_nowait(turns)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            await hold(client, url, queue.get_nowait(), latencies)

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return latencies, len(latencies) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=60)
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    rng = random.Random(7)
    mix = [rng.choice(CONVERSATIONS) for _ in range(args.conversations)]

    training = None if args.skip_training else measure_training()
    logs = Path(tempfile.mkdtemp(prefix="bot-bench-"))
    api = start_directory_api(logs / "directory.sqlite", logs)
    actions = start_action_server(api.url, logs)
    started = time.perf_counter()
    rasa = start_rasa_server(actions.url, logs)
    startup_s = time.perf_counter() - started
    url = rasa.url + "/webhooks/rest/webhook"
    try:
        asyncio.run(load(url, CONVERSATIONS, 1))  # warm-up: every path once
        rows = []
        for concurrency in (1, 4, 16):
            latencies, throughput = asyncio.run(load(url, mix, concurrency))
            rows.append((concurrency, len(latencies), percentile(latencies, 50), percentile(latencies, 95), throughput))
            print(f"{concurrency:>3} conversations: p50 {rows[-1][2]:.0f} ms, p95 {rows[-1][3]:.0f} ms, {throughput:.1f} réponses/s")
        memory = {name: rss_mb(server.process.pid) for name, server in (("rasa", rasa), ("actions", actions), ("api", api))}
    finally:
        for server in (rasa, actions, api):
            server.stop()

    lines = [
        "## Assistant (Rasa 3.6 + spaCy, REST webhook)",
        "",
        f"Measured by `make bench-bot` on this machine (2 cores), {args.conversations} conversations drawn from "
        f"{len(CONVERSATIONS)} scripted ones ({sum(map(len, mix))} messages per run): need and place, more results, "
        "facts, crisis, small talk. The directory API runs on the embedded engine with the committed data.",
        "",
        "| concurrent conversations | messages | p50 (ms) | p95 (ms) | replies/s |",
        "| --- | --- | --- | --- | --- |",
        *[f"| {c} | {n} | {p50:.0f} | {p95:.0f} | {tput:.1f} |" for c, n, p50, p95, tput in rows],
        "",
        f"- Rasa server start-up (TensorFlow + model load) until it answers: {startup_s:.0f} s.",
        f"- Memory after the run (RSS): Rasa server {memory['rasa']:.0f} MB, action server {memory['actions']:.0f} MB, "
        f"directory API {memory['api']:.0f} MB.",
    ]
    if training:
        lines.append(f"- Full training from an empty cache: {training[0]:.0f} s, peak memory {training[1]:.0f} MB.")
    replace_section(REPO / "docs" / "benchmarks.md", "bot", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
