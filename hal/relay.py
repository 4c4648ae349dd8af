"""The supply relay (breaking device): closed = supply connected. Each change clicks."""

from __future__ import annotations

from typing import Protocol

from hal.clock import Clock
from hal.events import DeviceEvent, EventRecorder


class Relay(Protocol):
    @property
    def closed(self) -> bool: ...

    def set_closed(self, closed: bool) -> None:
        """Open or close the contacts; a change is audible (a click)."""
        ...


class EmulatedRelay:
    """A relay recording a ``click`` event (detail ``closed``/``open``) on every change."""

    def __init__(self, clock: Clock, closed: bool = True) -> None:
        self._clock = clock
        self._closed = closed
        self.recorder = EventRecorder()

    @property
    def closed(self) -> bool:
        return self._closed

    def set_closed(self, closed: bool) -> None:
        if closed == self._closed:
            return
        self._closed = closed
        detail = "closed" if closed else "open"
        self.recorder.record(DeviceEvent(self._clock.now(), "relay", "click", detail))
