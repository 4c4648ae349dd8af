"""The meter-side account under any sequence of inputs (rules M6, P4, P5, P8, M2)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st
from test_account_support import CONFIG, KEY, SERIAL, Journal, commissioned, local, spend_to

from firmware.prepayment.account import CreditState, MeterSideAccount
from firmware.prepayment.account_events import Order, Outcome
from firmware.prepayment.ledger import ChargeKind
from firmware.rules.credit import DEFAULT_RULES
from firmware.rules.money import MJ_PER_KWH, Money
from firmware.rules.non_disconnect import in_non_disconnect_period
from firmware.rules.tariff import Tariff
from firmware.rules.token import make_token

START = local(date(2026, 10, 20), 9)  # the run crosses the October DST change (M7)


@dataclass(frozen=True)
class Consume:
    minutes: int
    tariff: Tariff
    energy_mj: int


@dataclass(frozen=True)
class TopUp:
    minutes: int
    token: str
    seq: int | None  # the sequence number of a well-formed token, for the replay check


@dataclass(frozen=True)
class Tick:
    minutes: int  # negative: the clock is set back


@dataclass(frozen=True)
class Threshold:
    minutes: int
    cents: int


Action = Consume | TopUp | Tick | Threshold

_minutes = st.integers(min_value=0, max_value=3 * 24 * 60)
_consume = st.builds(
    Consume,
    _minutes,
    st.sampled_from(Tariff),
    st.builds(
        lambda kwh, mj: kwh * MJ_PER_KWH + mj, st.integers(0, 100), st.integers(0, MJ_PER_KWH)
    ),
)
_cents = st.one_of(st.integers(500, 5_000), st.integers(0, 30_000))


@st.composite
def _top_up(draw: st.DrawFn) -> TopUp:
    seq = draw(st.integers(0, 200))
    amount = Money(draw(_cents) * 1000)
    key = draw(st.sampled_from([KEY] * 7 + [bytes(16)]))
    serial = draw(st.sampled_from([SERIAL] * 7 + ["VM0000000002"]))
    text = make_token(key, serial, seq, amount)
    if draw(st.integers(0, 15)) == 0:
        text = text[: draw(st.integers(0, len(text) - 1))]  # malformed
    return TopUp(draw(_minutes), text, seq)


_action: st.SearchStrategy[Action] = st.one_of(
    _consume,
    _consume,
    _consume,
    _top_up(),
    _top_up(),
    st.builds(Tick, st.integers(min_value=-2 * 24 * 60, max_value=5 * 24 * 60)),
    st.builds(Threshold, _minutes, st.integers(0, 3000)),
)
_actions = st.lists(_action, min_size=5, max_size=40)


def _apply(account: MeterSideAccount, now: datetime, action: Action) -> tuple[datetime, Outcome]:
    at = now + timedelta(minutes=action.minutes)
    match action:
        case Consume(_, tariff, energy):
            return at, account.consume(at, tariff, energy)
        case TopUp(_, text, _):
            return at, account.top_up(at, text)
        case Tick():
            return at, account.advance_to(at)
        case Threshold(_, cents):
            return at, account.set_low_credit_threshold(at, Money(cents * 1000))


def _run(
    account: MeterSideAccount, actions: list[Action], now: datetime
) -> tuple[datetime, list[Outcome]]:
    outcomes = []
    for action in actions:
        now, outcome = _apply(account, now, action)
        outcomes.append(outcome)
    return now, outcomes


@settings(max_examples=300, deadline=None)
@given(_actions)
def test_no_credit_appears_or_disappears(actions: list[Action]) -> None:
    # rule M6: money in = money out + balance change, to the milli-cent; energy priced exactly
    account, journal, _ = commissioned(START)
    priced = 0  # sum of energy x price, in 1/MJ_PER_KWH milli-cent: what the charges must equal
    credited = Money(0)  # what the accepted tokens carried
    now = START
    for action in actions:
        balance_before, totals_before = account.balance, account.totals
        now, outcome = _apply(account, now, action)
        if outcome.token is not None and outcome.token.amount is not None:
            credited += outcome.token.amount if outcome.token.accepted else Money(0)
        totals = account.totals
        money_in = (totals.top_ups - totals_before.top_ups) + (
            totals.advances - totals_before.advances
        )
        money_out = (totals.charges - totals_before.charges) + (
            totals.repayments - totals_before.repayments
        )
        assert money_in == money_out + (account.balance - balance_before)
        if isinstance(action, Consume):
            priced += action.energy_mj * CONFIG.prices[action.tariff].milli_cents
        assert journal.records == [entry.to_record() for entry in account.entries]
    energy_charges = sum(
        (e.amount for e in account.entries if e.charge is ChargeKind.ENERGY),
        Money(0),
    )
    state = account.state()
    remainder = state["charge_remainder"]
    assert isinstance(remainder, int)
    assert energy_charges.milli_cents * MJ_PER_KWH + remainder == priced
    assert account.totals.top_ups == credited
    assert account.totals.advances == DEFAULT_RULES.starting_credit  # P1, once
    assert account.totals.repayments + account.starting_credit_owed == account.totals.advances


def _starting_point(situation: str) -> tuple[MeterSideAccount, datetime, bool]:
    """A new account, one just cut (Tuesday morning) or one whose cut waits (Friday evening)."""
    if situation == "new":
        return commissioned(START)[0], START, False
    at = START if situation == "cut" else local(date(2026, 10, 23), 18)
    account = commissioned(at - timedelta(hours=1))[0]
    outcome = spend_to(account, at, -DEFAULT_RULES.smart_emergency_credit)
    return account, at, Order.DISCONNECT in outcome.orders


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["new", "cut", "pending"]), _actions)
def test_orders_respect_the_ndp_and_the_reconnection_threshold(
    situation: str, actions: list[Action]
) -> None:
    # rules P4, P5, P8, M2: never cut inside the NDP; never re-enable below 0.50 EUR
    account, now, cut = _starting_point(situation)
    for action in actions:
        now, outcome = _apply(account, now, action)
        if Order.DISCONNECT in outcome.orders:
            assert not in_non_disconnect_period(now)
            assert not cut
            cut = True
            event("cut")
        if Order.ENABLE_RECONNECTION in outcome.orders:
            assert account.balance >= DEFAULT_RULES.reconnection_threshold
            assert cut
            cut = False
            event("reconnection enabled")
        assert account.reconnection_enabled is not cut
        if account.credit_state is CreditState.DISCONNECTION_IMMINENT:
            event("cut pending in the NDP")
        if outcome.token is not None and not outcome.token.accepted:
            assert outcome.orders == () and outcome.notices == ()


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["new", "cut", "pending"]), _actions, _actions)
def test_restoring_from_state_and_replaying_gives_the_same_result(
    situation: str, first: list[Action], then: list[Action]
) -> None:
    # rule M6: a restart between any two inputs changes nothing a customer would notice
    straight, start, _ = _starting_point(situation)
    now, _ = _run(straight, first, start)
    saved = json.loads(json.dumps(straight.state()))
    _, expected = _run(straight, then, now)

    restored = MeterSideAccount.from_state(CONFIG, Journal().persist, saved)
    _, outcomes = _run(restored, then, now)
    assert outcomes == expected
    assert restored.state() == straight.state()
