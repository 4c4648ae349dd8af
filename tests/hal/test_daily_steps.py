"""The daily step series both the load's DailySchedule and the gas DailyFlow use: wall times in
Brussels every day, wrapping past midnight, across the DST changes (rule M7)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.rules.localtime import BRUSSELS
from hal.flow_models import DailyFlow, FlowError
from hal.frontend import DailySchedule, LoadError
from hal.series import DailySteps

SPRING_EVE = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # the 29th has 23 hours
AUTUMN_EVE = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)  # the 25th has 25 hours
HEATING = [(time(6, 30), 400), (time(9, 0), 0), (time(18, 0), 600), (time(22, 0), 0)]


def integrate_dm3_x3600(flow: DailyFlow, start: datetime, end: datetime) -> int:
    """Litres x 3600 drawn from ``start`` to ``end``, jumping from change to change."""
    total, moment = 0, start
    while moment < end:
        change = flow.next_change_after(moment)
        assert change is not None and change > moment
        following = min(change, end)
        total += flow.flow_at(moment) * int((following - moment).total_seconds())
        moment = following
    return total


def test_the_flow_changes_at_brussels_wall_times_across_spring_dst() -> None:  # rule M7
    flow = DailyFlow(HEATING, BRUSSELS)
    day_start = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # 29 March 00:00 CET
    changes = []
    moment = day_start
    while (moment := flow.next_change_after(moment) or moment) < day_start + timedelta(hours=23):
        changes.append(moment)
    assert [change.astimezone(BRUSSELS).strftime("%H:%M") for change in changes] == [
        "06:30",
        "09:00",
        "18:00",
        "22:00",
    ]
    assert changes[0] == datetime(2026, 3, 29, 4, 30, tzinfo=UTC)  # 06:30 CEST
    # the same wall times, so the same day's volume though the day has 23 hours: 2.5 h x 400 +
    # 4 h x 600 = 3400 dm3
    assert integrate_dm3_x3600(flow, day_start, day_start + timedelta(hours=23)) == 3400 * 3600


def test_the_flow_of_a_25_hour_day_is_the_same() -> None:  # rule M7
    flow = DailyFlow(HEATING, BRUSSELS)
    day_start = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)  # 25 October 00:00 CEST
    assert integrate_dm3_x3600(flow, day_start, day_start + timedelta(hours=25)) == 3400 * 3600


def test_an_entry_in_the_skipped_hour_takes_effect_when_the_clocks_change() -> None:  # rule M7
    # 02:30 does not exist on 29 March: at 02:00 CET the clocks go to 03:00 CEST, past it
    flow = DailyFlow([(time(0, 0), 100), (time(2, 30), 900)], BRUSSELS)
    jump = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert flow.next_change_after(jump - timedelta(minutes=5)) == jump
    assert flow.flow_at(jump - timedelta(seconds=1)) == 100
    assert flow.flow_at(jump) == 900


def test_an_entry_in_the_repeated_hour_holds_twice() -> None:  # rule M7
    # on 25 October 02:00-03:00 is lived twice: 02:30 CEST and 02:30 CET both start 900
    flow = DailyFlow([(time(0, 0), 100), (time(2, 30), 900)], BRUSSELS)
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    back = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 03:00 CEST becomes 02:00 CET
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET
    assert flow.next_change_after(first - timedelta(minutes=1)) == first
    assert flow.next_change_after(first) == back
    assert flow.flow_at(back) == 100
    assert flow.next_change_after(back) == second
    assert flow.flow_at(second) == 900


@settings(max_examples=40, deadline=None)
@given(
    walls=st.lists(
        st.tuples(st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
        min_size=1,
        max_size=5,
        unique=True,
    ),
    eve=st.sampled_from([SPRING_EVE, AUTUMN_EVE]),
)
def test_the_value_never_changes_between_reported_changes(
    walls: list[tuple[int, int]], eve: datetime
) -> None:  # rule M7: what the firmware integrates between two changes is exact
    steps = DailySteps(
        [(time(h, m), index) for index, (h, m) in enumerate(walls)], BRUSSELS, ValueError
    )
    moment, end = eve, eve + timedelta(days=2)
    while moment < end:
        change = steps.next_change_after(moment)
        held = steps.value_at(moment)
        probe = moment
        while probe < min(change, end):  # every minute (wall times are on quarter hours)
            assert steps.value_at(probe) == held
            probe += timedelta(minutes=1)
        moment = change


def test_bad_schedules_are_each_models_own_error() -> None:
    with pytest.raises(FlowError, match="negative"):
        DailyFlow([(time(6, 0), -1)], BRUSSELS)
    with pytest.raises(FlowError, match="at least one entry"):
        DailyFlow([], BRUSSELS)
    with pytest.raises(LoadError, match="same time"):
        DailySchedule([(time(6, 0), 1), (time(6, 0), 2)], BRUSSELS)
