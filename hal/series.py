"""Values that change in steps over time -- at absolute instants, or at local wall times every
day -- and their 15-minute CSV files: the shared shape of the metering front-end's load
(hal.frontend) and the gas meter's demand (hal.flow_models)."""

from __future__ import annotations

import bisect
import csv
import itertools
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from hal.clock import require_utc

QUARTER_HOUR = timedelta(minutes=15)
T = TypeVar("T")


class StepSeries(Generic[T]):
    """Each ``(start, value)`` holds until the next start; before the first step and after
    ``end`` (if given) the value is ``idle``. ``error`` names the caller's error type."""

    def __init__(
        self,
        steps: Sequence[tuple[datetime, T]],
        idle: T,
        end: datetime | None,
        error: Callable[[str], Exception],
    ) -> None:
        starts = [require_utc(start) for start, _ in steps]
        if any(later <= earlier for earlier, later in itertools.pairwise(starts)):
            raise error("steps must be in strictly increasing time order")
        self._starts = starts
        self._values = [value for _, value in steps]
        self._idle = idle
        self._end = require_utc(end) if end is not None else None

    def value_at(self, moment: datetime) -> T:
        if self._end is not None and moment >= self._end:
            return self._idle
        index = bisect.bisect_right(self._starts, moment) - 1
        return self._values[index] if index >= 0 else self._idle

    def next_change_after(self, moment: datetime) -> datetime | None:
        index = bisect.bisect_right(self._starts, moment)
        upcoming = self._starts[index] if index < len(self._starts) else None
        if (
            self._end is not None
            and moment < self._end
            and (upcoming is None or self._end < upcoming)
        ):
            return self._end
        return upcoming


class DailySteps(Generic[T]):
    """The same day every day: ``(local wall time, value)`` entries in ``zone``, each holding
    until the next; the last one wraps past midnight to the first (rule M7: on a DST day the
    wall times keep their local meaning, the day being 23 or 25 hours long)."""

    def __init__(
        self,
        entries: Sequence[tuple[time, T]],
        zone: ZoneInfo,
        error: Callable[[str], Exception],
    ) -> None:
        if not entries:
            raise error("a daily schedule needs at least one entry")
        ordered = sorted(entries, key=lambda entry: entry[0])
        walls = [wall for wall, _ in ordered]
        if len(set(walls)) != len(walls):
            raise error("a daily schedule has two entries at the same time")
        self._walls = walls
        self._values = [value for _, value in ordered]
        self._zone = zone

    def value_at(self, moment: datetime) -> T:
        wall = moment.astimezone(self._zone).time().replace(tzinfo=None)
        return self._values[bisect.bisect_right(self._walls, wall) - 1]

    def next_change_after(self, moment: datetime) -> datetime:
        """The next instant a wall time of the schedule is reached, or the clocks change the
        value (an entry in the hour skipped in spring takes effect at the change; one in the
        hour repeated in autumn holds twice)."""
        day = moment.astimezone(self._zone).date()
        candidates = [
            self._instant(day + timedelta(days=offset), wall, fold)
            for offset in (0, 1)
            for wall in self._walls
            for fold in (0, 1)
        ]
        clock_change = _offset_change(self._zone, moment, moment + timedelta(days=2))
        if clock_change is not None and self.value_at(clock_change) != self.value_at(
            clock_change - timedelta(seconds=1)
        ):
            candidates.append(clock_change)
        return min(instant for instant in candidates if instant > moment)

    def _instant(self, day: date, wall: time, fold: int) -> datetime:
        return require_utc(datetime.combine(day, wall).replace(tzinfo=self._zone, fold=fold))


def _offset_change(zone: ZoneInfo, start: datetime, end: datetime) -> datetime | None:
    """The first instant in ``(start, end]`` at which ``zone``'s UTC offset differs from the one
    at ``start``, or None; the window holds at most one change, and changes fall on whole
    seconds, so halving the window down to a second finds it exactly."""
    before = start.astimezone(zone).utcoffset()
    if end.astimezone(zone).utcoffset() == before:
        return None
    low, high = start, end  # offset at low == before, at high != before
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def read_quarter_hours(
    path: Path,
    parse_values: Callable[[list[str]], T],
    error: Callable[[str], Exception],
    what: str,
) -> tuple[list[tuple[datetime, T]], datetime]:
    """The rows ``ISO timestamp (with offset), values...`` of a CSV file (a header row allowed)
    as steps, and the end of the last quarter-hour. ``parse_values`` reads a row's values and
    raises ValueError or IndexError for a bad one; every problem is ``error`` with its line."""
    steps: list[tuple[datetime, T]] = []
    try:
        with path.open(newline="") as handle:
            for line_number, row in enumerate(csv.reader(handle), start=1):
                if not row or (line_number == 1 and not row[0][:1].isdigit()):
                    continue
                try:
                    start = require_utc(datetime.fromisoformat(row[0].strip()))
                    steps.append((start, parse_values(row)))
                except (ValueError, IndexError) as problem:
                    raise error(
                        f"{path}:{line_number}: bad {what} row {row!r} ({problem})"
                    ) from problem
    except OSError as problem:
        raise error(f"{path}: {problem.strerror}") from problem
    if not steps:
        raise error(f"{path}: no {what} values")
    return steps, steps[-1][0] + QUARTER_HOUR
