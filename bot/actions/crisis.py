"""Safety first: the number to call, then the orientation the person asked for, if any.

One answer per crisis intent (the intent comes from the classifier or from the safety net,
components/safety_net.py, which reads every message whatever the classifier's confidence). The numbers
go out as text and as a structured `calls` payload (the page's call buttons). When the message also names
a need (« il me frappe, je cherche un hébergement à Créteil ») or the person was in the middle of a
search, the search goes on after the number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import fold_words
from actions.directory_client import DirectoryClient, DirectoryUnavailableError
from actions.helplines import calls_payload
from components.crisis_words import AFTER_IVG_OR_BIRTH, DOOR_UNOPENED, FIRE, LEANING_OUT


@dataclass(frozen=True)
class Crisis:
    text: str
    calls: tuple[str, ...]
    # Whether a need named in the same message is searched at once (a shelter after violence: yes; a
    # search in the middle of a suicide crisis: only when the person named a need and a place).
    search_needs: bool


CRISES: dict[str, Crisis] = {
    "crisis_suicide": Crisis(
        "Appelez le 3114, maintenant : c'est gratuit, 24 h/24, des soignants vous répondent. En danger immédiat "
        "(médicaments déjà pris, blessure) : 15 ou 112. Vous n'êtes pas seul·e ; si vous voulez, je peux aussi "
        "chercher un lieu d'écoute près de vous.",
        ("3114", "15", "112"),
        False,
    ),
    "crisis_violence": Crisis(
        "En danger immédiat, appelez le 17 (ou le 112 ; si vous ne pouvez pas parler, SMS au 114). Violences Femmes "
        "Info : 3919, gratuit, anonyme, 24 h/24. Ce n'est pas de votre faute. Si vous voulez, je cherche une "
        "association d'aide ou un hébergement près de vous.",
        ("17", "112", "114", "3919"),
        True,
    ),
    "crisis_child": Crisis(
        "Appelez le 119 (Allô Enfance en Danger) : gratuit, 24 h/24, n'apparaît pas sur les factures. En danger "
        "immédiat : 17 ou 112 (SMS : 114).",
        ("119", "17", "112", "114"),
        True,
    ),
    "crisis_medical": Crisis(
        "Appelez le 15 (SAMU) ou le 112 tout de suite ; si vous ne pouvez pas parler, envoyez un SMS au 114. "
        "Restez avec la personne et suivez les conseils du médecin au téléphone.",
        ("15", "112", "114"),
        False,
    ),
    "crisis_cold": Crisis(
        "Appelez le 115 (gratuit, 24 h/24) pour une place à l'abri ou une maraude, surtout avec des enfants. Si "
        "la personne ne répond pas ou semble en danger, appelez le 15 ou le 112.",
        ("115", "15", "112"),
        True,
    ),
}
# What is searched after a cold crisis when the message names no need: a warm place for tonight.
COLD_NEED = "hébergement d'urgence"


# Violence that has lasted (« il me frappe depuis des années, où aller ? ») with no word of danger now:
# the listening line is the first call, the 17 stays in the text and the buttons.
LASTING = re.compile(r"\bdepuis (des|\d+|un|une|deux|trois|plusieurs|longtemps|toujours|que|qu)\b|\b(divorc\w*|avocat|plainte|conseill\w*)\b")
NOW = re.compile(r"\b(maintenant|la|en ce moment|tout de suite|ce soir|cette nuit|au secours|aidez|vite|arrive|revient|rentre|"
                 r"derriere|porte|couteau|arme|fusil|tuer|enfermee?|cache\w*|suivie?|peur)\b")
# A minor hit at home (« jsuis en 4eme », « jai 15 ans ») with no danger this minute: the 119 first.
MINOR = re.compile(r"\b(j ai|jai|g|j) (1[0-7]|[6-9]) ans\b|\b(en|au) (6|5|4|3)(e|eme)\b|\bau (college|lycee)\b|"
                   r"\ben (seconde|premiere|terminale)\b|\bmineure?\b")


@dataclass(frozen=True)
class FirstCall:
    """A situation that changes which number comes first, whatever the crisis: said before its answer."""

    pattern: re.Pattern[str]
    calls: tuple[str, ...]
    line: str


# Checked in order on the folded message; the crisis's own numbers follow these.
FIRST_CALLS: tuple[FirstCall, ...] = (
    FirstCall(re.compile(r"\b(sourde?s?|malentendante?s?|muette?s?)\b|\b(peux|peut|pouvons|jpeux) (pas|plus) (parler|appeler|telephoner)\b(?! (francais|anglais|bien|la langue|arabe))|"
                         r"\bne (peux|peut) pas (parler|appeler)\b(?! (francais|anglais|bien|la langue|arabe))"),
              ("114",),
              "Si vous ne pouvez pas parler ou entendre : envoyez un SMS au 114 (gratuit, 24 h/24), il alerte les secours."),
    FirstCall(re.compile("|".join((FIRE, LEANING_OUT, DOOR_UNOPENED))),
              ("18", "112"),
              "Appelez le 18 (pompiers) ou le 112 tout de suite."),
    FirstCall(re.compile(r"\b(disparue?|fugue\w*|introuvable|sais pas ou (il|elle) est|parti depuis|partie depuis)\b"),
              ("17", "112"),
              "Une personne disparue, un enfant surtout : appelez le 17 (police) ou le 112 tout de suite."),
)


def crisis_for(intent: str, text: str) -> Crisis:
    """The answer for this crisis in this message: a minor hit at home gets the child's answer."""
    folded = fold_words(text)
    if intent == "crisis_violence" and MINOR.search(folded) and not NOW.search(folded):
        intent = "crisis_child"
    return CRISES.get(intent, CRISES["crisis_medical"])


def first_call(text: str) -> FirstCall | None:
    folded = fold_words(text)
    return next((situation for situation in FIRST_CALLS if situation.pattern.search(folded)), None)


def crisis_calls(intent: str, text: str) -> tuple[str, ...]:
    crisis = crisis_for(intent, text)
    folded = fold_words(text)
    calls = crisis.calls
    if crisis is CRISES["crisis_violence"] and LASTING.search(folded) and not NOW.search(folded):
        calls = ("3919", *(n for n in calls if n != "3919"))
    if situation := first_call(text):
        calls = (*situation.calls, *(n for n in calls if n not in situation.calls))
    return calls


# Said with the medical answer only when the message speaks of an IVG or a birth (not under a burn).
AFTER_IVG_OR_BIRTH_LINE = (
    "Saignements abondants, fièvre ou forte douleur après une IVG ou un accouchement : c'est une urgence, "
    "appelez sans attendre."
)


def say_crisis(dispatcher: CollectingDispatcher, intent: str, text: str = "") -> None:
    situation = first_call(text)
    crisis = crisis_for(intent, text)
    answer = crisis.text
    if crisis is CRISES["crisis_medical"] and re.search(AFTER_IVG_OR_BIRTH, fold_words(text)):
        answer = f"{answer} {AFTER_IVG_OR_BIRTH_LINE}"
    dispatcher.utter_message(text=f"{situation.line} {answer}" if situation else answer)
    dispatcher.utter_message(json_message=calls_payload(crisis_calls(intent, text)))


def unanswered_crisis(tracker: Tracker) -> str | None:
    """A crisis intent in the latest message that no action answered yet. In the middle of the search form,
    a message that also fills a slot (« je saigne beaucoup depuis mon ivg » gives the need « ivg ») keeps
    the form running instead of the crisis rule: the form's validation then says the numbers first."""
    intent = str((tracker.latest_message.get("intent") or {}).get("name") or "")
    if not intent.startswith("crisis_"):
        return None
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return intent
        if event.get("event") == "action" and event.get("name") == "action_crisis":
            return None
    return intent


def named_place(tracker: Tracker) -> bool:
    return any(e.get("entity") == "place" for e in tracker.latest_message.get("entities", []))


class ActionCrisis(Action):
    def name(self) -> str:
        return "action_crisis"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        crisis = crisis_for(intent, tracker.latest_message.get("text") or "")
        say_crisis(dispatcher, intent, tracker.latest_message.get("text") or "")
        if tracker.active_loop.get("name"):
            return []  # the rules take the search form up again
        text = tracker.latest_message.get("text") or ""
        searching = crisis.search_needs or named_place(tracker)
        if not searching or not text or text.startswith("/"):
            return []
        try:
            found = await DirectoryClient().match_needs(text)
        except DirectoryUnavailableError:
            return []
        need = text if found else (COLD_NEED if intent == "crisis_cold" and named_place(tracker) else None)
        if need is None:
            return []
        return [SlotSet("need", need), FollowupAction("search_form")]
