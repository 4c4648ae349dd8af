"""The gas meter's LCD and three-button strip (rules G1, G2, G3).

Buttons, left to right: ``euro`` (under the euro sign: the prepayment menu 94.32.2/1..3),
``arrow`` (next menu item, wrapping), ``m3`` (home: the volume in m3 with 3 decimals). On a dark
screen a press only wakes it (backlight on, home shown); the screen goes dark and home again
``backlight`` after the last press. Whatever the page, the valve symbol (open or closed) shows,
the warning symbol after a failed leak test, the blinking arrow over the leak-test button while
a test is armed, and ``7600`` replaces the page while the test runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Protocol

from firmware.central_balance import BalanceUpdate
from firmware.errors import FirmwareError
from firmware.gas.leak_test import BUTTONS, LeakTestState
from firmware.gas.volume import format_m3
from firmware.screens import format_amount, format_update_time
from hal.lcd import LcdState
from hal.valve import ValvePosition

VOLUME_CODE = "24.2.1"  # the gas index, OBIS 0-1:24.2.1
LEAK_TEST_CODE = "7600"
MENU = ("94.32.2.1", "94.32.2.2", "94.32.2.3")  # 94.32.2/1..3 on a 7-segment field (rule G2)
VALVE_OPEN = "valve-open"
VALVE_CLOSED = "valve-closed"
LEAK_WARNING = "leak-warning"
WARNING_STATES = (LeakTestState.FAILED, LeakTestState.LOCKED_OUT)


def leak_test_arrow(button: str) -> str:
    """The blinking arrow over ``button``: ``arrow-euro``, ``arrow-arrow`` or ``arrow-m3``."""
    return f"arrow-{button}"


GAS_SYMBOLS = frozenset(
    {VALVE_OPEN, VALVE_CLOSED, LEAK_WARNING, *(leak_test_arrow(button) for button in BUTTONS)}
)
"""Every symbol the gas meter's LCD has."""


class GasView(Protocol):
    """What the gas screens read from the meter."""

    @property
    def volume_dm3(self) -> int: ...

    @property
    def prepayment_balance(self) -> BalanceUpdate | None: ...


class Page(Enum):
    HOME = "home"
    MENU = "menu"


@dataclass(frozen=True)
class LeakTestView:
    """The leak test as the LCD needs it."""

    state: LeakTestState
    button: str


class GasDisplay:
    """The page shown and the backlight; ``render`` turns them and the meter into an LCD state."""

    def __init__(self, backlight: timedelta = timedelta(seconds=30)) -> None:
        if backlight <= timedelta():
            raise FirmwareError("the backlight time must be positive")
        self._backlight = backlight
        self.page = Page.HOME
        self.menu_index = 0
        self._dark_at: datetime | None = None

    @property
    def lit(self) -> bool:
        return self._dark_at is not None

    def press(self, button: str, now: datetime) -> None:
        """A short press of one of ``BUTTONS`` (rule G1)."""
        if button not in BUTTONS:
            raise FirmwareError(f"no button {button!r} on a gas meter: {', '.join(BUTTONS)}")
        self.update(now)
        was_lit = self.lit
        self.wake(now)
        if not was_lit:
            return
        if button == "euro":
            self.page, self.menu_index = Page.MENU, 0
        elif button == "arrow" and self.page is Page.MENU:
            self.menu_index = (self.menu_index + 1) % len(MENU)
        elif button == "m3":
            self.page = Page.HOME

    def wake(self, now: datetime) -> None:
        """Light the screen without changing the page (the press that started a leak test)."""
        self.update(now)
        self._dark_at = now + self._backlight

    def update(self, now: datetime) -> None:
        if self._dark_at is not None and now >= self._dark_at:
            self._dark_at, self.page = None, Page.HOME

    def next_deadline(self) -> datetime | None:
        return self._dark_at

    def render(self, meter: GasView, valve: ValvePosition, leak_test: LeakTestView) -> LcdState:
        symbols = {VALVE_OPEN if valve is ValvePosition.OPEN else VALVE_CLOSED}
        if leak_test.state in WARNING_STATES:
            symbols.add(LEAK_WARNING)
        blinking: frozenset[str] = frozenset()
        if leak_test.state is LeakTestState.ARMED:
            blinking = frozenset({leak_test_arrow(leak_test.button)})
        code, value, unit = self._fields(meter, leak_test.state)
        return LcdState(
            code=code,
            value=value,
            unit=unit,
            symbols=frozenset(symbols),
            blinking=blinking,
            backlight=self.lit,
        )

    def _fields(self, meter: GasView, leak_test: LeakTestState) -> tuple[str, str, str]:
        if leak_test is LeakTestState.RUNNING:
            return (LEAK_TEST_CODE, "", "")
        if self.page is Page.HOME:
            return (VOLUME_CODE, format_m3(meter.volume_dm3), "m3")
        update = meter.prepayment_balance
        if self.menu_index == 0:
            return (MENU[0], format_update_time(update), "")
        amount = None
        if update is not None:
            amount = update.balance if self.menu_index == 1 else update.emergency_credit
        return (MENU[self.menu_index], format_amount(amount), "EUR")
