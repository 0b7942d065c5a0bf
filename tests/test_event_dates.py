"""Dates as organisers type them (bot/services/event_dates.py): every accepted form, every bad
input of the issue, zones other than the deployment's, and summer time. "Now" is frozen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.services.event_dates import (
    Moment,
    Refusal,
    describe,
    parse_end,
    parse_moment,
    parse_range,
)

MOSCOW = ZoneInfo("Europe/Moscow")
YEKATERINBURG = ZoneInfo("Asia/Yekaterinburg")
VLADIVOSTOK = ZoneInfo("Asia/Vladivostok")
BERLIN = ZoneInfo("Europe/Berlin")  # has summer time; Russian zones have none
# Friday 13 March 2026, 12:00 in Moscow.
NOW = datetime(2026, 3, 13, 9, 0, tzinfo=UTC)


def local(reading: Moment | Refusal, tz: ZoneInfo = MOSCOW) -> str:
    assert isinstance(reading, Moment), reading
    return reading.at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("25.12 15:00", "2026-12-25 15:00"),
        ("завтра в 10", "2026-03-14 10:00"),
        ("15 марта 14:30", "2026-03-15 14:30"),
        ("15 марта в 14:30", "2026-03-15 14:30"),
        ("в пятницу в 9", "2026-03-20 09:00"),  # today is Friday: the next one
        ("в пятницу в 7 вечера", "2026-03-20 19:00"),
        ("25.12.2026 9:30", "2026-12-25 09:30"),
        ("25.12 в 15:00", "2026-12-25 15:00"),
        ("завтра в 9.30", "2026-03-14 09:30"),
        ("14.03 в 9 утра", "2026-03-14 09:00"),
        ("10.11.26 10:00", "2026-11-10 10:00"),  # dots: day, month, year
        ("05.01 10:00", "2027-01-05 10:00"),  # no year, the day has passed: next January
        ("29.02 10:00", "2028-02-29 10:00"),  # the next 29th of February
        ("послезавтра в 18:00", "2026-03-15 18:00"),
        ("через неделю в 10", "2026-03-20 10:00"),
        ("  Завтра,  в 10  ", "2026-03-14 10:00"),
        ("tomorrow at 10", "2026-03-14 10:00"),
        ("friday 9am", "2026-03-20 09:00"),
        ("on friday at 9", "2026-03-20 09:00"),
        ("March 15 14:30", "2026-03-15 14:30"),
        ("15 march 2027 10:00", "2027-03-15 10:00"),
        ("12/25 10:00", "2026-12-25 10:00"),  # slashes with a part over 12: month first
        ("monday 3pm", "2026-03-16 15:00"),
    ],
)
def test_accepted(typed: str, expected: str) -> None:
    assert local(parse_moment(typed, MOSCOW, NOW)) == expected


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("31.02 10:00", "impossible"),
        ("30 февраля 10:00", "impossible"),
        ("31.04.2026 10:00", "impossible"),
        ("15.13 10:00", "impossible"),
        ("25:70", "impossible"),
        ("завтра в 25", "impossible"),
        ("13.03 10:00", "past"),  # today, two hours ago
        ("сегодня в 10", "past"),
        ("вчера в 10", "past"),
        ("01.01.2020 10:00", "past"),
        ("25.12", "no_time"),
        ("завтра", "no_time"),
        ("в пятницу", "no_time"),
        ("12", "ambiguous"),
        ("10/11/12", "ambiguous"),
        ("03/04 10:00", "ambiguous"),
        ("в 15:00", "ambiguous"),  # a time without a day
        ("sdfsdf", "unreadable"),
        ("", "unreadable"),
        ("мартобря 45 число", "unreadable"),
        ("х" * 500, "unreadable"),
        ("25.12.2030 10:00", "too_far"),
    ],
)
def test_refused_with_a_reason(typed: str, reason: str) -> None:
    assert parse_moment(typed, MOSCOW, NOW) == Refusal(reason)  # type: ignore[arg-type]


def test_read_in_the_organisers_own_zone() -> None:
    """«завтра в 10» in Yekaterinburg is 10:00 there: 05:00 UTC, 08:00 in Moscow."""
    reading = parse_moment("завтра в 10", YEKATERINBURG, NOW)
    assert isinstance(reading, Moment)
    assert reading.at == datetime(2026, 3, 14, 5, 0, tzinfo=UTC)
    assert local(reading, MOSCOW) == "2026-03-14 08:00"
    # «Tomorrow» is Vladivostok's tomorrow: there it is already 19:00 on Friday.
    east = parse_moment("завтра в 9", VLADIVOSTOK, NOW)
    assert local(east, VLADIVOSTOK) == "2026-03-14 09:00"
    # 20:00 today in Vladivostok has not come yet; 18:00 has passed there (not in Moscow).
    assert isinstance(parse_moment("сегодня в 20:00", VLADIVOSTOK, NOW), Moment)
    assert parse_moment("сегодня в 18:00", VLADIVOSTOK, NOW) == Refusal("past")
    assert isinstance(parse_moment("сегодня в 18:00", MOSCOW, NOW), Moment)


def test_summer_time_changes_are_refused_where_the_zone_has_them() -> None:
    """Berlin's clock skips 02:00–03:00 on 29 March 2026 and repeats 02:00–03:00 on 25
    October; Moscow (no summer time) takes both moments."""
    assert parse_moment("29.03 02:30", BERLIN, NOW) == Refusal("impossible")
    assert parse_moment("25.10 02:30", BERLIN, NOW) == Refusal("ambiguous")
    assert local(parse_moment("29.03 02:30", MOSCOW, NOW)) == "2026-03-29 02:30"
    summer = parse_moment("01.07 10:00", BERLIN, NOW)
    winter = parse_moment("01.12 10:00", BERLIN, NOW)
    assert isinstance(summer, Moment) and isinstance(winter, Moment)
    assert summer.at.hour == 8 and winter.at.hour == 9  # UTC+2 in summer, UTC+1 in winter
    moscow = parse_moment("01.07 10:00", MOSCOW, NOW)
    assert isinstance(moscow, Moment) and moscow.at.hour == 7  # UTC+3 all year


def test_the_weekday_is_never_today_in_the_past() -> None:
    for typed in ("в пятницу в 9", "пятница 9:00", "friday 9am"):
        assert local(parse_moment(typed, MOSCOW, NOW)) == "2026-03-20 09:00"
    # On Thursday, «в пятницу» is the next day.
    thursday = NOW - timedelta(days=1)
    assert local(parse_moment("в пятницу в 9", MOSCOW, thursday)) == "2026-03-13 09:00"


def test_the_end_as_a_time_a_length_or_a_moment() -> None:
    start = datetime(2026, 3, 20, 6, 0, tzinfo=UTC)  # 09:00 in Moscow
    assert local(parse_end("17:30", start, MOSCOW, NOW)) == "2026-03-20 17:30"
    assert local(parse_end("3 ч", start, MOSCOW, NOW)) == "2026-03-20 12:00"
    assert local(parse_end("1,5 ч", start, MOSCOW, NOW)) == "2026-03-20 10:30"
    assert local(parse_end("90 мин", start, MOSCOW, NOW)) == "2026-03-20 10:30"
    assert local(parse_end("21.03 16:00", start, MOSCOW, NOW)) == "2026-03-21 16:00"
    assert parse_end("08:00", start, MOSCOW, NOW) == Refusal("past")  # before the start
    assert parse_end("0 ч", start, MOSCOW, NOW) == Refusal("past")
    assert parse_end("31.02 10:00", start, MOSCOW, NOW) == Refusal("impossible")


def test_a_session_range_on_the_events_day() -> None:
    day = datetime(2026, 3, 20).date()
    found = parse_range("10:00–11:30", day, YEKATERINBURG)
    assert not isinstance(found, Refusal)
    assert found[0] == datetime(2026, 3, 20, 5, 0, tzinfo=UTC)
    assert found[1] - found[0] == timedelta(minutes=90)
    assert parse_range("11:30-10:00", day, MOSCOW) == Refusal("past")
    assert parse_range("10 до 11", day, MOSCOW) == Refusal("unreadable")
    assert parse_range("10:00-24:30", day, MOSCOW) == Refusal("impossible")


def test_written_back_unambiguously() -> None:
    moment = datetime(2026, 3, 20, 6, 0, tzinfo=UTC)
    assert describe(moment, MOSCOW, "ru", home=MOSCOW) == "пятница, 20 марта 2026, 09:00"
    assert (
        describe(moment, YEKATERINBURG, "ru", home=MOSCOW)
        == "пятница, 20 марта 2026, 11:00 (Asia/Yekaterinburg)"
    )
    assert describe(moment, MOSCOW, "en", home=MOSCOW) == "Friday, 20 March 2026, 09:00"
