"""When the classifier is unsure: the taxonomy and the gazetteer read the whole message first (a need
and a place found there start the search: « jsui enceinte jveu pa le garder » is a need even when DIET's
confidence is under the fallback threshold); otherwise ask to rephrase once, then offer the menu."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.context import undo_question_conditions
from actions.facts import conditions_of_the_search, fact_text, topic_fact
from actions.lexicon import understood_from_lexicon

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
        text = (tracker.latest_message.get("text") or "").strip()
        fact = topic_fact(tracker) if text and not text.startswith("/") else None
        if fact is not None:
            dispatcher.utter_message(text=fact_text(fact))
            return undo_question_conditions(tracker)
        if text and (conditions := conditions_of_the_search(tracker)):
            dispatcher.utter_message(text=conditions)
            return undo_question_conditions(tracker)
        if text and not text.startswith("/") and not tracker.active_loop.get("name"):
            found = await understood_from_lexicon(text)
            if found:
                return [*found, FollowupAction("search_form")]
        if previous_action(tracker) == self.name():
            dispatcher.utter_message(response="utter_menu")
        else:
            dispatcher.utter_message(response="utter_rephrase")
        return []
