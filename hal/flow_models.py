"""Gas demand models and a flow sensor fed by one (rules G1, G3).

A flow model says what the appliances (or a leak) draw at an instant, in integer litres
(dm3) per hour, and when that changes next, so the firmware can integrate exactly, as
``hal.frontend``'s load models do for electricity. ``ModelledFlowSensor`` gates the demand by
the valve: nothing passes a closed valve; in the test position only a leak would pass.
"""

from __future__ import annotations

import bisect
import csv
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from hal.clock import Clock, require_utc
from hal.events import DeviceEvent, EventRecorder
from hal.valve import Valve, ValvePosition

QUARTER_HOUR = timedelta(minutes=15)


class FlowError(ValueError):
    """A flow model's data is unusable (negative flow, bad CSV row, unordered steps)."""


class FlowModel(Protocol):
    """What the installation downstream of the meter would draw."""

    def flow_at(self, moment: datetime) -> int:
        """The demand at ``moment`` in litres per hour (>= 0)."""
        ...

    def next_change_after(self, moment: datetime) -> datetime | None:
        """The first instant after ``moment`` at which the demand may change, or None."""
        ...


@dataclass(frozen=True)
class ConstantFlow:
    """The same demand for ever (0: appliances off and no leak)."""

    l_per_h: int

    def __post_init__(self) -> None:
        if self.l_per_h < 0:
            raise FlowError(f"flow must not be negative, not {self.l_per_h} l/h")

    def flow_at(self, moment: datetime) -> int:
        return self.l_per_h

    def next_change_after(self, moment: datetime) -> datetime | None:
        return None


class FlowSchedule:
    """Demand given as steps: each ``(start, l/h)`` holds until the next start. Before the first
    step and after ``end`` (if given) nothing flows."""

    def __init__(self, steps: Sequence[tuple[datetime, int]], end: datetime | None = None) -> None:
        starts = [require_utc(start) for start, _ in steps]
        if any(later <= earlier for earlier, later in itertools.pairwise(starts)):
            raise FlowError("flow steps must be in strictly increasing time order")
        flows = [flow for _, flow in steps]
        if any(flow < 0 for flow in flows):
            raise FlowError("flow must not be negative")
        self._starts = starts
        self._flows = flows
        self._end = require_utc(end) if end is not None else None

    def flow_at(self, moment: datetime) -> int:
        if self._end is not None and moment >= self._end:
            return 0
        index = bisect.bisect_right(self._starts, moment) - 1
        return self._flows[index] if index >= 0 else 0

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


def csv_flow(path: Path) -> FlowSchedule:
    """Demand from a CSV of 15-minute values ``timestamp,l_per_h`` (ISO timestamp with offset, a
    header row allowed); each value holds for 15 minutes, nothing flows after the last row."""
    steps: list[tuple[datetime, int]] = []
    try:
        with path.open(newline="") as handle:
            for line_number, row in enumerate(csv.reader(handle), start=1):
                if not row or (line_number == 1 and not row[0][:1].isdigit()):
                    continue
                steps.append(_csv_step(row, path, line_number))
    except OSError as error:
        raise FlowError(f"{path}: {error.strerror}") from error
    if not steps:
        raise FlowError(f"{path}: no flow values")
    return FlowSchedule(steps, end=steps[-1][0] + QUARTER_HOUR)


def _csv_step(row: list[str], path: Path, line_number: int) -> tuple[datetime, int]:
    try:
        start = require_utc(datetime.fromisoformat(row[0].strip()))
        flow = int(row[1])
    except (ValueError, IndexError) as error:
        raise FlowError(f"{path}:{line_number}: bad flow row {row!r} ({error})") from error
    if flow < 0:
        raise FlowError(f"{path}:{line_number}: flow must not be negative")
    return start, flow


class ModelledFlowSensor:
    """The flow sensor of an emulated gas meter: the demand model's flow when gas can pass the
    valve (open or test position), 0 behind a closed valve. A test injects a leak by swapping
    the model (``set_model``); the firmware must bring its integration up to date before."""

    def __init__(self, clock: Clock, valve: Valve, model: FlowModel | None = None) -> None:
        self._clock = clock
        self._valve = valve
        self.model: FlowModel = model if model is not None else ConstantFlow(0)
        self.recorder = EventRecorder()

    def set_model(self, model: FlowModel) -> None:
        self.model = model
        self.recorder.record(DeviceEvent(self._clock.now(), "flow", "model", type(model).__name__))

    @property
    def flow_l_per_h(self) -> int:
        return self.flow_at(self._clock.now())

    def flow_at(self, moment: datetime) -> int:
        if self._valve.position is ValvePosition.CLOSED:
            return 0
        return self.model.flow_at(moment)

    def next_change_after(self, moment: datetime) -> datetime | None:
        return self.model.next_change_after(moment)
