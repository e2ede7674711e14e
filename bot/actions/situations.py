"""Answers to situations that are not a new search: the 115 does not answer, the person has an animal,
(« tous les lieux » is in search.py, where the search runs again). Each says honestly what the directory knows.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import fold

ANIMAL = re.compile(r"\b(chiens?|chiennes?|chats?|chatons?|chiots?|animaux|animal|toutou)\b")
ANIMAL_NEEDS = frozenset({"animal_assitance", "vet_care"})
ILL = re.compile(r"\b(malade|blesse|blessee|vomit|boite|saigne|veto|veterinaire|soigner)\b")
# Where to go when the 115 does not answer: night shelters (haltes de nuit), then day centres.
UNREACHABLE_NEED = "halte de nuit accueil de jour"
CONTEXT_SLOTS = ("age", "publics", "modalities", "time")


def mentions_animal(text: str) -> bool:
    return bool(ANIMAL.search(fold(text)))


def animal_is_context(text: str) -> bool:
    """« avec mon chien »: the animal comes along, it is not the need (unless it is ill or hurt)."""
    folded = fold(text)
    return bool(ANIMAL.search(folded)) and not ILL.search(folded)


ANIMAL_NOTE = (
    "Je ne sais pas encore quels lieux acceptent les animaux : l'annuaire ne le dit pas. Demandez-le au 115, "
    "qui sait quels centres prennent les chiens, ou appelez le lieu avant d'y aller."
)
VET_NOTE = (  # the same words as the ANIMALS branch of orientation.py when nothing is found
    "L'annuaire ne connaît pas de lieu fixe d'aide vétérinaire gratuite : les mairies (CCAS) et les associations "
    "de protection animale peuvent vous orienter."
)


class ActionShelterUnreachable(Action):
    """« Le 115 ne répond pas »: what else exists, not « appelez le 115 » again."""

    def name(self) -> str:
        return "action_shelter_unreachable"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(
            text="Le 115 est souvent saturé, surtout le soir : rappelez-le plus tard, il est gratuit et répond 24 h/24. "
            "En attendant : les haltes de nuit et les accueils de jour (se poser, se réchauffer, manger, parfois "
            "se doucher) ; les maraudes passent le soir, les accueils de jour savent où les trouver. "
            "Si quelqu'un est en danger à cause du froid : 15 ou 112."
        )
        # No call button here: the person has just tried the 115, and the 15 is for danger only (said above).
        return [SlotSet("need", UNREACHABLE_NEED), FollowupAction("search_form")]


class ActionAnimals(Action):
    """A person with a dog or a cat: said once, kept for the next searches, answered honestly."""

    def name(self) -> str:
        return "action_animals"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        lines = [ANIMAL_NOTE]
        if ILL.search(fold(text)):
            lines.append(VET_NOTE)
        dispatcher.utter_message(text="\n\n".join(lines))
        return [SlotSet("with_animal", True)]
