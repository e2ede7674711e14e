"""OpenStreetMap `opening_hours` values (the common subset), as found in the Région's toilets list.

Private helper module of the sources (leading underscore: not a source itself).
"""

from __future__ import annotations

import re

from directory_api.models import WEEKDAYS, HolidayPolicy, OpeningHours, TimeSlot, Weekday
from directory_api.sources.hours_parsing import HoursParseError, merge_slots, parse_range

_OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_OSM_TOKEN = re.compile(
    r"\s*(?:(?P<days>(?:Mo|Tu|We|Th|Fr|Sa|Su)(?:-(?:Mo|Tu|We|Th|Fr|Sa|Su))?)(?![a-z])"
    r"|(?P<ph>PH)\b"
    r"|(?P<range>\d{1,2}:\d{2}-\d{1,2}:\d{2})"
    r"|(?P<off>off|closed)\b"
    r"|(?P<sep>[;,]))"
)


def parse_osm_opening_hours(text: str | None) -> OpeningHours | None:
    """OpenStreetMap `opening_hours`, common subset: `24/7`, `Mo-Fr 08:00-20:00; Sa 09:00-12:00`,
    `09:00-19:00` (every day), `Tu,Fr,Su 08:00-13:00`, wrapping ranges (`Sa-Th`), `off`/`closed`,
    `PH off` / `PH,Mo-Su …`. `None` for an empty text.

    Semantics as in the OSM specification: a rule after `;` replaces the days it names, a rule after
    `,` adds to them; days named by no rule are closed. Raises `HoursParseError` on anything else
    (months, dates, `sunset`, `midnight`, free text), and on a rule without days after the first one
    (`Mo-Fr 12:00-14:00; 19:30-22:00` would by the specification open the week-end too).
    """
    if text is None or not text.strip():
        return None
    raw = text.strip()
    if re.sub(r"\s+", "", raw) in {"24/7", "Mo-Su00:00-24:00", "00:00-24:00"}:
        return OpeningHours(always_open=True, notes=raw)
    rules = _osm_rules(raw)
    weekly: dict[Weekday, list[TimeSlot]] = {}
    holidays = HolidayPolicy.unknown
    for index, (additional, days, ph, slots) in enumerate(rules):
        if not days and not ph:
            if index > 0:
                raise HoursParseError(f"règle sans jours après la première : {raw!r}")
            days = list(range(7))
        if ph:
            holidays = HolidayPolicy.closed if slots == [] else HolidayPolicy.open
        for day in days:
            weekday = WEEKDAYS[day]
            if slots == [] or not additional:
                weekly[weekday] = list(slots)
            else:
                weekly[weekday] = weekly.get(weekday, []) + slots
    cleaned = {day: merge_slots(slots) for day, slots in weekly.items() if slots}
    return OpeningHours(weekly=cleaned, public_holidays=holidays, notes=raw)


def _osm_rules(raw: str) -> list[tuple[bool, list[int], bool, list[TimeSlot]]]:
    """(additional?, day indexes, public holidays named?, slots — [] means off) per rule."""

    def close(rule: dict) -> None:
        if not (rule["slots"] or rule["off"]):
            raise HoursParseError(f"jours sans horaires : {raw!r}")
        if rule["slots"] and rule["off"]:
            raise HoursParseError(f"règle à la fois ouverte et fermée : {raw!r}")
        rules.append((rule["additional"], rule["days"], rule["ph"], [] if rule["off"] else rule["slots"]))

    def new_rule(additional: bool) -> dict:
        return {"additional": additional, "days": [], "ph": False, "slots": [], "off": False}

    rules: list[tuple[bool, list[int], bool, list[TimeSlot]]] = []
    current: dict | None = None
    text = raw.rstrip(" ;")
    position = 0
    while position < len(text):
        match = _OSM_TOKEN.match(text, position)
        if not match or match.end() == position:
            raise HoursParseError(f"horaires OSM illisibles : {raw!r}")
        position = match.end()
        kind = match.lastgroup
        value = match.group(kind or "")
        if kind == "sep":
            if value == ";" and current is not None:
                close(current)
                current = None
            continue
        if kind in {"days", "ph"}:
            if current is not None and (current["slots"] or current["off"]):
                close(current)  # « Mo-Fr 9:00-12:00, Sa 9:00-10:00 »: an additional rule
                current = new_rule(additional=True)
            elif current is None:
                current = new_rule(additional=False)
            if kind == "days":
                current["days"].extend(_osm_day_range(value))
            else:
                current["ph"] = True
            continue
        if current is None:
            current = new_rule(additional=False)
        if kind == "range":
            start, end = value.split("-")
            current["slots"].append(parse_range(f"{start} - {end}"))
        else:
            current["off"] = True
    if current is not None:
        close(current)
    return rules


def _osm_day_range(value: str) -> list[int]:
    first, _, last = value.partition("-")
    start = _OSM_DAYS.index(first)
    if not last:
        return [start]
    end = _OSM_DAYS.index(last)
    return [(start + i) % 7 for i in range((end - start) % 7 + 1)]
