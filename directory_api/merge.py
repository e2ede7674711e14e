"""One place, one record: records of different sources that describe the same place become one structure.

Two records match when they come from different sources, share a category, and are close enough for
the kind of place they share (`RULES`, distances measured on the real data: docs/data-quality.md):

- toilets and fountains have generic names (« Toilettes publiques — Paris » against « Sanisette — 18 rue
  Erard »), so only the distance counts, with a short threshold;
- any other place also needs similar names (rapidfuzz `token_set_ratio` on folded words), so that a PMI
  inside a hospital, at the very same address, stays its own structure;
- two records with different FINESS or SIRET numbers are two establishments, whatever else they share;
  the same number is the same establishment (when the names still agree a little and it is nearby).

Groups are built greedily from the closest pairs, with at most one record per source: two sanisettes
side by side are two cabins, and a record of a third source near both joins the nearer one only. The
exception is a place one source records twice (same kind, same name, within 5 m): it is one place.

`import` finds the groups and writes them to `merge-report.json`; `read_structures` applies that report,
so the served data is exactly what the report lists. The merged structure keeps the id of its best
record, every provenance, and takes each field from the best record that has it (`rank_key`): the most
precise source first (`SOURCE_PREFERENCE`: the operator's own list before a compilation, OpenStreetMap
last), the freshest data between equals; the position comes from the most precise position (an address
before a commune centroid). Each provenance lists the fields it gave (`Provenance.fields`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from math import cos, radians

import numpy as np
from rapidfuzz import fuzz

from directory_api.geography.distance import haversine_km
from directory_api.models import Modalities, Provenance, Structure
from directory_api.text import words


@dataclass(frozen=True)
class MatchRule:
    name: str
    categories: frozenset[str] | None  # None: every other category
    max_distance_m: float
    min_name_score: float | None  # None: names are generic, not compared
    # Second pass, for two sources whose positions are both precise: records left alone after the first
    # pass still match up to this distance when each is the other's nearest (`mutual_nearest_pairs`).
    mutual_nearest_m: float | None = None
    mutual_nearest_sources: tuple[str, str] | None = None


RULES: tuple[MatchRule, ...] = (
    # The hand review found the City's park toilets and OpenStreetMap's up to 43 m apart, always each
    # other's nearest; RATP positions are only station-level, so RATP stays at 20 m.
    MatchRule(
        "toilettes",
        frozenset({"toilets"}),
        20.0,
        None,
        mutual_nearest_m=45.0,
        mutual_nearest_sources=("paris-sanisettes", "idf-toilettes-publiques"),
    ),
    MatchRule("fontaines", frozenset({"fountain"}), 10.0, None),
    MatchRule("lieux nommés", None, 100.0, 90.0),
)
# Toilets of a restaurant, a shop or a shopping centre (OpenStreetMap) are never the public toilets next
# door: the review found the only false merges there (a crêperie beside a RER station).
PRIVATE_KINDS = frozenset({"Toilettes dans un établissement"})
# Within one source, two records of the same kind and name at the same spot are one place recorded
# twice (OpenStreetMap nodes 2 m apart, « Fontaine à boire — 152 avenue… » three times): shown once.
# Beyond this distance, or with other names, two records of one source stay two places (two
# sanisettes side by side are two cabins with their own addresses).
SAME_SOURCE_RULE = "même source, même lieu"
SAME_SOURCE_MAX_DISTANCE_M = 5.0
SAME_IDENTIFIER_MAX_DISTANCE_M = 1000.0  # one FINESS number, two geocodings of its address
SAME_IDENTIFIER_MIN_NAME_SCORE = 50.0
SEARCH_RADIUS_M = max(SAME_IDENTIFIER_MAX_DISTANCE_M, *(rule.max_distance_m for rule in RULES))

# Whose fields are preferred: the operator's own list of its places (it names them precisely: « Toilettes
# — gare Antony (RER B) » rather than « Toilettes publiques — Paris ») before a compilation, and the
# OpenStreetMap-based list last (anyone can edit it, and its records age unseen). Fresher data only
# decides between equally precise sources.
SOURCE_PREFERENCE: tuple[str, ...] = (
    "paris-bains-douches",
    "paris-sanisettes",
    "paris-fontaines",
    "ratp-toilettes",
    "ratp-fontaines",
    "sae-2024",
    "sae-2023",
    "finess-etablissements-idf",
    "france-services",
    "data-inclusion-idf",  # a compilation (DORA, Soliguide…), after the operators' own lists
    "casvp-restaurants-solidaires",
    "paris-ilots-fraicheur-equipements",
    "idf-toilettes-publiques",
)

# Fields taken whole from the best record that has them.
SCALAR_FIELDS = (
    "name", "kind", "description", "address", "address_complement", "postcode", "insee_code", "commune",
    "department", "email", "website", "finess", "siret", "publics", "hours", "languages",
)  # fmt: skip
# Modalities are taken attribute by attribute, except attributes that only make sense together.
MODALITY_GROUPS: tuple[tuple[str, ...], ...] = (
    ("unconditional",),
    ("appointment", "appointment_details"),
    ("registration",),
    ("referral", "referral_details"),
    ("free", "price_details"),
    ("anonymous",),
    ("wheelchair_access",),
    ("animals_accepted",),
    ("other",),
)


@dataclass(frozen=True)
class Match:
    rule: str
    distance_m: float
    name_score: float | None


def main_source(structure: Structure) -> str:
    return structure.sources[0].source


def comparable_name(name: str) -> str:
    # Words only: « Bain -douche Pyrénées » and « Bain-douche Pyrénées » are the same name.
    return " ".join(words(name))


def name_score(a: Structure, b: Structure) -> float:
    return fuzz.token_set_ratio(comparable_name(a.name), comparable_name(b.name))


def match(a: Structure, b: Structure, distance_m: float) -> Match | None:
    """Whether two records of different sources describe the same place, and by which rule."""
    if main_source(a) == main_source(b):
        same_spot = distance_m <= SAME_SOURCE_MAX_DISTANCE_M and a.kind == b.kind
        if same_spot and comparable_name(a.name) == comparable_name(b.name) and set(a.categories()) == set(b.categories()):
            return Match(SAME_SOURCE_RULE, distance_m, 100.0)
        return None
    if (a.kind in PRIVATE_KINDS) != (b.kind in PRIVATE_KINDS):
        return None
    for identifier in ("finess", "siret"):
        mine, theirs = getattr(a, identifier), getattr(b, identifier)
        if mine and theirs:
            if mine != theirs:
                return None
            score = name_score(a, b)
            if distance_m <= SAME_IDENTIFIER_MAX_DISTANCE_M and score >= SAME_IDENTIFIER_MIN_NAME_SCORE:
                return Match(f"même {identifier.upper()}", distance_m, score)
    shared = set(a.categories()) & set(b.categories())
    if not shared:
        return None
    # The rule of the kind of place they share: the first one whose categories they share.
    rule = next(r for r in RULES if r.categories is None or shared & r.categories)
    if distance_m > rule.max_distance_m:
        return None
    if rule.min_name_score is None:
        return Match(rule.name, distance_m, None)
    score = name_score(a, b)
    return Match(rule.name, distance_m, score) if score >= rule.min_name_score else None


def candidate_pairs(structures: list[Structure]) -> list[tuple[int, int, Match]]:
    """Every matching pair, found through a grid of cells a bit larger than the longest distance."""
    cell_lat = SEARCH_RADIUS_M / 111_000
    cell_lon = cell_lat / cos(radians(48.8))
    grid: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, s in enumerate(structures):
        grid[(int(s.lat // cell_lat), int(s.lon // cell_lon))].append(index)
    lat = np.array([s.lat for s in structures])
    lon = np.array([s.lon for s in structures])
    pairs: list[tuple[int, int, Match]] = []
    for (row, col), members in grid.items():
        near = [j for dr in (-1, 0, 1) for dc in (-1, 0, 1) for j in grid.get((row + dr, col + dc), ())]
        near_array = np.array(near)
        for i in members:
            later = near_array[near_array > i]
            if not len(later):
                continue
            distances = haversine_km(lat[i], lon[i], lat[later], lon[later]) * 1000
            for j, distance in zip(later.tolist(), distances.tolist(), strict=True):
                if distance <= SEARCH_RADIUS_M and (found := match(structures[i], structures[j], distance)):
                    pairs.append((i, j, found))
    return pairs


@dataclass
class MergeGroup:
    members: list[Structure]  # best first (`rank`)
    matches: list[Match]

    @property
    def id(self) -> str:
        return self.members[0].id


def rank_key(structure: Structure) -> tuple[int, int, str]:
    """Best first: the preferred source, then the freshest data, then the id (deterministic)."""
    source = main_source(structure)
    preference = SOURCE_PREFERENCE.index(source) if source in SOURCE_PREFERENCE else len(SOURCE_PREFERENCE)
    return (preference, -structure.data_date.toordinal(), structure.id)


def mutual_nearest_pairs(structures: list[Structure], grouped: set[int]) -> list[tuple[int, int, Match]]:
    """The second pass of the rules that have one: a record A of the first source left alone, the nearest
    record B of the second source also left alone, within the longer distance; kept only if A is also
    B's nearest among *all* records of the first source (a duplicate OpenStreetMap node of a toilet
    already merged is nearer to that toilet than to the next one, and stays alone)."""
    pairs: list[tuple[int, int, Match]] = []
    for rule in RULES:
        if rule.mutual_nearest_m is None or rule.mutual_nearest_sources is None or rule.categories is None:
            continue
        first, second = rule.mutual_nearest_sources

        def members(source: str, rule: MatchRule = rule) -> list[int]:
            return [
                i for i, s in enumerate(structures)
                if main_source(s) == source and s.kind not in PRIVATE_KINDS and rule.categories & set(s.categories())
            ]  # fmt: skip

        all_first, all_second = np.array(members(first)), np.array(members(second))
        if not len(all_first) or not len(all_second):
            continue
        lat, lon = np.array([s.lat for s in structures]), np.array([s.lon for s in structures])
        free_second = np.array([j for j in all_second.tolist() if j not in grouped])
        for a in all_first.tolist():
            if a in grouped or not len(free_second):
                continue
            distances = haversine_km(lat[a], lon[a], lat[free_second], lon[free_second]) * 1000
            nearest = int(np.argmin(distances))
            b, distance = int(free_second[nearest]), float(distances[nearest])
            if distance > rule.mutual_nearest_m:
                continue
            back = haversine_km(lat[b], lon[b], lat[all_first], lon[all_first]) * 1000
            if int(all_first[int(np.argmin(back))]) == a:
                pairs.append((a, b, Match(f"{rule.name} (plus proches voisins)", distance, None)))
    return pairs


def find_groups(structures: list[Structure]) -> list[MergeGroup]:
    """Groups of records of one place, closest pairs first, at most one record per source in a group;
    then the mutual nearest neighbours among the records left alone."""
    groups = group_pairs(structures, candidate_pairs(structures), {})
    grouped = {i for members, _ in groups.values() for i in members}
    groups = group_pairs(structures, mutual_nearest_pairs(structures, grouped), groups)
    result = [
        MergeGroup(sorted((structures[m] for m in members), key=rank_key), matches)
        for members, matches in groups.values()
    ]
    return sorted(result, key=lambda g: g.id)


Groups = dict[int, tuple[set[int], list[Match]]]


def group_pairs(structures: list[Structure], pairs: list[tuple[int, int, Match]], groups: Groups) -> Groups:
    """Adds pairs to the groups, closest first, never two records of one source in a group."""
    pairs = sorted(pairs, key=lambda p: (p[2].distance_m, -(p[2].name_score or 0), p[0], p[1]))
    group_of = {member: key for key, (members, _) in groups.items() for member in members}
    groups = dict(groups)
    for i, j, found in pairs:
        gi, gj = group_of.get(i, i), group_of.get(j, j)
        if gi == gj:
            continue
        members_i, matches_i = groups.get(gi, ({i}, []))
        members_j, matches_j = groups.get(gj, ({j}, []))
        sources_i = {main_source(structures[m]) for m in members_i}
        if found.rule != SAME_SOURCE_RULE and sources_i & {main_source(structures[m]) for m in members_j}:
            continue  # a group holds one record per source, but for a place recorded twice by it
        merged = members_i | members_j
        groups[gi] = (merged, [*matches_i, *matches_j, found])
        groups.pop(gj, None)
        for member in merged:
            group_of[member] = gi
    return groups


def merge_group(members: list[Structure]) -> Structure:
    """One structure from the records of one place, best record first; see the module docstring."""
    best = members[0]
    given: dict[str, list[str]] = {m.id: [] for m in members}

    def first_with(field: str, candidates: Iterable[Structure]) -> Structure | None:
        return next((m for m in candidates if getattr(m, field) not in (None, [], "")), None)

    values: dict[str, object] = {"id": best.id}
    for field in SCALAR_FIELDS:
        source = first_with(field, members)
        values[field] = getattr(source, field) if source else None
        if source:
            given[source.id].append(field)
    # The position from the most precise record (address before commune centroid), best first on a tie.
    located = min(members, key=lambda m: (m.location_precision != "address", members.index(m)))
    values.update(lat=located.lat, lon=located.lon, location_precision=located.location_precision)
    given[located.id].append("position")
    phones: dict[str, None] = {}
    for member in members:
        if member.phones:
            given[member.id].append("phones")
            phones.update(dict.fromkeys(member.phones))
    values["phones"] = list(phones)
    values["modalities"] = merged_modalities(members, given)
    services = list(best.services)
    covered = {c for s in services for c in s.categories}
    given[best.id].append("services")
    for member in members[1:]:
        new = [s for s in member.services if not set(s.categories) <= covered]
        if new:
            services.extend(new)
            covered.update(c for s in new for c in s.categories)
            given[member.id].append("services")
    values["services"] = services
    verified = [m.last_verified for m in members if m.last_verified]
    values["last_verified"] = max(verified) if verified else None
    values["sources"] = [provenance for member in members for provenance in credited(member.sources, given[member.id])]
    values["merged_ids"] = sorted(m.id for m in members[1:])
    return Structure.model_validate(values)


def merged_modalities(members: list[Structure], given: dict[str, list[str]]) -> Modalities | None:
    merged: dict[str, object] = {}
    for group in MODALITY_GROUPS:
        for member in members:
            modalities = member.modalities
            # « Réputé payant » without `free`: the price comes from this record, not `free` from another.
            if modalities is not None and any(getattr(modalities, a) is not None for a in group):
                merged.update({attribute: getattr(modalities, attribute) for attribute in group})
                given[member.id].append(f"modalities.{group[0]}")
                break
    return Modalities(**merged) if merged else None


def credited(sources: list[Provenance], fields: list[str]) -> list[Provenance]:
    """A record's provenances in the merged structure: its main source lists the fields taken from it
    (an empty list: it gave nothing the others did not give better); enrichers keep their own lists."""
    main, *enrichers = sources
    return [main.model_copy(update={"fields": fields}), *enrichers]


def apply_groups(structures: Iterable[Structure], groups: list[list[str]]) -> Iterable[Structure]:
    """Yields every structure, the records of each group merged into one (at the place of its best
    record). `groups` lists ids best first, as `merge-report.json` does."""
    by_id: dict[str, list[str]] = {}
    for ids in groups:
        for structure_id in ids:
            by_id[structure_id] = ids
    pending: dict[str, dict[str, Structure]] = defaultdict(dict)
    for structure in structures:
        ids = by_id.get(structure.id)
        if ids is None:
            yield structure
            continue
        pending[ids[0]][structure.id] = structure
        if len(pending[ids[0]]) == len(ids):
            ready = pending.pop(ids[0])
            yield merge_group([ready[i] for i in ids])
    if pending:
        missing = sorted(i for ids in pending for i in by_id[ids] if i not in pending[ids])
        raise ValueError(f"merge-report.json cite des fiches absentes des données : {missing[:5]}")
