"""Validation of the search form: the need becomes taxonomy ids, the place a position, through the
directory API (`/categories/match` and `/places`), so the bot and the search share one vocabulary."""

from __future__ import annotations

import json
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.context import (
    fold_words,
    is_question,
    previous_value,
    said_in_conversation,
    set_this_turn,
    stated_age,
    undo_question_conditions,
)
from actions.crisis import say_crisis, unanswered_crisis
from actions.directory_client import DirectoryClient, DirectoryUnavailableError, PlaceCandidate
from actions.helplines import calls_payload
from actions.orientation import OUTSIDE_REGION, PARTNER_VIOLENCE, safety_calls, safety_lines
from actions.search import UNAVAILABLE
from actions.situations import ANIMAL_NEEDS, animal_is_context, mentions_animal

RESOLVE_MIN = 0.8  # the gazetteer's own confidence bar for taking the best candidate
POSITION = "__position__"  # the place slot when the person shared GPS coordinates
GPS_RADIUS_KM = 1.0
# A generous box around Île-de-France: coordinates outside it are not ours to serve.
REGION_BOX = (48.0, 49.3, 1.3, 3.7)  # lat min, lat max, lon min, lon max


def slot_text(value: Any) -> str:
    """A slot value as text (a list slot joins its values)."""
    return (" ".join(map(str, value)) if isinstance(value, list) else str(value or "")).strip()


def in_region(lat: float, lon: float) -> bool:
    lat_min, lat_max, lon_min, lon_max = REGION_BOX
    return lat_min <= lat <= lat_max and lon_min <= lon <= lon_max


def place_slots(candidate: PlaceCandidate) -> dict[str, Any]:
    return {
        "place_label": candidate.label.split(" — ")[0],
        "lat": candidate.lat,
        "lon": candidate.lon,
        "radius_km": candidate.radius_km,
        "department": candidate.department,
        "results_shown": None,
    }


# « paris 10 », « paris 13e »: the arrondissement number sometimes falls outside the extracted entity.
ARRONDISSEMENT_AFTER = re.compile(r"\s*(\d{1,2})\s*(?:e|er|eme|ème|è|ieme|ième)?\b", re.IGNORECASE)


def repaired_place(text: str, tracker: Tracker) -> str:
    """The place as typed, with an arrondissement number that follows « Paris » in the message."""
    if text.lower() != "paris":
        return text
    message = tracker.latest_message.get("text") or ""
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "place" and str(entity.get("value", "")).lower() == "paris" and "end" in entity:
            following = ARRONDISSEMENT_AFTER.match(message, entity["end"])
            if following and 1 <= int(following.group(1)) <= 20:
                return f"Paris {following.group(1)}"
    return text


def only_details(text: str, tracker: Tracker) -> bool:
    """The whole message was taken as the slot (free text) but it only gave other details
    (« j'ai 16 ans », « c'est pour ce soir »): not a place or a need to look up."""
    message = tracker.latest_message
    entities = {e.get("entity") for e in message.get("entities", [])}
    return text == (message.get("text") or "").strip() and bool(entities) and not entities & {"place", "need"}


def longer_name(span: str, whole: PlaceCandidate, best: PlaceCandidate) -> bool:
    """The whole message's place names more than the span's and holds it (« Villeneuve-Saint-Georges » over
    « Saint-Georges »)."""
    name = fold_place(whole.label.split(" — ")[0])
    return whole.label != best.label and fold_place(span) in name and len(name) > len(fold_place(best.label.split(" — ")[0]))


def fold_place(text: str) -> str:
    return fold_words(text).strip()


# Words that introduce a place (« jsuis a noisy le grand », « vers gare du nord »): a name found in a long
# message without one is more often a common word (« ma mère » is not Méré).
PLACE_CUE = r"(?:^|\b(?:a|au|aux|sur|vers|pres de|pres d|dans|de|du|d|en|at|cote de|cote)\s+)"


PLACE_CONNECTORS = frozenset("a au aux d de des du en et l la le les sous sur".split())


def place_name(candidate: PlaceCandidate) -> str:
    return candidate.label.split(" (")[0]  # « Noisy-le-Grand (93) » → « Noisy-le-Grand »


def introduced_place(message: str, candidate: PlaceCandidate) -> bool:
    """A name of several words counts anywhere (« colis bebe saint ouen »: the classifier does not always tag
    it); a one-word name only after a cue, as the gazetteer reads a message."""
    name = fold_place(place_name(candidate))
    if not name:
        return False
    if len([w for w in name.split() if w not in PLACE_CONNECTORS]) >= 2:
        return re.search(r"\b" + re.escape(name) + r"\b", fold_place(message)) is not None
    return re.search(PLACE_CUE + re.escape(name) + r"\b", fold_place(message)) is not None


def shared_position(tracker: Tracker) -> tuple[float, float] | None:
    values: dict[str, float] = {}
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") in ("lat", "lon"):
            try:
                values[entity["entity"]] = float(entity["value"])
            except (TypeError, ValueError):
                return None
    if "lat" in values and "lon" in values:
        return values["lat"], values["lon"]
    return None


def unasked_context(tracker: Tracker) -> list[EventType]:
    """Undo what the latest message set by mistake: an age that is a place or a duration, and conditions
    read from a question (« c gratuit pour les mineurs ? » asks; it does not filter)."""
    changed = set_this_turn(tracker)
    message = tracker.latest_message
    text = message.get("text") or ""
    events: list[EventType] = []
    if "age" in changed:
        spans = [e for e in message.get("entities", []) if e.get("entity") == "age" and "start" in e]
        stated = [e for e in spans if stated_age(text, e["start"], e["end"])]
        # « paris 11 … jai 19 ans »: the age is the number said as one, whichever the slot took.
        events.append(SlotSet("age", text[stated[0]["start"]:stated[0]["end"]] if stated else previous_value(tracker, "age")))
    if is_question(text):
        events += undo_question_conditions(tracker)
    if mentions_animal(text) and not tracker.get_slot("with_animal"):
        events.append(SlotSet("with_animal", True))
    return events


class ValidateSearchForm(FormValidationAction):
    def name(self) -> str:
        return "validate_search_form"

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        crisis = unanswered_crisis(tracker)
        if crisis:
            say_crisis(dispatcher, crisis, tracker.latest_message.get("text") or "")
        undone = unasked_context(tracker)
        for event in undone:
            tracker.slots[event["name"]] = event["value"]
        return [*undone, *await super().get_validation_events(dispatcher, tracker, domain)]

    async def extract_need(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A need the taxonomy finds in a message the classifier read as a place only (« pharmacie de
        garde à Bobigny »): taken when the need is still missing, then validated like any other."""
        message = (tracker.latest_message.get("text") or "").strip()
        if tracker.get_slot("need") or not message or message.startswith("/"):
            return {}
        try:
            found = await DirectoryClient().match_needs(message)
        except DirectoryUnavailableError:
            return {}
        return {"need": message} if found else {}

    async def extract_place(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A place the classifier did not extract from a long message (« un lit pour cette nuit jsuis a noisy le
        grand »): the gazetteer reads the whole message, and its best name counts when it is sure and the
        message introduces it as a place."""
        message = (tracker.latest_message.get("text") or "").strip()
        entities = tracker.latest_message.get("entities") or []
        if tracker.get_slot("place") or not message or message.startswith("/") or any(e.get("entity") == "place" for e in entities):
            return {}
        try:
            candidates = await DirectoryClient().find_places(message)
        except DirectoryUnavailableError:
            return {}
        if candidates and candidates[0].score >= RESOLVE_MIN and introduced_place(message, candidates[0]):
            return {"place": place_name(candidates[0])}
        return {}

    async def validate_need(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = slot_text(slot_value)
        if not text or only_details(text, tracker):
            return {"need": None}
        message = (tracker.latest_message.get("text") or "").strip()
        try:
            found = await DirectoryClient().match_needs(text)
            if message and message != text and not message.startswith("/"):
                # The taxonomy also reads the whole message. It wins when the extracted span found nothing
                # (« écrivain public à Pontault ») or a need the whole message corrects (« enceinte » in
                # « jsui enceinte jveu pa le garder », « pilule » in « j'ai oublié ma pilule »): then none of
                # the span's needs is among the message's.
                whole = await DirectoryClient().match_needs(message)
                if whole and {c.id for c in whole} != {c.id for c in found}:
                    # Every need the message names (measured on the evaluation set: the span often holds
                    # only one word of it, « retraite » in « une épicerie solidaire, ma retraite ne suffit plus »).
                    found, text = whole, message
            if animal_is_context(message) and all(c.id in ANIMAL_NEEDS for c in found):
                found = []
            elif animal_is_context(message):
                found = [c for c in found if c.id not in ANIMAL_NEEDS]
            if not found and animal_is_context(message) and tracker.get_slot("categories"):
                # « j'ai un chien » after a shelter list: the search stays, the animal is noted.
                return {"need": tracker.get_slot("need_label"), "with_animal": True}
        except DirectoryUnavailableError:
            dispatcher.utter_message(text=UNAVAILABLE)
            return {"need": None}
        if not found:
            if tracker.get_slot("categories") and tracker.get_slot("need_label"):
                # A word the classifier took for a need (« roses » in « l hay les roses ») does not wipe
                # the need the person already gave: it stays, nothing is asked twice.
                return {"need": tracker.get_slot("need_label")}
            dispatcher.utter_message(response="utter_need_not_understood")
            return {"need": None, "categories": None}
        label = " / ".join(category.label for category in found[:2])
        return {"need": text, "categories": [c.id for c in found], "need_label": label, "results_shown": None}

    async def validate_place(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        position = shared_position(tracker)
        if position is not None:
            lat, lon = position
            if not in_region(lat, lon):
                dispatcher.utter_message(text=OUTSIDE_REGION)
                return {"place": None}
            return {"place": POSITION, "place_label": "votre position", "lat": lat, "lon": lon,
                    "radius_km": GPS_RADIUS_KM, "department": None, "results_shown": None}
        if slot_value == POSITION:
            keep = tracker.get_slot("lat") is not None
            return {"place": POSITION} if keep else {"place": None}
        text = slot_text(slot_value)
        text = repaired_place(text, tracker)
        if not text or only_details(text, tracker):
            return {"place": None}
        try:
            candidates = await DirectoryClient().find_places(text)
            message = (tracker.latest_message.get("text") or "").strip()
            if message and message != text and not message.startswith("/"):
                # The extracted span may be a piece of the name (« roses » in « l hay les roses », « saint
                # georges » in « villeneuve saint georges », « gare de l » in « gare de l est »): the gazetteer
                # also reads the whole message, and a longer name that holds the span wins.
                whole = await DirectoryClient().find_places(message)
                if whole and whole[0].score >= RESOLVE_MIN and (
                    not candidates or candidates[0].score < RESOLVE_MIN or longer_name(text, whole[0], candidates[0])
                ):
                    candidates = whole
        except DirectoryUnavailableError:
            dispatcher.utter_message(text=UNAVAILABLE)
            return {"place": None}
        if not candidates:
            if len(re.sub(r"\W", "", text)) <= 3:  # « de », « l »: a piece of a sentence, not a place
                return {"place": None}
            dispatcher.utter_message(text=f"Je ne trouve pas « {text[:60]} » en Île-de-France. {OUTSIDE_REGION}")
            return {"place": None}
        best = candidates[0]
        if best.score >= RESOLVE_MIN:
            return {"place": text, **place_slots(best)}
        dispatcher.utter_message(
            text=f"Plusieurs lieux s'appellent « {text[:60]} » : choisissez le vôtre, ou précisez (code postal, département).",
            buttons=[
                {"title": c.label, "payload": "/inform" + json.dumps({"place": c.label}, ensure_ascii=False)} for c in candidates[:4]
            ],
        )
        return {"place": None}


class ActionAskPlace(Action):
    """The form's question for the place. A need that is urgent whatever the place (a bed tonight: the 115;
    emergency contraception: its delays) gets its safety lines and call buttons first: a person who never
    gives the place still has them."""

    def name(self) -> str:
        return "action_ask_place"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        categories = list(tracker.get_slot("categories") or [])
        violence = said_in_conversation(tracker, PARTNER_VIOLENCE)
        lines = safety_lines(categories, violence)
        if lines:
            dispatcher.utter_message(text="\n\n".join(lines))
            calls = safety_calls(categories, violence)
            if calls:
                dispatcher.utter_message(json_message=calls_payload(calls))
        dispatcher.utter_message(response="utter_ask_place")
        return []
