"""The gas flow sensor: flow in litres per hour (integer), set by the simulation."""

from __future__ import annotations

from typing import Protocol

from hal.clock import Clock
from hal.events import DeviceEvent, EventRecorder


class FlowSensor(Protocol):
    @property
    def flow_l_per_h(self) -> int: ...


class EmulatedFlowSensor:
    def __init__(self, clock: Clock, flow_l_per_h: int = 0) -> None:
        self._clock = clock
        self._flow = flow_l_per_h
        self.recorder = EventRecorder()

    @property
    def flow_l_per_h(self) -> int:
        return self._flow

    def set_flow(self, flow_l_per_h: int) -> None:
        if flow_l_per_h < 0:
            raise ValueError("flow must not be negative")
        self._flow = flow_l_per_h
        self.recorder.record(DeviceEvent(self._clock.now(), "flow", "set", str(flow_l_per_h)))
