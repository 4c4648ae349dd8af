"""Values that change in steps over time, and their 15-minute CSV files: the shared shape of
the metering front-end's load (hal.frontend) and the gas meter's demand (hal.flow_models)."""

from __future__ import annotations

import bisect
import csv
import itertools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Generic, TypeVar

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
