"""How complete and how fresh a record is, as a social worker needs to know before sending someone.

- completeness: the share of what a person needs to go there that the record holds: hours, a phone,
  the conditions of access, a precise position (not a commune centre);
- freshness, as data·inclusion scores it: full credit for data under 6 months old, nothing after
  2 years, linear in between (a human verification counts as fresh data);
- score = 0.6 × completeness + 0.4 × freshness, rounded to two decimals.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from directory_api.models import Modalities, Structure

FRESH_DAYS = 182  # about 6 months: full credit
STALE_DAYS = 730  # 2 years: no credit
COMPLETENESS_WEIGHT = 0.6
STATED_CONDITIONS = ("free", "appointment", "referral", "unconditional", "registration", "anonymous")


class Quality(BaseModel):
    score: float = Field(ge=0, le=1, description="0,6 × complétude + 0,4 × fraîcheur (0 à 1).")
    completeness: float = Field(ge=0, le=1, description="Part des informations utiles présentes (0 à 1).")
    freshness: float = Field(
        ge=0, le=1, description="1 pour des données de moins de 6 mois, 0 après 2 ans, linéaire entre les deux."
    )
    missing: list[str] = Field(description="Ce qui manque, en français (« horaires », « téléphone »…).")


def _states_conditions(modalities: Modalities | None) -> bool:
    return modalities is not None and any(getattr(modalities, name) is not None for name in STATED_CONDITIONS)


def freshness(structure: Structure, today: date) -> float:
    checked = max(d for d in (structure.data_date, structure.last_verified) if d is not None)
    age = (today - checked).days
    if age <= FRESH_DAYS:
        return 1.0
    if age >= STALE_DAYS:
        return 0.0
    return round(1 - (age - FRESH_DAYS) / (STALE_DAYS - FRESH_DAYS), 2)


def quality(structure: Structure, today: date) -> Quality:
    checks = {
        "horaires": structure.hours is not None or any(s.hours is not None for s in structure.services),
        "téléphone": bool(structure.phones),
        "conditions d'accès": _states_conditions(structure.modalities)
        or any(_states_conditions(s.modalities) for s in structure.services),
        "position précise": structure.location_precision == "address",
    }
    completeness = round(sum(checks.values()) / len(checks), 2)
    fresh = freshness(structure, today)
    return Quality(
        score=round(COMPLETENESS_WEIGHT * completeness + (1 - COMPLETENESS_WEIGHT) * fresh, 2),
        completeness=completeness,
        freshness=fresh,
        missing=[label for label, present in checks.items() if not present],
    )
