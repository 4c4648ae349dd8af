"""``ElectricityMeter``: the firmware of the smart electricity meter, driven by a hal clock.

The runner calls ``advance_to(now)`` at least at every ``next_deadline()``; between deadlines
the power is constant, so energy is integrated exactly (W x ms = mJ, carried, rule E1).
Anything that changes the meter from outside (relay orders, buttons, clock set, grid, a
balance update) first brings the meter up to the current time, so energy before the change
counts at the old state. In central prepayment mode the meter only stores and shows the
balance the platform sends (rules E7, P7, M5); it never computes one. In meter-side mode it
keeps its own ``MeterSideAccount``: the import registers are charged in slices (each profile
capture, tariff switch, midnight, account deadline and read), the account's orders are carried
out on the relay (M2) and its notices logged and queued for pushes (P9).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta

from firmware.central_balance import BalanceUpdate, CentralBalance
from firmware.disconnect_control import ControlState, DisconnectControl, TransitionResult
from firmware.display_cycle import TEST_SCREEN, DisplayCycle
from firmware.errors import FirmwareError
from firmware.logs import BoundedLog, EventCode, MeterEvent, ProfileEntry
from firmware.notice_queue import NoticeQueue
from firmware.nvm import NonVolatileMemory
from firmware.prepayment.account import CreditState, MeterSideAccount
from firmware.prepayment.account_billing import BilledAccount, MemoryJournal
from firmware.prepayment.account_events import (
    Disconnected,
    DisconnectionImminent,
    EmergencyCreditStarted,
    LowCredit,
    Notice,
    Order,
    Outcome,
    TopUpReceived,
)
from firmware.prepayment.meter_side import (
    account_config,
    balance_update,
    describe_notice,
    open_account,
)
from firmware.registers import MJ_PER_WH, RegisterValues
from firmware.rules.localtime import local_midnight, to_local
from firmware.rules.money import Money
from firmware.rules.tariff import Tariff, day_tariff_segments
from firmware.rules.token import TokenCheck
from firmware.screens import (
    ALL_SYMBOLS,
    EURO_ARROW,
    EXPORTING,
    IMPORTING,
    ITEM_SCREENS,
    LIMITER,
    PHASE_SYMBOLS,
    RECONNECT_ARROW,
    SWITCH_OPEN,
    TARIFF_SYMBOLS,
    TEST_FIELDS,
)
from firmware.settings import (
    PREPAYMENT_ITEMS,
    REGISTER_ITEMS,
    Identity,
    MeterSettings,
    PrepaymentMode,
)
from firmware.state import MeterState, from_ms, to_ms, to_ms_ceiling
from firmware.supply_events import GridOutage, GridReturn, MeterNotice
from hal.bundle import MeterHal
from hal.frontend import NO_POWER, PowerReading
from hal.lcd import LcdState

PROFILE_PERIOD_MS = 15 * 60 * 1000
NEVER = 2**62
SHORT_PRESS_LIMIT = timedelta(seconds=1)
_REGISTER_INDEX = {item: index for index, item in enumerate(REGISTER_ITEMS)}
"""Display items showing an energy register, by register index."""
RELAY_EVENTS = {
    ControlState.DISCONNECTED: EventCode.RELAY_DISCONNECTED,
    ControlState.CONNECTED: EventCode.RELAY_CONNECTED,
    ControlState.READY_FOR_RECONNECTION: EventCode.RELAY_READY_FOR_RECONNECTION,
}
NOTICE_EVENTS: dict[type[Notice], EventCode] = {
    LowCredit: EventCode.LOW_CREDIT,
    EmergencyCreditStarted: EventCode.EMERGENCY_CREDIT,
    DisconnectionImminent: EventCode.DISCONNECTION_IMMINENT,
    Disconnected: EventCode.CREDIT_DISCONNECT,
    TopUpReceived: EventCode.TOP_UP,
}


class ElectricityMeter:
    """One electricity meter. With ``nvm`` its saved state is restored (``StateFileError`` if
    the file is unusable) and kept up to date; without, it starts from zero."""

    def __init__(
        self, settings: MeterSettings, hal: MeterHal, nvm: NonVolatileMemory | None = None
    ) -> None:
        unknown = [item for item in settings.display.items if item not in ITEM_SCREENS]
        if unknown:
            raise FirmwareError(f"unknown display item(s): {', '.join(unknown)}")
        self.settings = settings
        self.hal = hal
        self._nvm = nvm
        self._clock = hal.clock
        saved = nvm.load() if nvm is not None else None
        self._t = to_ms(self._clock.now())
        self._mj = list(saved.registers_mj) if saved else [0, 0, 0, 0]
        self._released_wh = RegisterValues(*self._mj).to_wh()
        self._unsaved_entries = False
        self.profile: BoundedLog[ProfileEntry] = BoundedLog(
            settings.profile_capacity, list(saved.profile) if saved else None
        )
        self.snapshots: BoundedLog[ProfileEntry] = BoundedLog(
            settings.snapshot_capacity, list(saved.snapshots) if saved else None
        )
        self.events: BoundedLog[MeterEvent] = BoundedLog(
            settings.event_capacity, list(saved.events) if saved else None
        )
        self.breaker_tripped = saved.breaker_tripped if saved else False
        self.grid_up = True
        self._advancing = False
        self.relay = DisconnectControl(
            saved.control_mode if saved else settings.control_mode,
            saved.control_state if saved else ControlState.CONNECTED,
            on_change=self._on_relay_change,
            on_mode_change=lambda mode: self.save(),
        )
        hal.relay.set_closed(self.relay.output_state)
        self._balance = CentralBalance(saved.central_balance if saved else None)
        self._notices: NoticeQueue[MeterNotice] = NoticeQueue()
        self.notices = self._notices.notices
        """P9 notices and grid outages and returns (E9) not yet pushed (a push service drains
        it, or subscribes)."""
        self._account: BilledAccount | None = None
        self._power_limit_w = (
            saved.power_limit_w
            if saved and saved.power_limit_w is not None
            else settings.meter_side.power_limit_w
        )
        self._next_account_ms = NEVER
        display = settings.display
        if not self.prepayment_active:  # without prepayment nothing of it is shown
            shown = tuple(item for item in display.items if item not in PREPAYMENT_ITEMS)
            display = replace(display, items=shown)
        self.display = DisplayCycle(display, self._t)
        hal.buttons.subscribe(self._on_button)
        self._reading = NO_POWER
        self._net_w = 0
        self._display_due_ms = 0
        """The LCD may change by itself from then on (0: it must be refreshed now)."""
        self._reset_schedule()
        self._log(EventCode.POWER_UP, "power up")
        if settings.prepayment is PrepaymentMode.METER:
            self._open_account(saved.account if saved else None)
        self._refresh_display()

    # -- identity and live values ------------------------------------------------------------

    @property
    def identity(self) -> Identity:
        return self.settings.identity

    @property
    def registers(self) -> RegisterValues:
        """1.8.1, 1.8.2, 2.8.1, 2.8.2 in whole Wh (as of the last ``advance_to``)."""
        return RegisterValues(*(value // MJ_PER_WH for value in self._mj))

    @property
    def registers_mj(self) -> RegisterValues:
        """The registers in milli-joules, sub-Wh remainder included."""
        return RegisterValues(*self._mj)

    @property
    def tariff(self) -> Tariff:
        return self._tariff

    @property
    def prepayment_active(self) -> bool:
        return self.settings.prepayment is not PrepaymentMode.NONE

    @property
    def central_balance(self) -> BalanceUpdate | None:
        """The last balance update from the platform (94.32.2/1../3, rule E7); None before
        the first."""
        return self._balance.last_update

    @property
    def prepayment_balance(self) -> BalanceUpdate | None:
        """What 94.32.2/1../3 show: the platform's last update (central mode) or the meter's
        own account as of its last slice (meter mode: time of the last balance change)."""
        if self._account is None:
            return self._balance.last_update
        return balance_update(self._account.account)

    def prepayment_balance_for_release(self) -> BalanceUpdate | None:
        """``prepayment_balance`` for a client (COSEM, optical readout): in meter mode the
        account is charged up to now first (a read is a slice), as the LCD shows it."""
        if self._account is not None:
            self.account_for_release()
        return self.prepayment_balance

    @property
    def account(self) -> MeterSideAccount | None:
        """The meter-side account as of its last slice (None outside meter mode)."""
        return self._account.account if self._account else None

    @property
    def power(self) -> PowerReading:
        """The front-end's current reading (what flows only if the supply is on)."""
        return self._reading

    @property
    def net_power_w(self) -> int:
        """The power counted now: import positive, export negative, 0 when the supply is off."""
        return self._net_w

    def registers_for_release(self) -> RegisterValues:
        """The registers in Wh for a client (COSEM read, push). A value above what the NVM
        holds is saved first, so a released value never goes backwards after a crash; at most
        one write per Wh step."""
        self.advance_to(self._clock.now())
        values = self.registers
        if self._nvm is not None and any(map(int.__gt__, values, self._released_wh)):
            self._nvm.save_registers(from_ms(self._t), RegisterValues(*self._mj))
        self._released_wh = values
        return values

    def load_profile_for_release(self) -> list[ProfileEntry]:
        """The load profile for a client, saved first if it holds unsaved entries."""
        self._save_if_unsaved_entries()
        return self.profile.entries()

    def snapshots_for_release(self) -> list[ProfileEntry]:
        """The daily snapshots for a client, saved first if needed."""
        self._save_if_unsaved_entries()
        return self.snapshots.entries()

    # -- time --------------------------------------------------------------------------------

    def advance_to(self, now: datetime) -> None:
        """Bring the meter up to ``now``: integrate energy piecewise (load changes, tariff
        switches), capture the profile, take the midnight snapshot, time the display out.
        Idempotent for the same ``now``; an earlier ``now`` changes nothing. Between deadlines
        it only integrates: the display is redrawn when a boundary passed or it is due."""
        target = to_ms(now)
        mj = self._mj
        crossed = False
        self._advancing = True
        try:
            while True:
                boundary = min(
                    self._next_load_ms,
                    self._next_switch_ms,
                    self._next_capture_ms,
                    self._next_account_ms,
                )
                end = target if target < boundary else boundary
                if end > self._t:
                    net = self._net_w
                    if net > 0:  # import registers 0, 1; export 2, 3; +1 when off-peak
                        mj[self._tariff_offset] += net * (end - self._t)
                    elif net < 0:
                        mj[self._tariff_offset + 2] -= net * (end - self._t)
                    self._t = end
                if end < boundary:
                    break
                self._on_boundary(end)
                crossed = True
        finally:
            self._advancing = False
        if crossed or self._t >= self._display_due_ms:
            self._refresh_display()

    def next_deadline(self, include_scroll: bool = True) -> datetime:
        """The next instant the firmware must run: a load change, a tariff switch, a profile
        capture, local midnight, the backlight timeout or (``include_scroll``) a scroll step."""
        deadline = min(
            self._next_load_ms, self._next_switch_ms, self._next_capture_ms, self._next_account_ms
        )
        display = self.display.next_deadline(self._t, include_scroll)
        return from_ms(deadline if display is None else min(deadline, display))

    def set_time(self, new_utc: datetime) -> None:
        """A clock set: count energy up to the old time, move the clock, log it. The jump adds
        no energy; the registers never go backwards."""
        old = self._clock.now()
        self.advance_to(old)
        self._clock.set(new_utc)
        self._t = to_ms(self._clock.now())
        self._reset_schedule()
        self._log(EventCode.CLOCK_SET, f"clock set from {old.isoformat()} to {new_utc.isoformat()}")
        self._refresh_display()
        self.save()

    # -- central prepayment ----------------------------------------------------------------------

    def receive_balance_update(
        self, at: datetime, balance: Money, emergency_credit: Money
    ) -> BalanceUpdate:
        """The platform's daily balance (rule P7): stored, logged, saved and shown as it came.
        Raises ``FirmwareError`` outside central mode (rule M5) or for invalid values."""
        if self.settings.prepayment is not PrepaymentMode.CENTRAL:
            raise FirmwareError(
                f"balance updates come from the platform only in central mode "
                f"(this meter: {self.settings.prepayment.value})"
            )
        self.advance_to(self._clock.now())
        update = self._balance.receive_balance_update(at, balance, emergency_credit)
        self._log(
            EventCode.BALANCE_UPDATE,
            f"balance update of {update.at.isoformat()}: {update.balance} EUR, "
            f"emergency credit {update.emergency_credit} EUR",
        )
        self.save()
        self._refresh_display()
        return update

    # -- meter-side prepayment ------------------------------------------------------------------

    def account_for_release(self) -> MeterSideAccount:
        """The account charged up to now, for a client (a read is a slice). Raises
        ``FirmwareError`` outside meter mode (rule M5)."""
        billed = self._meter_side()
        self.advance_to(self._clock.now())
        self._run_account(from_ms(self._t))
        return billed.account

    def enter_token(self, token: str | bytes) -> TokenCheck:
        """P6: a top-up token typed or received. A refused token changes nothing but the event
        log; an accepted one is credited (and may re-enable reconnection, P8, E8)."""
        billed = self._meter_side()
        self.advance_to(self._clock.now())
        self._run_account(from_ms(self._t))
        outcome = billed.account.top_up(from_ms(self._t), token)
        check = outcome.token
        assert check is not None  # a top-up always says what became of the token
        if not check.accepted:
            self._log(EventCode.TOKEN_REFUSED, f"token refused: {check.status.value}")
        self._carry_out(outcome)
        self.save()
        self._refresh_display()
        return check

    def set_low_credit_threshold(self, threshold: Money) -> None:
        """P2: the customer or an agent moves the threshold (``FirmwareError`` if negative)."""
        self._change_account(lambda account, at: account.set_low_credit_threshold(at, threshold))

    def adjust_credit(self, amount: Money) -> None:
        """An operator's correction of the balance, booked in the ledger (M6); ``FirmwareError``
        for a zero amount or a closed account."""
        self._change_account(lambda account, at: account.adjust(at, amount))

    def activate_prices(self, prices: Mapping[Tariff, Money]) -> None:
        """New prices per kWh from now on: the energy counted so far is charged at the old ones
        first (M6). ``FirmwareError`` for a missing tariff or a negative price."""
        self._change_account(lambda account, at: account.activate_prices(at, prices))

    def close_account(self) -> None:
        """COSEM close_account: no more charging and no orders from the account until
        ``reset_account`` (``FirmwareError`` if it is closed already)."""
        self._change_account(lambda account, at: account.close(at))

    def reset_account(self) -> None:
        """COSEM reset_account: settle a closed account and open a new one with the starting
        credit (P1); ``FirmwareError`` if the account is not closed."""
        self._change_account(lambda account, at: account.reset(at))

    def _change_account(self, change: Callable[[MeterSideAccount, datetime], Outcome]) -> None:
        """Charge up to now, apply `change`, carry out its orders and save (M6)."""
        billed = self._meter_side()
        self.advance_to(self._clock.now())
        self._run_account(from_ms(self._t))
        self._carry_out(change(billed.account, from_ms(self._t)))
        self.save()
        self._refresh_display()

    def subscribe_notices(self, listener: Callable[[MeterNotice], None]) -> None:
        """Call ``listener`` with each P9 notice, grid outage and return as it happens
        (besides the queue)."""
        self._notices.subscribe(listener)

    def _meter_side(self) -> BilledAccount:
        if self._account is None:
            raise FirmwareError(
                f"the meter keeps a balance only in meter mode "
                f"(this meter: {self.settings.prepayment.value})"
            )
        return self._account

    def _open_account(self, snapshot: dict[str, object] | None) -> None:
        config = account_config(self.identity.serial_number, self.settings.meter_side)
        journal = self._nvm if self._nvm is not None else MemoryJournal()
        self._account, outcome = open_account(
            config, journal, snapshot, self._mj[:2], from_ms(self._t)
        )
        self._carry_out(outcome)
        self.save()  # the snapshot joins the journal at once

    def _run_account(self, at: datetime) -> None:
        """One slice: charge the import registers, then let the account's clock run."""
        billed = self._account
        assert billed is not None
        self._carry_out(billed.bill(at, self._mj[:2]))
        self._carry_out(billed.account.advance_to(at))

    def _carry_out(self, outcome: Outcome) -> None:
        """The account's orders on the relay (M2 b and d, never a reconnect itself: E8) and
        its notices into the event log and the push queue (P9)."""
        for order in outcome.orders:
            if order is Order.DISCONNECT:
                self.relay_order("prepayment cut", self.relay.remote_disconnect)
            elif order is Order.ENABLE_RECONNECTION:
                self.relay_order("reconnection enabled", self.relay.remote_reconnect)
            elif order is Order.LIMIT_POWER:
                limit = self._power_limit_w
                self._log(EventCode.POWER_LIMITED, f"power limited to {limit} W")
                self._check_power_limit()
            else:
                self._log(EventCode.POWER_LIMIT_LIFTED, "power limit lifted")
        for notice in outcome.notices:
            self.record_notice(notice)
        self._schedule_account()

    def record_notice(self, notice: Notice) -> None:
        """A P9 notice into the event log, the push queue and to the listeners (the budget
        meter's account reports its notices here too)."""
        self._log(NOTICE_EVENTS[type(notice)], describe_notice(notice))
        self._notices.publish(notice)

    @property
    def power_limited(self) -> bool:
        """P4 with a power limiter: the credit is used up, so the import is limited, not cut."""
        account = self.account
        limiter = self.settings.meter_side.power_limiter
        return limiter and account is not None and not account.reconnection_enabled

    @property
    def power_limit_w(self) -> int:
        """The limiter's threshold in W (P4): the configured one, or the last one set."""
        return self._power_limit_w

    def set_power_limit(self, watts: int) -> None:
        """The management client moves the limiter's threshold (``FirmwareError`` if not a
        positive number of W). Applied at once when the power is limited now; kept in NVM."""
        if watts <= 0:
            raise FirmwareError(f"power limit must be a positive number of W, got {watts}")
        self.advance_to(self._clock.now())
        self._power_limit_w = watts
        self._log(EventCode.POWER_LIMIT_SET, f"power limit set to {watts} W")
        self._check_power_limit()
        self.save()
        self._refresh_display()

    def _check_power_limit(self) -> None:
        """Above the limit the limiter opens the relay (M2 g); the button recloses it (E8)."""
        limit = self._power_limit_w
        if not self.power_limited or self.relay.control_state is not ControlState.CONNECTED:
            return
        if self.grid_up and self._reading.net_w > limit:
            self._log(EventCode.POWER_LIMIT_EXCEEDED, f"power limiter: above {limit} W")
            self.relay.local_disconnect()

    def relay_order(self, why: str, order: Callable[[], TransitionResult]) -> None:
        """Give the relay an order; one its control mode refuses (mode 0...) is logged."""
        result = order()
        if not result.accepted:
            self._log(EventCode.PREPAYMENT_ORDER_REFUSED, f"{why} refused: {result.reason}")

    def _schedule_account(self) -> None:
        account = self._account.account if self._account else None
        deadline = account.next_deadline(from_ms(self._t)) if account else None
        # At least 1 ms ahead: a deadline is handled once, even after the clock was set back.
        self._next_account_ms = (
            NEVER if deadline is None else max(to_ms_ceiling(deadline), self._t + 1)
        )

    # -- supply --------------------------------------------------------------------------------

    def grid_outage(self) -> None:
        """The grid goes down: nothing is counted until it returns (rule E9)."""
        self.advance_to(self._clock.now())
        self.grid_up = False
        self._update_flow()
        self._log(EventCode.GRID_OUTAGE, GridOutage.text)
        self.save()
        self._refresh_display()
        self._notices.publish(GridOutage(from_ms(self._t)))  # the last gasp (pushed)

    def grid_return(self) -> None:
        """The grid is back: the meter resumes by itself, relay state unchanged (rule E9)."""
        self.advance_to(self._clock.now())
        self.grid_up = True
        self._log(EventCode.GRID_RETURN, GridReturn.text)
        self._check_overload()
        self._update_flow()
        self._refresh_display()
        self._notices.publish(GridReturn(from_ms(self._t)))

    def rearm_breaker(self) -> bool:
        """The customer re-arms the tripped breaker by hand (rule E9): the relay reconnects
        (manual reconnect, rule M3); if the overload is still there it trips again. Returns
        whether the breaker stays armed."""
        self.advance_to(self._clock.now())
        if not self.breaker_tripped:
            return True
        self.breaker_tripped = False
        self._log(EventCode.BREAKER_REARM, "breaker re-armed")
        if self.relay.control_state is ControlState.READY_FOR_RECONNECTION:
            self.relay.manual_reconnect()
        self._check_overload()
        self._update_flow()
        self._refresh_display()
        return not self.breaker_tripped

    def refresh_load(self) -> None:
        """The front-end's load model was replaced: re-read it from now on."""
        self.advance_to(self._clock.now())
        self._on_load_change()
        self._refresh_display()

    # -- buttons -------------------------------------------------------------------------------

    def _on_button(self, button: str, duration: timedelta) -> None:
        self.advance_to(self._clock.now())
        hold = timedelta(seconds=self.settings.display.reconnect_hold_seconds)
        if duration < SHORT_PRESS_LIMIT:
            self.display.press(self._t)
        else:
            self.display.wake(self._t)
        if (
            duration >= hold
            and self.relay.control_state is ControlState.READY_FOR_RECONNECTION
            and self._button_may_reconnect()
        ):
            self.relay.manual_reconnect()  # rule E8
        self._refresh_display()

    def _button_may_reconnect(self) -> bool:
        """P8: in meter mode, not below 0.50 EUR (the account charged up to the press)."""
        return self._account is None or self.account_for_release().button_may_reconnect

    # -- persistence -------------------------------------------------------------------------

    def state(self) -> MeterState:
        """Everything the meter keeps across a restart, as of the last ``advance_to``."""
        return MeterState(
            saved_at=from_ms(self._t),
            registers_mj=RegisterValues(*self._mj),
            control_state=self.relay.control_state,
            control_mode=self.relay.control_mode,
            breaker_tripped=self.breaker_tripped,
            profile=tuple(self.profile),
            snapshots=tuple(self.snapshots),
            events=tuple(self.events),
            central_balance=self._balance.last_update,
            account=self._account.snapshot() if self._account else None,
            power_limit_w=(
                self._power_limit_w
                if self._power_limit_w != self.settings.meter_side.power_limit_w
                else None
            ),
        )

    def save(self) -> None:
        """Write the whole state to NVM (no-op without NVM)."""
        if self._nvm is not None:
            self._nvm.save(self.state())
            self._released_wh = self.registers
            self._unsaved_entries = False

    def shutdown(self, at: datetime | None = None) -> None:
        """Power down cleanly: count up to ``at`` (default now), log it, save."""
        self.advance_to(at or self._clock.now())
        self._log(EventCode.POWER_DOWN, "power down")
        self.save()

    # -- internals -----------------------------------------------------------------------------

    def _reset_schedule(self) -> None:
        """Recompute every upcoming boundary from ``self._t`` (start, clock set)."""
        self._enter_day(to_local(from_ms(self._t)).date())
        self._sync_tariff()
        self._next_capture_ms = (self._t // PROFILE_PERIOD_MS + 1) * PROFILE_PERIOD_MS
        self._schedule_account()
        self._on_load_change()

    def _enter_day(self, day: date) -> None:
        self._day = day
        segments = day_tariff_segments(self.settings.tariff, day)
        self._segment_starts = [to_ms(start) for start, _ in segments]
        self._segment_tariffs = [tariff for _, tariff in segments]
        self._midnight_ms = to_ms(local_midnight(day + timedelta(days=1)))

    def _sync_tariff(self) -> None:
        index = max(bisect.bisect_right(self._segment_starts, self._t) - 1, 0)
        self._tariff = self._segment_tariffs[index]
        self._tariff_offset = 0 if self._tariff is Tariff.PEAK else 1
        following = index + 1
        self._next_switch_ms = (
            self._segment_starts[following]
            if following < len(self._segment_starts)
            else self._midnight_ms
        )

    def _on_boundary(self, now_ms: int) -> None:
        slice_due = now_ms in (self._next_capture_ms, self._next_switch_ms, self._next_account_ms)
        if self._account is not None and (slice_due or now_ms == self._midnight_ms):
            self._run_account(from_ms(now_ms))
        if now_ms == self._next_load_ms:
            self._on_load_change()
        if now_ms == self._midnight_ms:
            self._take_snapshot()
            self._enter_day(self._day + timedelta(days=1))
            self._sync_tariff()
        elif now_ms == self._next_switch_ms:
            self._sync_tariff()
        if now_ms == self._next_capture_ms:
            self.profile.append(ProfileEntry(from_ms(now_ms), self.registers))
            self._unsaved_entries = True
            self._next_capture_ms = now_ms + PROFILE_PERIOD_MS

    def _take_snapshot(self) -> None:
        """The daily index snapshot at local midnight (rule E3); it leaves the meter, so it is
        saved at once."""
        self.snapshots.append(ProfileEntry(from_ms(self._t), self.registers))
        self._unsaved_entries = True
        self.save()

    def _on_load_change(self) -> None:
        now = from_ms(self._t)
        self._reading = self.hal.frontend.reading_at(now)
        upcoming = self.hal.frontend.next_change_after(now)
        # Rounded up: the change must be visible at the instant the meter next looks.
        self._next_load_ms = NEVER if upcoming is None else to_ms_ceiling(upcoming)
        self._check_overload()
        self._update_flow()
        self._check_power_limit()

    def _check_overload(self) -> None:
        """Trip the breaker when a phase draws more than ``max_current_a`` (rule E9)."""
        if self.breaker_tripped or not self.grid_up or not self.relay.output_state:
            return
        limit_w = self.settings.max_current_a * self.settings.voltage_v
        if max(*self._reading.import_w, *self._reading.export_w) > limit_w:
            self.breaker_tripped = True
            self._log(EventCode.BREAKER_TRIP, f"breaker trip: overload above {limit_w} W")
            self.relay.local_disconnect()  # rule M2: the breaker is a local disconnect
            self._update_flow()

    def _update_flow(self) -> None:
        flowing = self.grid_up and self.relay.output_state and not self.breaker_tripped
        self._net_w = self._reading.net_w if flowing else 0
        self._display_due_ms = 0  # symbols and the counting register may have changed

    def _on_relay_change(self, old: ControlState, new: ControlState, transition: str) -> None:
        outside = not self._advancing
        if outside:  # an order from outside: count the energy before it first
            self.advance_to(self._clock.now())
        self.hal.relay.set_closed(new is ControlState.CONNECTED)
        self._log(
            RELAY_EVENTS[new], f"relay {old.name.lower()} -> {new.name.lower()} ({transition})"
        )
        self._update_flow()
        self.save()
        if outside:  # shown at once (within an advance, its end redraws)
            self._refresh_display()
        if new is ControlState.CONNECTED:
            self._check_power_limit()

    def _save_if_unsaved_entries(self) -> None:
        self.advance_to(self._clock.now())
        if self._unsaved_entries:
            self.save()

    def _log(self, code: EventCode, text: str) -> None:
        self.events.append(MeterEvent(from_ms(self._t), code, text))

    def _refresh_display(self) -> None:
        display = self.display
        display.update(self._t)
        item = display.current_item(self._t)
        if item == TEST_SCREEN:
            code, value, unit = TEST_FIELDS
            symbols = ALL_SYMBOLS
            blinking: frozenset[str] = frozenset()
        else:
            code, value, unit = ITEM_SCREENS[item](self)
            symbols, blinking = self._symbols()
        self.hal.lcd.show(LcdState(code, value, unit, symbols, blinking, display.backlight))
        self._display_due_ms = self._next_display_change_ms(item)

    def _next_display_change_ms(self, item: str) -> int:
        """When the screen shown can next change by itself between two boundaries: a display
        deadline, or the shown register stepping to its next Wh."""
        if self.display.backlight:
            # Lit, the display reports only its backlight timeout, not the scroll steps that
            # may still happen meanwhile: redraw at every call for these few seconds.
            return self._t
        due = self.display.next_deadline(self._t, include_scroll=True)
        counting = self._counting_register()
        if counting is not None and _REGISTER_INDEX.get(item) == counting:
            mj = self._mj[counting]
            missing = (mj // MJ_PER_WH + 1) * MJ_PER_WH - mj
            step_ms = self._t + -(-missing // abs(self._net_w))
            due = step_ms if due is None else min(due, step_ms)
        return NEVER if due is None else due

    def _counting_register(self) -> int | None:
        """The register the current flow adds to (None when nothing flows)."""
        if self._net_w > 0:
            return self._tariff_offset
        if self._net_w < 0:
            return self._tariff_offset + 2
        return None

    def _symbols(self) -> tuple[frozenset[str], frozenset[str]]:
        symbols = {TARIFF_SYMBOLS[self._tariff]}
        if self.grid_up:
            symbols.update(PHASE_SYMBOLS)
        if self._net_w > 0:
            symbols.add(IMPORTING)
        elif self._net_w < 0:
            symbols.add(EXPORTING)
        if not self.relay.output_state:
            symbols.add(SWITCH_OPEN)
        if self.prepayment_active:
            symbols.add(EURO_ARROW)
        if self.power_limited:
            symbols.add(LIMITER)  # rule B9: the letter A at the left
        blinking = set()
        if self.relay.control_state is ControlState.READY_FOR_RECONNECTION:
            blinking.add(RECONNECT_ARROW)
        account = self.account
        if account is not None and account.credit_state is CreditState.DISCONNECTION_IMMINENT:
            blinking.add(EURO_ARROW)  # P4: "your meter will be disconnected" after the NDP
        return frozenset(symbols), frozenset(blinking)
