"""The person's context (age, public, conditions, time) from the slots, as `/structures` filters.

Entities arrive as typed (« 16 », « meuf », « gratos », « ce soir »): they are folded and mapped here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

PARIS = ZoneInfo("Europe/Paris")
EVENING = time(20, 0)
NOON = time(12, 30)  # « le midi »: lunch, not « now »
MINOR_AGE = 17  # « je suis mineure » without an age: excludes adult-only services, nothing else

WOMEN = ("femme", "fille", "meuf", "maman", "mere", "enceinte", "dame")
MEN = ("homme", "mec", "garcon", "monsieur", "papa", "pere")
MINORS = ("mineur", "ado", "collegien", "lyceen")
# « pas cher », « pas d'argent » say a situation, not a condition: only « gratuit » and the like filter.
FREE = ("gratuit", "gratos", "gratis", "sans payer", "free")
ANONYMOUS = ("anonyme", "anonymat", "confidentiel", "secret", "discret")
EVENING_WORDS = ("soir", "nuit", "tonight")
NOON_WORDS = ("midi", "dejeuner")
AFTERNOON_WORDS = ("apres midi", "aprem")
PAST_WORDS = ("hier", "y a", "ya ", "il y a", "deja", "depuis")  # « hier soir » says when it happened, not when to go
# A time sets an opening filter when it says « now », or when the message asks about opening (« ouvert ce
# soir »): « où dormir ce soir », « manger le midi » say when, not « only what is open then » (the evaluation
# sets' five authors never read them as a filter).
NOW_WORDS = ("maintenant", "tout de suite", "de suite", "en ce moment", "immediatement", "direct", "now", "la")
OPENING = re.compile(r"\b(ouvert\w*|ouvre\w*|open|ferme\w*|horaires?|24 ?h)\b")
LATER_WORDS = ("demain", "semaine", "week", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def fold_words(text: str) -> str:
    """Folded, with every run of other characters one space: what the patterns of the actions read."""
    return re.sub(r"[^a-z0-9]+", " ", fold(text))


def _has(values: list[str], words: tuple[str, ...]) -> bool:
    return any(word in value for value in values for word in words)


@dataclass
class SearchContext:
    age: int | None = None
    gender: str | None = None
    free: bool | None = None
    anonymous: bool | None = None
    open_now: bool = False
    open_at: datetime | None = None
    filters: list[str] = field(default_factory=list)  # French, shown with the results
    time_filter: str | None = None  # French, shown with the results while the time filter applies

    @property
    def time_filtered(self) -> bool:
        return self.open_now or self.open_at is not None

    @property
    def descriptions(self) -> list[str]:
        return [*self.filters, *([self.time_filter] if self.time_filter else [])]

    @property
    def applied(self) -> dict[str, object]:
        """The filters as the API names them, for the payload (the page and the evaluation read them)."""
        values = {"age": self.age, "gender": self.gender, "free": self.free, "anonymous": self.anonymous,
                  "open_now": self.open_now or None, "open_at": self.open_at.isoformat(timespec="minutes") if self.open_at else None}
        return {k: v for k, v in values.items() if v is not None}

    def without_time(self) -> SearchContext:
        return SearchContext(self.age, self.gender, self.free, self.anonymous, filters=list(self.filters))


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [fold(str(v)) for v in items if v is not None]


def _age(value: object) -> int | None:
    for item in _as_list(value):
        digits = "".join(c for c in item if c.isdigit())
        if digits and 0 < int(digits) < 120:
            return int(digits)
    return None


# A number is an age only when the person says so (« 16 ans », « j'ai 16 », « âgée de 16 »), never when it
# is an arrondissement, a postcode, a duration or a time (« paris 18 », « 75018 », « accouché ya 8 jours »).
AGE_SAID = re.compile(r"^\s*(ans?|ns)\b|^\s*a\b(?!\s*(paris|[a-z]{4,}))")
AGE_INTRO = re.compile(r"(j ?ai|jai|\bg|\bai|\bage|\bagee?)( de)?\s*$")
NOT_AN_AGE = re.compile(r"^\s*(e|er|eme|ieme|è|ème|jours?|j\b|semaines?|sem\b|sa\b|mois|h\b|heures?|min|km|m\b|euros?|€|enfants?|gosses?|petits?|personnes?|ptits?)")


def stated_age(text: str, start: int, end: int) -> bool:
    """Whether the number at text[start:end] is the person's age, read from the words around it."""
    before, after = fold(text[:start]).rstrip() + " ", fold(text[end:])
    if NOT_AN_AGE.match(after) or re.search(r"(paris|arrondissement|\b75)\s*$", before.rstrip()):
        return False
    return bool(AGE_SAID.match(after) or AGE_INTRO.search(before.rstrip()))


# What a time entity may hold: the classifier also tags pieces of long sentences (« tout mes papiers »,
# « suite », « ce »), which must not become an opening filter.
TIME_VALUE = re.compile(
    r"(?:(?:ce|cette|le|la|cet|a|aujourd ?hui|demain|hier|des|avant|apres|en fin de|en|tard le|tard dans la) )*"
    r"(?:maintenant|tout de suite|de suite|en ce moment|immediatement|direct|soir(?:ee)?|nuit|midi|matin(?:ee)?|apres midi|aprem|"
    r"journee|aujourd ?hui|aujourd|demain|hier|tonight|now|24 ?h(?: ?/ ?24| ?sur ?24)?|la|lundi|mardi|mercredi|jeudi|vendredi|"
    r"samedi|dimanche|week ?end|semaine|dans l heure|\d{1,2} ?h(?:\d{2})?)"
)


def is_time(value: str) -> bool:
    return TIME_VALUE.fullmatch(re.sub(r"[^a-z0-9/]+", " ", fold(value)).strip()) is not None


# A question about a condition (« c gratuit pour les mineurs ? », « faut l'accord des parents ? ») asks a
# fact: it never becomes a filter of the next search.
QUESTION = re.compile(r"\?\s*$|^\s*(est ce que|est-ce que|c est|c'est|c\b|faut il|faut-il|faut|on peut|je peux|jpeu|jpeux|ils acceptent|ca coute|combien)\b")


def is_question(text: str) -> bool:
    return bool(QUESTION.search(fold(text)))


def asks_opening(tracker: Tracker, times: list[str]) -> bool:
    """Whether the latest message that named one of these times asked about opening, or the time is « now »."""
    if any(re.search(rf"\b{word}\b", t) for t in times for word in NOW_WORDS if word != "la") or "la" in times:
        return True  # « là » alone is « right now »; in « la nuit » it is an article
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            text = fold_words(event.get("text") or "")
            if any(t in text for t in times):
                return bool(OPENING.search(text))
    return False


def said_in_conversation(tracker: Tracker, pattern: re.Pattern[str]) -> bool:
    """Whether a message of the person in this conversation (kept in memory only) matches the pattern."""
    return any(
        event.get("event") == "user" and pattern.search(fold_words(event.get("text") or ""))
        for event in tracker.events
    )


def search_context(tracker: Tracker, now: datetime | None = None) -> SearchContext:
    now = now or datetime.now(PARIS)
    publics = _as_list(tracker.get_slot("publics"))
    modalities = _as_list(tracker.get_slot("modalities"))
    times = [t for t in _as_list(tracker.get_slot("time")) if is_time(t)]
    if not asks_opening(tracker, [re.sub(r"[^a-z0-9]+", " ", t).strip() for t in times]):
        times = []
    context = SearchContext(age=_age(tracker.get_slot("age")))
    if context.age is not None:
        context.filters.append(f"pour {context.age} ans")
    elif _has(publics, MINORS):
        context.age = MINOR_AGE
        context.filters.append("pour mineurs")
    if _has(publics, WOMEN):
        context.gender = "women"
    elif _has(publics, MEN):
        context.gender = "men"
    if _has(modalities, FREE):
        context.free = True
        context.filters.append("gratuits")
    if _has(modalities, ANONYMOUS):
        context.anonymous = True
        context.filters.append("anonymes")
    if any(word in t for t in times for word in EVENING_WORDS) and not _has(times, PAST_WORDS) and now.time() < EVENING:
        context.open_at = now.replace(hour=EVENING.hour, minute=EVENING.minute, second=0, microsecond=0)
        context.time_filter = "ouverts ce soir à 20 h"
    elif _has(times, NOON_WORDS) and not _has(times, AFTERNOON_WORDS):
        if now.time() < NOON:  # later, « où manger le midi » asks a habit: no time filter
            context.open_at = now.replace(hour=NOON.hour, minute=NOON.minute, second=0, microsecond=0)
            context.time_filter = "ouverts ce midi"
    elif times and not _has(times, LATER_WORDS) and not _has(times, PAST_WORDS):  # « maintenant », « ce soir » after 20 h, « aujourd'hui »…
        context.open_now = True
        context.time_filter = "ouverts maintenant"
    return context


CONDITION_SLOTS = ("publics", "modalities", "time")


def set_this_turn(tracker: Tracker) -> dict[str, Any]:
    """The slots set since the latest user message (by the extraction from that message)."""
    changed: dict[str, Any] = {}
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        if event.get("event") == "slot":
            changed.setdefault(event.get("name"), event.get("value"))
    return changed


def previous_value(tracker: Tracker, slot: str) -> Any:
    """The slot's value before the latest user message (what the person had said until then)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


def undo_question_conditions(tracker: Tracker) -> list[EventType]:
    """The conditions the latest message set, put back as they were when it only asked about them (« c gratuit
    pour les mineurs ? »): a question never becomes a filter of the next search, in a form or not."""
    if not is_question(tracker.latest_message.get("text") or ""):
        return []
    changed = set_this_turn(tracker)
    return [SlotSet(slot, previous_value(tracker, slot)) for slot in CONDITION_SLOTS if slot in changed]
