"""The default tracker store (endpoints.yml): in memory, redacted, forgotten after `record_exp` seconds.
The conversations of test_conversation.py and test_hostile_messages.py run through it on the real
Rasa server (local_servers.py starts Rasa with endpoints.yml)."""

from __future__ import annotations

import asyncio
import time

import pytest
import yaml
from conftest import realistic_tracker
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.utils.endpoints import read_endpoint_config

from local_servers import BOT_DIR
from stores.redacting_memory import RedactingInMemoryTrackerStore
from stores.redacting_redis import POSITION


def test_should_keep_no_text_in_memory_but_what_the_next_turn_needs(domain):
    store = RedactingInMemoryTrackerStore(domain, record_exp=60)
    tracker = realistic_tracker(domain, "memory-1")
    asyncio.run(store.save(tracker))

    raw = store.store["memory-1"]
    assert "Vossperine" not in raw and "enceinte" not in raw and "montreuil chez" not in raw
    loaded = asyncio.run(store.retrieve("memory-1"))
    assert loaded is not None
    assert loaded.past_states(domain) == tracker.past_states(domain)
    assert [u.intent_name for u in loaded.events if isinstance(u, UserUttered)] == ["search_service", "inform"]
    assert loaded.get_slot("categories") == ["abortion"] and loaded.get_slot("place") == POSITION
    assert loaded.active_loop_name == "search_form"


def test_should_append_the_next_turn_without_duplicating_events(domain):
    store = RedactingInMemoryTrackerStore(domain, record_exp=60)
    tracker = realistic_tracker(domain, "memory-2")
    asyncio.run(store.save(tracker))
    loaded = asyncio.run(store.retrieve("memory-2"))
    assert loaded is not None
    loaded.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(loaded))
    again = asyncio.run(store.retrieve("memory-2"))
    assert again is not None and len(again.events) == len(tracker.events) + 1


def test_should_forget_conversations_silent_for_longer_than_the_expiry(domain):
    store = RedactingInMemoryTrackerStore(domain, record_exp=0.5)
    asyncio.run(store.save(realistic_tracker(domain, "old")))
    time.sleep(0.3)
    asyncio.run(store.save(realistic_tracker(domain, "recent")))
    time.sleep(0.3)
    # « old » is 0.6 s silent: gone on the next access, even by another conversation; « recent » stays.
    assert asyncio.run(store.retrieve("recent")) is not None
    assert set(store.store) == {"recent"}
    assert asyncio.run(store.retrieve("old")) is None
    time.sleep(0.6)
    assert asyncio.run(store.retrieve("recent")) is None
    assert store.store == {} and store.last_seen == {}


def test_should_refuse_to_keep_conversations_without_expiry(domain):
    for missing in (None, "", 0):
        with pytest.raises(ValueError, match="record_exp"):
            RedactingInMemoryTrackerStore(domain, record_exp=missing)


@pytest.mark.parametrize("endpoints", ["endpoints.yml", "endpoints.compose.yml"])
def test_should_be_the_store_rasa_builds_from_the_default_endpoints(domain, endpoints):
    config = read_endpoint_config(str(BOT_DIR / endpoints), "tracker_store")
    store = TrackerStore.create(config, domain)
    assert isinstance(store, RedactingInMemoryTrackerStore)
    assert store.expiry_s == yaml.safe_load((BOT_DIR / endpoints).read_text())["tracker_store"]["record_exp"] == 1800
