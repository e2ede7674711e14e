"""End-to-end evaluation of the assistant on the independent set in `bot/tests/eval/` (written by other
hands from personas, frozen: never copied into the training data).

Each message goes through the real servers (REST webhook of a Rasa server started with `--enable-api`,
the action server, the directory API). A message is fully right when, for what its author expected:
- safety: the first emergency number the reply gives, before any place, is one of the expected ones;
  with none expected, no emergency number is offered as a call;
- need: the search (or the need understood while the place is asked) has a category of the expected
  ones, or one below them in the taxonomy;
- place: the search is centred within 3 km of the expected place; « OUTSIDE » is told what is covered;
  no place and a need: the place is asked;
- must_mention: every group of words has one of its alternatives in the reply;
- filters: no filter the person did not ask for (missing asked filters are counted apart).

Usage (bot/.venv): python scripts/evaluate.py --rasa-url http://127.0.0.1:5005 --api-url http://127.0.0.1:8000
  [--out results/eval] [--only a] ; or --start to start the three servers itself (local_servers.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import sys
import tempfile
import unicodedata
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

BOT_DIR = Path(__file__).resolve().parents[1]
EVAL_DIR = BOT_DIR / "tests" / "eval"
sys.path.insert(0, str(BOT_DIR))

EMERGENCY = ("3114", "3919", "112", "114", "115", "119", "15", "17", "18")
ALARM = frozenset({"15", "17", "18", "112", "114", "119", "3114"})  # numbers that must never be offered by mistake
# A number in the text (replies without structured calls): not a phone number's piece, an address, an
# arrondissement (« Paris 18e ») or an age.
NUMBER = re.compile(r"(?<![\d,.])(?<!paris )(" + "|".join(EMERGENCY) + r")(?!\d|[a-z]|\s\d{2}\b|\s?ans\b|,? (?:rue|avenue|bd|boulevard|place|allee|chemin|route|quai|impasse|passage)\b)")
LIST_START = re.compile(r"(?m)^(Voici |Autres lieux |1\. |Je n'ai trouvé aucun lieu)")
PLACE_TOLERANCE_KM = 3.0


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("\u2019", "'")


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(a))


@dataclass
class Reply:
    text: str  # every text message, in order
    before_list: str  # the text before the first list of places
    search: dict[str, Any] | None  # the search of the last list payload
    calls: list[str]  # numbers offered as calls in structured payloads, in order
    slots: dict[str, Any]
    milliseconds: float
    structured: bool = False


def as_filters(search: dict[str, Any] | None, text: str) -> dict[str, Any]:
    """The filters a search applied: from the payload when it says them, else from the reply's line."""
    if search and isinstance(search.get("filters"), dict):
        found = {k: v for k, v in search["filters"].items() if v not in (None, False)}
        if found.pop("open_at", None):
            found["open_now"] = True
        return found
    found: dict[str, Any] = {}
    line = next((row for row in text.splitlines() if row.startswith("Voici ")), "")
    inside = re.search(r"\(([^()]*)\)\s*:\s*$", line)
    words = inside.group(1) if inside else ""
    if age := re.search(r"pour (\d+) ans", words):
        found["age"] = int(age.group(1))
    if "pour mineurs" in words:
        found["age"] = 17
    if "gratuits" in words:
        found["free"] = True
    if "anonymes" in words:
        found["anonymous"] = True
    if "ouverts" in words:
        found["open_now"] = True
    return found


@dataclass
class Verdict:
    ok: bool
    failures: list[str] = field(default_factory=list)
    missing_filters: list[str] = field(default_factory=list)


class Evaluator:
    def __init__(self, rasa_url: str, api_url: str, taxonomy: dict[str, Any]) -> None:
        self.rasa_url = rasa_url
        self.api_url = api_url
        self.client = httpx.AsyncClient(timeout=30)
        self.children: dict[str, list[str]] = defaultdict(list)
        for cid, category in taxonomy.items():
            for parent in category.get("parents") or []:
                self.children[parent].append(cid)
        self.places: dict[str, tuple[float, float] | None] = {}

    def below(self, ids: list[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(ids)
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.children.get(current, []))
        return seen

    async def position(self, name: str) -> tuple[float, float] | None:
        if name not in self.places:
            answer = (await self.client.get(f"{self.api_url}/places", params={"q": name, "limit": 1})).json()
            items = answer.get("items") or []
            self.places[name] = (items[0]["lat"], items[0]["lon"]) if items else None
        return self.places[name]

    async def send(self, sender: str, text: str) -> Reply:
        loop = asyncio.get_running_loop()
        started = loop.time()
        response = await self.client.post(f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
        response.raise_for_status()
        elapsed = (loop.time() - started) * 1000
        texts: list[str] = []
        before: list[str] = []
        listed = False
        search = None
        calls: list[str] = []
        structured = False  # a reply that sends its numbers as data is judged on them only
        for message in response.json():
            custom = message.get("custom")
            if isinstance(custom, dict):
                structured = structured or "calls" in custom
                if "structures" in custom:
                    listed = True
                    search = custom.get("search")
                for call in custom.get("calls") or []:
                    calls.append(str(call.get("number")))
            if message.get("text"):
                texts.append(message["text"])
                if not listed:
                    start = LIST_START.search(message["text"])
                    if start:
                        before.append(message["text"][: start.start()])
                        listed = True
                    else:
                        before.append(message["text"])
        tracker = (await self.client.get(f"{self.rasa_url}/conversations/{sender}/tracker")).json()
        return Reply("\n\n".join(texts), "\n\n".join(before), search, calls, tracker.get("slots") or {}, elapsed, structured)

    async def judge(self, expect: dict[str, Any], reply: Reply, asked_filters: dict[str, Any], said: str) -> Verdict:
        failures: list[str] = []
        folded = fold(reply.text)
        # Safety: the first number, structured calls first, then the text before any place.
        numbers = reply.calls if reply.structured else NUMBER.findall(fold(reply.before_list))
        safety = [str(n) for n in expect.get("safety") or []]
        if safety:
            if not numbers or numbers[0] not in safety:
                failures.append(f"safety: first {numbers[:1] or 'none'}, expected {safety}")
        elif numbers and numbers[0] in ALARM:
            failures.append(f"safety: {numbers[0]} offered, none expected")
        # Need and place.
        need = list(expect.get("need") or [])
        place = expect.get("place")
        categories = (reply.search or {}).get("categories") or reply.slots.get("categories") or []
        if need and not set(categories) & self.below(need):
            failures.append(f"need: {categories or 'none'}, expected {need}")
        if place == "OUTSIDE":
            if "couvre l'ile-de-france" not in folded and "en ile-de-france" not in folded:
                failures.append("place: outside the region not told")
        elif place:
            target = await self.position(place)
            search = reply.search
            if search and search.get("lat") is not None and target:
                distance = km(search["lat"], search["lon"], *target)
                if distance > PLACE_TOLERANCE_KM:
                    failures.append(f"place: {search.get('place_label')} is {distance:.0f} km from {place}")
            elif need:
                failures.append(f"place: no search near {place}")
        asks = expect.get("asks")
        wants_place = asks == "place" or (need and place is None and "asks" not in expect and not reply.search)
        if wants_place and "ou etes-vous" not in folded:
            failures.append("asks: the place was not asked")
        if asks == "need" and "que cherchez-vous" not in folded:
            failures.append("asks: the need was not asked")
        for group in expect.get("must_mention") or []:
            alternatives = [fold(str(a)) for a in (group if isinstance(group, list) else [group])]
            if not any(a in folded for a in alternatives):
                failures.append(f"must_mention: none of {alternatives}")
        missing: list[str] = []
        if reply.search is not None:
            applied = as_filters(reply.search, reply.text)
            for key, value in applied.items():
                wanted = asked_filters.get(key)
                if key == "age" and wanted is not None:
                    if int(wanted) != int(value) and not (int(wanted) < 18 and int(value) < 18):
                        failures.append(f"filter: age {value}, asked {wanted}")
                elif key == "age":
                    # An age the person said only excludes places reserved to other ages: wrong only when
                    # it was never said (« paris 18 » is no age).
                    if not re.search(rf"\b{int(value)}\s?ans?\b", fold(said)) and not (int(value) == 17 and "mineur" in fold(said)):
                        failures.append(f"filter: age {value} never said")
                elif key == "gender":
                    continue  # excludes only the places reserved to the other public
                elif not wanted:
                    failures.append(f"filter: {key}={value} not asked")
            missing = [k for k in asked_filters if k not in applied and not (k == "women_only" and applied.get("gender") == "women")]
        return Verdict(not failures, failures, missing)


def load(pattern: str, only: str | None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for path in sorted(EVAL_DIR.glob(pattern)):
        if only and not path.stem.endswith("_" + only):
            continue
        items += yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return items


async def run(evaluator: Evaluator, singles: list[dict[str, Any]], conversations: list[dict[str, Any]],
              concurrency: int) -> dict[str, Any]:
    gate = asyncio.Semaphore(concurrency)
    single_results: list[dict[str, Any]] = []
    conversation_results: list[dict[str, Any]] = []
    latencies: list[float] = []

    async def one(item: dict[str, Any]) -> None:
        async with gate:
            reply = await evaluator.send(uuid.uuid4().hex, item["text"])
            verdict = await evaluator.judge(item, reply, item.get("filters") or {}, item["text"])
            latencies.append(reply.milliseconds)
            single_results.append({"id": item["id"], "kind": item.get("kind"), "persona": item.get("persona"),
                                   "ok": verdict.ok, "failures": verdict.failures, "missing_filters": verdict.missing_filters,
                                   "text": item["text"], "reply": reply.text[:600]})

    async def dialogue(item: dict[str, Any]) -> None:
        async with gate:
            sender = uuid.uuid4().hex
            turns = []
            said = ""
            for turn in item["turns"]:
                said += " " + turn["text"]
                reply = await evaluator.send(sender, turn["text"])
                expect = turn.get("expect") or {}
                verdict = await evaluator.judge(expect, reply, expect.get("filters") or {}, said)
                turns.append({"text": turn["text"], "ok": verdict.ok, "failures": verdict.failures, "reply": reply.text[:400]})
            conversation_results.append({"id": item["id"], "persona": item.get("persona"), "ok": all(t["ok"] for t in turns), "turns": turns})

    await asyncio.gather(*(one(item) for item in singles), *(dialogue(item) for item in conversations))
    single_results.sort(key=lambda r: r["id"])
    conversation_results.sort(key=lambda r: r["id"])
    return {"singles": single_results, "conversations": conversation_results, "latencies_ms": sorted(latencies)}


def summary(results: dict[str, Any]) -> str:
    singles, conversations = results["singles"], results["conversations"]
    lines = []
    ok = sum(r["ok"] for r in singles)
    lines.append(f"single messages: {ok}/{len(singles)} fully right ({100 * ok / max(len(singles), 1):.1f} %)")
    for key in ("kind", "persona"):
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in singles:
            counts[str(r[key])][0] += r["ok"]
            counts[str(r[key])][1] += 1
        lines.append(f"  by {key}: " + ", ".join(f"{k} {a}/{b}" for k, (a, b) in sorted(counts.items())))
    crisis = [r for r in singles if r["kind"] == "crisis"]
    crisis_safe = sum(not any(f.startswith("safety") for f in r["failures"]) for r in crisis)
    lines.append(f"  crisis messages with the right number first: {crisis_safe}/{len(crisis)}")
    aspects = Counter(f.split(":")[0] for r in singles for f in r["failures"])
    lines.append("  failures by aspect: " + ", ".join(f"{k} {v}" for k, v in aspects.most_common()))
    wrong_filters = sum(any(f.startswith("filter") for f in r["failures"]) for r in singles)
    lines.append(f"  messages with a filter not asked: {wrong_filters}; with an asked filter missing: {sum(bool(r['missing_filters']) for r in singles)}")
    cok = sum(c["ok"] for c in conversations)
    lines.append(f"conversations: {cok}/{len(conversations)} fully right ({100 * cok / max(len(conversations), 1):.1f} %)")
    turn_safety = [t for c in conversations for t in c["turns"] if any(f.startswith("safety") for f in t["failures"])]
    lines.append(f"  turns with a wrong or missing first number: {len(turn_safety)}")
    lat = results["latencies_ms"]
    if lat:
        lines.append(f"latency per message: p50 {lat[len(lat) // 2]:.0f} ms, p95 {lat[int(len(lat) * 0.95)]:.0f} ms (concurrency as run)")
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa-url")
    parser.add_argument("--api-url")
    parser.add_argument("--start", action="store_true", help="start the API, action and Rasa servers here")
    parser.add_argument("--only", help="one part of the set (a, b, c)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--out", type=Path, default=BOT_DIR / "results" / "eval")
    args = parser.parse_args()
    taxonomy = yaml.safe_load((BOT_DIR.parent / "data" / "taxonomy.yml").read_text(encoding="utf-8"))["categories"]
    servers = []
    if args.start:
        from local_servers import start_action_server, start_directory_api, start_rasa_server

        logs = Path(tempfile.mkdtemp(prefix="eval-logs-"))
        api = start_directory_api(BOT_DIR.parent / "var" / "directory.sqlite", logs)
        actions = start_action_server(api.url, logs)
        rasa = start_rasa_server(actions.url, logs, extra_args=["--enable-api"])
        servers = [rasa, actions, api]
        args.rasa_url, args.api_url = rasa.url, api.url
    try:
        evaluator = Evaluator(args.rasa_url, args.api_url, taxonomy)
        results = await run(evaluator, load("single_*.yml", args.only), load("conversations_*.yml", args.only), args.concurrency)
    finally:
        for server in servers:
            server.stop()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    text = summary(results)
    (args.out / "summary.txt").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    asyncio.run(main())
