"""The budget account: reserve, low credit, red button, debt, non-disconnect period, charges."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from budget_support import (
    CONFIG,
    RESERVE,
    SERIAL,
    TUESDAY,
    WORKING_HOURS,
    Bench,
    card,
    kwh,
    local,
)
from budget_support import EUR as eur

from firmware.budget.account import BudgetAccount, BudgetError, BudgetState, Triangle
from firmware.disconnect_control import ControlState, DisconnectControl
from firmware.prepayment.account_events import (
    Disconnected,
    DisconnectionImminent,
    EmergencyCreditStarted,
    LowCredit,
    Order,
    Outcome,
)
from firmware.prepayment.ledger import AdvanceKind, EntryKind
from firmware.rules.money import ZERO
from firmware.rules.tariff import Tariff


def test_installation_programs_a_150_kwh_reserve_at_the_day_price() -> None:  # rule B2
    bench = Bench()
    assert bench.account.balance == RESERVE
    assert bench.account.state is BudgetState.IN_CREDIT
    (entry,) = bench.account.entries
    assert (entry.kind, entry.advance) == (EntryKind.ADVANCE, AdvanceKind.RESERVE)
    assert bench.journal.records == [entry.to_record()]  # persisted before it counts (M6)


def test_low_credit_beeps_and_blinks_the_triangle() -> None:  # rule B5
    bench = Bench()
    outcome = bench.spend(120)  # 18.90 EUR: 4.725 EUR left
    assert bench.account.balance == eur("4.725")
    assert [type(n) for n in outcome.notices] == [LowCredit]
    assert bench.account.triangle is Triangle.BLINKING


def test_red_button_grants_12_eur_emergency_credit_and_steadies_the_triangle() -> None:  # B5
    bench = Bench()
    bench.spend(120)
    outcome = bench.account.press_red(bench.clock.now())
    assert [type(n) for n in outcome.notices] == [EmergencyCreditStarted]
    assert bench.account.emergency_owed == eur("12")
    assert bench.account.balance == eur("4.725")  # a debt, not a gift (B6)
    assert bench.account.triangle is Triangle.STEADY
    assert bench.account.state is BudgetState.EMERGENCY_CREDIT
    assert not bench.account.emergency_credit_available
    again = bench.account.press_red(bench.clock.now())  # only once until the debt is cleared
    assert again.notices == () and bench.account.emergency_owed == eur("12")


def test_red_button_does_nothing_while_the_credit_is_not_low() -> None:  # rule B5
    bench = Bench()
    outcome = bench.account.press_red(bench.clock.now())
    assert outcome.notices == () and bench.account.emergency_owed == ZERO


def test_used_up_credit_cuts_and_red_button_makes_ready_for_reconnection() -> None:  # B5, M3
    bench = Bench()
    cut = bench.spend(151)
    assert cut.orders == (Order.DISCONNECT,)
    assert [type(n) for n in cut.notices] == [Disconnected]
    cut_state = bench.account.state
    assert cut_state is BudgetState.DISCONNECTED
    assert bench.spend(0).orders == ()  # stays cut
    red = bench.account.press_red(bench.clock.now())
    # M3: remote_reconnect (d) -> ready_for_reconnection; re-arming the breaker is e.
    assert red.orders == (Order.ENABLE_RECONNECTION,)
    assert bench.account.state is BudgetState.EMERGENCY_CREDIT
    assert bench.account.balance == eur("-0.1575")
    assert bench.account.amount_to_clear == eur("0.1675")  # B6 item 10: debt + 0.01


def test_a_card_load_repays_the_emergency_debt_first() -> None:  # rule B6
    bench = Bench()
    bench.spend(151)
    bench.account.press_red(bench.clock.now())
    bench.load(card(1, "20.00"))
    top_up, repayment = bench.account.entries[-2:]
    assert (top_up.kind, top_up.amount) == (EntryKind.TOP_UP, eur("20"))
    assert (repayment.kind, repayment.amount) == (EntryKind.REPAYMENT, eur("12"))
    assert bench.account.balance == eur("19.8425")
    assert bench.account.emergency_owed == ZERO
    assert bench.account.emergency_credit_available
    assert bench.account.state is BudgetState.IN_CREDIT


def test_a_load_smaller_than_the_debt_goes_to_the_debt_only() -> None:  # rule B6
    bench = Bench()
    bench.spend(120)
    bench.account.press_red(bench.clock.now())
    bench.spend(70)  # 11.025 EUR: balance -6.30
    spendable = bench.account.credit
    bench.load(card(1, "5.00"))
    assert bench.account.credit == spendable  # nothing to spend from it
    assert bench.account.balance == eur("-1.30")
    assert bench.account.state is BudgetState.EMERGENCY_CREDIT
    assert not bench.account.emergency_credit_available


def test_emergency_credit_is_available_again_only_from_0_50_eur() -> None:  # rule B6
    bench = Bench()
    bench.spend(120)
    bench.account.press_red(bench.clock.now())
    bench.spend(70)  # balance -6.30: item 10 says reload 6.31
    assert bench.account.amount_to_clear == eur("6.31")
    bench.load(card(1, "6.31"))
    assert bench.account.balance == eur("0.01")
    assert bench.account.emergency_owed == ZERO  # debt cleared
    assert not bench.account.emergency_credit_available  # but below 0.50 EUR
    bench.load(card(2, "0.49"))
    assert bench.account.balance == eur("0.50")
    assert bench.account.emergency_credit_available


def test_a_load_after_a_cut_reconnects_without_the_red_button() -> None:  # rule M3
    bench = Bench()
    bench.spend(151)
    image = card(1, "20.00")
    bench.insert(image.build())
    outcomes = bench.run()
    assert [o.orders for o in outcomes if o.orders] == [(Order.ENABLE_RECONNECTION,)]
    assert bench.account.state is BudgetState.IN_CREDIT


def test_non_disconnect_period_protects_a_budget_meter_without_debt() -> None:  # B7, P5
    evening = local(TUESDAY, 20)
    bench = Bench(start=evening)
    outcome = bench.spend(160)
    assert outcome.orders == ()
    (notice,) = outcome.notices[-1:]
    assert isinstance(notice, DisconnectionImminent)
    assert notice.cut_at == local(date(2026, 11, 25), 8)
    assert bench.account.state is BudgetState.NON_DISCONNECT_PERIOD
    assert bench.account.balance < ZERO  # the consumption is owed
    assert bench.account.next_deadline(evening) == notice.cut_at
    assert bench.account.advance_to(notice.cut_at - timedelta(seconds=1)).orders == ()
    assert bench.account.advance_to(notice.cut_at).orders == (Order.DISCONNECT,)


def test_an_indebted_budget_meter_is_not_protected() -> None:  # rule B7
    bench = Bench(start=local(TUESDAY, 20))
    bench.spend(120)
    bench.account.press_red(bench.clock.now())
    outcome = bench.spend(120)  # the emergency credit used up at 20:00
    assert outcome.orders == (Order.DISCONNECT,)
    assert bench.account.state is BudgetState.DISCONNECTED


def test_an_earlier_period_not_paid_back_is_a_debt() -> None:  # rule B7
    bench = Bench(start=local(TUESDAY, 20))
    bench.spend(160)  # owed in Tuesday night's period
    bench.clock.advance_to(local(date(2026, 11, 25), 8))
    bench.account.advance_to(bench.clock.now())  # cut at 08:00
    bench.load(card(1, "1.00"))  # 1.575 owed: still 0.575 in debt
    assert bench.account.balance < ZERO
    assert bench.account.has_unpaid_debt
    assert bench.account.state is BudgetState.DISCONNECTED


def test_weekly_fixed_charges_are_taken_every_local_monday() -> None:  # rule B10
    config = replace(CONFIG, weekly_fixed_charge=eur("2.15"))
    bench = Bench(config)
    monday = local(date(2026, 11, 30), 0)
    assert bench.account.next_deadline(WORKING_HOURS) == monday
    bench.account.advance_to(monday - timedelta(seconds=1))
    assert bench.account.balance == RESERVE
    bench.account.advance_to(monday + timedelta(days=7))
    assert bench.account.balance == RESERVE - eur("4.30")
    fixed = [e for e in bench.account.entries if e.kind is EntryKind.CHARGE]
    assert [e.at for e in fixed] == [monday, monday + timedelta(days=7)]


def test_a_power_limiter_limits_instead_of_cutting() -> None:  # rules B9, P4
    bench = Bench(replace(CONFIG, power_limiter=True))
    assert bench.spend(151).orders == (Order.LIMIT_POWER,)
    assert bench.account.press_red(bench.clock.now()).orders == (Order.LIFT_POWER_LIMIT,)


def test_write_back_carries_the_meter_data() -> None:  # rule B4
    bench = Bench()
    bench.spend(10)
    written = bench.load(card(1, "20.00"))
    assert written.meter_data is not None
    assert written.meter_id == SERIAL
    assert written.meter_data.balance == bench.account.balance
    assert written.meter_data.total_loaded == eur("20")
    assert written.meter_data.energy_wh == 10_000
    assert written.credit_to_load == ZERO


def test_a_restart_keeps_balance_debt_counters_and_revocations() -> None:  # rules M6, B3, B11
    bench = Bench()
    bench.spend(151)
    bench.account.press_red(bench.clock.now())
    bench.load(card(1, "0.10"))  # still 0.0575 in debt
    bench.account.revoke_card(9)
    saved = json.loads(json.dumps(bench.account.state_record()))  # through the NVM file
    restored = BudgetAccount.from_state(CONFIG, bench.journal.persist, saved)
    assert restored.balance == bench.account.balance
    assert restored.emergency_owed == bench.account.emergency_owed
    assert restored.state is bench.account.state
    assert restored.last_counter(1) == 1
    assert restored.revoked_cards == {9}
    assert not restored.emergency_credit_available
    assert restored.energy_wh(Tariff.PEAK) == 151_000
    with pytest.raises(BudgetError):
        restored.load_card(bench.clock.now(), card(1, "0.10"))  # the same load again


def test_a_load_journalled_after_the_snapshot_is_not_lost_nor_replayable() -> None:  # M6
    bench = Bench()
    saved = bench.account.state_record()
    bench.load(card(3, "20.00"))  # crash before the next snapshot: only the journal has it
    saved["ledger"] = bench.journal.records
    restored = BudgetAccount.from_state(CONFIG, bench.journal.persist, saved)
    assert restored.balance == RESERVE + eur("20")
    assert restored.last_counter(1) == 3
    restored.consume(WORKING_HOURS, Tariff.PEAK, kwh(1))  # its clock caught up with the journal
    assert restored.balance == RESERVE + eur("20") - eur("0.1575")


@pytest.mark.parametrize(
    "damage",
    [
        {"version": 99},
        {"state": "melted"},
        {"emergency_armed": "yes"},
        {"energy_wh": [1]},
        {"ledger": [{"seq": 5}]},
        {"clock": 12},
    ],
)
def test_an_unreadable_saved_state_is_refused(damage: dict[str, object]) -> None:
    saved = Bench().account.state_record() | damage
    with pytest.raises(BudgetError):
        BudgetAccount.from_state(CONFIG, lambda record: None, saved)


def _carry_out(relay: DisconnectControl, outcome: Outcome) -> None:
    """What the meter does with the account's orders (M2, M3)."""
    for order in outcome.orders:
        if order is Order.DISCONNECT:
            relay.remote_disconnect()
        elif order is Order.ENABLE_RECONNECTION:
            relay.remote_reconnect()


def test_red_button_then_re_arming_the_breaker_restores_the_supply() -> None:  # B5, M3
    bench = Bench()
    relay = DisconnectControl(control_mode=3)
    _carry_out(relay, bench.spend(151))
    states = [relay.control_state]
    relay.manual_reconnect()  # re-arming without the red button does nothing
    states.append(relay.control_state)
    _carry_out(relay, bench.account.press_red(bench.clock.now()))
    states.append(relay.control_state)
    relay.manual_reconnect()  # the customer re-arms the breaker (transition e)
    states.append(relay.control_state)
    assert states == [
        ControlState.DISCONNECTED,
        ControlState.DISCONNECTED,
        ControlState.READY_FOR_RECONNECTION,
        ControlState.CONNECTED,
    ]
    assert relay.output_state
