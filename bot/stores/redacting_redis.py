"""A Redis tracker store that keeps no message text, for two or more Rasa servers sharing conversations
(endpoints.scale.yml, docs/deployment.md).

Rasa's RedisTrackerStore writes every event as Rasa made it: the person's messages (`text`,
`parse_data.text`, the entities' values), the bot's replies (which can quote the person: « Je ne trouve
pas « … » en Île-de-France ») and the messages' metadata. This store writes a redacted copy instead,
with what the next turn needs and nothing more:

- user messages: the intent (name and confidence) and the entity types (with role and group); no
  text, no entity value, no metadata;
- bot messages: the response's name (`utter_action`) only; no text, buttons or payload;
- the slots `need` and `place` can hold a whole message (their mappings `from_text`). When the form
  starts again (« et à Pantin ? »), Rasa validates its filled slots again (actions/forms.py), so what is
  written must validate to the same search: `place` is written as `__position__`, which the validation
  reads as « keep the resolved place » (label, coordinates, radius, department, all kept); `need` is
  kept when it is a need entity of its message (« une douche »), otherwise written as the resolved
  need's label (`need_label`, « Douches »). The context slots (age, publics, modalities, time: entity
  values) are kept: the next search needs them;
- `session_started_metadata` is emptied;
- every other event (actions, forms, slots) as is, without metadata.

The policies (MemoizationPolicy and RulePolicy, config.yml) featurise past turns by intent, entity
types, slots, form and previous action: never by text. The in-memory tracker of the turn being handled
keeps its text (the actions see it); only what is written is redacted, and each turn is handled
whole by one server under the conversation's lock (lock_store, endpoints.scale.yml).

Every key expires `record_exp` seconds after the last message (mandatory here). Only the last
conversation session is written back (Rasa's own store merges older sessions in).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

REDACTED = "[masqué]"
POSITION = "__position__"  # actions/forms.py: the place slot of a resolved position, kept as it is
ENTITY_KEYS = ("entity", "role", "group")


def redact_entities(entities: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [{**{k: e[k] for k in ENTITY_KEYS if k in e}, "value": REDACTED} for e in entities or []]


def redact_slot(event: dict[str, Any], safe_needs: set[str], need_label: str | None) -> dict[str, Any]:
    value = event.get("value")
    if value is None:
        return event
    if event.get("name") == "place":
        return {**event, "value": POSITION}
    if event.get("name") == "need" and value not in safe_needs:
        return {**event, "value": need_label or REDACTED}
    if event.get("name") == "session_started_metadata":
        return {**event, "value": None}
    return event


def redact_event(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of one serialised event (`Event.as_dict()`) without message text or metadata (slots: see
    `redact_dialogue`)."""
    kind = event.get("event")
    out = {key: value for key, value in event.items() if key != "metadata"}
    if "text" in out:
        out["text"] = None
    if "action_text" in out:  # end-to-end bot text
        out["action_text"] = None
    if kind == "user":
        parse_data = event.get("parse_data") or {}
        intent = parse_data.get("intent") or {}
        out["parse_data"] = {
            "intent": {"name": intent.get("name"), "confidence": intent.get("confidence")},
            "entities": redact_entities(parse_data.get("entities")),
            "text": None,
            "message_id": parse_data.get("message_id"),
        }
    elif kind == "bot":
        out["data"] = {}
        utter_action = (event.get("metadata") or {}).get("utter_action")
        if utter_action:
            out["metadata"] = {"utter_action": utter_action}
    elif kind == "entities":
        out["entities"] = redact_entities(event.get("entities"))
    return out


def redact_dialogue(dialogue: dict[str, Any]) -> dict[str, Any]:
    """The serialised dialogue (`Dialogue.as_dict()`), redacted event by event. A `need` value is safe
    to write when it is a need entity of a message of this dialogue, or a value already written."""
    events = dialogue.get("events") or []
    need_label = next((e.get("value") for e in reversed(events) if e.get("event") == "slot"
                       and e.get("name") == "need_label"), None)
    safe_needs: set[str] = set()
    redacted = []
    for event in events:
        if event.get("event") == "user":
            entities = (event.get("parse_data") or {}).get("entities") or []
            safe_needs |= {e.get("value") for e in entities if e.get("entity") == "need" and isinstance(e.get("value"), str)}
        if event.get("event") == "slot":
            event = redact_slot(event, safe_needs, need_label)
            if event.get("name") == "need" and isinstance(event.get("value"), str):
                safe_needs.add(event["value"])
        redacted.append(redact_event(event))
    return {**dialogue, "events": redacted}


class RedactingRedisTrackerStore(RedisTrackerStore):
    """`tracker_store: type: stores.redacting_redis.RedactingRedisTrackerStore` (endpoints.scale.yml).

    Same settings as Rasa's `type: redis` (url, port, db, password, key_prefix, use_ssl…), values read
    from environment variables accepted as text; `record_exp` (seconds) is required.
    """

    def __init__(
        self,
        domain: Domain,
        host: str = "localhost",
        port: int | str = 6379,
        db: int | str = 0,
        event_broker: EventBroker | None = None,
        record_exp: float | str | None = None,
        **kwargs: Any,
    ) -> None:
        expiry = int(float(record_exp)) if record_exp not in (None, "") else 0
        if expiry <= 0:
            raise ValueError("RedactingRedisTrackerStore: record_exp (secondes, > 0) est obligatoire")
        super().__init__(domain, host=host, port=int(port), db=int(db), event_broker=event_broker,
                         record_exp=expiry, **kwargs)

    def serialise_tracker(self, tracker: DialogueStateTracker) -> str:  # type: ignore[override]
        return json.dumps(redact_dialogue(tracker.as_dialogue().as_dict()))

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        """Writes the redacted tracker, which expires `record_exp` seconds later.

        Rasa's RedisTrackerStore merges the stored events with the new ones, comparing them whole: the
        stored ones, redacted, never equal the ones in memory, which would be written twice. Each turn
        runs under the conversation's lock on one server, from the stored tracker: the tracker in memory
        already holds every stored event of this session.
        """
        await self.stream_events(tracker)
        expiry = int(timeout or self.record_exp)
        self.red.set(self.key_prefix + tracker.sender_id, self.serialise_tracker(tracker), ex=expiry)
