"""One gas meter: volume register, valve, leak test and display on the hal devices.

The parts live in their own modules; this class only keeps them in step: before any order or
press it integrates the volume up to now (so a valve move starts a new piece of flow), walking
the leak test's own deadlines so a leak or a pass lands at its exact instant. A runner calls
``tick`` when the clock reaches ``next_deadline``. With a ``NonVolatileMemory`` the volume
register survives a restart (it never goes backwards, rule G1): restored at power-up, saved at
``shutdown`` and before a higher value leaves the meter (``volume_for_release``); the last
central balance update (rules G2, E7) is saved with it when it arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from firmware.central_balance import BalanceUpdate, CentralBalance
from firmware.disconnect_control import ControlState, TransitionResult
from firmware.errors import StateFileError
from firmware.gas.display import GasDisplay, LeakTestView
from firmware.gas.leak_test import LeakTest, LeakTestSettings
from firmware.gas.valve import GasValve
from firmware.gas.volume import FlowSource, GasMetering, VolumeRegister
from firmware.nvm import NonVolatileMemory
from firmware.rules.credit import DEFAULT_RULES, CreditRules, reconnection_allowed
from firmware.rules.money import Money
from hal.buttons import Buttons
from hal.clock import Clock
from hal.lcd import Lcd
from hal.valve import Valve


@dataclass(frozen=True)
class GasSettings:
    control_mode: int = 3  # rule M1
    leak_test: LeakTestSettings = field(default_factory=LeakTestSettings)
    backlight: timedelta = timedelta(seconds=30)
    credit_rules: CreditRules = DEFAULT_RULES


class GasMeter:
    def __init__(
        self,
        clock: Clock,
        valve: Valve,
        flow: FlowSource,
        lcd: Lcd,
        buttons: Buttons,
        settings: GasSettings | None = None,
        nvm: NonVolatileMemory | None = None,
    ) -> None:
        self.settings = settings or GasSettings()
        self._clock, self._lcd, self._nvm = clock, lcd, nvm
        self.metering = GasMetering(flow, clock.now(), _restored_register(nvm))
        self._saved_dm3 = self.metering.dm3
        self.valve = GasValve(valve, self.settings.control_mode)
        self.leak_test = LeakTest(self.valve, flow, self.settings.leak_test)
        self.display = GasDisplay(self.settings.backlight)
        self._central = CentralBalance(_restored_balance(nvm))
        buttons.subscribe(self._on_button)
        self.tick()

    @property
    def volume_dm3(self) -> int:
        return self.metering.dm3

    def volume_for_release(self) -> int:
        """The volume now, saved first when it is higher than the last saved one, so a value a
        client has seen is never undone by a crash (rule G1)."""
        self.tick()
        if self.metering.dm3 > self._saved_dm3:
            self._save()
        return self.metering.dm3

    @property
    def balance(self) -> BalanceUpdate | None:
        """The platform's last balance update (central mode, rule M5), None before the first."""
        return self._central.last_update

    @property
    def prepayment_balance(self) -> BalanceUpdate | None:
        return self.balance

    def tick(self) -> None:
        """Bring everything up to the clock and refresh the LCD."""
        self._catch_up()
        self._show()

    def next_deadline(self, include_scroll: bool = True) -> datetime:
        """The next instant ``tick`` has work: leak test, backlight, profile or snapshot.
        Without ``include_scroll`` (instant runs) the backlight timeout is left out: nobody
        watches, and the next tick darkens the screen anyway."""
        candidates = [self.leak_test.next_deadline()]
        if include_scroll:
            candidates.append(self.display.next_deadline())
        return min([self.metering.next_deadline(), *(d for d in candidates if d is not None)])

    def advance_to(self, now: datetime) -> None:
        """The run loop's step: ``now`` is the shared clock's time, so this is ``tick``."""
        self.tick()

    def shutdown(self, at: datetime | None = None) -> None:
        """Power down: the volume is brought up to the clock and saved."""
        self.tick()
        self._save()

    def _save(self) -> None:
        if self._nvm is not None:
            register = self.metering.register
            snapshot: dict[str, Any] = {"dm3": register.dm3, "carried": register.carried}
            if self.balance is not None:
                snapshot["balance"] = _balance_snapshot(self.balance)
            self._nvm.save_gas(snapshot)
            self._saved_dm3 = register.dm3

    def receive_balance_update(
        self, at: datetime, balance: Money, emergency_credit: Money
    ) -> BalanceUpdate:
        """The 94.32.2 values shown in the prepayment menu (rule G2), kept over a restart.
        Raises ``FirmwareError`` as ``CentralBalance`` does (naive time, negative credit)."""
        update = self._central.receive_balance_update(at, balance, emergency_credit)
        self.tick()
        self._save()
        return update

    def receive_balance(self, update: BalanceUpdate) -> None:
        self.receive_balance_update(update.at, update.balance, update.emergency_credit)

    def enable_reconnection_on_last_balance(self) -> TransitionResult:
        """Central mode: the platform's reconnect order, taken only when the last balance it
        sent is 0.50 EUR or more (rule G4); refused before any balance arrived."""
        if self.balance is None:
            reason = "no balance received yet (rule G4)"
            return TransitionResult(False, self.valve.control_state, reason=reason)
        return self.enable_reconnection_if_credit(self.balance.balance)

    def remote_disconnect(self) -> TransitionResult:
        """The prepayment cut (rule M2, transitions b, c)."""
        return self._order(self.valve.remote_disconnect)

    def remote_reconnect(self) -> TransitionResult:
        """Reconnection enabled (transition d): the leak test is armed (rule G3)."""
        return self._order(self.valve.remote_reconnect)

    def enable_reconnection_if_credit(self, balance: Money) -> TransitionResult:
        """Meter-side mode: transition d only with the balance at 0.50 EUR or more (rule G4)."""
        if not reconnection_allowed(balance, self.settings.credit_rules):
            threshold = self.settings.credit_rules.reconnection_threshold
            reason = f"balance {balance} below {threshold} EUR (rule G4)"
            return TransitionResult(False, self.valve.control_state, reason=reason)
        if self.valve.control_state is not ControlState.DISCONNECTED:
            return TransitionResult(False, self.valve.control_state, reason="not disconnected")
        return self.remote_reconnect()

    def remote_reenable(self) -> bool:
        """The head-end clears a leak-test lockout (rule M4); False when not locked out."""
        self._catch_up()
        done = self.leak_test.remote_reenable(self._clock.now())
        self._show()
        return done

    def _order(self, order: Callable[[], TransitionResult]) -> TransitionResult:
        self._catch_up()
        result = order()
        self.tick()
        return result

    def _on_button(self, button: str, duration: timedelta) -> None:
        self._catch_up()
        now = self._clock.now()
        if self.leak_test.press(button, now):
            self.display.wake(now)
        else:
            self.display.press(button, now)
        self._show()

    def _catch_up(self) -> None:
        now = self._clock.now()
        while (deadline := self.leak_test.next_deadline()) is not None and deadline <= now:
            self.metering.advance_to(deadline)
            self.leak_test.update(deadline)
        self.metering.advance_to(now)
        self.leak_test.update(now)
        self.display.update(now)

    def _show(self) -> None:
        view = LeakTestView(self.leak_test.state, self.settings.leak_test.button)
        self._lcd.show(self.display.render(self, self.valve.position, view))


def _balance_snapshot(update: BalanceUpdate) -> dict[str, Any]:
    return {
        "at": update.at.isoformat(),
        "balance_mc": update.balance.milli_cents,
        "emergency_credit_mc": update.emergency_credit.milli_cents,
    }


def _restored_balance(nvm: NonVolatileMemory | None) -> BalanceUpdate | None:
    snapshot = nvm.load_gas() if nvm is not None else None
    if snapshot is None or "balance" not in snapshot:
        return None
    assert nvm is not None
    try:
        saved = snapshot["balance"]
        at = datetime.fromisoformat(saved["at"])
        balance, credit = Money(int(saved["balance_mc"])), Money(int(saved["emergency_credit_mc"]))
    except (KeyError, TypeError, ValueError) as error:
        raise StateFileError(f"{nvm.directory}: unusable gas balance ({error})") from error
    if at.tzinfo is None:
        raise StateFileError(f"{nvm.directory}: gas balance time without a zone")
    return BalanceUpdate(at, balance, credit)


def _restored_register(nvm: NonVolatileMemory | None) -> VolumeRegister:
    snapshot = nvm.load_gas() if nvm is not None else None
    if snapshot is None:
        return VolumeRegister()
    assert nvm is not None
    try:
        return VolumeRegister(int(snapshot["dm3"]), int(snapshot["carried"]))
    except (KeyError, TypeError, ValueError) as error:
        raise StateFileError(f"{nvm.directory}: unusable gas snapshot ({error})") from error
