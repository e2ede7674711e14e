"""Phrases whose meaning is fixed, read after DIET and before the safety net: a Région programme or a
right named by its name (the `names` of bot/facts/*.yml), « le 115 ne répond pas », a question about animals, and
« tous les lieux » to remove the filters. DIET never saw these intents in training: they exist so that
such a message is never a guess (and never « pas compris »). A crisis intent is never replaced, and the
safety net after this component has the last word.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.safety_net import normalise, set_intent

FACTS_DIR = Path(__file__).resolve().parent.parent / "facts"

PHRASES: dict[str, tuple[str, ...]] = {
    "shelter_unreachable": (
        r"\b115\b.{0,30}\b(repond|decroche|rep|reponds?)\w* (pas|plus|jamais)\b",
        r"\b115\b.{0,30}\b(ne|n) (repond|decroche)",
        r"\b115\b.{0,25}\b(occupe|sonne dans le vide|sature|injoignable|pas de place|plus de place|complet)\b",
        r"\b(pas|plus) de place\b.{0,20}\b115\b",
        r"\b(appele|apelle|appelle|appel|tente) (le )?115\b.{0,40}\b(rien|personne|pas de reponse|toute la (nuit|journee)|\d+ fois)\b",
    ),
    "ask_animals": (
        r"\b(accepte|acceptent|prennent|prend|admis|autorise|autorises|ok|possible)\w*\b.{0,25}\b(chiens?|chiennes?|chats?|animaux|animal|toutou)\b",
        r"\b(chiens?|chiennes?|chats?|animaux|animal)\b.{0,25}\b(accepte|acceptes|admis|autorise|interdit)\w*\b",
        r"\bavec (mon|ma|un|une|mes) (chien|chienne|chat|chats|chiens|toutou)\b.{0,30}\b(c est|cest|possible|ok|peux|peut|on peut)\b.{0,20}\?",
    ),
    # « y en a un plus près ? », « c'est trop loin »: the list is already nearest first, the next ones follow.
    "more_results": (
        r"\b(un|une|quelque chose|qqch|qqc|rien|des|lieux?|endroits?|ya|y a|y en a|yen a|il y en a|autres?)\b.{0,12}\bplus (pres|proches?)\b(?! (de|d|du|des|a|au) \w)",  # not « plus près de Drancy »: a new place
        r"^(c est |cest |c |celui ci est |celle ci est |celui la est |celle la est |ils sont |c est beaucoup )?trop loin\b",
    ),
    "remove_filters": (
        r"\b(tous les lieux|tout les lieux|sans (les |ce |ces )?filtres?|enleve\w* (le |les |ce |ces )?filtres?|"
        r"pas forcement (gratuit|anonyme|ouvert)\w*|meme (payant|pas gratuit|ferme)\w*|peu importe (le prix|l age|les horaires))\b",
    ),
}
COMPILED = {intent: [re.compile(p) for p in patterns] for intent, patterns in PHRASES.items()}


@lru_cache(maxsize=1)
def named_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """The `names` of bot/facts/*.yml with their fact's intent (a Région programme, a right)."""
    patterns = []
    for path in sorted(FACTS_DIR.glob("*.yml")):
        fact = yaml.safe_load(path.read_text(encoding="utf-8"))
        patterns += [(fact["intent"], re.compile(p)) for p in fact.get("names", [])]
    return patterns


def phrase_intent(text: str) -> str | None:
    normalised = normalise(text)
    for intent, patterns in COMPILED.items():
        if any(p.search(normalised) for p in patterns):
            return intent
    return next((intent for intent, pattern in named_patterns() if pattern.search(normalised)), None)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class KnownPhrases(GraphComponent):
    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> KnownPhrases:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            current = str((message.get(INTENT) or {}).get(INTENT_NAME_KEY) or "")
            if current.startswith("crisis_") or text.startswith("/"):
                continue
            intent = phrase_intent(text)
            if intent:
                set_intent(message, intent)
        return messages
