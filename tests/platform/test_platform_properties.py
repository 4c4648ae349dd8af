"""Properties of the platform's money over any sequence of days and top-ups (rules P1, P3, M6)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from platform_facts import EAN, PRICES, REFERENCE, SERIAL, START, local

from headend.platform.billing import DailyIndexes, emergency_credit_left
from headend.platform.ledger import EntryKind, Ledger
from headend.platform.service import Platform

FIRST = date(2026, 10, 20)  # the run crosses the end of summer time (M7)

# One event per day: that day's consumption (peak Wh, off-peak Wh) and an optional top-up
# in cents (P6 range) booked during the day.
days = st.lists(
    st.tuples(
        st.integers(0, 30_000),
        st.integers(0, 30_000),
        st.one_of(st.none(), st.integers(500, 25_000)),
    ),
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(days)
def test_money_in_equals_money_out_plus_balance_change(
    events: list[tuple[int, int, int | None]],
) -> None:  # rule M6
    ledger = Ledger(":memory:")
    platform = Platform(ledger)
    platform.register_meter(SERIAL, EAN, PRICES, START)
    platform.receive_daily_indexes(SERIAL, DailyIndexes(FIRST, 0, 0), local(FIRST, 23))
    peak = offpeak = 0
    for n, (peak_wh, offpeak_wh, top_up_cents) in enumerate(events, start=1):
        day = FIRST + timedelta(days=n)
        if top_up_cents is not None:
            platform.top_up(
                REFERENCE, f"{top_up_cents // 100}.{top_up_cents % 100:02d}", local(day, 12)
            )
        peak, offpeak = peak + peak_wh, offpeak + offpeak_wh
        platform.receive_daily_indexes(
            SERIAL, DailyIndexes(day, peak, offpeak), local(day + timedelta(days=1), 1)
        )
        platform.tick(SERIAL, local(day + timedelta(days=1), 9))

    top_ups = ledger.total(SERIAL, EntryKind.TOP_UP)
    advances = ledger.total(SERIAL, EntryKind.STARTING_CREDIT)
    charges = -ledger.total(SERIAL, EntryKind.CHARGE)
    repayments = -ledger.total(SERIAL, EntryKind.REPAYMENT)
    balance = ledger.balance(SERIAL)
    assert top_ups + advances == charges + repayments + balance
    assert top_ups == sum(c * 1_000 for _, _, c in events if c is not None)
    # Remainders carried: the charges are exactly the total energy at its price, rounded down once.
    assert charges == peak * PRICES.peak // 1_000 + offpeak * PRICES.offpeak // 1_000
    # P1: the advance is repaid 1 EUR a day and never below zero.
    assert repayments == min(len(events), 20) * 100_000
    assert 0 <= ledger.outstanding_advance(SERIAL) <= 2_000_000
    # P3: the emergency credit shown stays within 0..15 EUR.
    assert 0 <= emergency_credit_left(balance) <= 1_500_000
    ledger.close()
