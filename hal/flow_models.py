"""Gas demand models and a flow sensor fed by one (rules G1, G3).

A flow model says what the appliances (or a leak) draw at an instant, in integer litres
(dm3) per hour, and when that changes next, so the firmware can integrate exactly, as
``hal.frontend``'s load models do for electricity. ``ModelledFlowSensor`` gates the demand by
the valve: nothing passes a closed valve; in the test position only a leak would pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from hal.clock import Clock
from hal.events import DeviceEvent, EventRecorder
from hal.series import DailySteps, StepSeries, read_quarter_hours
from hal.valve import Valve, ValvePosition


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
        if any(flow < 0 for _, flow in steps):
            raise FlowError("flow must not be negative")
        self._series = StepSeries(steps, 0, end, FlowError)

    def flow_at(self, moment: datetime) -> int:
        return self._series.value_at(moment)

    def next_change_after(self, moment: datetime) -> datetime | None:
        return self._series.next_change_after(moment)


class DailyFlow:
    """The same day every day: ``(local wall time, l/h)`` entries, each holding until the next;
    the last one wraps past midnight to the first (``hal.series.DailySteps``, as the load's
    ``DailySchedule``)."""

    def __init__(self, entries: Sequence[tuple[time, int]], zone: ZoneInfo) -> None:
        if any(flow < 0 for _, flow in entries):
            raise FlowError("flow must not be negative")
        self._steps = DailySteps(entries, zone, FlowError)

    def flow_at(self, moment: datetime) -> int:
        return self._steps.value_at(moment)

    def next_change_after(self, moment: datetime) -> datetime | None:
        return self._steps.next_change_after(moment)


def csv_flow(path: Path) -> FlowSchedule:
    """Demand from a CSV of 15-minute values ``timestamp,l_per_h`` (ISO timestamp with offset, a
    header row allowed); each value holds for 15 minutes, nothing flows after the last row."""
    steps, end = read_quarter_hours(path, _flow, FlowError, "flow")
    return FlowSchedule(steps, end)


def _flow(row: list[str]) -> int:
    flow = int(row[1])
    if flow < 0:
        raise ValueError("flow must not be negative")
    return flow


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
