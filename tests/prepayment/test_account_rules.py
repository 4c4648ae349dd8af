"""The meter-side prepayment account, rule by rule (P1-P6, P8, P9, M2, M6)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from test_account_support import (
    CONFIG,
    EUR,
    KEY,
    SERIAL,
    Journal,
    commissioned,
    kwh,
    local,
    spend_to,
    token,
)

from firmware.prepayment.account import (
    AccountConfig,
    AccountError,
    CreditState,
    MeterSideAccount,
)
from firmware.prepayment.account_events import (
    Disconnected,
    DisconnectionImminent,
    EmergencyCreditStarted,
    LowCredit,
    Order,
    TopUpReceived,
)
from firmware.prepayment.ledger import EntryKind
from firmware.rules.money import MJ_PER_WH, ZERO, Money
from firmware.rules.tariff import Tariff
from firmware.rules.token import TokenStatus, make_token

TUESDAY = date(2026, 11, 24)
FRIDAY = date(2026, 11, 27)
MONDAY = date(2026, 11, 30)
ARMISTICE = date(2026, 11, 11)  # a public holiday on a Wednesday


def test_new_customer_gets_20_eur_repaid_over_20_days() -> None:
    # rule P1: 20 EUR starting credit, repaid 1 EUR per day on top of consumption
    account, _, _ = commissioned(local(TUESDAY, 10))
    assert account.balance == EUR("20") and account.starting_credit_owed == EUR("20")
    for day in range(1, 26):
        account.advance_to(local(TUESDAY + timedelta(days=day), 10))
        assert account.starting_credit_owed == EUR("20") - EUR("1") * min(day, 20)
    assert account.balance == ZERO
    repayments = [e for e in account.entries if e.kind is EntryKind.REPAYMENT]
    assert len(repayments) == 20 and all(e.amount == EUR("1") for e in repayments)
    assert account.next_deadline(local(MONDAY, 10)) is None  # nothing left to repay


def test_repayment_is_booked_at_each_local_midnight_even_across_a_clock_jump() -> None:
    # rules P1, M7: a jump over three days books three repayments, each at its midnight
    account, _, _ = commissioned(local(TUESDAY, 10))
    assert account.next_deadline(local(TUESDAY, 10)) == local(TUESDAY + timedelta(days=1), 0)
    account.advance_to(local(FRIDAY, 9))
    repayments = [e for e in account.entries if e.kind is EntryKind.REPAYMENT]
    assert [e.at for e in repayments] == [local(TUESDAY + timedelta(days=d), 0) for d in (1, 2, 3)]


@pytest.mark.parametrize(
    ("carried", "starting_advance", "balance"),
    [("12.00", "8.00", "20.00"), ("20.00", None, "20.00"), ("31.40", None, "31.40")],
)
def test_customer_moved_from_a_budget_meter_keeps_the_balance_topped_up_to_20(
    carried: str, starting_advance: str | None, balance: str
) -> None:
    # rule P1
    account, _, _ = commissioned(local(TUESDAY, 10), carried=EUR(carried))
    assert account.balance == EUR(balance)
    owed = account.starting_credit_owed
    assert owed == (EUR(starting_advance) if starting_advance else ZERO)


def test_low_credit_notified_once_when_the_threshold_is_reached() -> None:
    # rule P2, P9: informative, once per crossing
    at = local(TUESDAY, 10)
    account, _, _ = commissioned(at)
    assert spend_to(account, at, EUR("5.01")).notices == ()
    outcome = spend_to(account, at, EUR("5.00"))
    assert outcome.notices == (LowCredit(at, EUR("5.00"), EUR("5.00")),)
    assert outcome.orders == ()
    assert account.credit_state is CreditState.LOW_CREDIT
    assert spend_to(account, at, EUR("4.00")).notices == ()


def test_low_credit_threshold_is_a_setting() -> None:
    # rule P2: settable by the customer or an agent; reaching the new one notifies
    at = local(TUESDAY, 10)
    account, _, _ = commissioned(at)
    spend_to(account, at, EUR("8.00"))
    outcome = account.set_low_credit_threshold(at, EUR("10"))
    assert [type(n) for n in outcome.notices] == [LowCredit]
    assert account.set_low_credit_threshold(at, EUR("2")).notices == ()
    assert account.credit_state is CreditState.IN_CREDIT
    with pytest.raises(AccountError):
        account.set_low_credit_threshold(at, EUR("-1"))


def test_emergency_credit_starts_below_zero_with_date_and_time() -> None:
    # rule P3, P9: "emergency credit activated on DD/MM/YY at HH:MM"
    at = local(FRIDAY, 18, 5)
    account, _, _ = commissioned(local(FRIDAY, 9))
    assert not any(
        isinstance(n, EmergencyCreditStarted) for n in spend_to(account, at, ZERO).notices
    )
    assert account.emergency_credit_left == EUR("15")
    outcome = spend_to(account, at, EUR("-0.01"))
    assert outcome.notices == (EmergencyCreditStarted(at, EUR("15")),)
    assert outcome.notices[0].text == "emergency credit activated on 27/11/26 at 18:05"
    assert account.credit_state is CreditState.EMERGENCY_CREDIT
    assert account.emergency_credit_left == EUR("14.99")
    assert account.amount_to_clear == EUR("0.02")


def test_one_large_consumption_passes_every_step_in_order() -> None:
    # rules P2, P3, P4: each notification of a step passed, then the cut
    at = local(TUESDAY, 10)
    account, _, _ = commissioned(local(TUESDAY, 9))
    outcome = spend_to(account, at, EUR("-15"))
    assert [type(n) for n in outcome.notices] == [LowCredit, EmergencyCreditStarted, Disconnected]
    assert outcome.orders == (Order.DISCONNECT,)


def test_credit_used_up_on_friday_evening_is_cut_on_monday_morning() -> None:
    # rules P4, P5: "disconnection imminent" during the weekend NDP, cut at Monday 08:00 local
    friday_evening = local(FRIDAY, 18)
    account, _, _ = commissioned(local(FRIDAY, 17))
    outcome = spend_to(account, friday_evening, EUR("-15"))
    monday_8 = local(MONDAY, 8)
    assert outcome.orders == ()
    assert DisconnectionImminent(friday_evening, monday_8) in outcome.notices
    assert account.credit_state is CreditState.DISCONNECTION_IMMINENT
    assert account.next_deadline(friday_evening) == local(FRIDAY + timedelta(days=1), 0)
    for moment in (local(date(2026, 11, 28), 12), local(date(2026, 11, 29), 23, 59)):
        assert account.advance_to(moment).orders == ()
    assert account.next_deadline(local(MONDAY, 0, 30)) == local(MONDAY, 0)  # repayment first
    account.advance_to(local(MONDAY, 1))
    assert account.next_deadline(local(MONDAY, 1)) == monday_8
    assert account.advance_to(local(MONDAY, 7, 59)).orders == ()
    outcome = account.advance_to(monday_8)
    assert outcome.orders == (Order.DISCONNECT,)
    assert [type(n) for n in outcome.notices] == [Disconnected]
    assert not account.reconnection_enabled  # the button cannot undo the cut (E8)


def test_a_weekday_public_holiday_is_not_protected() -> None:
    # rule P5: public holidays on weekdays are NOT part of the non-disconnect period
    at = local(ARMISTICE, 10)
    account, _, _ = commissioned(local(ARMISTICE, 9))
    assert spend_to(account, at, EUR("-15")).orders == (Order.DISCONNECT,)


def test_credit_used_up_at_night_is_cut_at_8() -> None:
    # rules P4, P5: the daily window 16:00-08:00
    account, _, _ = commissioned(local(TUESDAY, 9))
    assert spend_to(account, local(TUESDAY, 16), EUR("-15")).orders == ()
    assert account.advance_to(local(TUESDAY + timedelta(days=1), 8)).orders == (Order.DISCONNECT,)


def test_a_top_up_during_the_ndp_cancels_the_pending_cut() -> None:
    # rules P4, P9: back above -15 EUR, nothing to cut any more
    account, _, _ = commissioned(local(FRIDAY, 17))
    spend_to(account, local(FRIDAY, 18), EUR("-15"))
    outcome = account.top_up(local(FRIDAY, 19), token(1, "5.00"))
    assert outcome.orders == ()
    assert [type(n) for n in outcome.notices] == [TopUpReceived]
    assert account.credit_state is CreditState.EMERGENCY_CREDIT
    assert account.advance_to(local(MONDAY, 9)).orders == ()


def _refused_tokens() -> dict[TokenStatus, list[str]]:
    return {
        TokenStatus.MALFORMED: ["", "not a token", "0" * 28, token(9, "10.00")[:-1]],
        TokenStatus.WRONG_METER: [token(9, "10.00", serial="VM0000000002")],
        TokenStatus.BAD_MAC: [make_token(bytes(16), SERIAL, 9, EUR("10.00"))],
        TokenStatus.REPLAYED: [token(3, "10.00"), token(2, "10.00")],
        TokenStatus.AMOUNT_OUT_OF_RANGE: [token(9, "4.99"), token(9, "250.01")],
    }


@pytest.mark.parametrize(
    ("status", "text"),
    [(status, text) for status, texts in _refused_tokens().items() for text in texts],
)
def test_a_refused_token_changes_nothing_and_says_why(status: TokenStatus, text: str) -> None:
    # rule P6: 5.00 to 250.00 EUR, this meter, authentic, never twice
    at = local(TUESDAY, 10)
    account, journal, _ = commissioned(at)
    account.top_up(at, token(3, "10.00"))
    before, records = account.state(), list(journal.records)
    outcome = account.top_up(at + timedelta(days=2), text)
    assert outcome.token is not None and outcome.token.status is status
    assert outcome.orders == () and outcome.notices == ()
    assert account.state() == before and journal.records == records


def test_accepted_token_is_credited_and_remembered() -> None:
    # rules P6, P9
    at = local(TUESDAY, 10)
    account, _, _ = commissioned(at)
    outcome = account.top_up(at, token(7, "250.00"))
    assert outcome.token is not None and outcome.token.status is TokenStatus.ACCEPTED
    assert outcome.notices == (TopUpReceived(at, EUR("250"), 7, EUR("270")),)
    assert account.last_token_seq == 7
    last = account.last_top_up
    assert last is not None and (last.at, last.amount, last.token_seq) == (at, EUR("250"), 7)


@pytest.mark.parametrize(("top_up", "enabled"), [("15.49", False), ("15.50", True)])
def test_reconnection_needs_a_balance_of_0_50(top_up: str, enabled: bool) -> None:
    # rules P8, E8, M2: 0.49 EUR keeps the relay cut; 0.50 EUR enables reconnection
    at = local(TUESDAY, 10)
    account, _, _ = commissioned(at)
    spend_to(account, at, EUR("-15"))
    outcome = account.top_up(at, token(1, top_up))
    assert (Order.ENABLE_RECONNECTION in outcome.orders) is enabled
    assert account.reconnection_enabled is enabled
    assert account.credit_state is (CreditState.LOW_CREDIT if enabled else CreditState.DISCONNECTED)


def test_orders_follow_the_disconnect_control_transitions() -> None:
    # rule M2: one DISCONNECT (transition b), then one ENABLE_RECONNECTION (transition d)
    at = local(TUESDAY, 10)
    account, _, _ = commissioned(at)
    orders = [spend_to(account, at, EUR("-15")).orders]
    orders.append(account.consume(at, Tariff.PEAK, kwh(4)).orders)  # below -15: still cut
    orders.append(account.top_up(at, token(1, "5.00")).orders)  # -11: still cut
    orders.append(account.top_up(at, token(2, "20.00")).orders)  # 9: enable
    orders.append(account.top_up(at, token(3, "20.00")).orders)  # already enabled
    assert orders == [(Order.DISCONNECT,), (), (), (Order.ENABLE_RECONNECTION,), ()]


def test_a_meter_with_a_power_limiter_limits_instead_of_cutting() -> None:
    # rules P4, P8: same thresholds and NDP, the orders name the limiter
    config = AccountConfig(SERIAL, KEY, CONFIG.prices, power_limiter=True)
    account, _, _ = commissioned(local(FRIDAY, 17), config=config)
    assert spend_to(account, local(FRIDAY, 18), EUR("-15")).orders == ()
    outcome = account.advance_to(local(MONDAY, 8))
    assert outcome.orders == (Order.LIMIT_POWER,)
    assert Disconnected(local(MONDAY, 8), account.balance, limited=True) in outcome.notices
    assert account.top_up(local(MONDAY, 9), token(1, "20.00")).orders == (Order.LIFT_POWER_LIMIT,)


def test_energy_is_charged_exactly_per_tariff() -> None:
    # rule M6: 0.1575 EUR/kWh charged Wh by Wh adds up to the charge of the total
    at = local(TUESDAY, 10)
    account, _, _ = commissioned(at)
    for _ in range(1000):
        account.consume(at, Tariff.OFF_PEAK, MJ_PER_WH)
    account.consume(at, Tariff.PEAK, kwh(2))
    assert account.totals.charges == EUR("0.1575") + EUR("0.50")
    totals = account.totals
    assert totals.top_ups + totals.advances - totals.charges - totals.repayments == account.balance


def test_daily_standing_charge_is_a_time_based_charge() -> None:
    # rules P1, M6: a fixed charge per local day, beside the repayment
    config = AccountConfig(SERIAL, KEY, CONFIG.prices, standing_charge_per_day=EUR("0.30"))
    account, _, _ = commissioned(local(TUESDAY, 10), config=config)
    account.advance_to(local(FRIDAY, 10))
    assert account.totals.charges == EUR("0.90")
    assert account.balance == EUR("20") - EUR("3") - EUR("0.90")


def test_weekly_fixed_charge_is_taken_each_local_monday_midnight() -> None:
    # rules B10, M7, M6: one FIXED charge at each Monday 00:00 Brussels, here across the
    # spring DST change (Monday 30 March 2026 00:00 is 22:00 UTC on the Sunday)
    config = AccountConfig(SERIAL, KEY, CONFIG.prices, weekly_fixed_charge=EUR("3.50"))
    account, journal, _ = commissioned(local(date(2026, 3, 18), 10), config=config)
    sunday_evening = local(date(2026, 3, 29), 23, 59)
    account.advance_to(sunday_evening)
    assert [e.at for e in account.entries if e.kind is EntryKind.CHARGE] == [
        local(date(2026, 3, 23), 0)
    ]
    restarted = MeterSideAccount.from_state(config, journal.persist, account.state())
    restarted.advance_to(local(date(2026, 4, 7), 12))
    mondays = [e.at for e in restarted.entries if e.kind is EntryKind.CHARGE]
    assert mondays == [
        local(date(2026, 3, 23), 0),
        local(date(2026, 3, 30), 0),
        local(date(2026, 4, 6), 0),
    ]
    assert restarted.totals.charges == EUR("10.50")
    totals = restarted.totals
    assert (
        totals.top_ups + totals.advances - totals.charges - totals.repayments == restarted.balance
    )


def test_a_negative_weekly_fixed_charge_is_refused() -> None:  # rule B10
    with pytest.raises(AccountError, match="weekly"):
        AccountConfig(SERIAL, KEY, CONFIG.prices, weekly_fixed_charge=EUR("-1"))


def test_every_movement_is_persisted_before_it_counts() -> None:
    # rule M6: draft -> persist -> commit; a failed write leaves the credit untouched
    at = local(TUESDAY, 10)
    account, journal, _ = commissioned(at)
    account.top_up(at, token(1, "10.00"))
    assert journal.records == [entry.to_record() for entry in account.entries]

    def failing(record: object) -> None:
        raise OSError("NVM write failed")

    broken = MeterSideAccount.from_state(CONFIG, failing, account.state())
    with pytest.raises(OSError):
        broken.top_up(at, token(2, "10.00"))
    assert broken.balance == EUR("30") and broken.last_token_seq == 1


def test_state_survives_a_restart_through_json() -> None:
    # rule M6: the NVM holds the ledger, the charge remainder and the token high-water mark
    at = local(TUESDAY, 10)
    account, _, _ = commissioned(at)
    account.consume(at, Tariff.OFF_PEAK, 12_345)
    account.top_up(at, token(5, "10.00"))
    saved = json.loads(json.dumps(account.state()))
    restored = MeterSideAccount.from_state(CONFIG, Journal().persist, saved)
    assert restored.state() == account.state()
    assert restored.top_up(at, token(5, "10.00")).token is not None
    assert restored.top_up(at, token(5, "10.00")).token.status is TokenStatus.REPLAYED  # type: ignore[union-attr]


def test_a_top_up_missing_from_the_snapshot_is_still_never_replayed() -> None:
    # rules P6, M6: the journal holds the top-up even if the snapshot was taken before it
    at = local(TUESDAY, 10)
    account, _, _ = commissioned(at)
    account.top_up(at, token(5, "10.00"))
    stale = account.state() | {"last_token_seq": None}
    restored = MeterSideAccount.from_state(CONFIG, Journal().persist, stale)
    assert restored.last_token_seq == 5


@pytest.mark.parametrize(
    ("balance", "state", "bits"),
    [
        ("20.00", CreditState.IN_CREDIT, 0b1000_0000),  # in_credit
        ("5.00", CreditState.LOW_CREDIT, 0b1100_0000),  # in_credit, low_credit
        ("-1.00", CreditState.EMERGENCY_CREDIT, 0b0100_0100),  # low, selectable_credit_in_use
        ("-15.00", CreditState.DISCONNECTED, 0b0100_0010),  # low, out_of_credit
    ],
)
def test_credit_status_for_display_and_cosem(balance: str, state: CreditState, bits: int) -> None:
    # COSEM Account attribute 4 bits (bit 0 first on the wire), rules P2-P4
    at = local(TUESDAY, 10)
    account, _, _ = commissioned(at)
    spend_to(account, at, EUR(balance))
    assert account.credit_state is state and account.cosem_credit_status == bits
    left = min(EUR("15"), max(ZERO, EUR("15") + EUR(balance)))
    assert account.emergency_credit_left == left


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s.pop("ledger"),
        lambda s: s.update(version=99),
        lambda s: s.update(state="bankrupt"),
        lambda s: s.update(clock=5),
        lambda s: s.update(charge_remainder=-1),
        lambda s: s.update(ledger=[{"seq": 1}]),
        lambda s: s.update(last_token_seq="3"),
    ],
)
def test_a_damaged_state_is_refused_with_the_account_error(damage: object) -> None:
    account, _, _ = commissioned(local(TUESDAY, 10))
    saved = account.state()
    damage(saved)  # type: ignore[operator]
    with pytest.raises(AccountError):
        MeterSideAccount.from_state(CONFIG, Journal().persist, saved)


def test_bad_inputs_get_the_account_error() -> None:
    at = local(TUESDAY, 10)
    account, _, _ = commissioned(at)
    with pytest.raises(AccountError):
        account.consume(at, Tariff.PEAK, -1)
    with pytest.raises(AccountError):
        account.advance_to(datetime(2026, 11, 25, 10))  # naive
    with pytest.raises(AccountError):
        AccountConfig(SERIAL, KEY, {Tariff.PEAK: EUR("0.25")})
    with pytest.raises(AccountError):
        commissioned(at, carried=Money(-1))


def test_a_clock_set_back_does_not_undo_the_books() -> None:
    # an older `at` dates entries at the latest time seen; the days are not booked twice
    account, _, _ = commissioned(local(TUESDAY, 10))
    account.advance_to(local(FRIDAY, 10))
    account.consume(local(TUESDAY, 12), Tariff.PEAK, kwh(1))
    assert account.entries[-1].at == local(FRIDAY, 10)
    account.advance_to(local(FRIDAY, 11))
    assert account.starting_credit_owed == EUR("17")


def test_a_clock_set_back_into_the_ndp_does_not_cut() -> None:
    # rules P4, P5: the non-disconnect check uses the clock as it reads now
    account, _, _ = commissioned(local(TUESDAY, 9))
    account.advance_to(local(TUESDAY, 10))
    outcome = spend_to(account, local(TUESDAY - timedelta(days=1), 20), EUR("-15"))
    assert outcome.orders == ()
    assert account.credit_state is CreditState.DISCONNECTION_IMMINENT
    assert account.advance_to(local(TUESDAY, 10, 1)).orders == (Order.DISCONNECT,)
