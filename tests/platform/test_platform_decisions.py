"""The platform's decisions from a meter's state and the time (P2-P5, P8, E7, R2, R3, M7)."""

from __future__ import annotations

from datetime import date

import pytest
from platform_facts import local

from headend.platform.decisions import (
    AccountState,
    NoticeKind,
    OrderKind,
    Supply,
    balance_push,
    consumption_alert,
    decide,
    refuse_manual_index,
)
from headend.platform.errors import PlatformError

WEDNESDAY = date(2026, 11, 18)
FRIDAY = date(2026, 11, 20)
MONDAY = date(2026, 11, 23)
EXHAUSTED = -1_500_000


def test_low_balance_notified_once_until_the_balance_recovers() -> None:  # rule P2
    first = decide(AccountState(balance=500_000), local(WEDNESDAY, 10))
    assert [n.kind for n in first.notices] == [NoticeKind.LOW_BALANCE]
    assert "Votre solde est bas : 5,00 €" in first.notices[0].text
    again = decide(first.state, local(WEDNESDAY, 11))
    assert again.notices == ()
    recovered = decide(AccountState(balance=600_000, low_notified=True), local(WEDNESDAY, 12))
    assert not recovered.state.low_notified


def test_emergency_credit_activated_with_local_date_and_time() -> None:  # rules P3, M7
    decision = decide(AccountState(balance=-1_000, low_notified=True), local(FRIDAY, 18, 5))
    assert [n.kind for n in decision.notices] == [NoticeKind.EMERGENCY_CREDIT]
    assert decision.notices[0].text.startswith("Crédit de secours activé le 20/11/26 à 18:05.")
    assert "restant : 14,99 €" in decision.notices[0].text
    assert decide(decision.state, local(FRIDAY, 19)).notices == ()


def test_exhausted_outside_the_period_is_cut_at_once() -> None:  # rule P4
    decision = decide(
        AccountState(balance=EXHAUSTED, low_notified=True, emergency_notified=True),
        local(WEDNESDAY, 10),
    )
    assert [o.kind for o in decision.orders] == [OrderKind.DISCONNECT]
    assert decision.state.supply is Supply.DISCONNECTED
    assert [n.kind for n in decision.notices] == [NoticeKind.DISCONNECTED]


def test_friday_evening_exhaustion_is_cut_on_monday_at_eight() -> None:  # rules P4, P5
    pending = decide(
        AccountState(balance=EXHAUSTED, low_notified=True, emergency_notified=True),
        local(FRIDAY, 18),
    )
    assert pending.orders == ()
    assert pending.state.supply is Supply.DISCONNECT_PENDING
    assert pending.state.disconnect_due == local(MONDAY, 8)
    assert "sera coupé" in pending.notices[0].text
    for hour in (23, 7):  # Saturday night, Monday 07:00: still protected
        day = date(2026, 11, 21) if hour == 23 else MONDAY
        assert decide(pending.state, local(day, hour)).orders == ()
    cut = decide(pending.state, local(MONDAY, 8))
    assert [o.kind for o in cut.orders] == [OrderKind.DISCONNECT]


def test_a_cut_decided_late_waits_for_the_next_period_end() -> None:  # rule P5
    pending = AccountState(
        balance=EXHAUSTED,
        low_notified=True,
        emergency_notified=True,
        supply=Supply.DISCONNECT_PENDING,
        disconnect_due=local(MONDAY, 8),
    )
    decision = decide(pending, local(MONDAY, 22))  # the evening period has begun
    assert decision.orders == ()
    assert decision.state.disconnect_due == local(date(2026, 11, 24), 8)


def test_non_disconnect_period_follows_local_time_across_dst() -> None:  # rules P5, M7
    # Sunday 29 March 2026: clocks jump forward; the weekend period ends Monday 08:00 CEST.
    pending = decide(
        AccountState(balance=EXHAUSTED, low_notified=True, emergency_notified=True),
        local(date(2026, 3, 27), 20),
    )
    assert pending.state.disconnect_due == local(date(2026, 3, 30), 8)
    assert pending.state.disconnect_due is not None
    assert pending.state.disconnect_due.hour == 6  # 08:00 CEST is 06:00 UTC


def test_public_holidays_are_not_protected() -> None:  # rule P5: 11 November 2026, Wednesday
    decision = decide(
        AccountState(balance=EXHAUSTED, low_notified=True, emergency_notified=True),
        local(date(2026, 11, 11), 10),
    )
    assert [o.kind for o in decision.orders] == [OrderKind.DISCONNECT]


def test_a_top_up_during_the_period_cancels_the_pending_cut() -> None:  # rule P4
    pending = AccountState(
        balance=-1_400_000,
        low_notified=True,
        emergency_notified=True,
        supply=Supply.DISCONNECT_PENDING,
        disconnect_due=local(MONDAY, 8),
    )
    decision = decide(pending, local(date(2026, 11, 21), 12))
    assert decision.state.supply is Supply.CONNECTED
    assert decision.orders == ()


@pytest.mark.parametrize(
    ("balance", "enabled"), [(49_999, False), (50_000, True), (-10_000, False)]
)
def test_reconnection_enabled_from_fifty_cents(balance: int, enabled: bool) -> None:  # rule P8
    cut = AccountState(
        balance=balance,
        low_notified=True,
        emergency_notified=balance < 0,
        supply=Supply.DISCONNECTED,
    )
    decision = decide(cut, local(WEDNESDAY, 10))
    assert (decision.orders != ()) is enabled
    assert (decision.state.supply is Supply.RECONNECT_ENABLED) is enabled


def test_daily_push_carries_the_three_944322_values() -> None:  # rule E7
    at = local(WEDNESDAY, 6)
    push = balance_push(-250_000, at)
    assert (push.at, push.balance, push.emergency_credit) == (at, -250_000, 1_250_000)


def test_consumption_alert_above_the_chosen_percentage() -> None:  # rule R2
    assert consumption_alert(10_500, [10_000], 5) is None  # exactly +5 %: no alert
    alert = consumption_alert(10_501, [10_000], 5)
    assert alert is not None
    assert alert.kind is NoticeKind.CONSUMPTION_ALERT
    assert "plus de 5 %" in alert.text
    assert consumption_alert(13_000, [8_000, 12_000], 20) is not None  # average 10 kWh
    assert consumption_alert(13_000, [], 20) is None


def test_manual_index_refused_for_communicating_meters() -> None:  # rule R3
    with pytest.raises(PlatformError, match="communicant"):
        refuse_manual_index(communicating=True)
    refuse_manual_index(communicating=False)


def test_naive_time_refused() -> None:
    from datetime import datetime

    with pytest.raises(PlatformError, match="timezone-aware"):
        decide(AccountState(balance=0), datetime(2026, 11, 18, 10))
