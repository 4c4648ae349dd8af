"""Observe a running ``VirtualMeter`` and judge a scenario's expectations against it.

``Observer.judge(expectation)`` returns what was actually seen and whether it matches:
- ``lcd.code`` / ``lcd.value`` / ``lcd.unit``: the LCD's field, exactly;
- ``lcd.symbols``: each named symbol is shown (steady or blinking); ``lcd.blinking``: each
  blinks (an empty list: nothing blinks); ``lcd.hidden``: none is shown; ``lcd.backlight``:
  on or off;
- ``relay`` / ``valve``: the disconnect control state; ``leak_test``: the gas test's state;
- ``balance`` / ``emergency_credit``: what the meter holds (meter-side account charged up to
  now, the platform's last update in central mode, the budget card account), exactly;
- ``register CODE`` (Wh) and ``volume`` (dm3): the firmware's registers;
- ``event``: an event-log entry since the previous step whose text (or code name) contains
  the expected words; ``notification``: a P9 notice of that kind since the previous step;
  ``notifications none``: no notice since then (the meter's notices in meter mode, the
  platform's when the scenario runs it);
- ``platform_balance``: the central platform's own balance (P7: the meter shows it later).
"""

from __future__ import annotations

from emulator.runtime import VirtualMeter
from emulator.scenario.central import CentralPlatform
from emulator.scenario.model import Expectation, format_money
from firmware.central_balance import BalanceUpdate
from firmware.logs import MeterEvent
from firmware.prepayment.account_events import (
    Disconnected,
    DisconnectionImminent,
    EmergencyCreditStarted,
    LowCredit,
    Notice,
    TopUpReceived,
)
from firmware.rules.money import Money
from firmware.supply_events import GridOutage, GridReturn, MeterNotice

NOTICE_NAMES: dict[type[Notice], str] = {
    LowCredit: "low_credit",
    EmergencyCreditStarted: "emergency_credit",
    DisconnectionImminent: "disconnection_imminent",
    Disconnected: "disconnected",
    TopUpReceived: "top_up",
}
REGISTER_INDEX = {"1.8.1": 0, "1.8.2": 1, "2.8.1": 2, "2.8.2": 3}


class Observer:
    """Reads the meter for expectations; remembers the event log and the notices as of the
    previous step (``step_done``) so ``event`` and ``notification`` see only what is new."""

    def __init__(self, virtual: VirtualMeter, central: CentralPlatform | None = None) -> None:
        self._virtual = virtual
        self._central = central
        self._notices: list[Notice] = []
        self._seen_events: set[MeterEvent] = set()
        if _has_meter(virtual):
            virtual.meter.subscribe_notices(self._heard)
            self._seen_events = set(virtual.meter.events)

    def _heard(self, notice: MeterNotice) -> None:
        """The P9 notices; a grid outage or return (E9) is the event log's (``event``)."""
        if not isinstance(notice, GridOutage | GridReturn):
            self._notices.append(notice)

    def step_done(self) -> None:
        """What happened so far is old news for the next step."""
        self._notices.clear()
        if self._central is not None:
            self._central.notices.clear()
        if _has_meter(self._virtual):
            self._seen_events = set(self._virtual.meter.events)

    def judge(self, expectation: Expectation) -> tuple[str, bool]:
        """(what the meter shows, whether it is what was expected)."""
        what, expected = expectation.what, expectation.expected
        if what.startswith("lcd."):
            return self._lcd(what.removeprefix("lcd."), expected)
        if what == "event":
            return self._event(expected)
        if what in ("notification", "notifications"):
            names = [NOTICE_NAMES[type(notice)] for notice in self._notices]
            if self._central is not None:
                names += self._central.notices
            actual = " ".join(names) or "none"
            passed = not names if expected == "none" else expected in names
            return actual, passed
        if what in ("balance", "emergency_credit", "platform_balance"):
            return self._amount(what, expected)
        actual = self.observe(what)
        return actual, actual == expected

    def observe(self, what: str) -> str:
        """The meter's value for one of the plain expectations (relay, balance...)."""
        virtual = self._virtual
        if what == "relay":
            return virtual.meter.relay.control_state.name.lower()
        if what == "valve":
            assert virtual.gas is not None
            return virtual.gas.valve.control_state.name.lower()
        if what == "leak_test":
            assert virtual.gas is not None
            return virtual.gas.leak_test.state.value
        if what == "volume":
            assert virtual.gas is not None
            return str(virtual.gas.volume_for_release())
        if what.startswith("register "):
            return str(virtual.meter.registers_for_release()[REGISTER_INDEX[what.split()[1]]])
        if what == "balance":
            return _money(self._balance_and_emergency()[0])
        if what == "emergency_credit":
            return _money(self._balance_and_emergency()[1])
        raise ValueError(f"no such expectation: {what}")

    def _amount(self, what: str, expected: str) -> tuple[str, bool]:
        """An amount compared to as many decimals as the expectation gives (2 as the LCD
        shows, rounded down; or up to 5 for the exact milli-cents)."""
        if what == "platform_balance":
            assert self._central is not None
            amount: Money | None = self._central.balance
        else:
            balance, emergency = self._balance_and_emergency()
            amount = balance if what == "balance" else emergency
        if amount is None:
            return _money(None), False
        places = len(expected.partition(".")[2])
        actual = amount.format(places)
        return actual, actual == expected

    def _balance_and_emergency(self) -> tuple[Money | None, Money | None]:
        virtual = self._virtual
        if virtual.budget is not None:
            account = virtual.budget.account
            return account.balance, account.emergency_credit_left
        update: BalanceUpdate | None
        if not _has_meter(virtual):
            assert virtual.gas is not None
            update = virtual.gas.prepayment_balance
        else:
            update = virtual.meter.prepayment_balance_for_release()
        if update is None:
            return None, None
        return update.balance, update.emergency_credit

    def _lcd(self, field: str, expected: str) -> tuple[str, bool]:
        state = self._virtual.hal.lcd.state
        shown = state.symbols | state.blinking
        wanted = set(expected.split())
        if field == "symbols":
            return " ".join(sorted(shown)) or "none", wanted <= shown
        if field == "blinking":  # an empty list: nothing blinks
            blinking = state.blinking
            passed = wanted <= blinking if wanted else not blinking
            return " ".join(sorted(blinking)) or "none", passed
        if field == "hidden":
            return " ".join(sorted(shown)) or "none", not wanted & shown
        if field == "backlight":
            actual = "on" if state.backlight else "off"
            return actual, actual == expected
        actual = {"code": state.code, "value": state.value, "unit": state.unit}[field]
        return actual, actual == expected

    def _event(self, expected: str) -> tuple[str, bool]:
        if not _has_meter(self._virtual):
            return "no event log", False
        new = [event for event in self._virtual.meter.events if event not in self._seen_events]
        words = expected.lower()
        passed = any(
            words in event.text.lower() or words == event.code.name.lower() for event in new
        )
        return "; ".join(event.text for event in new) or "none", passed


def _has_meter(virtual: VirtualMeter) -> bool:
    """Electricity and budget meters have the metering core (and its event log); a gas meter,
    whose hal is its own, has not."""
    return virtual.gas_hal is not virtual.hal


def _money(amount: Money | None) -> str:
    return "none (no balance yet)" if amount is None else format_money(amount)
