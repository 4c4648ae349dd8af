"""``BudgetMeter``: the legacy budget meter with a chip-card slot (rules B1-B11, M3).

It is the electricity metering core (``ElectricityMeter`` without smart prepayment: registers,
tariff, relay, breaker, profiles, NVM) plus the card account, driven by the same hal clock:

- consumption: the import registers are charged to the ``BudgetAccount`` in slices (each
  quarter hour, the instant the credit or the low-credit margin would run out at the present
  power, and before each input), per tariff register;
- orders (M3) go to the core's relay: exhausted -> remote disconnect; the red button with the
  emergency credit, or a card load to >= 0.50 EUR, -> remote reconnect (ready); re-arming the
  breaker or holding a button is the manual reconnect (e);
- notices go to the core's event log and push queue; a low-credit notice beeps (B5);
- the card slot is watched at each ``advance_to`` (call it after a card goes in or out): an
  insertion starts a ``CardTransfer`` (B3), which owns the LCD until the card is removed;
  otherwise the LCD shows ``BlueCycle.screen`` (the balance, B1; the B8 items on blue);
- NVM: the account's ledger records go to the ledger journal with the registers they charge
  (M6) and its snapshot to ``budget.vms`` after each input, so a restart keeps the balance, the
  card counters and the revoked cards.

The core's own display and green button are not fitted on a budget meter: the core draws on
an LCD nobody sees and listens to no button.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from firmware.budget.account import BudgetAccount, BudgetConfig
from firmware.budget.blue_cycle import BlueCycle
from firmware.budget.card_transfer import CardTransfer, TransferTiming
from firmware.disconnect_control import ControlState
from firmware.errors import FirmwareError, StateFileError
from firmware.meter import ElectricityMeter
from firmware.nvm import NonVolatileMemory
from firmware.prepayment.account_billing import MemoryJournal
from firmware.prepayment.account_events import LowCredit, Order, Outcome
from firmware.prepayment.ledger import Record
from firmware.rules.credit import DEFAULT_RULES
from firmware.rules.money import MJ_PER_KWH, ZERO, Money
from firmware.rules.tariff import Tariff
from firmware.settings import BudgetSettings, MeterSettings, PrepaymentMode
from firmware.state import from_ms, to_ms
from hal.bundle import MeterHal
from hal.buttons import ButtonHandler
from hal.card_slot import CardSlot
from hal.lcd import LcdState

SLICE_MS = 15 * 60 * 1000
IMPORT_TARIFFS = (Tariff.PEAK, Tariff.OFF_PEAK)  # registers 1.8.1 and 1.8.2
RED = "red"
BLUE = "blue"
DEFAULT_TIMING = TransferTiming()


class _UnfittedLcd:
    """The core's LCD: a budget meter shows the card account instead."""

    def show(self, state: LcdState) -> None:
        pass


class _UnfittedButtons:
    """The core's green button: a budget meter has blue and red ones only."""

    def subscribe(self, handler: ButtonHandler) -> None:
        pass


class BudgetMeter:
    """One budget meter. With ``nvm`` its saved state is restored (``StateFileError`` if
    unusable) and kept up to date; without, it is installed now with its reserve (B2)."""

    def __init__(
        self,
        settings: MeterSettings,
        budget: BudgetSettings,
        hal: MeterHal,
        nvm: NonVolatileMemory | None = None,
        timing: TransferTiming = DEFAULT_TIMING,
    ) -> None:
        if hal.card_slot is None:
            raise FirmwareError("a budget meter needs its card slot")
        self.hal = hal
        self._slot: CardSlot = hal.card_slot
        self._clock = hal.clock
        self._nvm = nvm
        self._journal = nvm if nvm is not None else MemoryJournal()
        core_hal = replace(hal, lcd=_UnfittedLcd(), buttons=_UnfittedButtons())
        self.meter = ElectricityMeter(
            replace(settings, prepayment=PrepaymentMode.NONE), core_hal, nvm
        )
        """The metering core: registers, relay, events (what COSEM and the readout serve)."""
        self._hold = timedelta(seconds=settings.display.reconnect_hold_seconds)
        config = BudgetConfig(
            meter_id=settings.identity.serial_number,
            day_price=budget.day_price,
            night_price=budget.night_price,
            weekly_fixed_charge=budget.weekly_fixed_charge,
            rules=replace(DEFAULT_RULES, budget_reserve_wh=budget.reserve_kwh * 1000),
        )
        now = self._clock.now()
        self.account, outcome = self._open_account(config, now)
        self.transfer = CardTransfer(self.account, hal.lcd, hal.buzzer, self._slot, timing)
        self.cycle = BlueCycle(self.account, now)
        self._seen_card: bytes | None = None  # a card already in the slot is read at once
        self._next_charge_ms = to_ms(now)
        hal.buttons.subscribe(self._on_button)
        self._carry_out(outcome)
        self.advance_to(now)
        self.save()

    # -- views ---------------------------------------------------------------------------------

    @property
    def balance(self) -> Money:
        """The balance shown permanently (B1): negative while on emergency credit."""
        return self.account.balance

    @property
    def relay_state(self) -> ControlState:
        return self.meter.relay.control_state

    # -- time ----------------------------------------------------------------------------------

    def advance_to(self, now: datetime) -> None:
        """Bring the meter up to ``now``: count, charge the slice due, run the account's and
        the card transfer's clocks, notice a card inserted or removed, redraw."""
        self.meter.advance_to(now)
        now_ms = to_ms(now)
        # A slice is never more than SLICE_MS ahead, unless the clock was set back since.
        if not 0 < self._next_charge_ms - now_ms <= SLICE_MS:
            self._charge(now)
        self._carry_out(self.account.advance_to(now))
        self._watch_slot(now)
        self._carry_out(self.transfer.advance_to(now))
        self._seen_card = self._slot.card  # the transfer writes back to the card (B4)
        self._draw(now)

    def next_deadline(self, include_scroll: bool = True) -> datetime:
        """The next instant the firmware must run (``include_scroll``: also the display's own
        changes, the B6 alternation and the blue cycle's timeout)."""
        now = self._clock.now()
        deadlines = [self.meter.next_deadline(include_scroll), from_ms(self._next_charge_ms)]
        deadlines += [
            deadline
            for deadline in (
                self.account.next_deadline(now),
                self.transfer.next_deadline(),
                self.cycle.next_deadline(now) if include_scroll else None,
            )
            if deadline is not None
        ]
        return min(deadlines)

    # -- inputs --------------------------------------------------------------------------------

    def rearm_breaker(self) -> bool:
        """M3: re-arming the breaker is the manual reconnect (e) once the relay is ready.
        Returns whether the breaker stays armed."""
        self.advance_to(self._clock.now())
        armed = self.meter.rearm_breaker()
        if armed and self.relay_state is ControlState.READY_FOR_RECONNECTION:
            self.meter.relay.manual_reconnect()
        self._input_done()
        return armed

    def revoke_card(self, card_id: int) -> None:
        """B11: the operator replaced this card; it is refused from now on."""
        self.advance_to(self._clock.now())
        self.account.revoke_card(card_id)
        self._input_done()

    def shutdown(self, at: datetime | None = None) -> None:
        """Power down cleanly: count and charge up to ``at`` (default now), save."""
        moment = at or self._clock.now()
        self.advance_to(moment)
        self._charge(moment)
        self.meter.shutdown(moment)
        self.save()

    def save(self) -> None:
        """The account's snapshot to NVM (its ledger is in the journal already)."""
        if self._nvm is not None:
            record = self.account.state_record()
            del record["ledger"]
            self._nvm.save_budget({"account": record, "billed_mj": self._billed_mj})

    def _on_button(self, button: str, duration: timedelta) -> None:
        now = self._clock.now()
        self.advance_to(now)
        if duration >= self._hold and self.relay_state is ControlState.READY_FOR_RECONNECTION:
            self.meter.relay.manual_reconnect()  # the reconnect hold (M3 e)
        elif button == RED:
            self._charge(now)  # the red button judges the credit as of now (B5)
            self._carry_out(self.account.press_red(now))
        elif button == BLUE:
            self.cycle.press_blue(now, card_inserted=self._slot.card is not None)
        self._input_done()

    # -- internals -----------------------------------------------------------------------------

    def _open_account(self, config: BudgetConfig, now: datetime) -> tuple[BudgetAccount, Outcome]:
        """Restore the account from its snapshot and the journal, or install it (B2)."""
        saved = self._nvm.load_budget() if self._nvm is not None else None
        lines = self._journal.load_journal()
        registers = list(self.meter.registers_mj)[:2]
        if saved is None and lines:
            raise StateFileError("a budget ledger journal exists but the account is missing")
        if saved is None:
            self._billed_mj = registers
            self._pending_mj = list(registers)
            return BudgetAccount.install(config, self._persist, now)
        try:
            records = [line["record"] for line in lines]
            marks = [int(mark) for mark in saved["billed_mj"]]
            if lines:  # marks only grow: the later of the snapshot's and the journal's
                marks = list(map(max, marks, (int(mark) for mark in lines[-1]["billed_mj"])))
            snapshot: dict[str, Any] = {**saved["account"], "ledger": records}
        except (KeyError, TypeError, ValueError) as error:
            raise StateFileError(f"budget account: {error}") from error
        self._billed_mj, self._pending_mj = marks, list(marks)
        account = BudgetAccount.from_state(config, self._persist, snapshot)
        return account, account.advance_to(now)

    def _persist(self, record: Record) -> None:
        self._journal.append_journal({"record": record, "billed_mj": list(self._pending_mj)})

    def _charge(self, at: datetime) -> None:
        """One slice: the import energy counted since the last, per tariff register."""
        registers = self.meter.registers_mj
        for index, tariff in enumerate(IMPORT_TARIFFS):
            gained = registers[index] - self._billed_mj[index]
            if gained <= 0:  # registers restored below a mark: that energy was charged
                continue
            self._pending_mj[index] = registers[index]
            self._carry_out(self.account.consume(at, tariff, gained))
            self._billed_mj[index] = registers[index]
        self._next_charge_ms = self._next_charge_after(to_ms(at))
        self.save()

    def _next_charge_after(self, now_ms: int) -> int:
        """The next slice: the quarter hour, or sooner when the credit (cut, B5) or the margin
        above the low-credit threshold (beep, B5) runs out at the present power."""
        following = (now_ms // SLICE_MS + 1) * SLICE_MS
        power_w = self.meter.net_power_w
        price = self.account.config.price(self.meter.tariff)
        if power_w <= 0 or price <= ZERO:
            return following
        margins = (
            self.account.credit,
            self.account.balance - self.account.config.rules.low_credit_threshold,
        )
        for margin in margins:
            if margin > ZERO:
                energy_mj = margin.milli_cents * MJ_PER_KWH // price.milli_cents
                following = min(following, now_ms + max(1, -(-energy_mj // power_w)))
        return following

    def _carry_out(self, outcome: Outcome) -> None:
        relay = self.meter.relay
        for order in outcome.orders:
            if order is Order.DISCONNECT:
                self.meter.relay_order("budget credit used up", relay.remote_disconnect)
            elif order is Order.ENABLE_RECONNECTION:
                self.meter.relay_order("budget reconnection enabled", relay.remote_reconnect)
            # LIMIT_POWER and LIFT_POWER_LIMIT come only with a limiter, not fitted here.
        for notice in outcome.notices:
            self.meter.record_notice(notice)
            if isinstance(notice, LowCredit):
                self.hal.buzzer.beep()  # B5

    def _watch_slot(self, now: datetime) -> None:
        card = self._slot.card
        if card == self._seen_card:
            return
        if card is None:
            self.transfer.remove(now)
        else:
            self.transfer.insert(now, card)

    def _input_done(self) -> None:
        self._draw(self._clock.now())
        self.save()

    def _draw(self, now: datetime) -> None:
        if not self.transfer.active:
            self.hal.lcd.show(self.cycle.screen(now))
