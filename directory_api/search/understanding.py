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


def _close(a: str, b: str) -> bool:
    if a == b:
        return True
    return fuzzy_allowed(a) and fuzzy_allowed(b) and Levenshtein.distance(a, b, score_cutoff=1) <= 1


@dataclass
class Understanding:
    categories: list[str] = field(default_factory=list)
    matched_terms: list[str] = field(default_factory=list)  # the words that named a need
    tokens: list[list[str]] = field(default_factory=list)  # leftover words, each with variants


class TermMatcher:
    """Finds taxonomy terms in a query, longest phrase first."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self._phrases: list[tuple[tuple[str, ...], str]] = []
        seen: set[tuple[tuple[str, ...], str]] = set()
        for category in taxonomy.categories.values():
            for term in (category.label, *category.terms):
                phrase = tuple(stem(w) for w in words(term) if w not in STOP_WORDS)
                if phrase and (phrase, category.id) not in seen:
                    seen.add((phrase, category.id))
                    self._phrases.append((phrase, category.id))
        # Longest phrases first, so « contraception d'urgence » wins over « contraception ».
        self._phrases.sort(key=lambda p: -len(p[0]))
        self._by_length: dict[int, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        for phrase, cid in self._phrases:
            self._by_length[len(phrase)].append((phrase, cid))

    def match(self, tokens: list[str]) -> tuple[list[str], list[int]]:
        """(categories, indexes of the tokens that named them)."""
        categories: dict[str, None] = {}
        used: set[int] = set()
        for length in sorted(self._by_length, reverse=True):
            for start in range(0, len(tokens) - length + 1):
                span = range(start, start + length)
                if any(i in used for i in span):
                    continue
                window = tokens[start : start + length]
                hits = [
                    cid
                    for phrase, cid in self._by_length[length]
                    if all(_close(t, p) for t, p in zip(window, phrase, strict=True))
                ]
                if hits:
                    exact = [
                        cid for phrase, cid in self._by_length[length] if tuple(window) == phrase
                    ]
                    for cid in exact or hits:
                        categories.setdefault(cid, None)
                    used.update(span)
        return list(categories), sorted(used)


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
    leftover = [t for i, t in enumerate(tokens) if i not in used]
    return Understanding(
        categories=categories,
        matched_terms=[tokens[i] for i in used],
        tokens=[vocabulary.variants(t) for t in dict.fromkeys(leftover)],
    )
