"""The meter's push buttons: the green one (electricity), blue and red (budget meter), and the
gas strip ``euro``, ``arrow``, ``m3`` (rule G1). A key or a quick click is a short press; a
long click lasts as long as the mouse is held; shift+click or shift+key is a hold (``HOLD``,
e.g. the 5 s hold that starts a leak test)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from textual import events
from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from firmware.gas.leak_test import BUTTONS as GAS_BUTTONS
from hal.buttons import SHORT_PRESS

HOLD = timedelta(seconds=5)
ELECTRICITY_BUTTONS = ("green",)
BUDGET_BUTTONS = ("blue", "red")
DEFAULT_KEYS = {"green": "g", "blue": "b", "red": "r", "euro": "e", "arrow": "a", "m3": "m"}
LABELS = {"euro": "€", "arrow": "→", "m3": "m³"}

__all__ = [
    "BUDGET_BUTTONS",
    "ELECTRICITY_BUTTONS",
    "GAS_BUTTONS",
    "HOLD",
    "ButtonStrip",
    "MeterButton",
]


class MeterButton(Static):
    """One push button, held for as long as the mouse button is down (a quick click counts as
    ``SHORT_PRESS``); a shift+click is a ``HOLD``. ``monotonic`` reads the real time of the
    press (injected so tests can hold a button without waiting)."""

    class Clicked(Message):
        def __init__(self, button: str, duration: timedelta) -> None:
            super().__init__()
            self.button = button
            self.duration = duration

    def __init__(self, button: str, key: str, monotonic: Callable[[], float]) -> None:
        label = f"{LABELS.get(button, button)} [{key}]"
        super().__init__(label, markup=False, id=f"button-{button}")
        self.button = button
        self.add_class(f"-{button}")
        self._monotonic = monotonic
        self._down_at: float | None = None

    def on_mouse_down(self, event: events.MouseDown) -> None:
        event.stop()
        self._down_at = self._monotonic()
        self.capture_mouse()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._down_at is None:
            return
        event.stop()
        self.release_mouse()
        held_ms = round((self._monotonic() - self._down_at) * 1000)
        self._down_at = None
        duration = HOLD if event.shift else max(SHORT_PRESS, timedelta(milliseconds=held_ms))
        self.post_message(self.Clicked(self.button, duration))


class ButtonStrip(Widget, can_focus=True):
    """A row of buttons by name; posts ``ButtonStrip.Pressed(name, hold_s)`` on each press.
    Keys work while the strip (or a child) has focus: ``key`` short, ``shift+key`` hold."""

    class Pressed(Message):
        """``button`` was pressed and released after ``hold_s`` seconds."""

        def __init__(self, button: str, hold_s: float) -> None:
            super().__init__()
            self.button = button
            self.hold_s = hold_s

        @property
        def duration(self) -> timedelta:
            return timedelta(seconds=self.hold_s)

    def __init__(
        self,
        buttons: Sequence[str] = ELECTRICITY_BUTTONS,
        *,
        keys: Mapping[str, str] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        chosen = dict(DEFAULT_KEYS, **(keys or {}))
        self.keys = {button: chosen[button] for button in buttons}
        self._monotonic = monotonic

    def compose(self) -> ComposeResult:
        for button, key in self.keys.items():
            yield MeterButton(button, key, self._monotonic)

    def press(self, button: str, duration: timedelta = SHORT_PRESS) -> None:
        self.post_message(self.Pressed(button, duration.total_seconds()))

    def on_meter_button_clicked(self, message: MeterButton.Clicked) -> None:
        message.stop()
        self.press(message.button, message.duration)

    def on_key(self, event: events.Key) -> None:
        for button, key in self.keys.items():
            if event.key == key:
                self.press(button)
            elif event.key in (f"shift+{key}", key.upper()):
                self.press(button, HOLD)
            else:
                continue
            event.stop()
            return
