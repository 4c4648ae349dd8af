"""The metering front-end: import and export power per phase, piecewise constant in time.

A load model says what power flows at an instant and when that changes next, so a simulation
can jump from change to change and integrate exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from hal.series import DailySteps, StepSeries, read_quarter_hours

PHASES = 3


class LoadError(ValueError):
    """A load model's data is unusable (bad CSV row, bad schedule)."""


@dataclass(frozen=True)
class PowerReading:
    """Import and export power per phase (L1, L2, L3), integer watts, each >= 0."""

    import_w: tuple[int, int, int] = (0, 0, 0)
    export_w: tuple[int, int, int] = (0, 0, 0)

    @staticmethod
    def from_net(watts: int) -> PowerReading:
        """A balanced three-phase reading of ``watts`` net: positive imports, negative exports.
        The remainder of the split goes to L1."""
        magnitude = abs(watts)
        share, remainder = divmod(magnitude, PHASES)
        phases = (share + remainder, share, share)
        return PowerReading(import_w=phases) if watts >= 0 else PowerReading(export_w=phases)

    @property
    def net_w(self) -> int:
        """Total import minus total export (the meter nets the phases)."""
        return sum(self.import_w) - sum(self.export_w)


NO_POWER = PowerReading()


class LoadModel(Protocol):
    """Where the front-end's power comes from."""

    def reading_at(self, moment: datetime) -> PowerReading:
        """The power flowing at ``moment``."""
        ...

    def next_change_after(self, moment: datetime) -> datetime | None:
        """The first instant after ``moment`` at which the power may change, or None."""
        ...


class MeteringFrontEnd(Protocol):
    """The measuring chip of the meter, as the firmware sees it."""

    def reading_at(self, moment: datetime) -> PowerReading: ...

    def next_change_after(self, moment: datetime) -> datetime | None: ...


@dataclass(frozen=True)
class ConstantLoad:
    """The same power for ever."""

    reading: PowerReading

    def reading_at(self, moment: datetime) -> PowerReading:
        return self.reading

    def next_change_after(self, moment: datetime) -> datetime | None:
        return None


class StepLoad:
    """Power given as steps: each ``(start, reading)`` holds until the next start.
    Before the first step and after ``end`` (if given) no power flows."""

    def __init__(
        self, steps: Sequence[tuple[datetime, PowerReading]], end: datetime | None = None
    ) -> None:
        self._series = StepSeries(steps, NO_POWER, end, LoadError)

    def reading_at(self, moment: datetime) -> PowerReading:
        return self._series.value_at(moment)

    def next_change_after(self, moment: datetime) -> datetime | None:
        return self._series.next_change_after(moment)


class DailySchedule:
    """The same day every day: ``(local wall time, net watts)`` entries, each holding until the
    next; the last one wraps past midnight to the first (``hal.series.DailySteps``)."""

    def __init__(self, entries: Sequence[tuple[time, int]], zone: ZoneInfo) -> None:
        readings = [(wall, PowerReading.from_net(watts)) for wall, watts in entries]
        self._steps = DailySteps(readings, zone, LoadError)

    def reading_at(self, moment: datetime) -> PowerReading:
        return self._steps.value_at(moment)

    def next_change_after(self, moment: datetime) -> datetime | None:
        return self._steps.next_change_after(moment)


def csv_load(path: Path) -> StepLoad:
    """A load from a CSV of 15-minute values: ``timestamp,import_w[,export_w]`` with an ISO
    timestamp (with offset) per row, a header row allowed. Each value holds for 15 minutes
    from its timestamp; after the last row no power flows."""
    steps, end = read_quarter_hours(path, _reading, LoadError, "load")
    return StepLoad(steps, end)


def _reading(row: list[str]) -> PowerReading:
    import_w = int(row[1])
    export_w = int(row[2]) if len(row) > 2 and row[2].strip() else 0
    if import_w < 0 or export_w < 0:
        raise ValueError("power must not be negative")
    share = PowerReading.from_net(import_w).import_w
    export_share = PowerReading.from_net(-export_w).export_w
    return PowerReading(import_w=share, export_w=export_share)


class EmulatedFrontEnd:
    """A front-end fed by a load model that can be swapped at run time (``set_load``)."""

    def __init__(self, load: LoadModel) -> None:
        self.load = load

    def set_load(self, load: LoadModel) -> None:
        """Replace the load model; callers must then wake the meter's runner."""
        self.load = load

    def reading_at(self, moment: datetime) -> PowerReading:
        return self.load.reading_at(moment)

    def next_change_after(self, moment: datetime) -> datetime | None:
        return self.load.next_change_after(moment)
