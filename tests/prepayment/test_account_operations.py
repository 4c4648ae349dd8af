"""Operator actions on the meter-side account (COSEM Account, Credit and Charge methods): price
changes, credit adjustments, closing and resetting, each exact in the ledger (rule M6) and kept
over a restart."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from meter_side_rig import build_rig
from test_account_support import CONFIG, EUR, Journal, commissioned, kwh, local

from firmware.prepayment.account import AccountError, MeterSideAccount
from firmware.prepayment.account_events import Order
from firmware.prepayment.ledger import ChargeKind, EntryKind, LedgerTotals
from firmware.rules.money import ZERO, Money
from firmware.rules.tariff import Tariff

MONDAY = date(2026, 3, 2)


def books_balance(account: MeterSideAccount) -> None:
    # rule M6: money in = money out + balance
    totals: LedgerTotals = account.totals
    assert totals.top_ups + totals.advances == totals.charges + totals.repayments + account.balance


def test_new_prices_charge_from_their_activation_on() -> None:  # rule M6
    account, _, _ = commissioned(local(MONDAY, 10))
    account.consume(local(MONDAY, 11), Tariff.PEAK, kwh(1))  # 0.25
    account.activate_prices(local(MONDAY, 11), {Tariff.PEAK: EUR("0.40"), Tariff.OFF_PEAK: ZERO})
    account.consume(local(MONDAY, 12), Tariff.PEAK, kwh(2))
    assert account.balance == EUR("20") - EUR("0.25") - EUR("0.80")
    assert account.prices_activated_at == local(MONDAY, 11)
    books_balance(account)


def test_prices_without_a_tariff_are_refused() -> None:
    account, _, _ = commissioned(local(MONDAY, 10))
    with pytest.raises(AccountError):
        account.activate_prices(local(MONDAY, 11), {Tariff.PEAK: EUR("0.40")})


def test_an_adjustment_is_an_entry_of_its_own() -> None:  # rule M6
    account, journal, _ = commissioned(local(MONDAY, 10))
    account.adjust(local(MONDAY, 11), EUR("7.50"))
    assert account.entries[-1].kind is EntryKind.TOP_UP
    assert account.entries[-1].reference == "operator adjustment"
    account.adjust(local(MONDAY, 11), -EUR("30"))
    assert account.entries[-1].charge is ChargeKind.ADJUSTMENT
    assert account.balance == EUR("-2.50")
    assert len(journal.records) == len(account.entries)  # each persisted before it counted
    books_balance(account)
    with pytest.raises(AccountError):
        account.adjust(local(MONDAY, 11), ZERO)


def test_a_closed_account_charges_nothing_and_orders_nothing() -> None:
    account, _, _ = commissioned(local(MONDAY, 10))
    account.close(local(MONDAY, 11))
    assert account.closed_at == local(MONDAY, 11)
    outcome = account.consume(local(MONDAY, 12), Tariff.PEAK, kwh(200))  # 50 EUR of energy
    assert outcome.orders == () and account.balance == EUR("20")
    account.advance_to(local(MONDAY, 12) + timedelta(days=3))  # no P1 repayment while closed
    assert account.starting_credit_owed == EUR("20")
    with pytest.raises(AccountError):
        account.close(local(MONDAY, 13))
    with pytest.raises(AccountError):
        account.adjust(local(MONDAY, 13), EUR("1"))


def test_reset_settles_the_old_account_and_opens_a_new_one() -> None:  # rules P1, M6
    account, _, _ = commissioned(local(MONDAY, 10))
    with pytest.raises(AccountError):
        account.reset(local(MONDAY, 11))  # open: close it first
    account.consume(local(MONDAY, 11), Tariff.PEAK, kwh(140))  # 35 EUR: -15, cut
    assert account.balance == EUR("-15")
    account.close(local(MONDAY, 12))
    outcome = account.reset(local(MONDAY, 13))
    assert account.balance == EUR("20") and account.starting_credit_owed == EUR("20")
    assert account.closed_at is None and account.activated_at == local(MONDAY, 13)
    assert Order.ENABLE_RECONNECTION in outcome.orders  # the cut ends with the new credit
    assert account.entries[-2].reference == "debt written off at reset"
    books_balance(account)


def test_prices_and_closure_survive_a_restart() -> None:
    account, _, _ = commissioned(local(MONDAY, 10))
    prices = {Tariff.PEAK: EUR("0.40"), Tariff.OFF_PEAK: EUR("0.10")}
    account.activate_prices(local(MONDAY, 11), prices)
    account.close(local(MONDAY, 12))
    restored = MeterSideAccount.from_state(CONFIG, Journal().persist, account.state())
    assert restored.prices == prices and restored.prices_activated_at == local(MONDAY, 11)
    assert restored.closed_at == local(MONDAY, 12)
    untouched, _, _ = commissioned(local(MONDAY, 10))  # configured prices: not frozen in NVM
    assert untouched.snapshot()["prices_mc"] is None


def test_a_meter_restart_keeps_activated_prices_and_a_closure(tmp_path: Path) -> None:
    # rule M6: both are in the NVM before the operation returns (no shutdown here: a crash)
    rig = build_rig(local(MONDAY, 12), watts=1000, state_dir=tmp_path)
    rig.meter.activate_prices({Tariff.PEAK: EUR("0.40"), Tariff.OFF_PEAK: EUR("0.10")})
    rig.run_to(local(MONDAY, 13))  # 1 kWh at 0.40
    rig.meter.close_account()
    before = rig.meter.account_for_release().balance
    assert before == EUR("19.60")
    again = build_rig(local(MONDAY, 14), watts=1000, state_dir=tmp_path)
    account = again.meter.account_for_release()
    assert account.closed_at == local(MONDAY, 13) and account.balance == before
    again.meter.reset_account()
    again.run_to(local(MONDAY, 15))  # the new account pays the activated price
    assert again.meter.account_for_release().balance == EUR("19.60")


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("consume"), st.integers(0, 50)),
        st.tuples(st.just("adjust"), st.integers(-5_000, 5_000)),
        st.tuples(st.just("prices"), st.integers(0, 9_999)),
        st.tuples(st.just("close"), st.just(0)),
        st.tuples(st.just("reset"), st.just(0)),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(OPERATIONS)
def test_operator_actions_keep_the_books_exact(operations: list[tuple[str, int]]) -> None:
    # rule M6: whatever operators do, every movement is a persisted entry and the books balance
    account, journal, _ = commissioned(local(MONDAY, 10))
    for step, (name, value) in enumerate(operations):
        at = local(MONDAY, 10) + timedelta(minutes=10 * (step + 1))
        entries = len(account.entries)
        try:
            if name == "consume":
                account.consume(at, Tariff.PEAK, kwh(value))
            elif name == "adjust":
                account.adjust(at, Money(value * 1000))
            elif name == "prices":
                price = Money(value * 10)
                account.activate_prices(at, {Tariff.PEAK: price, Tariff.OFF_PEAK: price})
            elif name == "close":
                account.close(at)
            else:
                account.reset(at)
        except AccountError:
            assert len(account.entries) == entries  # refused: nothing moved
        books_balance(account)
        assert len(journal.records) == len(account.entries)
