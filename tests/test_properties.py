"""Property tests (hypothesis): the French text normalisation and the opening-hours code never crash on
any input, and keep their promises on every input hypothesis can think of, not just the examples."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory_api.models import WEEKDAYS, OpeningHours, TimeSlot
from directory_api.opening import PARIS, opening_at
from directory_api.sources._osm_hours import parse_osm_opening_hours
from directory_api.sources.hours_parsing import HoursParseError, merge_slots, parse_day, parse_range
from directory_api.text import fold, normalize, stem, tokens, words

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
any_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
french_text = st.text(alphabet="aàâäbcçdeéèêëfghiîïjklmnoôöpqrstuùûüvwxyzÿæœ '-’ABCÉÈ0123456789,.;:!?", max_size=80)


@PROPERTY
@given(any_text)
def test_normalisation_never_crashes_and_gives_plain_tokens(text):
    normalised = normalize(text)
    assert isinstance(normalised, str)
    assert normalised == normalised.strip() and "  " not in normalised
    assert all(token and not token.isspace() for token in tokens(text))


@PROPERTY
@given(french_text)
def test_folding_and_word_splitting_are_idempotent(text):
    once = " ".join(words(text))
    assert " ".join(words(once)) == once


@PROPERTY
@given(st.text(alphabet="abcdeéèfghilmnoprstuxz", min_size=1, max_size=20))
def test_stemming_only_cuts_an_ending_and_never_empties_a_word(word):
    """The stemmer is one pass, as Lucene's FrenchMinimalStemmer (`text.stem` says why it is not
    idempotent): it keeps a non-empty prefix, or turns « -aux » into « -al »."""
    folded = fold(word)
    stemmed = stem(folded)
    assert stemmed
    assert folded.startswith(stemmed) or (folded.endswith("aux") and stemmed == folded[:-3] + "al")
    assert len(folded) - len(stemmed) <= 4


@PROPERTY
@given(any_text)
def test_folding_is_idempotent_and_lowercase(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert folded == folded.lower() or not folded.isascii()


@PROPERTY
@given(french_text)
def test_accents_and_case_do_not_change_the_words(text):
    assert words(text.upper()) == words(text) or any(c in text for c in "ßİı")
    assert normalize(text) == normalize(fold(text))


times = st.builds(time, st.integers(0, 23), st.integers(0, 59))
STYLES = ("{h1:02d}:{m1:02d} - {h2:02d}:{m2:02d}", "{h1}h{m1:02d} - {h2}h{m2:02d}", "{h1}h{m1:02d}-{h2}h{m2:02d}")


@PROPERTY
@given(times, times, st.sampled_from(STYLES))
def test_hours_round_trip_through_the_french_styles_of_the_sources(start, end, style):
    text = style.format(h1=start.hour, m1=start.minute, h2=end.hour, m2=end.minute)
    if start == end and start.hour != 0:
        try:
            parse_range(text)
        except HoursParseError:
            return  # an empty slot is refused, never guessed
        raise AssertionError(f"empty slot accepted: {text}")
    slot = parse_range(text)
    assert (slot.start, slot.end) == (start, end)


@PROPERTY
@given(any_text)
def test_hours_parsers_fail_only_with_their_own_error(text):
    for parse in (parse_day, parse_osm_opening_hours):
        try:
            parse(text)
        except HoursParseError:
            pass  # the source's text is kept in `notes` instead


slots = st.builds(TimeSlot, start=times, end=times)


@PROPERTY
@given(st.lists(slots, max_size=6))
def test_merged_slots_are_sorted_disjoint_and_cover_the_same_minutes(day_slots):
    merged = merge_slots(day_slots)
    same_day = [s for s in merged if s.end > s.start]
    assert same_day == sorted(same_day, key=lambda s: s.start)
    assert all(a.end < b.start for a, b in zip(same_day, same_day[1:], strict=False))

    def minutes(slot_list):
        covered = set()
        for s in slot_list:
            if s.end > s.start:
                covered |= set(range(s.start.hour * 60 + s.start.minute, s.end.hour * 60 + s.end.minute))
        return covered

    assert minutes(merged) == minutes(day_slots)


weekly = st.dictionaries(st.sampled_from(WEEKDAYS), st.lists(slots, max_size=3), max_size=7)
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda d: d.replace(tzinfo=PARIS)
)


@PROPERTY
@given(weekly, st.booleans(), moments)
def test_opening_status_is_always_one_of_three_and_never_open_without_hours(week, always, moment):
    hours = OpeningHours(weekly=week, always_open=always)
    opening = opening_at(hours, moment)
    assert opening.status in ("open", "closed", "unknown")
    if not always and not any(week.values()):
        assert opening.status != "open"
    if opening.next_change is not None:
        assert opening.next_change > moment - timedelta(seconds=1)
    assert opening.label(moment)
    assert opening_at(None, moment).status == "unknown"


def test_styled_letters_pasted_from_a_phone_keyboard_read_as_plain_ones():
    """Found by hypothesis: NFKD turns « 𝑨 » into a capital « A », which folding used to keep."""
    assert normalize("𝒅𝒐𝒖𝒄𝒉𝒆 𝑮𝒂𝒓𝒆 𝒅𝒖 𝑵𝒐𝒓𝒅") == normalize("douche gare du nord")
