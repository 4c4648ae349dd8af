"""The meter's local time: Europe/Brussels with daylight saving (rule M7).

Everything inside vmeter is aware UTC; these helpers are the only place local time is derived.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


def to_local(moment: datetime) -> datetime:
    """The local (Brussels) wall-clock time of an aware instant."""
    return moment.astimezone(BRUSSELS)


def local_to_utc(day: date, wall: time) -> datetime:
    """The UTC instant of a local wall-clock time on a local day.

    An ambiguous autumn wall time maps to its first occurrence; a wall time skipped by the
    spring gap maps to the end of the gap (the first instant whose wall time is later), so
    the mapping stays monotone and switch instants within a day stay in order.
    """
    naive = datetime.combine(day, wall)
    moment = naive.replace(tzinfo=BRUSSELS, fold=0).astimezone(UTC)
    if _wall(moment) == naive:
        return moment
    # In the gap: bisect (whole seconds) for the first instant whose wall time is >= naive.
    low = naive.replace(tzinfo=BRUSSELS, fold=1).astimezone(UTC)  # wall before the gap
    low_s, high_s = 0, int((moment - low).total_seconds())
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if _wall(low + timedelta(seconds=middle)) >= naive:
            high_s = middle
        else:
            low_s = middle
    return low + timedelta(seconds=high_s)


def _wall(moment: datetime) -> datetime:
    return moment.astimezone(BRUSSELS).replace(tzinfo=None)


def local_midnight(day: date) -> datetime:
    """The UTC instant at which the local day ``day`` begins."""
    return local_to_utc(day, time(0, 0))


def next_local_midnight(moment: datetime) -> datetime:
    """The first local midnight strictly after ``moment`` (the daily snapshot instant, rule E3)."""
    return local_midnight(to_local(moment).date() + timedelta(days=1))


def parse_local(text: str) -> datetime:
    """An ISO 8601 date-time, aware; without an offset it is Brussels local time (what a
    technician reads on the meter). Raises ``ValueError`` for anything else."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=BRUSSELS)
