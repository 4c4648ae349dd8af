"""One gas meter: volume register, valve, leak test, display and prepayment on the hal devices.

The parts live in their own modules; this class only keeps them in step: before any order or
press it integrates the volume up to now (so a valve move starts a new piece of flow), walking
the leak test's own deadlines so a leak or a pass lands at its exact instant. A runner calls
``tick`` when the clock reaches ``next_deadline``. With a ``NonVolatileMemory`` the volume
register, the valve, the leak test (a lockout survives a restart, rule M4), the daily
snapshots and the balance survive a restart (``firmware.gas.saved_state``); the volume never
goes backwards (rule G1): a higher value is saved before it leaves (``volume_for_release``).

Prepayment (rule M5) as on the electricity meter: in central mode the meter stores and shows
the platform's balance; in meter mode it keeps its own ``MeterSideAccount``
(``firmware.prepayment.meter_side``), charged in slices (each quarter hour, midnight, account
deadline, read and order). The account prices energy per kWh; gas feeds it one Wh per dm3, so
its price "per kWh" is the price per m3. Its orders drive the valve (M2: a cut is
remote_disconnect, P8 re-enable remote_reconnect, which arms the leak test, G3, G4); gas has
no limiter (P4). Its P9 notices and each leak-test result go to ``notices`` and the listeners.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from firmware.central_balance import BalanceUpdate, CentralBalance
from firmware.disconnect_control import ControlState, TransitionResult
from firmware.errors import FirmwareError
from firmware.gas.display import GasDisplay, LeakTestView
from firmware.gas.leak_test import LeakTest, LeakTestSettings, LeakTestState
from firmware.gas.notices import GasNotice, LeakTestResult
from firmware.gas.saved_state import SavedGas
from firmware.gas.valve import GasValve
from firmware.gas.volume import FlowSource, GasMetering, VolumeEntry, VolumeRegister
from firmware.notice_queue import NoticeQueue
from firmware.nvm import GAS_FILE, NonVolatileMemory
from firmware.prepayment.account import AccountConfig, MeterSideAccount
from firmware.prepayment.account_billing import BilledAccount, MemoryJournal
from firmware.prepayment.account_events import Order, Outcome
from firmware.prepayment.meter_side import balance_update, open_account
from firmware.registers import MJ_PER_WH
from firmware.rules.credit import DEFAULT_RULES, CreditRules, reconnection_allowed
from firmware.rules.money import Money
from firmware.rules.tariff import Tariff
from firmware.rules.token import TokenCheck
from firmware.settings import PrepaymentMode
from hal.buttons import Buttons
from hal.clock import Clock
from hal.lcd import Lcd
from hal.valve import Valve

MJ_PER_DM3 = MJ_PER_WH  # the account's "kWh" is a m3 of gas (see the module docstring)


@dataclass(frozen=True)
class GasSettings:
    """``account``: the meter-side account (its prices per m3), required in meter mode."""

    control_mode: int = 3  # rule M1
    leak_test: LeakTestSettings = field(default_factory=LeakTestSettings)
    backlight: timedelta = timedelta(seconds=30)
    credit_rules: CreditRules = DEFAULT_RULES
    prepayment: PrepaymentMode = PrepaymentMode.CENTRAL
    account: AccountConfig | None = None

    def __post_init__(self) -> None:
        if (self.prepayment is PrepaymentMode.METER) != (self.account is not None):
            raise FirmwareError("a gas meter has an account config in meter mode only")
        if self.account is not None and self.account.power_limiter:
            raise FirmwareError("a gas meter has no power limiter (rule P4)")


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
        document = nvm.load_gas() if nvm is not None else None
        where = str(nvm.directory / GAS_FILE) if nvm is not None else GAS_FILE
        saved = SavedGas.from_json(document, where) if document is not None else None
        self.metering = GasMetering(
            flow, clock.now(), saved.register if saved else VolumeRegister()
        )
        if saved:
            self.metering.snapshots.extend(saved.snapshots)
        self._saved_dm3 = self.metering.dm3
        self.valve = GasValve(valve, self.settings.control_mode, saved.valve if saved else None)
        self.leak_test = LeakTest(self.valve, flow, self.settings.leak_test)
        if saved and saved.leak_test:
            self.leak_test.restore(saved.leak_test)
        self._results_seen = 0
        self.display = GasDisplay(self.settings.backlight)
        self._central = CentralBalance(saved.balance if saved else None)
        self._notices: NoticeQueue[GasNotice] = NoticeQueue()
        self.notices = self._notices.notices
        """P9 notices and leak-test results not yet pushed (drained, or ``subscribe_notices``)."""
        self._account: BilledAccount | None = None
        self._account_due: datetime | None = None
        self._saved_marks: tuple[object, ...] | None = None
        if self.settings.account is not None:
            journal = nvm.gas_journal() if nvm is not None else MemoryJournal()
            self._account, outcome = open_account(
                self.settings.account,
                journal,
                saved.account if saved else None,
                self._import_mj(),
                clock.now(),
            )
            self._carry_out(outcome, clock.now())
        buttons.subscribe(self._on_button)
        self.tick()

    # -- views ---------------------------------------------------------------------------------

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

    def snapshots_for_release(self) -> list[VolumeEntry]:
        """The daily midnight volumes (rule E3 as for electricity), oldest first."""
        self.tick()
        return list(self.metering.snapshots)

    @property
    def balance(self) -> BalanceUpdate | None:
        """The platform's last balance update (central mode, rule M5), None before the first."""
        return self._central.last_update

    @property
    def prepayment_balance(self) -> BalanceUpdate | None:
        """What the euro menu shows (rule G2): the platform's last update, or in meter mode
        the account as of its last slice."""
        if self._account is None:
            return self._central.last_update
        return balance_update(self._account.account)

    @property
    def account(self) -> MeterSideAccount | None:
        """The meter-side account as of its last slice (None outside meter mode)."""
        return self._account.account if self._account else None

    def account_for_release(self) -> MeterSideAccount:
        """The account charged up to now (a read is a slice); ``FirmwareError`` outside meter
        mode (rule M5)."""
        billed = self._meter_side()
        self._catch_up()
        self._run_account(self._clock.now())
        self._after_change()
        return billed.account

    def subscribe_notices(self, listener: Callable[[GasNotice], None]) -> None:
        """Call ``listener`` with each notice as it happens (besides the ``notices`` queue)."""
        self._notices.subscribe(listener)

    # -- time ----------------------------------------------------------------------------------

    def tick(self) -> None:
        """Bring everything up to the clock and refresh the LCD."""
        self._catch_up()
        self._after_change()

    def next_deadline(self, include_scroll: bool = True) -> datetime:
        """The next instant ``tick`` has work: leak test, account, profile or snapshot, and
        (``include_scroll``) the backlight timeout; instant runs leave the latter out: nobody
        watches, and the next tick darkens the screen anyway."""
        candidates = [self.leak_test.next_deadline(), self._account_due]
        if include_scroll:
            candidates.append(self.display.next_deadline())
        return min([self.metering.next_deadline(), *(d for d in candidates if d is not None)])

    def advance_to(self, now: datetime) -> None:
        """The run loop's step: ``now`` is the shared clock's time, so this is ``tick``."""
        self.tick()

    def shutdown(self, at: datetime | None = None) -> None:
        """Power down: everything is brought up to the clock and saved."""
        self.tick()
        self._save()

    # -- central prepayment --------------------------------------------------------------------

    def receive_balance_update(
        self, at: datetime, balance: Money, emergency_credit: Money
    ) -> BalanceUpdate:
        """The 94.32.2 values shown in the prepayment menu (rule G2), kept over a restart.
        Raises ``FirmwareError`` as ``CentralBalance`` does (naive time, negative credit), and
        in meter mode, where the meter keeps its own balance (rule M5)."""
        if self._account is not None:
            raise FirmwareError("balance updates come from the platform only in central mode")
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

    # -- meter-side prepayment -----------------------------------------------------------------

    def enter_token(self, token: str | bytes) -> TokenCheck:
        """P6: a top-up token (through the Token gateway). An accepted one is credited and may
        re-enable reconnection (P8): the leak test is armed (G3, G4)."""
        billed = self._meter_side()
        self._catch_up()
        now = self._clock.now()
        self._run_account(now)
        outcome = billed.account.top_up(now, token)
        self._carry_out(outcome, now)
        self._after_change()
        assert outcome.token is not None  # a top-up always says what became of the token
        return outcome.token

    # The operator's orders to the account, as ``ElectricityMeter``'s (COSEM payment methods).

    def set_low_credit_threshold(self, threshold: Money) -> None:
        """P2 (``FirmwareError`` if negative)."""
        self._change_account(lambda account, at: account.set_low_credit_threshold(at, threshold))

    def adjust_credit(self, amount: Money) -> None:
        """An operator's correction of the balance, booked in the ledger (M6)."""
        self._change_account(lambda account, at: account.adjust(at, amount))

    def activate_prices(self, prices: Mapping[Tariff, Money]) -> None:
        """New prices per m3 (one per tariff register: gas feeds the first) from now on: the
        volume counted so far is charged at the old ones first (M6)."""
        self._change_account(lambda account, at: account.activate_prices(at, prices))

    def close_account(self) -> None:
        """No more charging and no orders from the account until ``reset_account``."""
        self._change_account(lambda account, at: account.close(at))

    def reset_account(self) -> None:
        """Settle a closed account and open a new one with the starting credit (P1)."""
        self._change_account(lambda account, at: account.reset(at))

    def _change_account(self, change: Callable[[MeterSideAccount, datetime], Outcome]) -> None:
        """Charge up to now, apply ``change``, carry out its orders and save (M6)."""
        billed = self._meter_side()
        self._catch_up()
        now = self._clock.now()
        self._run_account(now)
        self._carry_out(change(billed.account, now), now)
        self._save()
        self._after_change()

    # -- valve orders --------------------------------------------------------------------------

    def remote_disconnect(self) -> TransitionResult:
        """The prepayment cut (rule M2, transitions b, c)."""
        return self._order(self.valve.remote_disconnect)

    def remote_reconnect(self) -> TransitionResult:
        """Reconnection enabled (transition d): the leak test is armed (rule G3)."""
        return self._order(self.valve.remote_reconnect)

    def enable_reconnection_if_credit(self, balance: Money) -> TransitionResult:
        """Transition d only with the balance at 0.50 EUR or more (rule G4)."""
        if not reconnection_allowed(balance, self.settings.credit_rules):
            threshold = self.settings.credit_rules.reconnection_threshold
            reason = f"balance {balance} below {threshold} EUR (rule G4)"
            return TransitionResult(False, self.valve.control_state, reason=reason)
        if self.valve.control_state is not ControlState.DISCONNECTED:
            return TransitionResult(False, self.valve.control_state, reason="not disconnected")
        return self.remote_reconnect()

    def head_end_reconnect(self) -> bool:
        """The head-end's remote_reconnect: after a leak-test lockout the re-enable (rule M4);
        otherwise transition d, with the balance at 0.50 EUR or more (rule G4): the platform's
        last one in central mode, the account's in meter mode."""
        if self.leak_test.state is LeakTestState.LOCKED_OUT:
            return self.remote_reenable()
        if self._account is not None:
            balance = self.account_for_release().balance
            return self.enable_reconnection_if_credit(balance).accepted
        if self.settings.prepayment is PrepaymentMode.CENTRAL:
            return self.enable_reconnection_on_last_balance().accepted
        return self.remote_reconnect().accepted

    def remote_reenable(self) -> bool:
        """The head-end clears a leak-test lockout (rule M4); False when not locked out."""
        self._catch_up()
        done = self.leak_test.remote_reenable(self._clock.now())
        self._after_change()
        return done

    def set_control_mode(self, mode: int) -> None:
        """COSEM control_mode; ``FirmwareError`` as ``GasValve.set_control_mode``. Saved."""
        self._catch_up()
        self.valve.set_control_mode(mode)
        self._after_change()

    def _order(self, order: Callable[[], TransitionResult]) -> TransitionResult:
        self._catch_up()
        result = order()
        self._catch_up()
        self._after_change()
        return result

    # -- buttons -------------------------------------------------------------------------------

    def _on_button(self, button: str, duration: timedelta) -> None:
        self._catch_up()
        now = self._clock.now()
        if self._test_may_start() and self.leak_test.press(button, now):
            self.display.wake(now)
        else:
            self.display.press(button, now)
        self._catch_up()
        self._after_change()

    def _test_may_start(self) -> bool:
        """P8: in meter mode the test (which opens the valve) needs 0.50 EUR at the press, as
        the electricity meter's button does (the P1 repayment may have taken it below)."""
        if self._account is None or self.leak_test.state is not LeakTestState.ARMED:
            return True
        return self.account_for_release().button_may_reconnect

    # -- internals -----------------------------------------------------------------------------

    def _catch_up(self) -> None:
        """Walk every deadline up to now in order: the leak test's (a leak or a pass at its
        instant) and, in meter mode, each quarter hour, midnight and account deadline (a slice
        of the account, whose cut then closes the valve at that instant)."""
        now = self._clock.now()
        while (deadline := self._next_step()) is not None and deadline <= now:
            slice_due = self._account is not None and deadline in (
                self.metering.next_deadline(),
                self._account_due,
            )
            self.metering.advance_to(deadline)
            self.leak_test.update(deadline)
            if slice_due:
                self._run_account(deadline)
            self._publish_results()
        self.metering.advance_to(now)
        self.leak_test.update(now)
        self._publish_results()
        self.display.update(now)

    def _next_step(self) -> datetime | None:
        steps = [self.leak_test.next_deadline()]
        if self._account is not None:
            steps += [self.metering.next_deadline(), self._account_due]
        return min((step for step in steps if step is not None), default=None)

    def _import_mj(self) -> list[int]:
        """The volume as the account's two import registers (one gas rate: the first)."""
        return [self.metering.dm3 * MJ_PER_DM3, 0]

    def _run_account(self, at: datetime) -> None:
        """One slice: charge the volume counted since the last, then the account's clock."""
        billed = self._meter_side()
        self._carry_out(billed.bill(at, self._import_mj()), at)
        self._carry_out(billed.account.advance_to(at), at)

    def _carry_out(self, outcome: Outcome, at: datetime) -> None:
        """The account's orders on the valve (M2 b, d; gas has no limiter, P4) and its P9
        notices to the queue."""
        for order in outcome.orders:
            if order is Order.DISCONNECT:
                self.valve.remote_disconnect()
            elif order is Order.ENABLE_RECONNECTION:
                self.valve.remote_reconnect()
        self.leak_test.update(at)
        for notice in outcome.notices:
            self._notices.publish(notice)
        self._schedule_account()

    def _schedule_account(self) -> None:
        if self._account is None:
            return
        after = self.metering.now
        due = self._account.account.next_deadline(after)
        # Strictly ahead: a deadline is handled once.
        self._account_due = None if due is None else max(due, after + timedelta(milliseconds=1))

    def _publish_results(self) -> None:
        """A notice per finished leak-test attempt (rule G3)."""
        events = self.leak_test.events
        for index in range(self._results_seen, len(events)):
            event = events[index]
            if event.outcome in ("passed", "failed"):
                # A last failure is followed at once by its lockout event (``LeakTest._fail``).
                after = events[index + 1].outcome if index + 1 < len(events) else None
                passed, locked = event.outcome == "passed", after == "locked_out"
                retry = None if passed or locked else self.leak_test.settings.retry_delay
                result = LeakTestResult(event.at, event.attempt, passed, locked, retry)
                self._notices.publish(result)
        self._results_seen = len(events)

    def _meter_side(self) -> BilledAccount:
        if self._account is None:
            raise FirmwareError(
                f"the gas meter keeps a balance only in meter mode "
                f"(this meter: {self.settings.prepayment.value})"
            )
        return self._account

    def _after_change(self) -> None:
        """Redraw, and save when the valve, the leak test or the account's state moved."""
        view = LeakTestView(self.leak_test.state, self.settings.leak_test.button)
        self._lcd.show(self.display.render(self, self.valve.position, view))
        if self._marks() != self._saved_marks:
            self._save()

    def _marks(self) -> tuple[object, ...]:
        """What, once changed, is saved at once (the volume is saved before its release)."""
        snapshots = self.metering.snapshots
        return (
            self.valve.saved(),
            self.leak_test.saved(),
            self.account.credit_state if self.account else None,
            snapshots[-1] if snapshots else None,
        )

    def _save(self) -> None:
        self._saved_marks = self._marks()
        if self._nvm is None:
            return
        saved = SavedGas(
            VolumeRegister(self.metering.register.dm3, self.metering.register.carried),
            self._central.last_update,
            self.valve.saved(),
            self.leak_test.saved(),
            tuple(self.metering.snapshots),
            self._account.snapshot() if self._account else None,
        )
        self._nvm.save_gas(saved.to_json())
        self._saved_dm3 = self.metering.dm3
