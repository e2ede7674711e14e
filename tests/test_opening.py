"""Opening status in Europe/Paris time: weekly slots, overnight slots, DST, public holidays, closures."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from directory_api.models import HolidayPolicy, OpeningHours, TemporaryClosure, TimeSlot
from directory_api.opening import PARIS, is_public_holiday, opening_at


def slot(start: str, end: str) -> TimeSlot:
    return TimeSlot(start=time.fromisoformat(start), end=time.fromisoformat(end))


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


OFFICE = OpeningHours(
    weekly={day: [slot("09:00", "12:30"), slot("14:00", "18:00")] for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
    public_holidays=HolidayPolicy.closed,
)
NIGHT_SHELTER = OpeningHours(
    weekly={day: [slot("20:00", "08:00")] for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")},
    public_holidays=HolidayPolicy.open,
)


def test_should_be_unknown_when_hours_are_unknown():
    assert opening_at(None, paris(2026, 11, 23, 10)).status == "unknown"


def test_should_be_open_inside_a_slot_with_the_closing_time_as_next_change():
    opening = opening_at(OFFICE, paris(2026, 11, 23, 10))  # a Monday
    assert opening.status == "open"
    assert opening.next_change == paris(2026, 11, 23, 12, 30)


def test_should_be_closed_at_lunch_and_reopen_the_same_afternoon():
    opening = opening_at(OFFICE, paris(2026, 11, 23, 13))
    assert opening.status == "closed"
    assert opening.next_change == paris(2026, 11, 23, 14)


def test_should_reopen_on_monday_after_a_weekend():
    opening = opening_at(OFFICE, paris(2026, 11, 21, 11))  # Saturday
    assert (opening.status, opening.next_change) == ("closed", paris(2026, 11, 23, 9))


def test_should_treat_an_overnight_slot_as_open_after_midnight():
    opening = opening_at(NIGHT_SHELTER, paris(2026, 11, 24, 3))
    assert opening.status == "open"
    assert opening.next_change == paris(2026, 11, 24, 8)


def test_should_merge_an_overnight_slot_split_at_midnight():
    hours = OpeningHours(weekly={"friday": [slot("20:00", "00:00")], "saturday": [slot("00:00", "08:00")]})
    opening = opening_at(hours, paris(2026, 11, 27, 22))
    assert opening.status == "open"
    assert opening.next_change == paris(2026, 11, 28, 8)


def test_should_keep_wall_clock_hours_across_the_spring_dst_change():
    # 2026-03-29: clocks go from 02:00 to 03:00 in Paris. The night shelter still closes at 08:00 local.
    opening = opening_at(NIGHT_SHELTER, paris(2026, 3, 28, 23))
    assert opening.status == "open"
    assert opening.next_change == paris(2026, 3, 29, 8)
    assert opening.next_change.utcoffset().total_seconds() == 7200


def test_should_keep_wall_clock_hours_across_the_autumn_dst_change():
    opening = opening_at(NIGHT_SHELTER, paris(2026, 10, 24, 23))
    assert opening.next_change == paris(2026, 10, 25, 8)
    assert opening.next_change.utcoffset().total_seconds() == 3600


def test_should_close_on_a_public_holiday_when_the_place_says_so():
    christmas = paris(2026, 12, 25, 10)  # a Friday
    assert is_public_holiday(christmas.date())
    opening = opening_at(OFFICE, christmas)
    assert opening.status == "closed"
    assert opening.reason == "jour férié"
    assert opening.next_change == paris(2026, 12, 28, 9)


def test_should_say_unknown_on_a_public_holiday_when_the_policy_is_unknown():
    hours = OFFICE.model_copy(update={"public_holidays": HolidayPolicy.unknown})
    assert opening_at(hours, paris(2026, 11, 11, 10)).status == "unknown"  # Armistice
    assert opening_at(hours, paris(2026, 11, 12, 10)).status == "open"


def test_should_be_closed_during_a_temporary_closure_and_reopen_after():
    hours = OFFICE.model_copy(update={"closures": [TemporaryClosure(start=date(2026, 11, 23), end=date(2026, 11, 24), reason="travaux")]})
    opening = opening_at(hours, paris(2026, 11, 23, 10))
    assert opening.status == "closed"
    assert "travaux" in (opening.reason or "")
    assert opening.next_change == paris(2026, 11, 25, 9)


def test_should_be_unknown_after_the_hours_stopped_being_valid():
    hours = OFFICE.model_copy(update={"valid_until": date(2026, 9, 30)})
    opening = opening_at(hours, paris(2026, 11, 23, 10))
    assert opening.status == "unknown"
    assert "30/09/2026" in (opening.reason or "")


def test_should_be_closed_before_a_season_starts_and_say_when_it_opens():
    hours = OFFICE.model_copy(update={"valid_from": date(2026, 12, 1)})
    opening = opening_at(hours, paris(2026, 11, 23, 10))
    assert opening.status == "closed"
    assert opening.next_change == paris(2026, 12, 1, 9)


def test_should_be_open_all_the_time_when_always_open():
    hours = OpeningHours(always_open=True)
    opening = opening_at(hours, paris(2026, 12, 25, 3))
    assert opening.status == "open"
    assert opening.label(paris(2026, 12, 25, 3)) == "Ouvert"


@pytest.mark.parametrize(
    ("moment", "label"),
    [
        (paris(2026, 11, 23, 10), "Ouvert jusqu'à 12h30"),
        (paris(2026, 11, 23, 13), "Fermé — ouvre à 14h00"),
        (paris(2026, 11, 23, 19), "Fermé — ouvre demain à 09h00"),
        (paris(2026, 11, 21, 11), "Fermé — ouvre lundi à 09h00"),
    ],
)
def test_should_describe_the_status_in_french(moment, label):
    assert opening_at(OFFICE, moment).label(moment) == label


def test_should_read_naive_times_as_paris_time():
    from directory_api.opening import parse_moment

    assert parse_moment(datetime(2026, 7, 1, 12)).utcoffset().total_seconds() == 7200
