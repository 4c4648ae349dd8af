"""What the LCD shows for each display item (rule E5): the cycle mechanism lives in
``display_cycle``, the screens here. Later features register more items in ``ITEM_SCREENS``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from firmware.registers import RegisterValues
from firmware.rules.tariff import Tariff

# Symbol names on the LCD.
PHASE_SYMBOLS = ("L1", "L2", "L3")
IMPORTING = "P+"
EXPORTING = "P-"
TARIFF_SYMBOLS = {Tariff.PEAK: "T1", Tariff.OFF_PEAK: "T2"}
SWITCH_OPEN = "switch-open"
RECONNECT_ARROW = "reconnect-arrow"  # blinks when ready for reconnection (rule E8)
ALL_SYMBOLS = frozenset(
    {*PHASE_SYMBOLS, IMPORTING, EXPORTING, *TARIFF_SYMBOLS.values(), SWITCH_OPEN, RECONNECT_ARROW}
)
TEST_FIELDS = ("8.8.8.8.8", "888888.888", "kWh")


class MeterView(Protocol):
    """What a screen may read from the meter."""

    @property
    def registers(self) -> RegisterValues: ...

    @property
    def tariff(self) -> Tariff: ...


Screen = Callable[[MeterView], tuple[str, str, str]]


def format_kwh(wh: int) -> str:
    """``21701`` Wh -> ``000021.701`` (6 integer digits, 3 decimals, rule E1)."""
    return f"{wh // 1000:06d}.{wh % 1000:03d}"


def _register_screen(code: str, index: int) -> Screen:
    return lambda meter: (code, format_kwh(meter.registers[index]), "kWh")


def _tariff_screen(meter: MeterView) -> tuple[str, str, str]:
    return ("96.14.0", TARIFF_SYMBOLS[meter.tariff], "")


ITEM_SCREENS: dict[str, Screen] = {
    "1.8.1": _register_screen("1.8.1", 0),
    "1.8.2": _register_screen("1.8.2", 1),
    "2.8.1": _register_screen("2.8.1", 2),
    "2.8.2": _register_screen("2.8.2", 3),
    "tariff": _tariff_screen,
}
