"""Repeat rules expanded on local wall-clock times: the local time holds across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from gamesched.core.errors import Invalid
from gamesched.games.recurrence import build_rule, check_rule, describe, expand, naive_local


def local_times(rule: str, start: datetime, count: int) -> list[str]:
    zone = start.tzinfo
    assert isinstance(zone, ZoneInfo)
    stored = check_rule(rule, start=start, zone=zone)
    after = start.astimezone(UTC) - timedelta(seconds=1)  # the first start counts
    moments = islice(expand(stored, naive_local(start, zone), zone, after=after), count)
    return [m.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z") for m in moments]


def test_a_weekly_berlin_series_stays_at_19_00_across_the_october_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    got = local_times("FREQ=WEEKLY;BYDAY=TU", datetime(2026, 10, 20, 19, 0, tzinfo=berlin), 3)
    assert got == ["Tue 2026-10-20 19:00 CEST", "Tue 2026-10-27 19:00 CET", "Tue 2026-11-03 19:00 CET"]


def test_the_berlin_series_moves_in_utc_by_the_hour_the_clocks_went_back() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    stored = check_rule("FREQ=WEEKLY;BYDAY=TU", start=datetime(2026, 10, 20, 19, tzinfo=berlin), zone=berlin)
    first, second = islice(
        expand(stored, datetime(2026, 10, 20, 19), berlin, after=datetime(2026, 10, 1, tzinfo=UTC)), 2
    )
    assert (first.hour, second.hour) == (17, 18)


def test_a_weekly_new_york_series_stays_at_19_30_across_both_changes() -> None:
    new_york = ZoneInfo("America/New_York")
    autumn = local_times("FREQ=WEEKLY;BYDAY=SA", datetime(2026, 10, 24, 19, 30, tzinfo=new_york), 3)
    assert autumn == ["Sat 2026-10-24 19:30 EDT", "Sat 2026-10-31 19:30 EDT", "Sat 2026-11-07 19:30 EST"]
    spring = local_times("FREQ=WEEKLY;BYDAY=SU", datetime(2027, 3, 7, 19, 30, tzinfo=new_york), 2)
    assert spring == ["Sun 2027-03-07 19:30 EST", "Sun 2027-03-14 19:30 EDT"]


@pytest.mark.parametrize(
    ("zone", "first", "expected"),
    [
        ("Asia/Kolkata", datetime(2026, 10, 20, 20, 0), ["14:30", "14:30"]),  # +05:30 all year
        ("Australia/Adelaide", datetime(2026, 9, 29, 19, 0), ["09:30", "08:30"]),  # +09:30 → +10:30 on 4 Oct
    ],
)
def test_a_half_hour_offset_zone_keeps_its_local_time(
    zone: str, first: datetime, expected: list[str]
) -> None:
    tz = ZoneInfo(zone)
    start = first.replace(tzinfo=tz)
    stored = check_rule("FREQ=WEEKLY", start=start, zone=tz)
    moments = list(islice(expand(stored, first, tz, after=datetime(2026, 9, 1, tzinfo=UTC)), 2))
    assert [m.strftime("%H:%M") for m in moments] == expected
    assert {m.astimezone(tz).strftime("%H:%M") for m in moments} == {first.strftime("%H:%M")}


def test_last_friday_of_the_month() -> None:
    london = ZoneInfo("Europe/London")
    rule = build_rule("monthly_last", datetime(2026, 11, 27, 20, 0))
    assert rule == "FREQ=MONTHLY;INTERVAL=1;BYDAY=-1FR"
    got = local_times(rule, datetime(2026, 11, 27, 20, 0, tzinfo=london), 4)
    assert got == [
        "Fri 2026-11-27 20:00 GMT",
        "Fri 2026-12-25 20:00 GMT",
        "Fri 2027-01-29 20:00 GMT",
        "Fri 2027-02-26 20:00 GMT",
    ]
    assert describe(rule, datetime(2026, 11, 27, 20)) == "Every month on the last Friday at 20:00"


def test_third_thursday_of_the_month() -> None:
    utc = ZoneInfo("UTC")
    rule = build_rule("monthly_position", datetime(2026, 11, 19, 18, 0), count=3)
    got = local_times(rule, datetime(2026, 11, 19, 18, tzinfo=utc), 5)
    assert got == ["Thu 2026-11-19 18:00 UTC", "Thu 2026-12-17 18:00 UTC", "Thu 2027-01-21 18:00 UTC"]


def test_every_two_weeks_on_two_days() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    rule = build_rule("weekly", datetime(2026, 11, 30, 19), interval=2, weekdays=["MO", "TH"])
    got = local_times(rule, datetime(2026, 11, 30, 19, tzinfo=berlin), 4)
    assert [g[:14] for g in got] == ["Mon 2026-11-30", "Thu 2026-12-03", "Mon 2026-12-14", "Thu 2026-12-17"]
    assert describe(rule, datetime(2026, 11, 30, 19)) == "Every 2 weeks on Monday and Thursday at 19:00"


@pytest.mark.parametrize(
    ("rule", "sentence"),
    [
        ("FREQ=HOURLY", "a game repeats at most daily"),
        ("FREQ=WEEKLY;BYDAY=XX", "couldn't read the repeat rule"),
        ("FREQ=WEEKLY;UNTIL=20200101", "ends before it starts"),
        ("FREQ=WEEKLY;BYHOUR=9", "the time comes from the start"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20270101", "not both"),
    ],
)
def test_a_bad_rule_is_refused_with_a_sentence(rule: str, sentence: str) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    with pytest.raises(Invalid) as refused:
        check_rule(rule, start=datetime(2026, 12, 1, 19, tzinfo=berlin), zone=berlin)
    assert sentence in refused.value.message
    assert refused.value.message.endswith(".")
