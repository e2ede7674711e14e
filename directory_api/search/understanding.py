"""From what a person typed to what the engines search: needs named in the text become categories
(taxonomy terms and labels, with one typo allowed on long words), the other words become text tokens
with their one-typo variants found in the index vocabulary.

Shared by every engine, so that « avortemnt » or « pillule du lendemain » mean the same thing everywhere.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from directory_api.taxonomy import Taxonomy
from directory_api.text import STOP_WORDS, fuzzy_allowed, stem, words

MAX_VARIANTS = 8
# Words of a request that say nothing about what is searched (« je cherche », SMS « jai », « svp »).
QUERY_NOISE = frozenset(
    stem(word)
    for word in """cherch cherche chercher besoin trouv trouver veux voudrai voudrais aimerai aimerais jai jsui chui
    svp stp merci bonjour slt salut urgent ou quel quelle comment peux peut proche pres ici""".split()
)


@dataclass
class Understanding:
    categories: list[str] = field(default_factory=list)
    matched_terms: list[str] = field(default_factory=list)  # the words that named a need
    tokens: list[list[str]] = field(default_factory=list)  # leftover words, each with variants
    # Every meaningful word, as typed, when the text may also name a place: a text made only of common
    # need words (« wc », « manger ») names no place, so « WC publics » or « Pret A Manger » are not
    # matched by name and a need word inside a name gives no score; an acronym (« pimms ») may.
    all_tokens: list[list[str]] = field(default_factory=list)


class TermMatcher:
    """Finds taxonomy terms in a query, longest phrase first, one typo allowed per long word."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        phrases: dict[tuple[str, ...], dict[str, None]] = defaultdict(dict)
        for category in taxonomy.categories.values():
            for term in (category.label, *category.terms):
                phrase = tuple(stem(w) for w in words(term) if w not in STOP_WORDS)
                if phrase:
                    phrases[phrase].setdefault(category.id, None)
        self._phrases = {phrase: list(cids) for phrase, cids in phrases.items()}
        self._supersedes = {c.id: set(c.supersedes) for c in taxonomy.categories.values() if c.supersedes}
        self._by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for phrase in self._phrases:
            self._by_first[phrase[0]].append(phrase)
        self._max_length = max(len(p) for p in self._phrases)
        self._tokens = Vocabulary({t for phrase in self._phrases for t in phrase})
        # A term the taxonomy writes as an acronym of three letters or more names a network of places
        # (« PIMMS », « CIDJ »): typed alone, it is also looked up in names, unlike a common word.
        self.acronyms = {
            stem(term.lower())
            for category in taxonomy.categories.values()
            for term in category.terms
            if len(term) >= 3 and term.isalpha() and term.isupper()
        }

    def match(self, tokens: list[str]) -> tuple[list[str], list[int]]:
        """(categories, indexes of the tokens that named them)."""
        close = [set(self._tokens.variants(t)) | {t} for t in tokens]
        categories: dict[str, None] = {}
        used: set[int] = set()
        # Longest phrases first, so « pilule du lendemain » wins over « pilule ».
        for length in range(min(self._max_length, len(tokens)), 0, -1):
            for start in range(0, len(tokens) - length + 1):
                span = range(start, start + length)
                if any(i in used for i in span):
                    continue
                window = tuple(tokens[start : start + length])
                if window in self._phrases:
                    hits = self._phrases[window]
                else:
                    hits = [
                        cid
                        for first in close[start]
                        for phrase in self._by_first.get(first, ())
                        if len(phrase) == length and all(p in close[start + k] for k, p in enumerate(phrase))
                        for cid in self._phrases[phrase]
                    ]
                if hits:
                    for cid in hits:
                        categories.setdefault(cid, None)
                    used.update(span)
        dropped = {d for cid in categories for d in self._supersedes.get(cid, ())}
        return [cid for cid in categories if cid not in dropped], sorted(used)


class Vocabulary:
    """Indexed tokens bucketed by length, for one-typo expansion of query words."""

    def __init__(self, tokens: set[str]) -> None:
        self._by_length: dict[int, list[str]] = defaultdict(list)
        self._all = tokens
        for token in tokens:
            self._by_length[len(token)].append(token)

    def variants(self, token: str) -> list[str]:
        found = [token] if token in self._all or not fuzzy_allowed(token) else []
        if not fuzzy_allowed(token):
            return [token]
        for length in (len(token), len(token) - 1, len(token) + 1):
            for candidate in self._by_length.get(length, ()):
                if candidate != token and Levenshtein.distance(token, candidate, score_cutoff=1) <= 1:
                    found.append(candidate)
                    if len(found) >= MAX_VARIANTS:
                        return found
        return found or [token]


def understand(text: str | None, matcher: TermMatcher, vocabulary: Vocabulary) -> Understanding:
    if not text:
        return Understanding()
    tokens = [stem(w) for w in words(text) if w not in STOP_WORDS]
    categories, used = matcher.match(tokens)
    used_set = set(used)
    tokens_left = [(i, t) for i, t in enumerate(tokens) if i not in used_set and t not in QUERY_NOISE]
    leftover = [t for _, t in tokens_left]
    meaningful = [t for t in tokens if t not in QUERY_NOISE]
    names_a_place = bool(categories) and (bool(leftover) or any(tokens[i] in matcher.acronyms for i in used))
    return Understanding(
        categories=categories,
        matched_terms=[tokens[i] for i in used],
        tokens=[vocabulary.variants(t) for t in dict.fromkeys(leftover)],
        # Names are matched as typed (no typo variants): « douche » must not find « Pharmacie Rouche ».
        all_tokens=[[t] for t in dict.fromkeys(meaningful)] if names_a_place else [],
    )
