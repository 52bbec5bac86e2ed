"""Zone names offered as people type, and times worded in a zone — right on the days the clocks change."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from gamesched.core.time_zones import local_words, place_time, zone_choices, zone_named
from gamesched.games.when import is_exact, parse_when

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def test_zone_choices_match_a_prefix_a_city_or_a_part_and_stay_within_discords_25() -> None:
    assert zone_choices("europe/ber")[0] == "Europe/Berlin"
    assert zone_choices("berl")[0] == "Europe/Berlin"
    assert "America/New_York" in zone_choices("new york")
    assert "America/Argentina/Buenos_Aires" in zone_choices("aires")
    assert len(zone_choices("a")) == 25 and len(zone_choices("")) == 25
    assert zone_choices("no such place") == []
    assert "US/Eastern" not in zone_choices("us/")  # legacy aliases are not offered


def test_zone_names_are_read_in_any_case_and_anything_else_is_none() -> None:
    assert zone_named("europe/berlin") == BERLIN
    assert zone_named("UTC") == ZoneInfo("UTC")
    assert zone_named("Mars/Olympus") is None
    assert zone_named("../../etc/passwd") is None
    assert zone_named("") is None and zone_named(None) is None


@pytest.mark.parametrize(
    ("moment", "zone", "words"),
    [
        # Europe/Berlin leaves summer time on 25 Oct 2026 at 03:00 CEST (01:00 UTC).
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), BERLIN, "Sun 25 Oct 2026, 02:30 CEST"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), BERLIN, "Sun 25 Oct 2026, 02:30 CET"),
        (datetime(2026, 10, 25, 18, 0, tzinfo=UTC), BERLIN, "Sun 25 Oct 2026, 19:00 CET"),
        (datetime(2026, 10, 24, 17, 0, tzinfo=UTC), BERLIN, "Sat 24 Oct 2026, 19:00 CEST"),
        # New York starts summer time on 8 Mar 2026 at 02:00 EST.
        (datetime(2026, 3, 8, 23, 0, tzinfo=UTC), NEW_YORK, "Sun 08 Mar 2026, 19:00 EDT"),
        (datetime(2026, 3, 7, 23, 0, tzinfo=UTC), NEW_YORK, "Sat 07 Mar 2026, 18:00 EST"),
        # Half-hour offsets, and zones without a letter abbreviation.
        (datetime(2026, 11, 28, 14, 30, tzinfo=UTC), ZoneInfo("Asia/Kolkata"), "Sat 28 Nov 2026, 20:00 IST"),
        (datetime(2026, 11, 28, 14, 30, tzinfo=UTC), ZoneInfo("Asia/Dubai"), "Sat 28 Nov 2026, 18:30 UTC+04"),
        (datetime(2026, 11, 28, 14, 30, tzinfo=UTC), None, "Sat 28 Nov 2026, 14:30 UTC"),
    ],
)
def test_times_are_worded_with_the_zones_abbreviation_of_that_day(
    moment: datetime, zone: ZoneInfo | None, words: str
) -> None:
    assert local_words(moment, zone) == words


def test_a_games_time_is_worded_as_its_host_meant_it() -> None:
    assert place_time(datetime(2026, 11, 28, 18, 0, tzinfo=UTC), BERLIN) == "Sat 28 Nov, 19:00 Berlin time"
    assert (
        place_time(datetime(2026, 11, 28, 18, 0, tzinfo=UTC), NEW_YORK) == "Sat 28 Nov, 13:00 New York time"
    )
    assert place_time(datetime(2026, 11, 28, 18, 0, tzinfo=UTC), None) == "Sat 28 Nov, 18:00 UTC"


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("tomorrow 8pm", BERLIN, datetime(2026, 11, 29, 19, 0, tzinfo=UTC)),
        ("next friday 19:30", BERLIN, datetime(2026, 12, 4, 18, 30, tzinfo=UTC)),
        ("Dec 5 7pm", NEW_YORK, datetime(2026, 12, 6, 0, 0, tzinfo=UTC)),
        ("31/12/2026 20:00", ZoneInfo("Asia/Kolkata"), datetime(2026, 12, 31, 14, 30, tzinfo=UTC)),
        ("31/12/2026 20:00", ZoneInfo("Australia/Adelaide"), datetime(2026, 12, 31, 9, 30, tzinfo=UTC)),
        # On the day the clocks change, 19:00 is 19:00 local: CET in Berlin, EDT in New York.
        ("2026-10-25 19:00", BERLIN, datetime(2026, 10, 25, 18, 0, tzinfo=UTC)),
        # Berlin starts summer time on 28 Mar 2027, New York on 14 Mar 2027 ("Mar 28": the next one).
        ("Mar 28 7pm", BERLIN, datetime(2027, 3, 28, 17, 0, tzinfo=UTC)),
        ("Mar 27 7pm", BERLIN, datetime(2027, 3, 27, 18, 0, tzinfo=UTC)),
        ("Mar 14 7pm", NEW_YORK, datetime(2027, 3, 14, 23, 0, tzinfo=UTC)),
        ("Mar 13 7pm", NEW_YORK, datetime(2027, 3, 14, 0, 0, tzinfo=UTC)),
    ],
)
def test_natural_times_are_read_in_the_persons_zone(text: str, zone: ZoneInfo, expected: datetime) -> None:
    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # a Saturday

    assert parse_when(text, zone=zone, now=now) == expected


def test_plain_dates_are_exact_and_words_are_not() -> None:
    assert is_exact("2026-12-05 19:30") and is_exact("2026-12-05T19:30+01:00")
    assert is_exact("2026-12-05 19:30 Europe/Berlin")
    assert not is_exact("tomorrow 8pm") and not is_exact("31/12/2026 20:00")
