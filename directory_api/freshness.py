"""How old the facts of a record are, and when that deserves a warning.

A warning must mean something: it names the facts that are old (« adresse et téléphone de 01/2021 »),
and it is given only where acting on an old fact could waste a trip. Street equipment (a fountain,
public toilets) rarely moves, so it is trusted three times longer than a service, whose hours,
conditions and phone change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from directory_api.models import Provenance, Structure

# Equipment, not a service: a place whose every category is one of these.
EQUIPMENT_CATEGORIES = frozenset({"fountain", "toilets"})
EQUIPMENT_TRUST_FACTOR = 3

# The facts a person acts on when going somewhere, as the sources name them in `Provenance.fields`;
# other fields (SIRET, FINESS number) do not send anybody anywhere.
TRIP_FACTS: dict[str, str] = {
    "name": "nom",
    "address": "adresse",
    "address_complement": "adresse",
    "postcode": "adresse",
    "commune": "adresse",
    "lat": "position",
    "lon": "position",
    "phones": "téléphone",
    "email": "courriel",
    "website": "site web",
    "hours": "horaires",
    "services": "services",
    "modalities": "conditions",
    "publics": "publics",
}


@dataclass(frozen=True)
class FreshnessView:
    stale: bool  # some fact a person acts on is older than trusted
    warning: str | None  # which facts, in French


def age_words(data_date: date, today: date) -> str:
    years = (today - data_date).days // 365
    return "plus d'un an" if years <= 1 else f"plus de {years} ans"


def _facts(source: Provenance) -> list[str] | None:
    """The trip facts a source gave, in French; None when it gave the whole record."""
    if source.fields is None:
        return None
    return list(dict.fromkeys(TRIP_FACTS[f] for f in source.fields if f in TRIP_FACTS))


def _joined(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " et " + words[-1]


def freshness_view(structure: Structure, today: date, stale_after_days: int) -> FreshnessView:
    categories = set(structure.categories())
    equipment = bool(categories) and categories <= EQUIPMENT_CATEGORIES
    trusted_days = stale_after_days * (EQUIPMENT_TRUST_FACTOR if equipment else 1)
    advice = "l'équipement a pu changer" if equipment else "appelez avant de vous déplacer"

    def old(source: Provenance) -> bool:
        return (today - source.data_date).days > trusted_days

    partial = [(s, facts) for s in structure.sources if (facts := _facts(s))]
    # The whole-record sources give every fact no partial source gave; the newest edition counts.
    whole = max((s for s in structure.sources if s.fields is None), key=lambda s: s.data_date, default=None)
    givers = [s for s, _ in partial] + ([whole] if whole is not None else [])
    old_dates = {s.data_date for s in givers if old(s)}
    if not old_dates:
        return FreshnessView(False, None)
    old_partial = [(s, facts) for s, facts in partial if old(s)]
    if not old_partial or (len(old_dates) == 1 and all(old(s) for s in givers)):
        when = min(old_dates)
        return FreshnessView(True, f"Données de {when.strftime('%m/%Y')} (il y a {age_words(when, today)}) : {advice}.")
    parts = []
    for when in sorted(old_dates):
        facts = list(dict.fromkeys(f for s, fs in old_partial if s.data_date == when for f in fs))
        if facts:
            parts.append(f"{_joined(facts).capitalize()} : données de {when.strftime('%m/%Y')} (il y a {age_words(when, today)})")
    if whole is not None:
        rest = f"reste de la fiche : {whole.data_date.strftime('%m/%Y')}"
        parts.append(rest + (f" (il y a {age_words(whole.data_date, today)})" if old(whole) else ""))
    return FreshnessView(True, " ; ".join(parts) + f". {advice.capitalize()}.")
