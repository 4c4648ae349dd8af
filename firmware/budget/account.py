"""The budget meter's account (rules B1, B2, B5-B7, B10, M3, M6) as one state machine.

The balance lives in the meter (B1). Money comes in from cards (`load_card`), as the 150 kWh
reserve at installation (B2, an advance priced at the day tariff) and as the 12 EUR emergency
credit the red button grants (B5, an advance: a debt). It goes out as energy (`consume`) and
weekly fixed charges (B10, booked at each local Monday 00:00 by `advance_to`).

`credit` is what may still be consumed before the cut (the ledger balance, M6); the `balance`
shown is that less the emergency credit still owed, so it is negative while on emergency credit.
A card load first repays the emergency debt (B6); a load that clears the debt also hands back
the unused emergency credit, and the emergency credit is armed again once the balance is at
least 0.50 EUR (B6).

States (`_target_state` and `_enter`):

    IN_CREDIT <-> LOW_CREDIT (<= threshold: beep, blinking triangle, B5)
    -> EMERGENCY_CREDIT (red button: steady triangle) -> DISCONNECTED (credit used up)
    credit used up inside a non-disconnect period without debt -> NON_DISCONNECT_PERIOD (B7:
    consumption owed, cut at the end of the period); with a debt the cut is immediate (B7).
    DISCONNECTED -> red button (emergency armed) or a load to >= 0.50 EUR -> ENABLE_RECONNECTION
    (M3: ready_for_reconnection; re-arming the breaker is the manual reconnect e).

Each input returns an `Outcome` of the smart account's `Order`s and notices; the account never
drives hardware. Every entry is drafted, persisted, then committed (M6).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from firmware.errors import FirmwareError
from firmware.prepayment.account_events import (
    Changes,
    Disconnected,
    DisconnectionImminent,
    EmergencyCreditStarted,
    LowCredit,
    Order,
    Outcome,
    TopUpReceived,
)
from firmware.prepayment.card_image import CardImage, MeterData
from firmware.prepayment.ledger import (
    AdvanceKind,
    ChargeKind,
    EntryKind,
    Ledger,
    LedgerEntry,
    LedgerError,
    LedgerTotals,
    Record,
)
from firmware.prepayment.saved_state import StateReader
from firmware.rules.credit import (
    DEFAULT_RULES,
    CreditRules,
    MeterKind,
    amount_to_clear,
    budget_reserve,
    emergency_credit_available_again,
    is_low_credit,
    reconnection_allowed,
)
from firmware.rules.localtime import next_local_midnight, to_local
from firmware.rules.money import MJ_PER_WH, ZERO, ChargeAccumulator, Money, MoneyError
from firmware.rules.non_disconnect import (
    DEFAULT_CALENDAR,
    NonDisconnectCalendar,
    cut_allowed,
    end_of_non_disconnect_period,
)
from firmware.rules.tariff import Tariff

STATE_VERSION: Final = 1
CARD_REFERENCE: Final = "card:"
_MONDAY: Final = 0

Persist = Callable[[Record], None]


class BudgetError(FirmwareError):
    """An input the budget account refuses."""


_SAVED = StateReader(BudgetError, "the budget account state")


class BudgetState(enum.Enum):
    IN_CREDIT = "in_credit"
    LOW_CREDIT = "low_credit"  # B5: beep and blinking triangle
    EMERGENCY_CREDIT = "emergency_credit"  # B5: steady triangle
    NON_DISCONNECT_PERIOD = "non_disconnect_period"  # B7: used up, consumption owed
    DISCONNECTED = "disconnected"  # B5, M3: supply cut


class Triangle(enum.Enum):
    """The warning triangle on the display (B5)."""

    OFF = "off"
    BLINKING = "blinking"  # low credit: time to reload
    STEADY = "steady"  # running on emergency credit (or owing consumption)


_TRIANGLE: Final = {
    BudgetState.IN_CREDIT: Triangle.OFF,
    BudgetState.LOW_CREDIT: Triangle.BLINKING,
    BudgetState.EMERGENCY_CREDIT: Triangle.STEADY,
    BudgetState.NON_DISCONNECT_PERIOD: Triangle.STEADY,
    BudgetState.DISCONNECTED: Triangle.STEADY,
}


@dataclass(frozen=True, slots=True)
class BudgetConfig:
    """`night_price` None: a single-rate meter. Prices per kWh; fixed charges per week (B10)."""

    meter_id: str
    day_price: Money
    night_price: Money | None = None
    weekly_fixed_charge: Money = ZERO
    rules: CreditRules = DEFAULT_RULES
    calendar: NonDisconnectCalendar = DEFAULT_CALENDAR
    power_limiter: bool = False  # B9: limit instead of cut

    def __post_init__(self) -> None:
        prices = (
            [self.day_price] if self.night_price is None else [self.day_price, self.night_price]
        )
        if any(price < ZERO for price in prices):
            raise BudgetError("a price per kWh cannot be negative")
        if self.weekly_fixed_charge < ZERO:
            raise BudgetError("weekly fixed charges cannot be negative")

    @property
    def dual_tariff(self) -> bool:
        return self.night_price is not None

    def price(self, tariff: Tariff) -> Money:
        if tariff is Tariff.OFF_PEAK and self.night_price is not None:
            return self.night_price
        return self.day_price


class BudgetAccount:
    """The balance a budget meter keeps itself (B1); open one with `install`."""

    def __init__(self, config: BudgetConfig, persist: Persist, at: datetime) -> None:
        self._config = config
        self._persist = persist
        self._ledger = Ledger()
        self._state = BudgetState.IN_CREDIT
        self._clock = _SAVED.utc(at)
        self._next_week = _next_local_monday(self._clock)
        self._accumulator = ChargeAccumulator()
        self._emergency_armed = True
        self._energy_wh: dict[Tariff, int] = dict.fromkeys(Tariff, 0)
        self._energy_mj_left: dict[Tariff, int] = dict.fromkeys(Tariff, 0)  # below one Wh
        self._last_counters: dict[int, int] = {}
        self._revoked: set[int] = set()

    @classmethod
    def install(
        cls, config: BudgetConfig, persist: Persist, at: datetime
    ) -> tuple[BudgetAccount, Outcome]:
        """B2: a new budget meter starts with the 150 kWh reserve priced at the day tariff."""
        account = cls(config, persist, at)
        reserve = budget_reserve(config.day_price, config.rules)
        if reserve > ZERO:
            account._book(
                account._ledger.draft_advance(account._clock, AdvanceKind.RESERVE, reserve)
            )
        changes = Changes()
        account._settle(account._clock, changes)
        return account, changes.outcome()

    def state_record(self) -> dict[str, object]:
        """Everything needed to carry on after a restart, as JSON-friendly values (NVM).

        Save it after each input; the ledger records handed to `persist` in between are
        replayed by `from_state`, so a crash between the two loses no credit (M6).
        """
        return {
            "version": STATE_VERSION,
            "state": self._state.value,
            "clock": self._clock.isoformat(),
            "next_week": self._next_week.isoformat(),
            "charge_remainder": self._accumulator.remainder,
            "emergency_armed": self._emergency_armed,
            "energy_wh": [self._energy_wh[t] for t in Tariff],
            "energy_mj_left": [self._energy_mj_left[t] for t in Tariff],
            "revoked_cards": sorted(self._revoked),
            "ledger": self._ledger.records(),
        }

    @classmethod
    def from_state(
        cls, config: BudgetConfig, persist: Persist, saved: Mapping[str, object]
    ) -> BudgetAccount:
        """Rebuild the account `state_record()` described; BudgetError if it is not one.

        Its "ledger" should be the snapshot's records followed by those the NVM journal holds
        beyond them (persisted after the snapshot): money lives in the ledger.
        """
        try:
            if saved["version"] != STATE_VERSION:
                raise BudgetError(f"unknown budget account state version {saved['version']!r}")
            account = cls(config, persist, datetime.fromisoformat(_SAVED.text(saved["clock"])))
            account._state = BudgetState(saved["state"])
            account._next_week = datetime.fromisoformat(_SAVED.text(saved["next_week"]))
            account._accumulator = ChargeAccumulator(_SAVED.integer(saved["charge_remainder"]))
            armed = saved["emergency_armed"]
            if not isinstance(armed, bool):
                raise BudgetError(f"emergency_armed must be true or false, got {armed!r}")
            account._emergency_armed = armed
            account._energy_wh = _per_tariff(saved["energy_wh"])
            account._energy_mj_left = _per_tariff(saved["energy_mj_left"])
            account._revoked = {
                _SAVED.integer(card_id) for card_id in _SAVED.items(saved["revoked_cards"])
            }
            items = _SAVED.items(saved["ledger"])
            records = [record for record in items if isinstance(record, Mapping)]
            if len(records) != len(items):
                raise BudgetError("the ledger must be a list of records")
            account._ledger = Ledger.from_records(records)
            for entry in account._ledger.entries:
                account._note_card(entry)
                account._clock = max(account._clock, entry.at)  # journalled after the snapshot
            return account
        except (KeyError, TypeError, ValueError, LedgerError, MoneyError) as error:
            raise BudgetError(f"unreadable budget account state: {error}") from error

    # ----------------------------------------------------------------- inputs

    def consume(self, at: datetime, tariff: Tariff, energy_mj: int) -> Outcome:
        """Energy imported in one tariff register, charged at that register's price."""
        if energy_mj < 0:
            raise BudgetError(f"consumed energy cannot be negative ({energy_mj} mJ)")
        changes = Changes()
        self._catch_up(at)
        wh, self._energy_mj_left[tariff] = divmod(
            self._energy_mj_left[tariff] + energy_mj, MJ_PER_WH
        )
        self._energy_wh[tariff] += wh
        owed = self._accumulator.charge(energy_mj, self._config.price(tariff))
        if owed > ZERO:
            self._book(self._ledger.draft_charge(self._clock, ChargeKind.ENERGY, owed))
        self._settle(at, changes)
        return changes.outcome()

    def press_red(self, at: datetime) -> Outcome:
        """B5, M3: the red button grants the 12 EUR emergency credit when low and armed."""
        changes = Changes()
        self._catch_up(at)
        low = is_low_credit(self.balance, self._config.rules)
        if self._emergency_armed and low:
            emergency = self._config.rules.emergency_credit(MeterKind.BUDGET)
            entry = self._ledger.draft_advance(self._clock, AdvanceKind.EMERGENCY_CREDIT, emergency)
            self._book(entry)
            self._emergency_armed = False
            changes.notices.append(EmergencyCreditStarted(self._clock, emergency))
        self._settle(at, changes)
        return changes.outcome()

    def load_card(self, at: datetime, card: CardImage) -> Outcome:
        """B3, B6: credit an accepted card (see `firmware.budget.card_transfer`), debt first."""
        if card.card_id in self._revoked or card.meter_id != self._config.meter_id:
            raise BudgetError(f"card {card.card_id} is not this meter's card")
        last = self._last_counters.get(card.card_id)
        amount = card.credit_to_load
        if amount > ZERO and last is not None and card.transaction_counter <= last:
            raise BudgetError(f"card transaction {card.transaction_counter} already loaded")
        changes = Changes()
        self._catch_up(at)
        if amount > ZERO:
            reference = f"{CARD_REFERENCE}{card.card_id}:{card.transaction_counter}"
            self._book(self._ledger.draft_top_up(self._clock, amount, reference))
            # B6: the load repays the debt first; once the debt is cleared the unused part of
            # the emergency credit goes back too, so what is left to spend is the balance.
            cleared = self.balance >= ZERO
            repay = self.emergency_owed if cleared else amount
            repaid = self._ledger.draft_repayment(self._clock, AdvanceKind.EMERGENCY_CREDIT, repay)
            if repaid is not None:
                self._book(repaid)
            changes.notices.append(
                TopUpReceived(self._clock, amount, card.transaction_counter, self.balance)
            )
        self._settle(at, changes)
        return changes.outcome()

    def revoke_card(self, card_id: int) -> None:
        """B11: the operator replaced this card; it is refused from now on."""
        self._revoked.add(card_id)

    def advance_to(self, at: datetime) -> Outcome:
        """The clock: weekly fixed charges (B10), the end of a non-disconnect period (B7)."""
        changes = Changes()
        self._catch_up(at)
        self._settle(at, changes)
        return changes.outcome()

    def next_deadline(self, now: datetime) -> datetime | None:
        deadlines = []
        if self._state is BudgetState.NON_DISCONNECT_PERIOD:
            deadlines.append(end_of_non_disconnect_period(now, self._config.calendar))
        if self._config.weekly_fixed_charge > ZERO:
            deadlines.append(self._next_week)
        return min(deadlines, default=None)

    # ----------------------------------------------------------------- views

    @property
    def config(self) -> BudgetConfig:
        return self._config

    @property
    def state(self) -> BudgetState:
        return self._state

    @property
    def credit(self) -> Money:
        """What may still be consumed before the cut (the ledger balance, M6)."""
        return self._ledger.balance

    @property
    def emergency_owed(self) -> Money:
        return self._ledger.outstanding(AdvanceKind.EMERGENCY_CREDIT)

    @property
    def balance(self) -> Money:
        """B1: the balance shown, negative while on emergency credit or owing consumption."""
        return self.credit - self.emergency_owed

    @property
    def has_unpaid_debt(self) -> bool:
        return self.emergency_owed > ZERO or self.balance < ZERO

    @property
    def emergency_credit_left(self) -> Money:
        """B6 item 1: what is left to consume on the emergency credit."""
        return max(ZERO, min(self.emergency_owed, self.credit))

    @property
    def amount_to_clear(self) -> Money:
        """B6 item 10: the reload that clears the debt (debt + 0.01 EUR)."""
        return amount_to_clear(self.balance, self._config.rules)

    @property
    def emergency_credit_available(self) -> bool:
        return self._emergency_armed

    @property
    def triangle(self) -> Triangle:
        return _TRIANGLE[self._state]

    @property
    def total_loaded(self) -> Money:
        """B8 item 4: everything ever loaded from cards."""
        return self._ledger.totals.top_ups

    @property
    def totals(self) -> LedgerTotals:
        return self._ledger.totals

    @property
    def entries(self) -> tuple[LedgerEntry, ...]:
        return self._ledger.entries

    def energy_wh(self, tariff: Tariff) -> int:
        return self._energy_wh[tariff]

    @property
    def revoked_cards(self) -> frozenset[int]:
        return frozenset(self._revoked)

    def last_counter(self, card_id: int) -> int | None:
        """The transaction counter of the last credit taken from this card (None: none yet)."""
        return self._last_counters.get(card_id)

    def meter_data(self, at: datetime) -> MeterData:
        """B4: what the meter writes back on the card."""
        return MeterData(
            written_at=_SAVED.utc(at).replace(microsecond=0),
            balance=self.balance,
            debt=max(ZERO, -self.balance),
            total_loaded=self.total_loaded,
            energy_wh=sum(self._energy_wh.values()),
        )

    # ----------------------------------------------------------------- transitions

    def _target_state(self, now: datetime) -> BudgetState:
        rules = self._config.rules
        if self._state is BudgetState.DISCONNECTED and not reconnection_allowed(self.credit, rules):
            return BudgetState.DISCONNECTED  # M3: only the red button or a load reconnects
        if self.credit <= ZERO:
            # B7: an emergency debt leaves no protection. Consumption owed from an earlier
            # period cannot be the debt here: that period ended in DISCONNECTED, kept above.
            indebted = self.emergency_owed > ZERO
            if cut_allowed(now, MeterKind.BUDGET, indebted, self._config.calendar):
                return BudgetState.DISCONNECTED
            return BudgetState.NON_DISCONNECT_PERIOD
        if self.emergency_owed > ZERO:
            return BudgetState.EMERGENCY_CREDIT
        if is_low_credit(self.balance, rules):
            return BudgetState.LOW_CREDIT
        return BudgetState.IN_CREDIT

    def _enter(self, target: BudgetState, now: datetime, changes: Changes) -> None:
        before, at, limiter = self._state, self._clock, self._config.power_limiter
        self._state = target
        if before is BudgetState.DISCONNECTED:
            changes.orders.append(Order.LIFT_POWER_LIMIT if limiter else Order.ENABLE_RECONNECTION)
        if target is BudgetState.LOW_CREDIT and before is BudgetState.IN_CREDIT:
            rules = self._config.rules
            changes.notices.append(LowCredit(at, self.balance, rules.low_credit_threshold))
        if target is BudgetState.NON_DISCONNECT_PERIOD:
            cut_at = end_of_non_disconnect_period(now, self._config.calendar)
            changes.notices.append(DisconnectionImminent(at, cut_at))
        if target is BudgetState.DISCONNECTED:
            changes.orders.append(Order.LIMIT_POWER if limiter else Order.DISCONNECT)
            changes.notices.append(Disconnected(at, self.balance, limited=limiter))

    def _settle(self, now: datetime, changes: Changes) -> None:
        if not self._emergency_armed and emergency_credit_available_again(
            self.emergency_owed, self.balance, self._config.rules
        ):
            self._emergency_armed = True  # B6
        target = self._target_state(now)
        if target is not self._state:
            self._enter(target, now, changes)

    # ----------------------------------------------------------------- bookkeeping

    def _catch_up(self, at: datetime) -> None:
        """Move the books' clock forward, booking the fixed charges of each week begun (B10)."""
        self._clock = max(self._clock, _SAVED.utc(at))
        while self._next_week <= self._clock:
            fixed = self._config.weekly_fixed_charge
            if fixed > ZERO:
                self._book(self._ledger.draft_charge(self._next_week, ChargeKind.FIXED, fixed))
            self._next_week = _next_local_monday(self._next_week)

    def _book(self, entry: LedgerEntry) -> None:
        """Draft -> persist -> commit: the entry counts only once the NVM holds it (M6)."""
        self._persist(entry.to_record())
        self._ledger.commit(entry)
        self._note_card(entry)

    def _note_card(self, entry: LedgerEntry) -> None:
        """A card top-up records its card's transaction counter (the replay check, B3)."""
        if entry.kind is EntryKind.TOP_UP and entry.reference.startswith(CARD_REFERENCE):
            card_id, counter = entry.reference.removeprefix(CARD_REFERENCE).split(":")
            self._last_counters[int(card_id)] = int(counter)


def _per_tariff(value: object) -> dict[Tariff, int]:
    values = [_SAVED.integer(item) for item in _SAVED.items(value)]
    if len(values) != len(Tariff) or min(values) < 0:
        raise BudgetError(f"expected {len(Tariff)} non-negative counts, got {value!r}")
    return dict(zip(Tariff, values, strict=True))


def _next_local_monday(moment: datetime) -> datetime:
    """The first local Monday 00:00 strictly after `moment` (the B10 weekly booking)."""
    midnight = next_local_midnight(moment)
    while to_local(midnight).weekday() != _MONDAY:
        midnight = next_local_midnight(midnight)
    return midnight
