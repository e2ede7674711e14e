"""Two-stage fallback: ask to rephrase once, then offer the menu of needs."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

IGNORED_ACTIONS = {"action_listen", "action_extract_slots", "action_unlikely_intent", None}


def previous_action(tracker: Tracker) -> str | None:
    """The last action the bot ran before the current user message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") not in IGNORED_ACTIONS:
            return event.get("name")
    return None


class ActionRephraseOrMenu(Action):
    def name(self) -> str:
        return "action_rephrase_or_menu"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if previous_action(tracker) == self.name():
            dispatcher.utter_message(response="utter_menu")
        else:
            dispatcher.utter_message(response="utter_rephrase")
        return []
