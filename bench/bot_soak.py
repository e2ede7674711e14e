"""Endurance of the assistant: a steady stream of conversations for ten minutes against the real servers,
with the reply latency minute by minute and the memory of each process over time (goal: both flat).

Open loop: a new conversation starts every `1 / rate` seconds whatever the replies, as people arrive;
each one sends its turns in order with a short pause, under a new sender id (trackers accumulate as
they would in a day of use). Real servers on loopback (bot/local_servers.py). Writes the `soak`
section of docs/reliability.md.

Usage: bot/.venv/bin/python bench/bot_soak.py [--minutes 10] [--rate 1.5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bot"))
sys.path.insert(0, str(REPO / "bench"))

from bot_bench import CONVERSATIONS, rss_mb  # noqa: E402
from local_servers import Server, start_action_server, start_directory_api, start_rasa_server  # noqa: E402
from report import percentile, replace_section  # noqa: E402

THINK_TIME_S = 1.0  # between two turns of one conversation
SAMPLE_EVERY_S = 30.0


@dataclass
class Soak:
    started: float
    minutes: float
    latencies: dict[int, list[float]] = field(default_factory=dict)  # minute → reply times (ms)
    errors: dict[int, int] = field(default_factory=dict)
    memory: list[tuple[float, dict[str, float]]] = field(default_factory=list)  # (seconds, MB per process)

    def minute(self) -> int:
        """The minute a message was sent in; the last conversations' tail counts in the last minute."""
        return min(int((time.perf_counter() - self.started) // 60), max(0, int(self.minutes) - 1))


async def converse(client: httpx.AsyncClient, url: str, turns: list[str], soak: Soak) -> None:
    sender = uuid.uuid4().hex
    for message in turns:
        minute, started = soak.minute(), time.perf_counter()
        try:
            response = await client.post(url, json={"sender": sender, "message": message})
            ok = response.status_code == 200 and bool(response.json())
        except httpx.HTTPError:
            ok = False
        if ok:
            soak.latencies.setdefault(minute, []).append((time.perf_counter() - started) * 1000)
        else:
            soak.errors[minute] = soak.errors.get(minute, 0) + 1
        await asyncio.sleep(THINK_TIME_S)


async def sample_memory(servers: dict[str, Server], soak: Soak, until: float) -> None:
    while time.perf_counter() < until:
        soak.memory.append((time.perf_counter() - soak.started, {n: rss_mb(s.process.pid) for n, s in servers.items()}))
        await asyncio.sleep(SAMPLE_EVERY_S)


async def run(url: str, servers: dict[str, Server], minutes: float, rate: float) -> tuple[Soak, int]:
    rng = random.Random(11)
    soak = Soak(started=time.perf_counter(), minutes=minutes)
    until = soak.started + minutes * 60
    tasks: list[asyncio.Task[None]] = []
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64)) as client:
        sampler = asyncio.create_task(sample_memory(servers, soak, until))
        next_start = soak.started
        while next_start < until:
            tasks.append(asyncio.create_task(converse(client, url, rng.choice(CONVERSATIONS), soak)))
            next_start += 1 / rate
            await asyncio.sleep(max(0.0, next_start - time.perf_counter()))
        await asyncio.gather(*tasks)
        await sampler
    soak.memory.append((time.perf_counter() - soak.started, {n: rss_mb(s.process.pid) for n, s in servers.items()}))
    return soak, len(tasks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=1.5, help="new conversations per second")
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/reliability.md alone")
    args = parser.parse_args()

    logs = Path(tempfile.mkdtemp(prefix="bot-soak-"))
    api = start_directory_api(logs / "directory.sqlite", logs)
    actions = start_action_server(api.url, logs)
    rasa = start_rasa_server(actions.url, logs)
    servers = {"rasa": rasa, "actions": actions, "api": api}
    url = rasa.url + "/webhooks/rest/webhook"
    try:
        asyncio.run(run(url, servers, 0.5, args.rate))  # warm-up, not counted
        soak, conversations = asyncio.run(run(url, servers, args.minutes, args.rate))
    finally:
        for server in servers.values():
            server.stop()

    replies = sum(len(v) for v in soak.latencies.values())
    errors = sum(soak.errors.values())
    rows = [
        f"| {m + 1} | {len(soak.latencies.get(m, []))} | {soak.errors.get(m, 0)} | "
        f"{percentile(soak.latencies[m], 50):.0f} | {percentile(soak.latencies[m], 95):.0f} |"
        for m in sorted(soak.latencies)
    ]
    first, last = soak.memory[0][1], soak.memory[-1][1]
    memory_rows = [
        f"| {seconds / 60:.1f} | {mb['rasa']:.0f} | {mb['actions']:.0f} | {mb['api']:.0f} |"
        for seconds, mb in soak.memory[:: max(1, len(soak.memory) // 6)] + [soak.memory[-1]]
    ]
    lines = [
        "### Endurance de l'assistant",
        "",
        f"`bench/bot_soak.py` : {args.minutes:g} min à débit constant, une nouvelle conversation toutes les "
        f"{1 / args.rate:.2f} s quelles que soient les réponses ({conversations} conversations, {replies + errors} messages, "
        f"environ {(replies + errors) / (args.minutes * 60):.1f} messages/s), tirées des {len(CONVERSATIONS)} conversations "
        "types de `bench/bot_bench.py` (besoin et lieu, crise, questions, politesse), chacune sous un nouvel "
        f"identifiant, {THINK_TIME_S:g} s entre deux messages. Vrais serveurs (API embarquée, actions, Rasa).",
        "",
        f"Réponses en erreur : **{errors}** sur {replies + errors}.",
        "",
        "| minute | réponses | erreurs | p50 (ms) | p95 (ms) |",
        "| ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        "Mémoire résidente (Mo) au fil de l'essai :",
        "",
        "| minute | Rasa | actions | API |",
        "| ---: | ---: | ---: | ---: |",
        *memory_rows,
        "",
        f"Croissance du début à la fin : Rasa {last['rasa'] - first['rasa']:+.0f} Mo, actions "
        f"{last['actions'] - first['actions']:+.0f} Mo, API {last['api'] - first['api']:+.0f} Mo.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        replace_section(REPO / "docs" / "reliability.md", "soak", text)


if __name__ == "__main__":
    main()
