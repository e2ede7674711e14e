"""The default tracker store (endpoints.yml, one Rasa server): conversations in this process's memory
only, redacted as in Redis (stores/redacting_redis.py: no message text, bot text or metadata) and
forgotten `record_exp` seconds after their last message.

Rasa's own InMemoryTrackerStore keeps every conversation whole, with every message typed, until the
process stops: a person's account of violence stayed readable in memory for days, and the memory grew
with every conversation (bench/bot_soak.py).
"""

from __future__ import annotations

import json
import time
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from stores.redacting_redis import redact_dialogue


class RedactingInMemoryTrackerStore(InMemoryTrackerStore):
    """`tracker_store: type: stores.redacting_memory.RedactingInMemoryTrackerStore`, `record_exp` in
    seconds (required)."""

    def __init__(
        self,
        domain: Domain,
        event_broker: EventBroker | None = None,
        record_exp: float | str | None = None,
        **kwargs: Any,
    ) -> None:
        expiry = float(record_exp) if record_exp not in (None, "") else 0.0
        if expiry <= 0:
            raise ValueError("RedactingInMemoryTrackerStore: record_exp (secondes, > 0) est obligatoire")
        super().__init__(domain, event_broker, **kwargs)
        self.expiry_s = expiry
        self.last_seen: dict[str, float] = {}  # oldest first: each save moves its conversation to the end

    def forget_expired(self) -> None:
        deadline = time.monotonic() - self.expiry_s
        for sender_id, seen in list(self.last_seen.items()):
            if seen > deadline:
                break
            del self.last_seen[sender_id]
            self.store.pop(sender_id, None)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        self.forget_expired()
        self.store[tracker.sender_id] = json.dumps(redact_dialogue(tracker.as_dialogue().as_dict()))
        self.last_seen.pop(tracker.sender_id, None)
        self.last_seen[tracker.sender_id] = time.monotonic()

    async def _retrieve(self, sender_id: str, fetch_all_sessions: bool) -> DialogueStateTracker | None:
        self.forget_expired()
        return await super()._retrieve(sender_id, fetch_all_sessions)
