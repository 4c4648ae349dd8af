"""What the LCD shows for each display item (rule E5): the cycle mechanism lives in
``display_cycle``, the screens here. Later features register more items in ``ITEM_SCREENS``.

The prepayment items (rule E7) are named ``94.32.2/1``..``/3`` as in the leaflets; a
7-segment code field has no slash, so it shows ``94.32.2.1``..``94.32.2.3``. Their values:
the last update as ``DD/MM/YY HH:MM`` local time (rule M7), the balance and the emergency
credit left in EUR with two decimals (a leading ``-`` when negative, rounded down). Before the
first update from the platform they show dashes (``NO_UPDATE_TIME``, ``NO_UPDATE_AMOUNT``).
In meter-side mode the same screens show the meter's own account: the time of the last balance
change, the balance and the emergency credit left (``MeterView.prepayment_balance``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from firmware.central_balance import BalanceUpdate
from firmware.registers import RegisterValues
from firmware.rules.localtime import to_local
from firmware.rules.money import Money
from firmware.rules.tariff import Tariff

# Symbol names on the LCD.
PHASE_SYMBOLS = ("L1", "L2", "L3")
IMPORTING = "P+"
EXPORTING = "P-"
TARIFF_SYMBOLS = {Tariff.PEAK: "T1", Tariff.OFF_PEAK: "T2"}
SWITCH_OPEN = "switch-open"
RECONNECT_ARROW = "reconnect-arrow"  # blinks when ready for reconnection (rule E8)
EURO_ARROW = "euro-arrow"  # steady while prepayment is active (rule E5); blinks: cut due (P4)
LIMITER = "A"  # the letter A at the left while the power is limited (rules B9, P4)
ALL_SYMBOLS = frozenset(
    {
        *PHASE_SYMBOLS,
        IMPORTING,
        EXPORTING,
        *TARIFF_SYMBOLS.values(),
        SWITCH_OPEN,
        RECONNECT_ARROW,
        EURO_ARROW,
        LIMITER,
    }
)
TEST_FIELDS = ("8.8.8.8.8", "888888.888", "kWh")
NO_UPDATE_TIME = "--/--/-- --:--"
NO_UPDATE_AMOUNT = "----.--"


class MeterView(Protocol):
    """What a screen may read from the meter."""

    @property
    def registers(self) -> RegisterValues: ...

    @property
    def tariff(self) -> Tariff: ...

    @property
    def prepayment_balance(self) -> BalanceUpdate | None:
        """The balance shown: the platform's last update, or the meter's own account."""
        ...


Screen = Callable[[MeterView], tuple[str, str, str]]


def format_kwh(wh: int) -> str:
    """``21701`` Wh -> ``000021.701`` (6 integer digits, 3 decimals, rule E1)."""
    return f"{wh // 1000:06d}.{wh % 1000:03d}"


def _register_screen(code: str, index: int) -> Screen:
    return lambda meter: (code, format_kwh(meter.registers[index]), "kWh")


def _tariff_screen(meter: MeterView) -> tuple[str, str, str]:
    return ("96.14.0", TARIFF_SYMBOLS[meter.tariff], "")


def format_update_time(update: BalanceUpdate | None) -> str:
    """``27/11/26 07:00``: the update's local date and time (rules E7, M7)."""
    if update is None:
        return NO_UPDATE_TIME
    return to_local(update.at).strftime("%d/%m/%y %H:%M")


def format_amount(amount: Money | None) -> str:
    """``-3.45``: EUR with two decimals, never more credit than there is."""
    return NO_UPDATE_AMOUNT if amount is None else amount.format(2)


def _update_time_screen(meter: MeterView) -> tuple[str, str, str]:
    return ("94.32.2.1", format_update_time(meter.prepayment_balance), "")


def _balance_screen(meter: MeterView) -> tuple[str, str, str]:
    update = meter.prepayment_balance
    return ("94.32.2.2", format_amount(update.balance if update else None), "EUR")


def _emergency_credit_screen(meter: MeterView) -> tuple[str, str, str]:
    update = meter.prepayment_balance
    return ("94.32.2.3", format_amount(update.emergency_credit if update else None), "EUR")


ITEM_SCREENS: dict[str, Screen] = {
    "1.8.1": _register_screen("1.8.1", 0),
    "1.8.2": _register_screen("1.8.2", 1),
    "2.8.1": _register_screen("2.8.1", 2),
    "2.8.2": _register_screen("2.8.2", 3),
    "tariff": _tariff_screen,
    "94.32.2/1": _update_time_screen,
    "94.32.2/2": _balance_screen,
    "94.32.2/3": _emergency_credit_screen,
}
