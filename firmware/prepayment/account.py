"""The meter-side prepayment account (rules P1-P5, P8, P9, M2, M5, M6) as one state machine.

Inputs, each with an explicit UTC `at`: energy consumed per tariff (`consume`), a top-up token
(`top_up`), a new low-credit threshold (`set_low_credit_threshold`) and the clock (`advance_to`:
day boundaries for the P1 repayment, daily standing charge and weekly fixed charge (B10, each
local Monday 00:00), the end of a non-disconnect
period for a pending cut). Each returns an `Outcome` of orders and notifications; the meter
turns `Order.DISCONNECT` into remote_disconnect and `Order.ENABLE_RECONNECTION` into
remote_reconnect (M2), so the customer's button can only reconnect after a top-up (E8).

The states and their transitions are `_target_state` and `_enter` below:

    IN_CREDIT <-> LOW_CREDIT <-> EMERGENCY_CREDIT -> DISCONNECTION_IMMINENT -> DISCONNECTED
    (balance)     (<= P2 threshold) (< 0, P3)         (<= -15 EUR in the NDP) (P4: cut)
    DISCONNECTED -> IN_CREDIT / LOW_CREDIT only once the balance is >= 0.50 EUR (P8).

Besides, the account is open or closed (`closed_at`, COSEM close_account): a closed account
charges nothing, books no day and gives no order; `reset` settles it and opens a new one
(P1 starting credit). Operators also `adjust` the credit and `activate_prices` (COSEM Credit
and Charge methods), each an entry of the ledger or a value of the saved state.

The emergency credit of a smart meter is the room below zero (P3 and P4 speak of the balance
going to -15 EUR), so it is not booked as a ledger advance: the ledger balance is the balance
the customer sees. Every credit movement is drafted, handed to `persist`, then committed
before the input returns (M6), so a crash can neither lose nor duplicate credit.

Time only moves forward for the books: an `at` older than one already seen (a clock set back)
dates entries at the latest time seen, while the non-disconnect check uses `at` itself, so a
cut is never ordered at an instant inside the period.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from firmware.errors import FirmwareError
from firmware.prepayment.account_events import (
    NOTHING,
    Changes,
    Disconnected,
    DisconnectionImminent,
    EmergencyCreditStarted,
    LowCredit,
    Order,
    Outcome,
    TopUpReceived,
)
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
    credit_exhausted,
    daily_repayment,
    is_low_credit,
    on_emergency_credit,
    reconnection_allowed,
    starting_credit,
)
from firmware.rules.localtime import next_local_midnight, to_local
from firmware.rules.money import ZERO, ChargeAccumulator, Money, MoneyError
from firmware.rules.non_disconnect import (
    DEFAULT_CALENDAR,
    NonDisconnectCalendar,
    cut_allowed,
    end_of_non_disconnect_period,
)
from firmware.rules.tariff import Tariff
from firmware.rules.token import verify_token

STATE_VERSION: Final = 1
MONDAY: Final = 0  # date.weekday(): the weekly fixed charge's day (B10)
TOKEN_REFERENCE: Final = "token:"
TRANSFER_REFERENCE: Final = "balance carried from budget meter"
ADJUSTMENT_REFERENCE: Final = "operator adjustment"
WRITE_OFF_REFERENCE: Final = "debt written off at reset"

Persist = Callable[[Record], None]


class AccountError(FirmwareError):
    """An input or a saved state the prepayment account refuses."""


_SAVED = StateReader(AccountError, "the account state")


class CreditState(enum.Enum):
    """Where the balance stands, from the customer's side of the relay."""

    IN_CREDIT = "in_credit"
    LOW_CREDIT = "low_credit"  # P2: at or below the low-credit threshold
    EMERGENCY_CREDIT = "emergency_credit"  # P3: below zero, emergency credit in use
    DISCONNECTION_IMMINENT = "disconnection_imminent"  # P4: used up, waiting for the NDP end
    DISCONNECTED = "disconnected"  # P4: cut ordered; stays until the balance is >= 0.50 (P8)

    @property
    def depth(self) -> int:
        """How far down the credit ladder: notifications fire when a step is passed going down."""
        return _DEPTH[self]


_DEPTH: Final = {state: depth for depth, state in enumerate(CreditState)}

# COSEM Account attribute 4 (current_credit_status): bit 0 is the most significant on the wire.
_IN_CREDIT_BIT: Final = 0x80
_LOW_CREDIT_BIT: Final = 0x40
_SELECTABLE_CREDIT_IN_USE_BIT: Final = 0x04
_OUT_OF_CREDIT_BIT: Final = 0x02
_COSEM_STATUS: Final = {
    CreditState.IN_CREDIT: _IN_CREDIT_BIT,
    CreditState.LOW_CREDIT: _IN_CREDIT_BIT | _LOW_CREDIT_BIT,
    CreditState.EMERGENCY_CREDIT: _LOW_CREDIT_BIT | _SELECTABLE_CREDIT_IN_USE_BIT,
    CreditState.DISCONNECTION_IMMINENT: _LOW_CREDIT_BIT | _OUT_OF_CREDIT_BIT,
    CreditState.DISCONNECTED: _LOW_CREDIT_BIT | _OUT_OF_CREDIT_BIT,
}


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """What the meter is configured with; `prices` per kWh for each tariff register."""

    serial: str
    token_key: bytes
    prices: Mapping[Tariff, Money]
    rules: CreditRules = DEFAULT_RULES
    calendar: NonDisconnectCalendar = DEFAULT_CALENDAR
    standing_charge_per_day: Money = ZERO  # time-based charge booked at each local midnight
    weekly_fixed_charge: Money = ZERO  # B10: booked at each local Monday 00:00 (M7)
    power_limiter: bool = False  # P4: limit the power instead of cutting the supply

    def __post_init__(self) -> None:
        missing = [tariff.name for tariff in Tariff if tariff not in self.prices]
        if missing:
            raise AccountError(f"no price per kWh for tariff {', '.join(missing)}")
        if any(price < ZERO for price in self.prices.values()):
            raise AccountError("a price per kWh cannot be negative")
        if self.standing_charge_per_day < ZERO:
            raise AccountError("a daily standing charge cannot be negative")
        if self.weekly_fixed_charge < ZERO:
            raise AccountError("a weekly fixed charge cannot be negative")


@dataclass(frozen=True, slots=True)
class LastTopUp:
    at: datetime
    amount: Money
    token_seq: int


class MeterSideAccount:
    """The prepayment balance kept by the firmware itself (M5 meter-side mode)."""

    def __init__(
        self,
        config: AccountConfig,
        persist: Persist,
        *,
        ledger: Ledger,
        state: CreditState,
        clock: datetime,
        next_day: datetime,
        low_credit_threshold: Money,
        charge_remainder: int = 0,
        last_token_seq: int | None = None,
    ) -> None:
        """Use `commission` or `from_state`; this only assembles the parts."""
        self._config = config
        self._persist = persist
        self._ledger = ledger
        self._state = state
        self._clock = _SAVED.utc(clock)
        self._next_day = _SAVED.utc(next_day)
        self._rules = replace(config.rules, low_credit_threshold=low_credit_threshold)
        self._accumulator = ChargeAccumulator(charge_remainder)
        self._last_token_seq = last_token_seq
        self._prices_activated_at: datetime | None = None
        self._closed_at: datetime | None = None

    # ----------------------------------------------------------------- construction

    @classmethod
    def commission(
        cls, config: AccountConfig, persist: Persist, at: datetime, carried_balance: Money = ZERO
    ) -> tuple[MeterSideAccount, Outcome]:
        """P1: open the account with the 20 EUR starting credit.

        A customer moved from a budget meter brings `carried_balance`, topped up to 20 EUR.
        """
        if carried_balance < ZERO:
            raise AccountError(f"a carried balance cannot be negative, got {carried_balance}")
        at = _SAVED.utc(at)
        account = cls(
            config,
            persist,
            ledger=Ledger(),
            state=CreditState.IN_CREDIT,
            clock=at,
            next_day=next_local_midnight(at),
            low_credit_threshold=config.rules.low_credit_threshold,
        )
        if carried_balance > ZERO:
            account._book(account._ledger.draft_top_up(at, carried_balance, TRANSFER_REFERENCE))
        advance = starting_credit(carried_balance, config.rules)
        if advance > ZERO:
            account._book(account._ledger.draft_advance(at, AdvanceKind.STARTING_CREDIT, advance))
        changes = Changes()
        account._settle(at, changes)
        return account, changes.outcome()

    def state(self) -> dict[str, object]:
        """Everything needed to carry on after a restart, as JSON-friendly values (NVM)."""
        return {**self.snapshot(), "ledger": self._ledger.records()}

    def snapshot(self) -> dict[str, object]:
        """`state()` without the ledger, for a meter that journals the entries (`persist`)."""
        return {
            "version": STATE_VERSION,
            "state": self._state.value,
            "clock": self._clock.isoformat(),
            "next_day": self._next_day.isoformat(),
            "low_credit_threshold_mc": self._rules.low_credit_threshold.milli_cents,
            "charge_remainder": self._accumulator.remainder,
            "last_token_seq": self._last_token_seq,
            "prices_mc": self._activated_prices(),
            "prices_activated_at": _iso(self._prices_activated_at),
            "closed_at": _iso(self._closed_at),
        }

    @classmethod
    def from_state(
        cls, config: AccountConfig, persist: Persist, saved: Mapping[str, object]
    ) -> MeterSideAccount:
        """Rebuild the account `state()` described; AccountError if it is not such a state."""
        try:
            if saved["version"] != STATE_VERSION:
                raise AccountError(f"unknown account state version {saved['version']!r}")
            records, token_seq = saved["ledger"], saved["last_token_seq"]
            if not isinstance(records, list) or not (
                token_seq is None or isinstance(token_seq, int)
            ):
                raise AccountError("account state has fields of the wrong type")
            ledger = Ledger.from_records(records)
            # The journal may hold a top-up the snapshot missed (a crash between the two).
            seqs = [seq for seq in map(_token_seq, ledger.entries) if seq is not None]
            if token_seq is not None:
                seqs.append(token_seq)
            token_seq = max(seqs, default=None)
            clock = _SAVED.utc(datetime.fromisoformat(_SAVED.text(saved["clock"])))
            next_day = _SAVED.utc(datetime.fromisoformat(_SAVED.text(saved["next_day"])))
            if ledger.entries:  # nor may the snapshot lag the journal's clock or its last day
                clock = max(clock, ledger.entries[-1].at)
                days = [entry.at for entry in ledger.entries if _is_daily(entry)]
                if days:
                    next_day = max(next_day, next_local_midnight(days[-1]))
            account = cls(
                _with_saved_prices(config, saved.get("prices_mc")),
                persist,
                ledger=ledger,
                state=CreditState(saved["state"]),
                clock=clock,
                next_day=next_day,
                low_credit_threshold=Money(_SAVED.integer(saved["low_credit_threshold_mc"])),
                charge_remainder=_SAVED.integer(saved["charge_remainder"]),
                last_token_seq=token_seq,
            )
            account._prices_activated_at = _moment(saved.get("prices_activated_at"))
            account._closed_at = _moment(saved.get("closed_at"))
            return account
        except (KeyError, TypeError, ValueError, LedgerError, MoneyError) as error:
            raise AccountError(f"unreadable account state: {error}") from error

    # ----------------------------------------------------------------- inputs

    def consume(self, at: datetime, tariff: Tariff, energy_mj: int) -> Outcome:
        """Energy imported in one tariff register, charged at that tariff's price (M6)."""
        if energy_mj < 0:
            raise AccountError(f"consumed energy cannot be negative ({energy_mj} mJ)")
        if self._closed_at is not None:
            return NOTHING  # a closed account charges nothing: that energy is never billed
        changes = Changes()
        self._catch_up(at)
        owed = self._accumulator.charge(energy_mj, self._config.prices[tariff])
        if owed > ZERO:
            self._book(self._ledger.draft_charge(self._clock, ChargeKind.ENERGY, owed))
        self._settle(at, changes)
        return changes.outcome()

    def top_up(self, at: datetime, token: str | bytes) -> Outcome:
        """P6: credit a token; a refused one changes nothing and says why in `Outcome.token`."""
        check = verify_token(
            self._config.token_key,
            self._config.serial,
            self._last_token_seq,
            token,
            self._config.rules,
        )
        if not check.accepted:
            return replace(NOTHING, token=check)
        assert check.amount is not None and check.seq is not None  # set on every ACCEPTED
        changes = Changes()
        self._catch_up(at)
        reference = f"{TOKEN_REFERENCE}{check.seq}"
        self._book(self._ledger.draft_top_up(self._clock, check.amount, reference))
        self._last_token_seq = check.seq
        changes.notices.append(TopUpReceived(self._clock, check.amount, check.seq, self.balance))
        self._settle(at, changes)
        return changes.outcome(check)

    def set_low_credit_threshold(self, at: datetime, threshold: Money) -> Outcome:
        """P2: the customer or an agent moves the low-credit threshold."""
        if threshold < ZERO:
            raise AccountError(f"the low-credit threshold cannot be negative, got {threshold}")
        changes = Changes()
        self._catch_up(at)
        self._rules = replace(self._rules, low_credit_threshold=threshold)
        self._settle(at, changes)
        return changes.outcome()

    def adjust(self, at: datetime, amount: Money) -> Outcome:
        """An operator's correction of the credit (COSEM Credit update_amount): a top-up
        referenced as an adjustment when positive, an ADJUSTMENT charge when negative (M6)."""
        if amount == ZERO:
            raise AccountError("an adjustment of 0.00 EUR changes nothing")
        self._refuse_if_closed("adjusted")
        changes = Changes()
        self._catch_up(at)
        if amount > ZERO:
            entry = self._ledger.draft_top_up(self._clock, amount, ADJUSTMENT_REFERENCE)
        else:
            entry = self._ledger.draft_charge(self._clock, ChargeKind.ADJUSTMENT, -amount)
        self._book(entry)
        self._settle(at, changes)
        return changes.outcome()

    def activate_prices(self, at: datetime, prices: Mapping[Tariff, Money]) -> Outcome:
        """New prices per kWh from `at` on; the caller charges the energy before `at` first."""
        config = replace(self._config, prices=dict(prices))  # AccountConfig validates them
        changes = Changes()
        self._catch_up(at)
        self._config = config
        self._prices_activated_at = self._clock
        self._settle(at, changes)
        return changes.outcome()

    def close(self, at: datetime) -> Outcome:
        """COSEM close_account: the days due until `at` are booked, then nothing is charged
        (energy, repayment, standing charge) and no order is given until `reset`. Top-ups are
        still credited; `reset` settles them."""
        self._refuse_if_closed("closed")
        self._catch_up(at)
        self._closed_at = self._clock
        return NOTHING

    def reset(self, at: datetime) -> Outcome:
        """COSEM reset_account, on a closed account: the old account is settled to zero in the
        ledger (what is owed on the starting credit repaid, then a credit left refunded off the
        meter as an ADJUSTMENT charge, or a debt written off as a top-up), and a new account
        opens with the P1 starting credit (M6: every step is an entry)."""
        if self._closed_at is None:
            raise AccountError("only a closed account can be reset: close it first")
        self._clock = max(self._clock, _SAVED.utc(at))
        repaid = self._ledger.draft_repayment(
            self._clock, AdvanceKind.STARTING_CREDIT, self.starting_credit_owed
        )
        if repaid is not None:
            self._book(repaid)
        if self.balance > ZERO:
            self._book(self._ledger.draft_charge(self._clock, ChargeKind.ADJUSTMENT, self.balance))
        elif self.balance < ZERO:
            self._book(self._ledger.draft_top_up(self._clock, -self.balance, WRITE_OFF_REFERENCE))
        advance = starting_credit(ZERO, self._config.rules)
        self._book(self._ledger.draft_advance(self._clock, AdvanceKind.STARTING_CREDIT, advance))
        self._closed_at = None
        self._next_day = next_local_midnight(self._clock)
        changes = Changes()
        self._settle(at, changes)
        return changes.outcome()

    def advance_to(self, at: datetime) -> Outcome:
        """The clock: book the days passed (P1, fixed charges), cut if a pending cut may (P4)."""
        changes = Changes()
        self._catch_up(at)
        self._settle(at, changes)
        return changes.outcome()

    def next_deadline(self, now: datetime) -> datetime | None:
        """The next instant `advance_to` has something to do, for the meter's scheduler."""
        if self._closed_at is not None:
            return None
        deadlines = []
        if self._state is CreditState.DISCONNECTION_IMMINENT:
            deadlines.append(end_of_non_disconnect_period(now, self._config.calendar))
        if self._daily_bookings_due():
            deadlines.append(self._next_day)
        return min(deadlines, default=None)

    # ----------------------------------------------------------------- views

    @property
    def credit_state(self) -> CreditState:
        return self._state

    @property
    def balance(self) -> Money:
        return self._ledger.balance

    @property
    def low_credit_threshold(self) -> Money:
        return self._rules.low_credit_threshold

    @property
    def closed_at(self) -> datetime | None:
        """When `close` closed the account (None: open)."""
        return self._closed_at

    @property
    def activated_at(self) -> datetime:
        """When the account opened: its last starting credit (P1, or a reset), else its first
        entry (a customer who brought 20 EUR or more)."""
        entries = self._ledger.entries
        for entry in reversed(entries):
            if entry.kind is EntryKind.ADVANCE and entry.advance is AdvanceKind.STARTING_CREDIT:
                return entry.at
        return entries[0].at if entries else self._clock

    @property
    def prices(self) -> Mapping[Tariff, Money]:
        """The prices per kWh charged now, per tariff register."""
        return self._config.prices

    @property
    def prices_activated_at(self) -> datetime | None:
        """When `activate_prices` last changed them (None: the configured prices)."""
        return self._prices_activated_at

    @property
    def emergency_credit_left(self) -> Money:
        """P3: the 15 EUR below zero, less what is used (E7 94.32.2/3)."""
        full = self._rules.emergency_credit(MeterKind.SMART)
        return min(full, max(ZERO, full + self.balance))

    @property
    def amount_to_clear(self) -> Money:
        return amount_to_clear(self.balance, self._rules)

    @property
    def reconnection_enabled(self) -> bool:
        """P8/E8: the customer's button may reconnect (no cut, or credited back since).

        With a power limiter: the power is not limited.
        """
        return self._state is not CreditState.DISCONNECTED

    @property
    def button_may_reconnect(self) -> bool:
        """P8, E8: the customer's button closes an open relay only while the balance is at
        least 0.50 EUR, since the P1 repayment or a fixed charge may take it below again after
        a top-up enabled reconnection. A power limiter's own opening (P4) and a closed account
        (no orders of its own) leave the button alone."""
        if self._config.power_limiter or self._closed_at is not None:
            return True
        return reconnection_allowed(self.balance, self._rules)

    @property
    def cosem_credit_status(self) -> int:
        """COSEM Account attribute 4 as one byte, bit 0 (in_credit) the most significant."""
        return _COSEM_STATUS[self._state]

    @property
    def totals(self) -> LedgerTotals:
        return self._ledger.totals

    @property
    def starting_credit_owed(self) -> Money:
        return self._ledger.outstanding(AdvanceKind.STARTING_CREDIT)

    @property
    def last_token_seq(self) -> int | None:
        return self._last_token_seq

    @property
    def last_top_up(self) -> LastTopUp | None:
        for entry in reversed(self._ledger.entries):
            seq = _token_seq(entry)
            if seq is not None:
                return LastTopUp(entry.at, entry.amount, seq)
        return None

    @property
    def entries(self) -> tuple[LedgerEntry, ...]:
        return self._ledger.entries

    def _activated_prices(self) -> dict[str, int] | None:
        """The prices to keep over a restart: only those an operator activated, so a change of
        the configured prices still applies to an account that never had its prices changed."""
        if self._prices_activated_at is None:
            return None
        return {tariff.name: price.milli_cents for tariff, price in self.prices.items()}

    # ----------------------------------------------------------------- transitions

    def _target_state(self, now: datetime) -> CreditState:
        """The one place that says which state the balance and the clock call for."""
        balance, rules = self.balance, self._rules
        if self._state is CreditState.DISCONNECTED and not reconnection_allowed(balance, rules):
            return CreditState.DISCONNECTED  # P8: only a top-up to 0.50 EUR ends a cut
        if credit_exhausted(balance, MeterKind.SMART, rules):
            if cut_allowed(now, MeterKind.SMART, calendar=self._config.calendar):
                return CreditState.DISCONNECTED  # P4
            return CreditState.DISCONNECTION_IMMINENT  # P4, P5: wait for the end of the NDP
        if on_emergency_credit(balance):
            return CreditState.EMERGENCY_CREDIT  # P3
        if is_low_credit(balance, rules):
            return CreditState.LOW_CREDIT  # P2
        return CreditState.IN_CREDIT

    def _enter(self, target: CreditState, now: datetime, changes: Changes) -> None:
        """Move to `target`, emitting the orders and notices of each step passed on the way."""
        before, at = self._state, self._clock
        self._state = target
        limiter = self._config.power_limiter
        if before is CreditState.DISCONNECTED and target is not CreditState.DISCONNECTED:
            # P8, M2 transition d (or the limit lifted)
            changes.orders.append(Order.LIFT_POWER_LIMIT if limiter else Order.ENABLE_RECONNECTION)
            return
        passed = {s for s in CreditState if before.depth < s.depth <= target.depth}
        if CreditState.LOW_CREDIT in passed:
            changes.notices.append(LowCredit(at, self.balance, self._rules.low_credit_threshold))
        if CreditState.EMERGENCY_CREDIT in passed:
            emergency = self._rules.emergency_credit(MeterKind.SMART)
            changes.notices.append(EmergencyCreditStarted(at, emergency))
        if target is CreditState.DISCONNECTION_IMMINENT and before is not target:
            cut_at = end_of_non_disconnect_period(now, self._config.calendar)
            changes.notices.append(DisconnectionImminent(at, cut_at))
        if target is CreditState.DISCONNECTED and before is not target:
            changes.orders.append(Order.LIMIT_POWER if limiter else Order.DISCONNECT)  # P4, M2 b
            changes.notices.append(Disconnected(at, self.balance, limited=limiter))

    def _settle(self, now: datetime, changes: Changes) -> None:
        if self._closed_at is not None:
            return  # a closed account gives no orders
        target = self._target_state(now)
        if target is not self._state:
            self._enter(target, now, changes)

    # ----------------------------------------------------------------- bookkeeping

    def _catch_up(self, at: datetime) -> None:
        """Move the books' clock forward to `at`, booking each local midnight passed (P1)."""
        self._clock = max(self._clock, _SAVED.utc(at))
        while self._next_day <= self._clock:
            if not self._daily_bookings_due():
                self._next_day = next_local_midnight(self._clock)
                break
            self._book_day(self._next_day)
            self._next_day = next_local_midnight(self._next_day)

    def _daily_bookings_due(self) -> bool:
        if self._closed_at is not None:
            return False
        config = self._config
        return (
            self.starting_credit_owed > ZERO
            or config.standing_charge_per_day > ZERO
            or config.weekly_fixed_charge > ZERO
        )

    def _book_day(self, midnight: datetime) -> None:
        owed = self._ledger.outstanding(AdvanceKind.STARTING_CREDIT)
        repaid = self._ledger.draft_repayment(
            midnight, AdvanceKind.STARTING_CREDIT, daily_repayment(owed, self._rules)
        )
        if repaid is not None:
            self._book(repaid)
        if self._config.standing_charge_per_day > ZERO:
            charge = self._config.standing_charge_per_day
            self._book(self._ledger.draft_charge(midnight, ChargeKind.FIXED, charge))
        if self._config.weekly_fixed_charge > ZERO and to_local(midnight).weekday() == MONDAY:
            weekly = self._config.weekly_fixed_charge  # B10
            self._book(self._ledger.draft_charge(midnight, ChargeKind.FIXED, weekly))

    def _refuse_if_closed(self, what: str) -> None:
        if self._closed_at is not None:
            raise AccountError(f"the account is closed and cannot be {what}: reset it first")

    def _book(self, entry: LedgerEntry) -> None:
        """Draft -> persist -> commit: the entry counts only once the NVM holds it."""
        self._persist(entry.to_record())
        self._ledger.commit(entry)


def _token_seq(entry: LedgerEntry) -> int | None:
    """The sequence number of the token a ledger entry credited, if it is a token top-up."""
    if entry.kind is EntryKind.TOP_UP and entry.reference.startswith(TOKEN_REFERENCE):
        return int(entry.reference.removeprefix(TOKEN_REFERENCE))
    return None


def _is_daily(entry: LedgerEntry) -> bool:
    """An entry booked at a local midnight (P1 repayment, daily or weekly fixed charge)."""
    return entry.kind is EntryKind.REPAYMENT or (
        entry.kind is EntryKind.CHARGE and entry.charge is ChargeKind.FIXED
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(saved: object) -> datetime | None:
    """What `_iso` wrote (absent from a snapshot older than the field: None)."""
    return None if saved is None else _SAVED.utc(datetime.fromisoformat(_SAVED.text(saved)))


def _with_saved_prices(config: AccountConfig, saved: object) -> AccountConfig:
    """The configuration with the prices an operator activated (a snapshot without them, from
    before prices could change, keeps the configured ones)."""
    if saved is None:
        return config
    if not isinstance(saved, Mapping):
        raise AccountError(f"expected prices in the account state, got {saved!r}")
    return replace(
        config, prices={Tariff[name]: Money(_SAVED.integer(mc)) for name, mc in saved.items()}
    )
