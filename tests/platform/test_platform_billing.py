"""A day's bill from two snapshots (rules P1, P3, P7, M6)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from platform_facts import PRICES

from headend.platform.billing import (
    DailyIndexes,
    Remainders,
    bill_day,
    emergency_credit_left,
    estimated_balance,
)
from headend.platform.errors import PlatformError
from headend.platform.money import format_eur, parse_eur

MONDAY, TUESDAY, THURSDAY = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 5)


def test_each_tariff_priced_at_its_own_price() -> None:  # rules E1, M6
    bill = bill_day(
        DailyIndexes(MONDAY, 1_000, 500),
        DailyIndexes(TUESDAY, 1_003, 502),
        PRICES,
        Remainders(),
        outstanding_advance=0,
    )
    # 3 Wh x 15.75 mc + 2 Wh x 7.46 mc = 47.25 + 14.92 mc: 47 + 14 charged, rests carried
    assert (bill.charge, bill.consumption_wh) == (61, 5)
    assert bill.remainders == Remainders(250, 920)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20_000), st.integers(0, 20_000)), min_size=1, max_size=20))
def test_carried_remainders_make_daily_charges_add_up_to_the_total(  # rule M6
    days: list[tuple[int, int]],
) -> None:
    peak = offpeak = charged = 0
    remainders = Remainders()
    previous = DailyIndexes(date(2026, 1, 1), 0, 0)
    for n, (peak_wh, offpeak_wh) in enumerate(days, start=1):
        peak, offpeak = peak + peak_wh, offpeak + offpeak_wh
        current = DailyIndexes(date(2026, 1, 1 + n), peak, offpeak)
        bill = bill_day(previous, current, PRICES, remainders, 0)
        charged, remainders, previous = charged + bill.charge, bill.remainders, current
    assert charged == peak * PRICES.peak // 1_000 + offpeak * PRICES.offpeak // 1_000


def test_repayment_is_one_euro_per_day_never_more_than_owed() -> None:  # rule P1
    day = DailyIndexes(MONDAY, 0, 0)
    assert bill_day(
        day, DailyIndexes(TUESDAY, 0, 0), PRICES, Remainders(), 2_000_000
    ).repayment == (100_000)
    assert bill_day(
        day, DailyIndexes(THURSDAY, 0, 0), PRICES, Remainders(), 2_000_000
    ).repayment == (300_000)
    assert bill_day(day, DailyIndexes(TUESDAY, 0, 0), PRICES, Remainders(), 30_000).repayment == (
        30_000
    )
    assert bill_day(day, DailyIndexes(TUESDAY, 0, 0), PRICES, Remainders(), 0).repayment == 0


def test_indexes_going_backwards_or_out_of_order_are_refused() -> None:
    with pytest.raises(PlatformError, match="backwards"):
        bill_day(
            DailyIndexes(MONDAY, 10, 10), DailyIndexes(TUESDAY, 9, 10), PRICES, Remainders(), 0
        )
    with pytest.raises(PlatformError, match="do not follow"):
        bill_day(DailyIndexes(TUESDAY, 0, 0), DailyIndexes(MONDAY, 0, 0), PRICES, Remainders(), 0)
    with pytest.raises(PlatformError, match="negative"):
        DailyIndexes(MONDAY, -1, 0)


def test_emergency_credit_left_shrinks_with_the_negative_balance() -> None:  # rules P3, E7
    assert emergency_credit_left(500_000) == 1_500_000
    assert emergency_credit_left(-400_000) == 1_100_000
    assert emergency_credit_left(-1_600_000) == 0


def test_estimate_subtracts_the_seven_day_average_for_the_time_elapsed() -> None:  # rule P7
    week = [100_000] * 6 + [240_000]  # average 1.20 EUR/day
    assert estimated_balance(1_000_000, 43_200, week) == 940_000  # half a day later
    assert estimated_balance(1_000_000, 43_200, [999_999, *week]) == 940_000  # 7 days only
    assert estimated_balance(1_000_000, 43_200, []) == 1_000_000
    assert estimated_balance(1_000_000, 1, [1]) == 999_999  # rounded down: never more credit


def test_amounts_parse_exactly_and_show_in_french_notation() -> None:  # rule M6
    assert parse_eur("0.1575") == 15_750
    assert parse_eur(" 20 ") == 2_000_000
    assert format_eur(-345_000) == "-3,45"
    assert format_eur(49_680) == "0,49"  # rounded down, never more credit than there is
    for bad in ("abc", "1.000001", "nan", "inf"):
        with pytest.raises(PlatformError):
            parse_eur(bad)
