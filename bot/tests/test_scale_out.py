"""The assistant on two Rasa servers sharing a Redis lock store and a redacting Redis tracker store
(endpoints.scale.yml, stores/redacting_redis.py, docs/deployment.md).

A real redis-server (Debian package, no persistence, loopback, free port) is started here, with the
directory API and the action server of conftest.py and two Rasa servers loading the trained model side by
side. The messages of one conversation alternate between the two servers; then the logs of every server
and the whole content of Redis are searched for what the person wrote."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import payload_of, realistic_tracker, text_of
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SlotSet,
    UserUttered,
)
from rasa.utils.endpoints import EndpointConfig

from local_servers import BOT_DIR, RedisServer, Server, start_rasa_server
from stores.redacting_redis import POSITION, REDACTED, RedactingRedisTrackerStore
from stores.redis_lock import KEY_EXPIRY_S, AtomicRedisLockStore

SCALE_ENDPOINTS = BOT_DIR / "endpoints.scale.yml"
TRACKER_PREFIX = "assistant:tracker:"  # key_prefix `assistant` in endpoints.scale.yml
LOCK_PREFIX = "assistant:lock:"
RECORD_EXP_S = 1800
# Two Rasa servers loading side by side on 2 cores: 100 to 190 s when the machine is quiet, more than
# 10 minutes when other heavy processes run (measured: 2 × 17 % of a core each).
PAIR_START_TIMEOUT_S = 900


# -- fixtures -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def redis_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("redis")


@pytest.fixture(scope="module")
def redis_server(redis_dir) -> Iterator[RedisServer]:
    try:
        server = RedisServer(redis_dir)
    except RuntimeError as error:
        pytest.fail(str(error))
    yield server
    server.stop()


@pytest.fixture()
def store(redis_server, domain) -> Iterator[RedactingRedisTrackerStore]:
    """The store as endpoints.scale.yml builds it (values as text, as read from the environment), on a
    database of its own, emptied after each test."""
    store = RedactingRedisTrackerStore(domain, host=redis_server.host, port=str(redis_server.port), db="5",
                                       password=redis_server.password,
                                       key_prefix="unit", record_exp=str(RECORD_EXP_S))
    yield store
    store.red.flushdb()


@pytest.fixture(scope="module")
def scale_logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("scale-logs")


@pytest.fixture(scope="module")
def rasa_pair(redis_server, action_server, scale_logs) -> Iterator[tuple[Server, Server]]:
    """Two Rasa servers with endpoints.scale.yml, started side by side (60 to 190 s each here)."""
    env = {"REDIS_HOST": redis_server.host, "REDIS_PORT": str(redis_server.port), "REDIS_PASSWORD": redis_server.password,
           "ACTION_ENDPOINT_URL": action_server.url + "/webhook"}
    servers: list[Server] = []
    try:
        for name in ("rasa-1", "rasa-2"):
            servers.append(start_rasa_server(action_server.url, scale_logs, name=name, endpoints=SCALE_ENDPOINTS,
                                             env=env, wait=False, timeout_s=PAIR_START_TIMEOUT_S))
        for server in servers:
            server.wait_ready()
    except RuntimeError as error:
        for server in servers:
            server.stop()
        pytest.fail(str(error))
    yield servers[0], servers[1]
    for server in servers:
        server.process.terminate()  # both at once: each takes a few seconds to stop
    for server in servers:
        server.stop()


# -- helpers ------------------------------------------------------------------------------------------
class AlternatingConversation:
    """One conversation (one sender id) whose messages go to the servers in turn."""

    def __init__(self, servers: tuple[Server, ...]) -> None:
        self.servers = servers
        self.sender = f"scale-{uuid.uuid4().hex[:12]}"
        self.sent = 0
        self.served_by: list[str] = []

    def say(self, message: str) -> list[dict]:
        server = self.servers[self.sent % len(self.servers)]
        self.sent += 1
        self.served_by.append(server.log.stem)
        return post(server, self.sender, message)


def post(server: Server, sender: str, message: str) -> list[dict]:
    response = httpx.post(server.url + "/webhooks/rest/webhook", json={"sender": sender, "message": message},
                          timeout=60)
    response.raise_for_status()
    return response.json()


def stored_events(redis_server: RedisServer, sender: str) -> list[dict]:
    raw = redis_server.client.get(TRACKER_PREFIX + sender)
    assert raw is not None, f"no tracker in Redis for {sender}"
    return json.loads(raw)["events"]


def redis_dump(redis_server: RedisServer) -> dict[tuple[int, str], str]:
    """Every key of every database and everything it holds, as text."""
    import redis

    databases = int(redis_server.client.config_get("databases")["databases"])
    dump: dict[tuple[int, str], str] = {}
    for db in range(databases):
        client = redis.Redis(host=redis_server.host, port=redis_server.port, db=db, password=redis_server.password, decode_responses=True)
        for key in client.scan_iter(count=1000):
            kind = client.type(key)
            if kind == "string":
                value: object = client.get(key)
            elif kind == "hash":
                value = client.hgetall(key)
            elif kind == "list":
                value = client.lrange(key, 0, -1)
            elif kind == "set":
                value = sorted(client.smembers(key))
            elif kind == "zset":
                value = client.zrange(key, 0, -1, withscores=True)
            elif kind == "stream":
                value = client.xrange(key)
            else:
                value = f"<{kind}>"
            dump[(db, key)] = json.dumps(value, ensure_ascii=False)
    return dump


# -- the store, against a real Redis ------------------------------------------------------------------
def test_should_store_no_text_but_keep_intents_entity_types_and_slots(store, redis_server, domain):
    tracker = realistic_tracker(domain, "unit-1")
    asyncio.run(store.save(tracker))

    raw = store.red.get("unit:tracker:unit-1")
    assert raw is not None
    assert "Vossperine" not in raw and "enceinte" not in raw and "montreuil chez" not in raw
    assert 0 < store.red.ttl("unit:tracker:unit-1") <= RECORD_EXP_S

    loaded = asyncio.run(store.retrieve("unit-1"))
    assert loaded is not None
    assert len(loaded.events) == len(tracker.events)
    users = [e for e in loaded.events if isinstance(e, UserUttered)]
    assert [u.intent_name for u in users] == ["search_service", "inform"]
    assert [[e["entity"] for e in u.entities] for u in users] == [["need"], ["place"]]
    assert all(u.text is None for u in users)
    bots = [e for e in loaded.events if isinstance(e, BotUttered)]
    assert [(b.text, b.data, b.metadata) for b in bots] == [(None, {}, {"utter_action": "utter_ask_place"})]
    # the resolved slots stay; the need as extracted; the place as « keep the resolved place »
    assert loaded.get_slot("categories") == ["abortion"]
    assert loaded.get_slot("place_label") == "Montreuil (93)"
    assert (loaded.get_slot("lat"), loaded.get_slot("lon"), loaded.get_slot("age")) == (48.86, 2.44, "16")
    assert loaded.get_slot("need") == "ivg" and loaded.get_slot("place") == POSITION
    assert loaded.active_loop_name == "search_form" and loaded.get_slot("requested_slot") == "place"


def test_should_write_a_need_typed_as_a_whole_message_as_its_label(store, domain):
    """The form asked « Que cherchez-vous ? »: the whole answer filled the need (mapping `from_text`)."""
    tracker = realistic_tracker(domain, "unit-5")
    tracker.update(UserUttered("un endroit pour dormir loin de Vossperine", {"name": "search_service", "confidence": 0.8},
                               [], input_channel="rest"))
    tracker.update(SlotSet("need", "un endroit pour dormir loin de Vossperine"))
    tracker.update(SlotSet("categories", ["emergency_housing"]))
    tracker.update(SlotSet("need_label", "Hébergement d'urgence"))
    asyncio.run(store.save(tracker))
    assert "Vossperine" not in store.red.get("unit:tracker:unit-5")
    loaded = asyncio.run(store.retrieve("unit-5"))
    assert loaded is not None
    assert loaded.get_slot("need") == "Hébergement d'urgence"
    assert loaded.get_slot("categories") == ["emergency_housing"]
    assert REDACTED not in {loaded.get_slot("need"), loaded.get_slot("place")}


def test_should_give_the_policies_the_same_states_without_the_text(store, domain):
    """MemoizationPolicy and RulePolicy (config.yml) predict from these states: intent, entity types,
    slots that influence the conversation, form, previous action."""
    tracker = realistic_tracker(domain, "unit-2")
    asyncio.run(store.save(tracker))
    loaded = asyncio.run(store.retrieve("unit-2"))
    assert loaded is not None
    assert loaded.past_states(domain) == tracker.past_states(domain)
    assert any("user" in state and state["user"].get("intent") == "inform" for state in loaded.past_states(domain))


def test_should_append_the_next_turn_without_duplicating_events(store, domain):
    tracker = realistic_tracker(domain, "unit-3")
    asyncio.run(store.save(tracker))
    loaded = asyncio.run(store.retrieve("unit-3"))
    assert loaded is not None
    loaded.update(ActionExecuted("action_search_services"))
    loaded.update(BotUttered("1. Centre de santé Vossperine", {"custom": {"structures": []}}))
    loaded.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(loaded))
    again = asyncio.run(store.retrieve("unit-3"))
    assert again is not None
    assert len(again.events) == len(tracker.events) + 3
    assert "Vossperine" not in store.red.get("unit:tracker:unit-3")


def test_should_forget_a_conversation_after_its_expiry(redis_server, domain):
    store = RedactingRedisTrackerStore(domain, host=redis_server.host, port=redis_server.port, db=6, record_exp=1,
                                       password=redis_server.password)
    try:
        asyncio.run(store.save(realistic_tracker(domain, "unit-4")))
        assert asyncio.run(store.retrieve("unit-4")) is not None
        time.sleep(2.2)
        assert asyncio.run(store.retrieve("unit-4")) is None
        assert store.red.dbsize() == 0
    finally:
        store.red.flushdb()


def test_should_refuse_to_keep_conversations_without_expiry(redis_server, domain):
    for missing in (None, "", 0):
        with pytest.raises(ValueError, match="record_exp"):
            RedactingRedisTrackerStore(domain, host=redis_server.host, port=redis_server.port, record_exp=missing)


# -- the lock store, against a real Redis -------------------------------------------------------------
def two_lock_stores(redis_server: RedisServer) -> list[AtomicRedisLockStore]:
    """Two servers' lock stores, built as Rasa builds them from endpoints.scale.yml."""
    config = EndpointConfig(url=redis_server.host, port=str(redis_server.port), db="7", key_prefix="race",
                            password=redis_server.password)
    return [AtomicRedisLockStore(config), AtomicRedisLockStore(config)]


def at_the_same_time(work, count: int = 2) -> None:
    start = threading.Barrier(count)

    def run(index: int) -> None:
        start.wait()
        work(index)

    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        list(pool.map(run, range(count)))


def test_should_give_each_ticket_once_when_two_servers_ask_at_the_same_moment(redis_server):
    """Rasa's own RedisLockStore, asked 2 × 200 times like this, gave out only 240 to 259 distinct
    tickets of 400 (measured three times): two messages could be handled at the same time."""
    stores = two_lock_stores(redis_server)
    tickets: list[list[int]] = [[], []]
    try:
        at_the_same_time(lambda i: tickets[i].extend(stores[i].issue_ticket("c") for _ in range(100)))
        issued = tickets[0] + tickets[1]
        assert len(issued) == len(set(issued)) == 200
        lock = stores[0].get_lock("c")
        assert lock is not None and len(lock.tickets) == 200
        assert 0 < stores[0].red.ttl(stores[0].key_prefix + "c") <= KEY_EXPIRY_S  # a lost lock goes away
        # each server finishes its own tickets: the lock is deleted once, when the last one is done
        at_the_same_time(lambda i: [stores[i].cleanup("c", t) for t in tickets[i]])
        assert stores[0].get_lock("c") is None
    finally:
        stores[0].red.flushdb()


# -- two Rasa servers ---------------------------------------------------------------------------------
def test_should_continue_a_search_on_the_other_server(rasa_pair, redis_server):
    chat = AlternatingConversation(rasa_pair)
    asked = chat.say("slt jcherche une douche stp")  # rasa-1: the need, the form asks the place
    assert "Où êtes-vous" in text_of(asked)
    answer = chat.say("je suis vers gare du nord")  # rasa-2: the place, the need comes from Redis
    payload = payload_of(answer)
    assert payload is not None, answer
    assert "shower" in payload["search"]["categories"]
    assert 48.85 < payload["search"]["lat"] < 48.91
    more = chat.say("plus de résultats")  # rasa-1: what was shown comes from Redis
    more_payload = payload_of(more)
    assert more_payload is not None, more
    assert not {s["id"] for s in more_payload["structures"]} & {s["id"] for s in payload["structures"]}
    elsewhere = chat.say("et à Pantin ?")  # rasa-2: same need, another place
    elsewhere_payload = payload_of(elsewhere)
    assert elsewhere_payload is not None, elsewhere
    assert "shower" in elsewhere_payload["search"]["categories"]
    assert elsewhere_payload["search"]["place_label"].startswith("Pantin")
    assert chat.served_by == ["rasa-1", "rasa-2", "rasa-1", "rasa-2"]
    assert sum(1 for e in stored_events(redis_server, chat.sender) if e["event"] == "user") == 4


def test_should_resume_the_form_on_the_other_server_after_a_safety_number(rasa_pair):
    chat = AlternatingConversation((rasa_pair[1], rasa_pair[0]))  # starts on rasa-2
    assert "Où êtes-vous" in text_of(chat.say("je cherche un endroit pour dormir"))
    replies = chat.say("mon copain me frappe j'ai peur")  # rasa-1, mid-form
    assert "17" in replies[0]["text"] and "3919" in replies[0]["text"]
    assert "Où êtes-vous" in text_of(replies[1:])  # the form goes on
    answer = chat.say("a st denis")  # rasa-2
    payload = payload_of(answer)
    assert payload is not None, answer
    assert payload["search"]["place_label"].startswith("Saint-Denis")


def test_should_handle_concurrent_messages_of_one_conversation_one_at_a_time(rasa_pair, redis_server):
    """Ten messages of one conversation sent at the same moment, five to each server: the lock store
    makes each server wait for the conversation's lock, so no turn overwrites another one."""
    sender = f"scale-concurrent-{uuid.uuid4().hex[:8]}"
    messages = ["bonjour", "merci", "je cherche des toilettes", "tu fais quoi", "au revoir"] * 2
    start = threading.Barrier(len(messages))

    def send(index: int) -> list[dict]:
        start.wait()
        return post(rasa_pair[index % 2], sender, messages[index])

    with concurrent.futures.ThreadPoolExecutor(len(messages)) as pool:
        replies = list(pool.map(send, range(len(messages))))
    assert all(replies), replies  # every message got an answer

    events = stored_events(redis_server, sender)
    assert sum(1 for e in events if e["event"] == "user") == len(messages)
    # turn after turn: each user message is followed by the bot's actions up to action_listen
    kinds = [e["event"] if e["event"] != "action" else e["name"] for e in events]
    turns = [kinds[i + 1:] for i, kind in enumerate(kinds) if kind == "user"]
    for turn in turns:
        nxt = turn.index("user") if "user" in turn else len(turn)
        assert "action_listen" in turn[:nxt], kinds
    assert redis_dump_locks(redis_server) == [], "a conversation lock was left in Redis"


def redis_dump_locks(redis_server: RedisServer) -> list[str]:
    return [key for (_, key) in redis_dump(redis_server) if key.startswith(LOCK_PREFIX)]


# What a person in distress could write (unique marker words: found nowhere else in the repository).
DISTRESS = [
    "bonjour",
    "mon mari Krovanek me frappe quand il boit, j'ai des bleus partout",
    "je suis enceinte de 8 semaines et je ne veux pas le garder, Quinzaroth ne doit pas savoir",
    "je veux avorter",
    "a montreuil",
    "je prends de l'heroine depuis Vellmiroux et je veux arreter",
    "ma fille Pezzatrinia a 15 ans et elle a peur de rentrer",
    "merci",
]
MARKERS = ["Krovanek", "Quinzaroth", "Vellmiroux", "Pezzatrin", "bleus partout", "heroine", "8 semaines",
           "ne veux pas le garder"]


def test_should_keep_no_trace_of_what_a_person_in_distress_wrote(rasa_pair, redis_server, redis_dir, server_logs,
                                                                  scale_logs):
    chat = AlternatingConversation(rasa_pair)
    replies = [chat.say(message) for message in DISTRESS]
    assert "17" in replies[1][0]["text"] and "3919" in replies[1][0]["text"]  # violence: the numbers first
    assert payload_of(replies[4]) is not None  # the abortion search got its place on the other server
    assert chat.served_by == ["rasa-1", "rasa-2"] * (len(DISTRESS) // 2)

    phrases = [*DISTRESS[1:3], DISTRESS[5], DISTRESS[6], *MARKERS]
    logs = sorted({*server_logs.glob("*.log"), *scale_logs.glob("*.log"), *redis_dir.glob("*")})
    assert {"rasa-1.log", "rasa-2.log", "actions.log", "directory-api.log", "redis.log"} <= {p.name for p in logs}
    hits = [(log.name, phrase) for log in logs for phrase in phrases
            if phrase.lower() in log.read_text(errors="replace").lower()]
    assert hits == []

    dump = redis_dump(redis_server)
    assert (0, TRACKER_PREFIX + chat.sender) in dump  # the tracker store is Redis, not a silent in-memory fallback
    redis_hits = [(key, phrase) for key, value in dump.items() for phrase in phrases
                  if phrase.lower() in (key[1] + value).lower()]
    assert redis_hits == []
    assert all(key.startswith(TRACKER_PREFIX) for (_, key) in dump), sorted(dump)  # no lock left, nothing else
    assert {db for db, _ in dump} == {0}
    assert 0 < redis_server.client.ttl(TRACKER_PREFIX + chat.sender) <= RECORD_EXP_S

    events = stored_events(redis_server, chat.sender)
    assert all(e.get("text") is None for e in events if e["event"] in ("user", "bot"))
    intents = [e["parse_data"]["intent"]["name"] for e in events if e["event"] == "user"]
    assert len(intents) == len(DISTRESS) and intents[0] == "greet"
    assert not list(redis_dir.glob("*.rdb")) and not list(redis_dir.glob("*.aof"))  # nothing on disk

    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    print("scale-out privacy summary:", json.dumps({  # shown by `pytest -rP`: figures for docs/reliability.md
        "messages": len(DISTRESS), "served_by": chat.served_by, "phrases_searched": len(phrases),
        "files_searched": [p.name for p in logs], "log_hits": len(hits), "redis_hits": len(redis_hits),
        "redis_keys": {f"db{db}:{key}": redis_server.client.ttl(key) if db == 0 else None for db, key in dump},
        "events": {kind: sum(1 for e in events if e["event"] == kind) for kind in {e["event"] for e in events}},
        "intents": intents, "slots_last_values": slots,
    }, ensure_ascii=False))
