"""A deterministic safety net after DIET: a message that says, in so many words, that someone wants to
die, is being hit or raped, has overdosed or is in a medical emergency gets the crisis intent, even when
the classifier guessed something else (a search, a fallback) or the phrase is buried in a long message.

Deliberately narrow: first-person or present-danger phrases only, never a word that also names a
service people search for (« violences », « psy », « urgences »). A message already classified as any
crisis keeps its intent (the classifier tells a child in danger from an adult better than a pattern).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

MAX_CHARS = 20_000  # longer input is cut before matching (a 10 kB message is still checked)

CRISIS_PATTERNS: dict[str, tuple[str, ...]] = {
    "crisis_suicide": (
        r"\b(me|m) (suicider|tuer|foutre en l air|jeter sous|pendre|ouvrir les veines)",
        r"\b(envie|besoin) de (mourir|crever|disparaitre|en finir)",
        r"\b(veux|vais|voudrais) (mourir|crever|en finir)",
        r"\bpenses? (au|a me) suicid",
        r"\bidees? (suicidaires|noires de mort)",
        r"\b(je suis|suis|chui|jsuis) suicidaire\b",
        r"\bplus envie de vivre\b",
        r"\b(arreter|arrete) de vivre\b|\b(j ?veux?|veut|voudrais) plus vivre\b",
    ),
    "crisis_violence": (
        r"\b(me|m) (frappe|frappent|bat|battent|tabasse|cogne|etrangle|viole|violent)\b",
        r"\bm a (frappee?|battue?|tabassee?|violee?|etranglee?|agressee? sexuellement)",
        r"\b(j ai ete|je me suis fait|je me suis faite) (violee?|frappee?|agressee?|tabassee?)",
        r"\bmenace de me tuer\b|\bva me tuer\b|\bveut me tuer\b",
    ),
    "crisis_medical": (
        r"\b(overdose|surdose|od)\b",
        r"\b(respire plus|ne respire pas|respire pas|inconscient|inconsciente|fait un malaise|convulse)\b",
        r"\b(saigne beaucoup|perd beaucoup de sang|douleur a la poitrine|crise cardiaque|avc)\b",
    ),
}
COMPILED = {intent: [re.compile(p) for p in patterns] for intent, patterns in CRISIS_PATTERNS.items()}


def normalise(text: str) -> str:
    # Lowercase after NFKD too: styled letters pasted from phone keyboards (« 𝑶𝒗𝒆𝒓𝒅𝒐𝒔𝒆 ») become
    # plain ones, capitals included.
    folded = unicodedata.normalize("NFKD", text[:MAX_CHARS]).lower()
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", folded)


def crisis_in(text: str) -> str | None:
    normalised = normalise(text)
    for intent, patterns in COMPILED.items():
        if any(p.search(normalised) for p in patterns):
            return intent
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyNet(GraphComponent):
    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> SafetyNet:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if str(intent.get(INTENT_NAME_KEY) or "").startswith("crisis_"):
                continue
            crisis = crisis_in(message.get(TEXT) or "")
            if crisis:
                override = {INTENT_NAME_KEY: crisis, PREDICTED_CONFIDENCE_KEY: 1.0}
                ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != crisis]
                message.set(INTENT, override, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [override, *ranking], add_to_output=True)
        return messages
