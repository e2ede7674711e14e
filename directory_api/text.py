"""French text normalisation, shared by every search engine so that all see the same tokens.

Elasticsearch here has no `analysis-common` module (no french analyzer, asciifolding, elision or
stemmer), so the engines index and query the tokens made here, with a plain whitespace analysis.

The chain, as in addok: lowercase → fold accents and ligatures → drop elisions (l', d', qu'…) →
split on anything that is not a letter or digit → drop stop words → light stemming (plurals, a few
feminine and verbal endings). The stemmer is deliberately light: a wrong merge costs more than a
missed one, and typos are handled by fuzzy matching on top.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "’": "'", "ʼ": "'", "`": "'", "‘": "'"})
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)'")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

STOP_WORDS = frozenset(
    """a au aux avec ce ces dans de des du en et il ils je la le les leur lui ma mais me mes mon ne
    nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous y
    est suis etre ai avoir cette cet ca Ça moi""".split()
)


def fold(text: str) -> str:
    """Lowercase, fold accents and ligatures. Keeps punctuation."""
    text = text.translate(_LIGATURES).lower()
    if text.isascii():
        return text
    # NFKD also turns styled letters (« 𝒅𝒐𝒖𝒄𝒉𝒆 », pasted from phone keyboards) into plain ones, which
    # may be capitals: lowercase again after it.
    decomposed = unicodedata.normalize("NFKD", text)
    return _COMBINING.sub("", decomposed).translate(_LIGATURES).lower()


def words(text: str) -> list[str]:
    """Folded words, elisions removed, stop words kept (used for phrase matching)."""
    folded = _ELISION.sub(" ", fold(text))
    return [w for w in _NON_WORD.split(folded) if w]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Light French stemmer (after Lucene's FrenchMinimalStemmer, with plurals from 4 letters).

    One pass, as Lucene's: index and query tokens are each stemmed exactly once. It is not idempotent
    (« première » → « premier » → « premi »): run to a fixpoint it would eat whole endings
    (« lariboisière » → « lariboi »)."""
    return _stem_once(word)


def _stem_once(word: str) -> str:
    if word.isdigit() or len(word) < 4:
        return word
    if word.endswith("aux") and len(word) >= 5:
        word = word[:-3] + "al"
    elif word[-1] in "sx" and not word.endswith("ss"):
        word = word[:-1]
    if len(word) >= 6:
        if word.endswith("r"):
            word = word[:-1]
        if word.endswith("e"):
            word = word[:-1]
        if len(word) >= 5 and word[-1] == word[-2]:
            word = word[:-1]
    return word


def tokens(text: str | None) -> list[str]:
    """Index and query tokens: folded, without elisions or stop words, stemmed."""
    if not text:
        return []
    return [stem(w) for w in words(text) if w not in STOP_WORDS]


@lru_cache(maxsize=131072)
def _normalize_cached(text: str) -> str:
    return " ".join(tokens(text))


def normalize(text: str | None) -> str:
    """The token string both engines index (whitespace separated).

    Cached: descriptions, communes and service names repeat across thousands of records.
    """
    return _normalize_cached(text) if text else ""


def normalize_parts(parts: list[str | None]) -> str:
    """Normalise each part on its own (so repeated parts hit the cache) and join them."""
    return " ".join(filter(None, (normalize(part) for part in parts)))


def fuzzy_allowed(word: str) -> bool:
    """One typo is allowed on words of five letters or more (measured on the folded word)."""
    return len(word) >= 5
