"""Properties of meter-side gas prepayment over any sequence of consumption, top-ups, leak
tests (tight or leaking) and head-end orders (rules G3, G4, P4, P5, P8, M2, M4): the valve
opens only at a passed leak test, and the account never cuts inside a non-disconnect period."""

from __future__ import annotations

from datetime import datetime, timedelta

from gas_rig import build_gas_rig, meter_side_settings, token
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.prepayment.account_events import Disconnected
from firmware.rules.credit import MeterKind
from firmware.rules.localtime import BRUSSELS
from firmware.rules.non_disconnect import cut_allowed
from hal.flow_models import ConstantFlow
from hal.valve import ValvePosition

START = datetime(2026, 1, 14, 9, 0, tzinfo=BRUSSELS)
APPLIANCES = ConstantFlow(2500)  # 25 EUR/h at 10 EUR/m3: a cut comes quickly


class Round:
    """One customer episode: a top-up (EUR, 0 = none), appliances off but ``leak`` l/h still
    drawn, a press of any button, ``test_wait`` seconds, then the appliances on for ``hours``;
    ``head_end``: the head-end's remote_reconnect (re-enable, M4) or disconnect first."""

    def __init__(
        self, top_up: int, leak: int, button: str, test_wait: int, hours: int, head_end: str
    ) -> None:
        self.top_up, self.leak, self.button = top_up, leak, button
        self.test_wait, self.hours, self.head_end = test_wait, hours, head_end


ROUNDS = st.builds(
    Round,
    st.sampled_from([0, 5, 16, 50]),
    st.sampled_from([0, 20, 120]),
    st.sampled_from(["arrow", "arrow", "euro", "m3"]),
    st.sampled_from([60, 360, 400]),
    st.integers(0, 3),
    st.sampled_from(["", "", "reconnect", "disconnect"]),
)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 7 * 24 - 1), st.lists(ROUNDS, min_size=1, max_size=8))
def test_the_valve_opens_only_at_a_passed_test_and_cuts_wait_for_the_ndp_end(
    start_hour: int, rounds: list[Round]
) -> None:
    rig = build_gas_rig(meter_side_settings("10.0000"), APPLIANCES, START)
    rig.run_until(START + timedelta(hours=start_hour))  # any hour of a week (P5)
    while rig.position() is ValvePosition.OPEN:  # 35 EUR last 1 h 24 min, then the cut (P4)
        rig.wait(timedelta(hours=1))
    for seq, episode in enumerate(rounds, start=1):
        if episode.head_end == "reconnect":
            rig.meter.head_end_reconnect()
        elif episode.head_end == "disconnect":
            rig.meter.remote_disconnect()
        if episode.top_up:
            rig.meter.enter_token(token(seq, f"{episode.top_up}.00"))
        rig.set_demand(ConstantFlow(episode.leak))
        rig.press(episode.button)
        rig.wait(timedelta(seconds=episode.test_wait))
        rig.set_demand(APPLIANCES)
        rig.wait(timedelta(hours=episode.hours))
        # rule G3: every opening of the valve is a passed test, at that instant
        openings = [e.at for e in rig.valve.recorder.events if e.detail == "open"]
        passes = [e.at for e in rig.meter.leak_test.events if e.outcome == "passed"]
        assert openings == passes
    # rules P4, P5: the account's cuts all fall outside the non-disconnect period
    cuts = [n.at for n in rig.meter.notices if isinstance(n, Disconnected)]
    assert cuts and all(cut_allowed(at, MeterKind.SMART) for at in cuts)
