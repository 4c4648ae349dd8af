"""The gas valve: open, closed, or the test position of the leak-tightness test (rule G3)."""

from __future__ import annotations

from enum import Enum
from typing import Protocol

from hal.clock import Clock
from hal.events import DeviceEvent, EventRecorder


class ValvePosition(Enum):
    OPEN = "open"
    CLOSED = "closed"
    TEST = "test"


class Valve(Protocol):
    @property
    def position(self) -> ValvePosition: ...

    def move_to(self, position: ValvePosition) -> None: ...


class EmulatedValve:
    def __init__(self, clock: Clock, position: ValvePosition = ValvePosition.OPEN) -> None:
        self._clock = clock
        self._position = position
        self.recorder = EventRecorder()

    @property
    def position(self) -> ValvePosition:
        return self._position

    def move_to(self, position: ValvePosition) -> None:
        if position is self._position:
            return
        self._position = position
        self.recorder.record(DeviceEvent(self._clock.now(), "valve", "move", position.value))
