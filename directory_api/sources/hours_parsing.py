"""Parsing of the opening-hours texts that sources give ("10:00 - 13:00 / 14:00 - 18:00",
"12h00 - 18h00", "6 h - 22 h", "9h-12h30", "24h/24", "-" ...).

Each function returns `None` when a source says nothing (hours unknown) and raises `HoursParseError`
on a text it cannot read, so that the mapping can keep the raw text in `notes` instead of guessing.
"""

from __future__ import annotations

import re
from datetime import time

from directory_api.models import TimeSlot

_TIME = r"(\d{1,2})\s*(?:[h:.]\s*(\d{2})?)?\s*(?:h)?"
_RANGE = re.compile(rf"^{_TIME}\s*(?:-|–|à|a)\s*{_TIME}$")
_CLOSED = {"-", "fermé", "ferme", "closed", "non", "0"}
_ALWAYS = {"24h/24", "24h24", "24/24", "24h/24h", "24 h / 24", "0h - 24h", "00:00 - 24:00", "h24"}


class HoursParseError(ValueError):
    pass


def _to_time(hours: str, minutes: str | None) -> time:
    h, m = int(hours), int(minutes or 0)
    if h == 24 and m == 0:
        return time(0, 0)  # end of day: an end <= start means "until midnight / next day"
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise HoursParseError(f"heure invalide : {hours}:{minutes}")
    return time(h, m)


def parse_range(text: str) -> TimeSlot:
    match = _RANGE.match(text.strip().lower())
    if not match:
        raise HoursParseError(f"plage horaire illisible : {text!r}")
    h1, m1, h2, m2 = match.groups()
    start, end = _to_time(h1, m1), _to_time(h2, m2)
    if start == end and not (h1 == "0" or h1 == "00"):
        raise HoursParseError(f"plage horaire vide : {text!r}")
    return TimeSlot(start=start, end=end)


def is_always_open(text: str | None) -> bool:
    return bool(text) and re.sub(r"\s+", "", text.lower()) in {re.sub(r"\s+", "", a) for a in _ALWAYS}


def parse_day(text: str | None) -> list[TimeSlot] | None:
    """Slots of one day. `None` for an empty cell (unknown), `[]` for an explicit closed mark."""
    if text is None or not text.strip():
        return None
    cleaned = text.strip().lower()
    if cleaned in _CLOSED:
        return []
    parts = re.split(r"\s*(?:/|;|,|\bet\b|\+)\s*", cleaned)
    return [parse_range(part) for part in parts if part]


def merge_slots(slots: list[TimeSlot]) -> list[TimeSlot]:
    """Slots of one day sorted, with duplicates and overlaps merged (« 09:00 - 17:30 / 09:00 - 12:00 »).

    Slots running past midnight (end <= start) are kept as they are.
    """
    overnight = [s for s in slots if s.end <= s.start]
    merged: list[TimeSlot] = []
    for slot in sorted((s for s in slots if s.end > s.start), key=lambda s: (s.start, s.end)):
        if merged and slot.start <= merged[-1].end:
            if slot.end > merged[-1].end:
                merged[-1] = TimeSlot(start=merged[-1].start, end=slot.end)
        else:
            merged.append(slot)
    for slot in overnight:
        if slot not in merged:
            merged.append(slot)
    return merged
