"""Hours formats met in the Paris Data, ANCT, RATP and OpenStreetMap sources."""

from __future__ import annotations

from datetime import date, time

import pytest

from directory_api.models import TimeSlot
from directory_api.sources._osm_hours import parse_osm_opening_hours
from directory_api.sources._places import parse_validity_period
from directory_api.sources.hours_parsing import HoursParseError, merge_slots, parse_day


def _pairs(slots):
    return [(s.start.strftime("%H:%M"), s.end.strftime("%H:%M")) for s in slots]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10:00 - 13:00 / 14:00 - 18:00", [("10:00", "13:00"), ("14:00", "18:00")]),  # France services
        ("07h30 - 13h00", [("07:30", "13:00")]),  # Paris bains-douches
        ("9H30 - 17H", [("09:30", "17:00")]),  # îlots « Découverte et Initiation »
        ("10h – 18h", [("10:00", "18:00")]),  # en dash
        ("12h-19h", [("12:00", "19:00")]),
        ("08h30 -17h00", [("08:30", "17:00")]),
        (
            "10h - 12h / 12h30 - 14h15 / 14h45 - 17h30",
            [("10:00", "12:00"), ("12:30", "14:15"), ("14:45", "17:30")],
        ),
        ("6 h - 1 h", [("06:00", "01:00")]),  # sanisettes, past midnight
        ("-", []),
        ("Fermé", []),
    ],
)
def test_should_parse_each_real_day_format(text, expected):
    assert _pairs(parse_day(text)) == expected


def test_should_refuse_a_truncated_pool_cell():
    with pytest.raises(HoursParseError):
        parse_day("06h30 - 07h45 / 11h45 - 13h45 / 16h30 - 19h45 / 20")


def test_should_merge_duplicate_and_overlapping_slots():
    slots = parse_day("09:00 - 17:30 / 09:00 - 12:00 / 13:30 - 17:30")
    assert _pairs(merge_slots(slots)) == [("09:00", "17:30")]
    assert _pairs(merge_slots(parse_day("09:30 - 12:30 / 09:30 - 12:30"))) == [("09:30", "12:30")]
    unordered = parse_day("14:00 - 18:00 / 09:00 - 12:00")
    assert _pairs(merge_slots(unordered)) == [("09:00", "12:00"), ("14:00", "18:00")]


def test_should_keep_overnight_slots_when_merging():
    overnight = TimeSlot(start=time(19), end=time(7))
    assert merge_slots([overnight, TimeSlot(start=time(8), end=time(9))])[-1] == overnight


def test_should_read_osm_24_7_as_always_open():
    hours = parse_osm_opening_hours("24/7")
    assert hours.always_open is True and hours.notes == "24/7"
    assert parse_osm_opening_hours("") is None


def test_should_read_osm_hours_without_days_as_every_day():
    hours = parse_osm_opening_hours("6:00-22:00")
    assert len(hours.weekly) == 7 and _pairs(hours.weekly["sunday"]) == [("06:00", "22:00")]


def test_should_read_osm_rules_with_day_ranges_lists_and_several_slots():
    hours = parse_osm_opening_hours("Mo-Fr 11:00-14:30, 18:00-22:30; Sa, Su 18:00-23:00")
    assert _pairs(hours.weekly["monday"]) == [("11:00", "14:30"), ("18:00", "22:30")]
    assert _pairs(hours.weekly["sunday"]) == [("18:00", "23:00")]
    hours = parse_osm_opening_hours("Tu,Fr,Su 08:00-13:00")
    assert sorted(hours.weekly) == ["friday", "sunday", "tuesday"]


def test_should_read_osm_wrapping_day_ranges_and_slots_past_midnight():
    hours = parse_osm_opening_hours("Su-We 11:30-22:30, Th-Sa 11:30-05:00")
    assert _pairs(hours.weekly["monday"]) == [("11:30", "22:30")]
    assert _pairs(hours.weekly["saturday"]) == [("11:30", "05:00")]
    assert _pairs(parse_osm_opening_hours("Mo-Su 09:00-24:00").weekly["friday"]) == [("09:00", "00:00")]


def test_should_apply_osm_off_rules_and_later_rules_over_earlier_ones():
    hours = parse_osm_opening_hours("Mo-Su 10:00-15:15; Sa-Su off")
    assert sorted(hours.weekly) == ["friday", "monday", "thursday", "tuesday", "wednesday"]
    hours = parse_osm_opening_hours("11:30-22:30; Th 11:30-23:30; Fr,Sa 11:30-01:30")
    assert _pairs(hours.weekly["thursday"]) == [("11:30", "23:30")]
    assert _pairs(hours.weekly["monday"]) == [("11:30", "22:30")]
    hours = parse_osm_opening_hours("Mo-Sa 09:00-24:00, Su closed")
    assert "sunday" not in hours.weekly


def test_should_read_osm_public_holiday_rules():
    assert parse_osm_opening_hours("We-Su 13:30-17:30; PH off").public_holidays == "closed"
    assert parse_osm_opening_hours("PH,Mo-Su 12:00-14:00,18:55-22:00").public_holidays == "open"
    assert parse_osm_opening_hours("Mo-Fr 08:00-18:00").public_holidays == "unknown"


def test_should_accept_a_missing_separator_between_osm_rules():
    hours = parse_osm_opening_hours("Mo-Fr 12:00-20:00 Sa 11:00-20:00")
    assert _pairs(hours.weekly["saturday"]) == [("11:00", "20:00")]
    assert "sunday" not in hours.weekly


@pytest.mark.parametrize(
    "text",
    [
        "Jan,Feb,Nov,Dec 09:00-17:00; Mar,Oct 08:30-19:00",  # months
        "Mo 12:00-15:00,Th-Sa 18:00-midnight",
        "Mo-Fr 12:00-14:00; 19:30-22:00",  # a second rule without days would open the week-end
        "Mo-Su 10:00-25:00",
        "Mo-Fr 10:00-15:15: Sa-Su off",
        "Tu,Fr,Su",
        "Mon 12:00-14:30; Sun off",
        "lundi à vendredi: 12h00 - 15h00",
    ],
)
def test_should_refuse_osm_hours_it_cannot_read(text):
    with pytest.raises(HoursParseError):
        parse_osm_opening_hours(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("du 01/01/20 au 01/01/32", (date(2020, 1, 1), date(2032, 1, 1))),
        ("à partir du 16/06/20", (date(2020, 6, 16), None)),
        ("Du 08 juillet au 20 août 2023", (date(2023, 7, 8), date(2023, 8, 20))),
        ("Horaires d'ouverture de l'espace vert", None),
        ("Du 28 juillet au 22 août", None),  # no year: not guessed
        ("", None),
    ],
)
def test_should_read_paris_validity_periods(text, expected):
    assert parse_validity_period(text) == expected
