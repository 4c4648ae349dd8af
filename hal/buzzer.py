"""The buzzer: beeps (e.g. the budget meter's double beep when a card can be removed)."""

from __future__ import annotations

from typing import Protocol

from hal.clock import Clock
from hal.events import DeviceEvent, EventRecorder


class Buzzer(Protocol):
    def beep(self, count: int = 1) -> None: ...


class EmulatedBuzzer:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.recorder = EventRecorder()

    def beep(self, count: int = 1) -> None:
        self.recorder.record(DeviceEvent(self._clock.now(), "buzzer", "beep", str(count)))
