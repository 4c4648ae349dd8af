"""The platform's entry points a transport (MQTT, CLI) calls: register, daily indexes, ticks,
top-ups, the daily 94.32.2 push and the portal's estimate. Time is always passed in."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from firmware.rules.credit import CreditError, top_up_reference, validate_ean
from firmware.rules.localtime import local_midnight
from headend.platform.account import settle
from headend.platform.billing import (
    DailyIndexes,
    Prices,
    bill_day,
    estimated_balance,
    opening_day,
)
from headend.platform.decisions import (
    BalancePush,
    Decision,
    Notice,
    balance_push,
    consumption_alert,
    refuse_manual_index,
)
from headend.platform.errors import PlatformError
from headend.platform.ledger import Energy, EntryKind, Ledger, Meter
from headend.platform.money import parse_eur
from headend.platform.rules import DEFAULT_PLATFORM_RULES, PlatformRules
from headend.platform.topup import TopUpResult, book_top_up

ALERT_HISTORY_DAYS: Final = 7  # R2: the "daily average" is over the last week
ESTIMATE_DAYS: Final = 7  # P7


class Platform:
    """The central prepayment platform over one `Ledger`."""

    def __init__(self, ledger: Ledger, rules: PlatformRules = DEFAULT_PLATFORM_RULES) -> None:
        self.ledger = ledger
        self.rules = rules

    def register_meter(
        self,
        serial: str,
        ean: str,
        prices: Prices,
        now: datetime,
        *,
        energy: Energy = Energy.ELECTRICITY,
        consent_15min: bool = False,
        communicating: bool = True,
        alert_percent: int | None = None,
        carried_balance: int | None = None,
        opening: DailyIndexes | None = None,
    ) -> Meter:
        """A new central-prepayment customer: the meter and its P1 starting credit. A customer
        moved from a budget meter keeps `carried_balance` (milli-cents), topped up to the
        starting credit if lower (P1). `opening`: the meter's registers read at enrolment,
        dated `billing.opening_day(now)`; the first day collected is billed from it (M6).
        Without it the first indexes received are the baseline, not billed."""
        try:
            digits = validate_ean(ean)
        except CreditError as error:
            raise PlatformError(f"meter {serial}: {error}") from None
        if opening is not None and opening.day != opening_day(now):
            raise PlatformError(
                f"meter {serial}: an opening reading at {now} is dated {opening_day(now)},"
                f" not {opening.day}"
            )
        meter = Meter(
            serial, digits, top_up_reference(digits), energy, consent_15min, communicating,
            prices, alert_percent,
        )  # fmt: skip
        with self.ledger.transaction():
            self.ledger.add_meter(meter)
            if opening is not None:
                self.ledger.add_indexes(serial, opening, None, None, partial=True)
            kept = carried_balance or 0
            if kept:
                self.ledger.add_entry(serial, now, EntryKind.CARRIED_BALANCE, kept)
            advance = max(0, self.rules.starting_credit - kept)
            if advance:
                self.ledger.add_entry(serial, now, EntryKind.STARTING_CREDIT, advance)
        return meter

    def set_low_credit_threshold(self, serial: str, amount_text: str | None) -> None:
        """P2: the customer's or an agent's own threshold; None goes back to the default."""
        threshold = None if amount_text is None else parse_eur(amount_text)
        if threshold is not None and threshold < 0:
            raise PlatformError(f"a low-credit threshold cannot be negative: {amount_text}")
        self.ledger.set_low_credit_threshold(serial, threshold)

    def reference_of(self, serial: str) -> str:
        """P6: the payment reference a customer quotes for this meter."""
        return self.ledger.meter(serial).reference

    def wants_profile(self, serial: str) -> bool:
        """R1: the 15-minute profile is collected only with the customer's consent."""
        return self.ledger.meter(serial).consent_15min

    def receive_daily_indexes(
        self,
        serial: str,
        indexes: DailyIndexes,
        now: datetime,
        profile: list[tuple[datetime, int]] | None = None,
    ) -> Decision:
        """R1, P1, M6: store the day's indexes (and the consented profile), bill the day since
        the previous snapshot (or the opening reading), repay the advance, check R2 (on whole
        days) and decide (P2-P5)."""
        meter = self.ledger.meter(serial)
        if profile and not meter.consent_15min:
            raise PlatformError(f"{serial}: no consent for 15-minute data, profile not stored")
        previous = self.ledger.last_indexes(serial)
        if previous is not None and indexes.day <= previous.day:
            raise PlatformError(
                f"{serial}: indexes of {indexes.day} already received (last: {previous.day})"
            )
        from_opening = self.ledger.last_is_opening(serial)
        with self.ledger.transaction():
            alerts: tuple[Notice, ...] = ()
            if previous is None:
                self.ledger.add_indexes(serial, indexes, None, None)
            else:
                bill = bill_day(
                    previous,
                    indexes,
                    meter.prices,
                    self.ledger.remainders(serial),
                    self.ledger.outstanding_advance(serial),
                    self.rules,
                )
                if meter.alert_percent is not None and not from_opening:  # part of a day
                    history = self.ledger.recent_days(serial, indexes.day, ALERT_HISTORY_DAYS)
                    alert = consumption_alert(
                        bill.consumption_wh, [wh for wh, _ in history], meter.alert_percent
                    )
                    alerts = () if alert is None else (alert,)
                self.ledger.add_indexes(
                    serial, indexes, bill.consumption_wh, bill.charge, partial=from_opening
                )
                self.ledger.save_remainders(serial, bill.remainders)
                if bill.charge:
                    self.ledger.add_entry(serial, now, EntryKind.CHARGE, -bill.charge)
                if bill.repayment:
                    self.ledger.add_entry(serial, now, EntryKind.REPAYMENT, -bill.repayment)
            if profile:
                self.ledger.add_profile(serial, profile)
            return settle(self.ledger, serial, now, self.rules, alerts)

    def declare_manual_index(self, serial: str, indexes: DailyIndexes, now: datetime) -> Decision:
        """R3: self-reading is refused for communicating meters; others are billed as usual."""
        refuse_manual_index(self.ledger.meter(serial).communicating)
        return self.receive_daily_indexes(serial, indexes, now)

    def tick(self, serial: str, now: datetime) -> Decision:
        """Re-decide without new data: a cut waiting for the end of the NDP happens here (P4)."""
        with self.ledger.transaction():
            return settle(self.ledger, serial, now, self.rules)

    def top_up(self, reference: str, amount_text: str, now: datetime) -> TopUpResult:
        """P6, P8, P9: book a payment by reference."""
        return book_top_up(self.ledger, reference, amount_text, now, self.rules)

    def daily_push(self, serial: str, now: datetime) -> BalancePush:
        """E7: the 94.32.2 values to send to the meter now."""
        return balance_push(self.ledger.balance(serial), now, self.rules)

    def estimated_balance(self, serial: str, now: datetime) -> int:
        """P7: the portal's estimate from the last 7 days' average charge since the last
        billed day ended (local midnight after it)."""
        balance = self.ledger.balance(serial)
        last = self.ledger.last_indexes(serial)
        if last is None:
            return balance
        since = now - local_midnight(last.day + timedelta(days=1))
        history = self.ledger.recent_days(serial, last.day + timedelta(days=1), ESTIMATE_DAYS)
        return estimated_balance(balance, int(since.total_seconds()), [c for _, c in history])
