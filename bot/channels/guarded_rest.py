"""The REST channel, with one guard: a message that starts with « / » only skips understanding when it
is a well-formed command of our own (the buttons' payloads, the web page's shared position) and holds
no crisis phrase.

Rasa reads any text starting with « / » as an intent given directly, and then the NLU pipeline, and the
safety net in it, never see it: « /inform{ mon copain me frappe » got the menu instead of the 17 and
the 3919 (found by bot/tests/test_hostile_messages.py). Such a message is passed on without its
slashes, as text, so that it is understood like any other.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from rasa.core.channels.rest import RestInput
from sanic.request import Request

from channels import log_privacy  # noqa: F401 — imported for its effect: no conversation id in the logs
from components.safety_net import crisis_in

DOMAIN_DIR = Path(__file__).resolve().parent.parent / "domain"
COMMAND = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.DOTALL)


def domain_intents() -> frozenset[str]:
    intents: set[str] = set()
    for path in DOMAIN_DIR.glob("*.yml"):
        for intent in yaml.safe_load(path.read_text(encoding="utf-8")).get("intents", []) or []:
            intents.add(intent if isinstance(intent, str) else next(iter(intent)))
    return frozenset(intents)


# Rasa's own `restart` too: the chat page's « Effacer » and « Quitter rapidement » forget the conversation.
INTENTS = domain_intents() | {"restart"}


def is_own_command(text: str) -> bool:
    """`/intent` or `/intent{json object of simple values}`, for an intent of our domain."""
    found = COMMAND.match(text)
    if not found or found["intent"] not in INTENTS:
        return False
    if found["entities"] is None:
        return True
    try:
        entities: Any = json.loads(found["entities"])
    except ValueError:
        return False
    return isinstance(entities, dict) and all(isinstance(v, str | int | float) for v in entities.values())


def guard(text: str | None) -> str | None:
    if not text or not text.startswith("/"):
        return text
    if is_own_command(text) and crisis_in(text) is None:
        return text
    return text.lstrip("/ ")  # understood as what it says, like any other message


class GuardedRestInput(RestInput):
    """Same URL as Rasa's REST channel: POST /webhooks/rest/webhook."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def _extract_message(self, req: Request) -> str | None:
        return guard(super()._extract_message(req))
