"""Short, reviewed answers on sexual health, one YAML file per fact in `bot/facts/`, with the source."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

FACTS_DIR = Path(__file__).resolve().parent.parent / "facts"


@lru_cache(maxsize=1)
def load_facts() -> dict[str, dict[str, Any]]:
    facts = {}
    for path in sorted(FACTS_DIR.glob("*.yml")):
        fact = yaml.safe_load(path.read_text(encoding="utf-8"))
        facts[fact["intent"]] = fact
    return facts


def fact_text(fact: dict[str, Any]) -> str:
    source = fact["source"]
    return f"{fact['answer']}\n\nSource : {source['title']} ({source['url']})"


class ActionAnswerFact(Action):
    def name(self) -> str:
        return "action_answer_fact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        fact = load_facts().get(intent or "")
        if fact is None:
            dispatcher.utter_message(response="utter_sexuality_line")
            return []
        dispatcher.utter_message(text=fact_text(fact))
        dispatcher.utter_message(response="utter_offer_search_sexual_health")
        return []
