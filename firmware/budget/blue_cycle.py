"""The budget meter's display (rules B1, B6, B8, B9): the balance and the blue-button cycle.

Idle, the display shows the balance in EUR (B1); while on emergency credit it alternates item
`1` (emergency credit left) and item `10` (the reload that clears the debt, B6). The warning
triangle follows the account (B5) and a power limiter shows an `A` at the left (B9).

The blue button walks the B8 items in order, then back to idle; so does a pause of
`timeout`. Items marked * in B8 exist on dual-tariff meters only, ** with the card inserted.

    IDLE --press--> ITEM(first) --press--> ITEM(next) ... --press after the last--> IDLE
    ITEM --no press for `timeout`--> IDLE
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from firmware.budget.account import BudgetAccount, BudgetState, Triangle
from firmware.rules.localtime import to_local
from firmware.rules.money import MILLI_CENTS_PER_CENT, Money
from firmware.rules.tariff import Tariff
from hal.lcd import LcdState

TRIANGLE: Final = "triangle"  # B5: blinking when low, steady on emergency credit
LIMITER: Final = "A"  # B9: a power limiter, at the left of the display
BUDGET_SYMBOLS: Final = frozenset({TRIANGLE, LIMITER})
"""Every symbol a budget meter's LCD has (its test screen lights them all)."""
EUR: Final = "EUR"
EMERGENCY_LEFT_CODE: Final = "1"  # B6
AMOUNT_TO_CLEAR_CODE: Final = "10"  # B6
TEST_SCREEN: Final = LcdState(
    code="8.8.8.8.8",
    value="888888.888",
    unit="KWH EUR",
    symbols=BUDGET_SYMBOLS,
)


class BlueItem(enum.Enum):
    """B8, in the order of the presses."""

    TEST = 1
    TIME = 2
    DATE = 3
    TOTAL_LOADED = 4
    FIXED_CHARGES = 5
    TOTAL_INDEX = 6
    DAY_INDEX = 7
    DAY_PRICE = 8
    NIGHT_INDEX = 9  # dual tariff only
    NIGHT_PRICE = 10  # dual tariff only
    EMERGENCY_CREDIT = 11  # card inserted only


_DUAL_TARIFF_ONLY: Final = frozenset({BlueItem.NIGHT_INDEX, BlueItem.NIGHT_PRICE})


def blue_items(dual_tariff: bool, card_inserted: bool) -> tuple[BlueItem, ...]:
    """B8: the items this meter shows, in order."""
    return tuple(
        item
        for item in BlueItem
        if (dual_tariff or item not in _DUAL_TARIFF_ONLY)
        and (card_inserted or item is not BlueItem.EMERGENCY_CREDIT)
    )


def _kwh(wh: int) -> str:
    return f"{wh // 1000} KWH"


def _price(price: Money | None) -> str:
    return "----" if price is None else price.format(4)


def _cents_up(amount: Money) -> str:
    """An amount to pay, rounded up to the cent so that paying it is always enough."""
    return str(Money(-(-amount.milli_cents // MILLI_CENTS_PER_CENT) * MILLI_CENTS_PER_CENT))


def _emergency_credit(account: BudgetAccount) -> Money:
    """B8 item 11: the emergency credit at hand (all of it while armed, else what is left)."""
    if account.emergency_credit_available:
        return account.config.rules.budget_emergency_credit
    return account.emergency_credit_left


_TEXT: Final[dict[BlueItem, Callable[[BudgetAccount, datetime], str]]] = {
    BlueItem.TIME: lambda account, now: f"{to_local(now):%H:%M:%S}",
    BlueItem.DATE: lambda account, now: f"{to_local(now):%d/%m/%Y}",
    BlueItem.TOTAL_LOADED: lambda account, now: f"[2] {account.total_loaded}",
    BlueItem.FIXED_CHARGES: lambda account, now: f"[3] {account.config.weekly_fixed_charge}",
    BlueItem.TOTAL_INDEX: lambda account, now: _kwh(
        account.energy_wh(Tariff.PEAK) + account.energy_wh(Tariff.OFF_PEAK)
    ),
    BlueItem.DAY_INDEX: lambda account, now: f"{_kwh(account.energy_wh(Tariff.PEAK))} [1]",
    BlueItem.DAY_PRICE: lambda account, now: f"[4] {_price(account.config.day_price)} [1]",
    BlueItem.NIGHT_INDEX: lambda account, now: f"{_kwh(account.energy_wh(Tariff.OFF_PEAK))} [2]",
    BlueItem.NIGHT_PRICE: lambda account, now: f"[4] {_price(account.config.night_price)} [2]",
    BlueItem.EMERGENCY_CREDIT: lambda account, now: f"[5] {_emergency_credit(account)}",
}


def item_text(item: BlueItem, account: BudgetAccount, now: datetime) -> str:
    """The B8 value text of one item, e.g. `[2] 215.84` or `1482 KWH [1]`."""
    if item is BlueItem.TEST:
        return TEST_SCREEN.value
    return _TEXT[item](account, now)


class CycleMode(enum.Enum):
    IDLE = "idle"
    ITEM = "item"


class BlueCycle:
    """What the budget meter's display shows, and the blue button's walk through B8."""

    def __init__(
        self,
        account: BudgetAccount,
        now: datetime,
        timeout: timedelta = timedelta(seconds=30),
        alternation: timedelta = timedelta(seconds=3),
    ) -> None:
        self._account = account
        self._timeout = timeout
        self._alternation = alternation
        self._origin = now  # B6 alternation phase
        self.mode = CycleMode.IDLE
        self.index = 0
        self._items: tuple[BlueItem, ...] = ()
        self._back_to_idle: datetime | None = None

    def press_blue(self, now: datetime, card_inserted: bool) -> None:
        """B8: the next item; after the last one, back to the balance."""
        self.update(now)
        if self.mode is CycleMode.IDLE:
            self._items = blue_items(self._account.config.dual_tariff, card_inserted)
            self.mode, self.index = CycleMode.ITEM, 0
        elif self.index + 1 < len(self._items):
            self.index += 1
        else:
            self._to_idle(now)
            return
        self._back_to_idle = now + self._timeout

    def update(self, now: datetime) -> None:
        if self._back_to_idle is not None and now >= self._back_to_idle:
            self._to_idle(self._back_to_idle)

    @property
    def item(self) -> BlueItem | None:
        return self._items[self.index] if self.mode is CycleMode.ITEM else None

    def screen(self, now: datetime) -> LcdState:
        """The LCD at `now`: a B8 item, or the balance (B1) / the B6 alternation."""
        self.update(now)
        account = self._account
        symbols: set[str] = {LIMITER} if account.config.power_limiter else set()  # B9
        blinking: set[str] = set()
        if account.triangle is Triangle.STEADY:
            symbols.add(TRIANGLE)
        elif account.triangle is Triangle.BLINKING:
            blinking.add(TRIANGLE)
        item = self.item
        if item is BlueItem.TEST:
            return TEST_SCREEN
        if item is not None:
            code, value, unit = str(item.value), item_text(item, account, now), ""
        elif account.state is BudgetState.EMERGENCY_CREDIT and self._showing_debt(now):
            code, value, unit = AMOUNT_TO_CLEAR_CODE, _cents_up(account.amount_to_clear), EUR
        elif account.state is BudgetState.EMERGENCY_CREDIT:
            code, value, unit = EMERGENCY_LEFT_CODE, str(account.emergency_credit_left), EUR
        else:
            code, value, unit = "", str(account.balance), EUR
        return LcdState(code, value, unit, frozenset(symbols), frozenset(blinking))

    def next_deadline(self, now: datetime) -> datetime | None:
        """The next instant the screen changes by itself (timeout, or the B6 alternation)."""
        if self._back_to_idle is not None:
            return self._back_to_idle
        if self._account.state is BudgetState.EMERGENCY_CREDIT:
            steps = (now - self._origin) // self._alternation
            return self._origin + (steps + 1) * self._alternation
        return None

    def _showing_debt(self, now: datetime) -> bool:
        return (now - self._origin) // self._alternation % 2 == 1

    def _to_idle(self, at: datetime) -> None:
        self.mode, self._back_to_idle, self._items = CycleMode.IDLE, None, ()
