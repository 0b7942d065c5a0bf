"""Non-urgent messages wait for the recipient's local daytime."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def is_quiet(moment: datetime, tz: ZoneInfo, start: time, end: time) -> bool:
    """Quiet hours run from `start` to `end` local time, across midnight when start > end."""
    local = moment.astimezone(tz).time()
    if start == end:
        return False
    if start > end:
        return local >= start or local < end
    return start <= local < end


def next_daytime(moment: datetime, tz: ZoneInfo, start: time, end: time) -> datetime:
    """`moment` itself outside quiet hours, else the end of this quiet period."""
    if not is_quiet(moment, tz, start, end):
        return moment
    local = moment.astimezone(tz)
    candidate = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(moment.tzinfo)
