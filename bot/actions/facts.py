"""Short, reviewed answers, one YAML file per fact in `bot/facts/`, with the source: sexual health, and the
Région's programmes when a person names them (`names`: patterns on the folded message).

A fact asked during a search on another topic answers in that topic: « je peux y aller sans mes parents ? »
while looking for contraception is about contraception, not IVG (`TOPIC_OF_SEARCH`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.context import fold, fold_words, is_question, undo_question_conditions
from actions.helplines import calls_payload
from actions.lexicon import understood_from_lexicon
from actions.orientation import SEXUAL_HEALTH

FACTS_DIR = Path(__file__).resolve().parent.parent / "facts"
PROGRAMME_INTENT = "faq_region_programme"
NAMED_INTENTS = frozenset({PROGRAMME_INTENT, "faq_named"})  # chosen by the `names` of the fact files
IVG_FACTS = frozenset({"faq_ivg_limit", "faq_ivg_free", "faq_ivg_minor"})
# The searched categories that turn an IVG question into a contraception one.
CONTRACEPTION = frozenset({"contraception", "emergency_contraception", "sti_prevention_testing", "sexual_health"})


@lru_cache(maxsize=1)
def load_facts() -> dict[str, dict[str, Any]]:
    """Facts by intent, and programme facts by topic."""
    facts = {}
    for path in sorted(FACTS_DIR.glob("*.yml")):
        fact = yaml.safe_load(path.read_text(encoding="utf-8"))
        facts[fact.get("topic") or fact["intent"]] = fact
    return facts


def named_fact(intent: str, text: str) -> dict[str, Any] | None:
    folded = fold_words(text)
    for fact in load_facts().values():
        if fact["intent"] == intent and any(re.search(p, folded) for p in fact.get("names", [])):
            return fact
    return None


def fact_for(intent: str, tracker: Tracker) -> dict[str, Any] | None:
    if intent in NAMED_INTENTS:
        return named_fact(intent, tracker.latest_message.get("text") or "")
    searched = set(tracker.get_slot("categories") or [])
    if intent in IVG_FACTS and searched & CONTRACEPTION and "abortion" not in searched:
        intent = "faq_free_contraception"  # minors, secrecy and cost of contraception
    return load_facts().get(intent)


# A question about a condition of access (parents, secrecy, cost) asked after a search: the fact of that topic.
CONDITION_QUESTION = re.compile(r"\b(parents?|daron\w*|mineure?s?|secret|confidentiel\w*|gratuit\w*|payer|payant|prix|coute\w*|cout|tarifs?|anonyme\w*|ordonnance)\b")
TOPIC_FACTS = (("abortion", "faq_ivg_minor"), ("emergency_contraception", "faq_emergency_contraception"))


def topic_fact(tracker: Tracker) -> dict[str, Any] | None:
    """The reviewed fact that answers a condition question in the topic of the current search."""
    searched = set(tracker.get_slot("categories") or [])
    text = fold(tracker.latest_message.get("text") or "")
    if not searched or not CONDITION_QUESTION.search(text):
        return None
    for category, intent in TOPIC_FACTS:
        if category in searched:
            return load_facts().get(intent)
    return load_facts().get("faq_free_contraception") if searched & CONTRACEPTION else None


def conditions_of_the_search(tracker: Tracker) -> str | None:
    """« c gratuit ? » during a search outside sexual health (a computer course, a lawyer): no reviewed fact
    answers it, and a contraception fact would mislead; say what the directory knows and what to do."""
    searched = set(tracker.get_slot("categories") or [])
    text = fold(tracker.latest_message.get("text") or "")
    if not searched or searched & SEXUAL_HEALTH or not CONDITION_QUESTION.search(text):
        return None
    need = tracker.get_slot("need_label") or "ce que vous cherchez"
    return (
        f"Pour « {need} », chaque lieu de la liste dit ce que l'annuaire sait : « Gratuit », ou rien quand la "
        "source ne le précise pas. Dans ce cas, appelez le lieu avant d'y aller : il vous dira le prix et les "
        "conditions. Dites « plus de résultats » pour d'autres lieux."
    )


def fact_text(fact: dict[str, Any]) -> str:
    source = fact["source"]
    return f"{fact['answer']}\n\nSource : {source['title']} ({source['url']})"


class ActionAnswerFact(Action):
    def name(self) -> str:
        return "action_answer_fact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        undo = undo_question_conditions(tracker)
        if intent not in NAMED_INTENTS and (conditions := conditions_of_the_search(tracker)):
            dispatcher.utter_message(text=conditions)
            return undo
        fact = fact_for(intent, tracker)
        if fact is None:
            dispatcher.utter_message(response="utter_sexuality_line")
            return undo
        search, with_place = await named_search(tracker) if intent != PROGRAMME_INTENT else ([], False)
        confidence = float((tracker.latest_message.get("intent") or {}).get("confidence") or 0.0)
        text = tracker.latest_message.get("text") or ""
        if search and with_place and (confidence < FACT_BESIDE_SEARCH_MIN or not asks_something(text)):
            # « ivg nanterre » is a search the classifier read as a question; an unsure guess (an IVG fact for
            # « un psy à Saint-Quentin, c'est possible sans payer ? ») would mislead: only the places.
            return search
        dispatcher.utter_message(text=fact_text(fact))
        if fact.get("calls"):
            dispatcher.utter_message(json_message=calls_payload(fact["calls"]))
        if search:
            return search  # the answer, then the places (or the place question) the message also asked for
        dispatcher.utter_message(response="utter_offer_search_sexual_health" if intent not in NAMED_INTENTS else "utter_offer_search")
        return undo


FACT_BESIDE_SEARCH_MIN = 0.7  # below, the classifier's fact guess is not said beside the search a message asks
NOT_A_PLACE = frozenset({"france", "en france", "la france", "fr"})
QUESTION_WORDS = re.compile(r"\b(combien|cb|cbien|quand|jusqu\w*|comment|cmt|pourquoi|pk|quoi|quel\w*|est ce|faut il|peut on|on peut|je peux|jpeux|jpeu)\b")


def asks_something(text: str) -> bool:
    return is_question(text) or bool(QUESTION_WORDS.search(fold_words(text)))


async def named_search(tracker: Tracker) -> tuple[list[EventType], bool]:
    """The search a message read as a fact question also asks, outside a running search: a need and a place;
    or a need said, not asked about."""
    text = (tracker.latest_message.get("text") or "").strip()
    if tracker.active_loop.get("name") or not text or text.startswith("/"):
        return [], False
    found = await understood_from_lexicon(text)
    # The classifier's entities count too (a place outside the region is then told so), but « en France »
    # in a question about the law is no place to search.
    named = {e.get("entity") for e in tracker.latest_message.get("entities") or []
             if fold(str(e.get("value") or "")) not in NOT_A_PLACE}
    slots = {event["name"] for event in found}
    needs = "need" in slots or "need" in named
    if needs and ("place" in slots or "place" in named):
        return [*found, FollowupAction("search_form")], True
    if needs and not asks_something(text):
        # « jai besoin de la pilule du lendemain jai 15 ans » says a need: after the answer, the form asks
        # the place, rather than « dites-moi où vous êtes » and a next message read as anything.
        return [*found, FollowupAction("search_form")], False
    return [], False
