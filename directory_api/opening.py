"""Is a place open at a given moment? Computed in Europe/Paris time, with French public holidays,
temporary closures, validity periods and slots that run past midnight.

Honesty first: unknown hours give `unknown`, and so does a public holiday when the place never said
what it does on public holidays. We never answer "open" without hours that say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

from directory_api.models import WEEKDAYS, HolidayPolicy, OpeningHours, Structure

PARIS = ZoneInfo("Europe/Paris")
UTC = ZoneInfo("UTC")
# How far ahead we look for the next opening (long temporary closures, seasonal places).
HORIZON_DAYS = 62

Status = Literal["open", "closed", "unknown"]
_DAY_NAMES_FR = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


@dataclass(frozen=True)
class Opening:
    status: Status
    next_change: datetime | None = None  # when the status changes (Europe/Paris), if known
    reason: str | None = None  # French: why closed or unknown, when it is not just the weekly hours

    def label(self, now: datetime) -> str:
        """Short French sentence for people, e.g. « Ouvert jusqu'à 18h00 »."""
        if self.status == "unknown":
            return self.reason or "Horaires inconnus"
        if self.status == "open":
            if self.next_change is None:
                return "Ouvert"
            until = _when(self.next_change, now)
            return f"Ouvert jusqu'au {until[3:]}" if until.startswith("le ") else f"Ouvert jusqu'à {until}"
        prefix = f"Fermé ({self.reason})" if self.reason else "Fermé"
        if self.next_change is None:
            return prefix
        return f"{prefix} — ouvre {_when(self.next_change, now, opening=True)}"



def weekly_text(hours: OpeningHours | None) -> str:
    """The week in one line of French (« lundi 09h00–17h00 ; mardi … »); empty when hours are unknown."""
    if hours is None:
        return ""
    if hours.always_open:
        return "24 h/24, 7 j/7"
    days = []
    for index, day in enumerate(WEEKDAYS):
        slots = sorted(hours.weekly.get(day, []), key=lambda s: s.start)
        if slots:
            text = ", ".join(f"{s.start.strftime('%Hh%M')}–{s.end.strftime('%Hh%M')}" for s in slots)
            days.append(f"{_DAY_NAMES_FR[index]} {text}")
    return " ; ".join(days) or "fermé toute la semaine"

def _when(moment: datetime, now: datetime, opening: bool = False) -> str:
    local, today = moment.astimezone(PARIS), now.astimezone(PARIS).date()
    hour = f"{local.hour:02d}h{local.minute:02d}"
    days = (local.date() - today).days
    if days == 0:
        return f"à {hour}" if opening else hour
    if days == 1:
        return f"demain à {hour}"
    if days < 7:
        return f"{_DAY_NAMES_FR[local.weekday()]} à {hour}"
    return f"le {local.day:02d}/{local.month:02d} à {hour}"


@lru_cache(maxsize=64)
def _french_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.France(years=year).keys())


def is_public_holiday(day: date) -> bool:
    return day in _french_holidays(day.year)


def _local(day: date, clock: time) -> datetime:
    """A wall-clock time in Paris as an aware datetime; a time skipped by DST moves forward."""
    naive = datetime.combine(day, clock)
    aware = naive.replace(tzinfo=PARIS)
    # Round-trip through UTC: a non-existent local time (spring forward) becomes the next valid one.
    return aware.astimezone(UTC).astimezone(PARIS)


def _day_state(hours: OpeningHours, day: date) -> tuple[str, str | None]:
    """("normal" | "closed" | "unknown", French reason) for a whole local day."""
    for closure in hours.closures:
        if closure.start <= day and (closure.end is None or day <= closure.end):
            reason = "fermeture temporaire" + (f" : {closure.reason}" if closure.reason else "")
            return "closed", reason
    if hours.valid_from and day < hours.valid_from:
        return "closed", "hors période d'ouverture"
    if hours.valid_until and day > hours.valid_until:
        # Past their end date, hours are out of date rather than a proof of closure.
        until = hours.valid_until.strftime("%d/%m/%Y")
        return "unknown", f"Horaires connus jusqu'au {until} seulement : à vérifier"
    if is_public_holiday(day):
        if hours.public_holidays == HolidayPolicy.closed:
            return "closed", "jour férié"
        if hours.public_holidays == HolidayPolicy.unknown and not hours.always_open:
            return "unknown", "Jour férié : horaires inconnus"
    return "normal", None


def _intervals(hours: OpeningHours, day: date) -> list[tuple[datetime, datetime]]:
    """Opening intervals that start on `day` (an overnight slot ends the next day)."""
    if hours.always_open:
        return [(_local(day, time(0)), _local(day + timedelta(days=1), time(0)))]
    slots = sorted(hours.weekly.get(WEEKDAYS[day.weekday()], []), key=lambda slot: slot.start)
    result = []
    for slot in slots:
        end_day = day + timedelta(days=1) if slot.end <= slot.start else day
        result.append((_local(day, slot.start), _local(end_day, slot.end)))
    return result


def _intervals_from(hours: OpeningHours, first_day: date):
    """Opening intervals day by day from `first_day`, lazily, skipping closed days."""
    for offset in range(HORIZON_DAYS + 1):
        day = first_day + timedelta(days=offset)
        state, _ = _day_state(hours, day)
        if state != "closed":
            for start, end in _intervals(hours, day):
                yield start, end, state


def opening_at(hours: OpeningHours | None, at: datetime) -> Opening:
    """The opening status of one set of hours at an aware datetime."""
    if hours is None:
        return Opening("unknown")
    at = at.astimezone(PARIS)
    today = at.date()
    today_state, today_reason = _day_state(hours, today)

    # Slots are generated day by day from yesterday (overnight slots) and sorted within a day;
    # we stop as soon as the answer is known, so the usual case costs two or three days.
    current_end: datetime | None = None
    for start, end, state in _intervals_from(hours, today - timedelta(days=1)):
        if current_end is not None:
            if start <= current_end < end and state == "normal":
                current_end = end  # contiguous slot (20:00-24:00 then 00:00-08:00)
                continue
            if start > current_end:
                break
            continue
        if start <= at < end:
            if state == "unknown":
                return Opening("unknown", reason=today_reason)
            current_end = end
            continue
        if start > at:
            if today_state == "unknown":
                return Opening("unknown", reason=today_reason)
            return Opening("closed", next_change=start, reason=today_reason)
    if current_end is not None:
        if hours.always_open and current_end >= at + timedelta(days=HORIZON_DAYS - 2):
            return Opening("open")
        return Opening("open", next_change=current_end)
    if today_state == "unknown":
        return Opening("unknown", reason=today_reason)
    return Opening("closed", reason=today_reason)


def structure_opening(structure: Structure, at: datetime) -> Opening:
    """A place is open when its own hours say so or, without them, when one of its services is open.

    With several services: open if any is open; unknown if none is open and some hours are unknown
    (we cannot claim closed); closed otherwise, with the earliest next opening.
    """
    if structure.hours is not None:
        return opening_at(structure.hours, at)
    openings = [opening_at(structure.effective_hours(service), at) for service in structure.services]
    opened = [o for o in openings if o.status == "open"]
    if opened:
        ends = [o.next_change for o in opened]
        return Opening("open", next_change=None if None in ends else max(e for e in ends if e))
    unknown = [o for o in openings if o.status == "unknown"]
    if unknown:
        return unknown[0]
    nexts = [o.next_change for o in openings if o.next_change]
    return Opening("closed", next_change=min(nexts) if nexts else None, reason=openings[0].reason)


def parse_moment(value: datetime | None) -> datetime:
    """Naive datetimes from users are Paris wall-clock time."""
    if value is None:
        return datetime.now(PARIS)
    return value.replace(tzinfo=PARIS) if value.tzinfo is None else value.astimezone(PARIS)
