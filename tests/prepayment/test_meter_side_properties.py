"""Rule M6 on a running meter: money in = money out + balance change, to the milli-cent."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from meter_side_rig import MONDAY, OFF_PEAK, PEAK, build_rig, local, token

from firmware.rules.money import MJ_PER_KWH, ZERO, Money

STEP = st.tuples(
    st.integers(min_value=1, max_value=36 * 60),  # minutes run
    st.one_of(st.none(), st.integers(min_value=500, max_value=25_000)),  # a top-up, in cents
)


@settings(max_examples=15, deadline=None)
@given(
    watts=st.integers(min_value=0, max_value=12_000),
    start_minute=st.integers(min_value=0, max_value=7 * 24 * 60),
    steps=st.lists(STEP, min_size=1, max_size=6),
)
def test_money_in_equals_money_out_plus_balance_change(
    watts: int, start_minute: int, steps: list[tuple[int, int | None]]
) -> None:  # rules M6, P1, P6
    rig = build_rig(local(MONDAY, 0) + timedelta(minutes=start_minute), watts=watts)
    opening = rig.meter.account_for_release().balance
    paid_in = ZERO
    for seq, (minutes, cents) in enumerate(steps, start=1):
        rig.run_for(timedelta(minutes=minutes))
        if cents is not None:
            amount = Money(cents * 1000)
            assert rig.meter.enter_token(token(seq, amount.format(2))).accepted
            paid_in += amount
    account = rig.meter.account_for_release()
    totals = account.totals
    assert totals.top_ups == paid_in
    assert totals.top_ups + totals.advances - totals.charges - totals.repayments == account.balance
    assert account.balance - opening == paid_in - totals.charges - totals.repayments
    # the energy charges are exactly the registers at their prices, sub-milli-cent carried
    peak_mj, off_peak_mj = rig.meter.registers_mj[:2]
    priced = peak_mj * PEAK.milli_cents + off_peak_mj * OFF_PEAK.milli_cents
    assert totals.charges == Money(priced // MJ_PER_KWH)
