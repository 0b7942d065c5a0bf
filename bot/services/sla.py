"""How long a question has waited, counting only local daytime.

A question asked at 20:55 with quiet hours 21:00–08:00 has waited five minutes at 08:00 the
next morning: tutors are not chased for the night.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta, tzinfo


def _quiet_periods(
    start: datetime, end: datetime, tz: tzinfo, quiet_start: time, quiet_end: time
) -> Iterator[tuple[datetime, datetime]]:
    """Quiet periods (aware datetimes) of every local day that may touch [start, end]."""
    first_day = start.astimezone(tz).date() - timedelta(days=1)
    last_day = end.astimezone(tz).date()
    day = first_day
    while day <= last_day:
        begins = datetime.combine(day, quiet_start, tzinfo=tz)
        ends_on = day + timedelta(days=1) if quiet_start > quiet_end else day
        ends = datetime.combine(ends_on, quiet_end, tzinfo=tz)
        yield begins, ends
        day += timedelta(days=1)


def daytime_hours_between(
    start: datetime, end: datetime, tz: tzinfo, quiet_start: time, quiet_end: time
) -> float:
    """Hours from `start` to `end` that fall outside the quiet hours of `tz` (0 if end ≤ start).

    Quiet hours run from `quiet_start` to `quiet_end` local time, across midnight when
    start > end; equal times mean no quiet hours at all."""
    if end <= start:
        return 0.0
    total = (end - start).total_seconds()
    if quiet_start != quiet_end:
        for begins, ends in _quiet_periods(start, end, tz, quiet_start, quiet_end):
            overlap = (min(end, ends) - max(start, begins)).total_seconds()
            if overlap > 0:
                total -= overlap
    return max(total, 0.0) / 3600
