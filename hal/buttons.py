"""Push buttons: a press has a duration (a short press, or a hold of several seconds)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from hal.clock import Clock
from hal.events import DeviceEvent, EventRecorder

SHORT_PRESS = timedelta(milliseconds=200)

ButtonHandler = Callable[[str, timedelta], None]


@dataclass(frozen=True)
class ButtonPress:
    """A press of ``button`` released after ``duration``."""

    at: datetime
    button: str
    duration: timedelta


class Buttons(Protocol):
    def subscribe(self, handler: ButtonHandler) -> None:
        """Call ``handler(button, duration)`` on each release."""
        ...


@dataclass
class EmulatedButtons:
    """Buttons pressed by a test, the CLI or the TUI; each release is recorded and handed to the
    subscribers (the firmware). ``at`` is the release instant."""

    clock: Clock
    presses: list[ButtonPress] = field(default_factory=list)
    recorder: EventRecorder = field(default_factory=EventRecorder)
    _handlers: list[ButtonHandler] = field(default_factory=list)

    def subscribe(self, handler: ButtonHandler) -> None:
        self._handlers.append(handler)

    def press(self, button: str = "green", duration: timedelta = SHORT_PRESS) -> None:
        now = self.clock.now()
        self.presses.append(ButtonPress(now, button, duration))
        seconds = f"{duration.total_seconds():g}s"
        self.recorder.record(DeviceEvent(now, f"button:{button}", "press", seconds))
        for handler in self._handlers:
            handler(button, duration)
