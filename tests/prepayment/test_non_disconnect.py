"""The non-disconnect period (rules P4, P5, B7) in Brussels local time across DST (rule M7)."""

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.rules.credit import MeterKind
from firmware.rules.localtime import BRUSSELS
from firmware.rules.non_disconnect import (
    CalendarError,
    NonDisconnectCalendar,
    WeekTime,
    cut_allowed,
    end_of_non_disconnect_period,
    in_non_disconnect_period,
)

NO_WEEKEND = WeekTime(0, time(0))  # start == end: the weekly window is disabled
DAILY_ONLY = NonDisconnectCalendar(weekend_start=NO_WEEKEND, weekend_end=NO_WEEKEND)


def brussels(
    year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0, fold: int = 0
) -> datetime:
    """A Brussels wall-clock time as the UTC instant the firmware works with."""
    local = datetime(year, month, day, hour, minute, second, tzinfo=BRUSSELS, fold=fold)
    return local.astimezone(UTC)


@pytest.mark.parametrize(
    ("local", "protected"),
    [
        ((2026, 6, 10, 15, 59), False),  # Wednesday afternoon
        ((2026, 6, 10, 16, 0), True),  # Wednesday 16:00: the evening starts
        ((2026, 6, 11, 3, 0), True),
        ((2026, 6, 11, 7, 59, 59), True),
        ((2026, 6, 11, 8, 0), False),  # Thursday 08:00: cuts allowed again
        ((2026, 6, 12, 12, 0), False),  # Friday midday
        ((2026, 6, 12, 16, 0), True),  # Friday 16:00: the weekend starts
        ((2026, 6, 13, 12, 0), True),  # Saturday midday
        ((2026, 6, 14, 12, 0), True),  # Sunday midday
        ((2026, 6, 15, 7, 59), True),  # Monday before 08:00
        ((2026, 6, 15, 8, 0), False),
    ],
)
def test_evenings_nights_and_weekends_are_protected(
    local: tuple[int, ...], protected: bool
) -> None:
    # rule P5
    assert in_non_disconnect_period(brussels(*local)) is protected


@pytest.mark.parametrize(
    "local", [(2026, 12, 25, 10, 0), (2026, 7, 21, 10, 0), (2026, 11, 11, 9, 0)]
)
def test_public_holidays_on_weekdays_are_not_protected(local: tuple[int, ...]) -> None:
    # rule P5: Christmas (a Friday in 2026), national day, Armistice: cuts allowed by day
    assert not in_non_disconnect_period(brussels(*local))


def test_a_cut_pending_on_friday_evening_waits_until_monday_8() -> None:
    # rules P4, P5
    end = end_of_non_disconnect_period(brussels(2026, 6, 12, 17, 30))
    assert end == brussels(2026, 6, 15, 8, 0)


def test_outside_the_period_a_cut_may_happen_at_once() -> None:
    now = brussels(2026, 6, 10, 11, 0)
    assert end_of_non_disconnect_period(now) == now


def test_weekend_across_the_march_dst_change_is_one_hour_shorter() -> None:
    # rule M7: clocks go from 02:00 to 03:00 on Sunday 29 March 2026
    start = brussels(2026, 3, 27, 16, 0)
    end = end_of_non_disconnect_period(start)
    assert end.astimezone(BRUSSELS).replace(tzinfo=None) == datetime(2026, 3, 30, 8, 0)
    assert end - start == timedelta(hours=63)
    assert end == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)


def test_weekend_across_the_october_dst_change_is_one_hour_longer() -> None:
    # rule M7: clocks go from 03:00 back to 02:00 on Sunday 25 October 2026
    start = brussels(2026, 10, 23, 16, 0)
    end = end_of_non_disconnect_period(start)
    assert end == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=65)


@pytest.mark.parametrize(
    ("evening", "morning_utc", "hours"),
    [
        ((2026, 3, 28, 16, 0), datetime(2026, 3, 29, 6, 0, tzinfo=UTC), 15),
        ((2026, 10, 24, 16, 0), datetime(2026, 10, 25, 7, 0, tzinfo=UTC), 17),
    ],
)
def test_daily_night_window_across_dst_ends_at_8_local(
    evening: tuple[int, ...], morning_utc: datetime, hours: int
) -> None:
    # rule M7 with the weekend window disabled: the night still ends at 08:00 wall-clock time
    start = brussels(*evening)
    assert in_non_disconnect_period(start, DAILY_ONLY)
    end = end_of_non_disconnect_period(start, DAILY_ONLY)
    assert end == morning_utc
    assert end - start == timedelta(hours=hours)


def test_a_window_ending_inside_the_skipped_hour_ends_when_the_clocks_jump() -> None:
    # rule M7: 02:30 does not exist on 29 March 2026; the window ends at the jump (01:00 UTC)
    calendar = NonDisconnectCalendar(
        daily_start=time(16, 0),
        daily_end=time(2, 30),
        weekend_start=NO_WEEKEND,
        weekend_end=NO_WEEKEND,
    )
    end = end_of_non_disconnect_period(brussels(2026, 3, 28, 23, 0), calendar)
    assert end == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert not in_non_disconnect_period(end, calendar)
    assert in_non_disconnect_period(end - timedelta(seconds=1), calendar)


def test_a_window_inside_the_repeated_hour_protects_both_times() -> None:
    # rule M7: 02:30-02:45 happens twice on 25 October 2026
    calendar = NonDisconnectCalendar(
        daily_start=time(2, 30),
        daily_end=time(2, 45),
        weekend_start=NO_WEEKEND,
        weekend_end=NO_WEEKEND,
    )
    first, second = brussels(2026, 10, 25, 2, 35), brussels(2026, 10, 25, 2, 35, fold=1)
    assert second - first == timedelta(hours=1)
    assert in_non_disconnect_period(first, calendar)
    assert in_non_disconnect_period(second, calendar)
    assert end_of_non_disconnect_period(first, calendar) == brussels(2026, 10, 25, 2, 45)
    assert end_of_non_disconnect_period(second, calendar) == brussels(2026, 10, 25, 2, 45, fold=1)


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=300)
@given(instants)
def test_end_of_period_is_the_first_instant_a_cut_is_allowed(now: datetime) -> None:
    # rules P4, P5, M7 for any instant over four years of DST changes
    end = end_of_non_disconnect_period(now)
    assert not in_non_disconnect_period(end)
    if in_non_disconnect_period(now):
        assert end > now
        assert end.astimezone(BRUSSELS).time() == time(8, 0)
        assert end.astimezone(BRUSSELS).weekday() != 5 and end.astimezone(BRUSSELS).weekday() != 6
        assert in_non_disconnect_period(end - timedelta(microseconds=1))
        assert end - now <= timedelta(hours=65)
    else:
        assert end == now


def test_smart_meter_is_protected_even_with_emergency_credit_used_up() -> None:
    # rule P4
    night = brussels(2026, 6, 10, 22, 0)
    assert not cut_allowed(night, MeterKind.SMART, has_unpaid_debt=True)
    assert cut_allowed(brussels(2026, 6, 10, 10, 0), MeterKind.SMART)


def test_budget_meter_with_unpaid_debt_is_not_protected() -> None:
    # rule B7
    night = brussels(2026, 6, 10, 22, 0)
    assert cut_allowed(night, MeterKind.BUDGET, has_unpaid_debt=True)
    assert not cut_allowed(night, MeterKind.BUDGET, has_unpaid_debt=False)


def test_naive_datetimes_and_a_calendar_covering_the_whole_week_are_refused() -> None:
    with pytest.raises(CalendarError):
        in_non_disconnect_period(datetime(2026, 6, 10, 12, 0))
    always = NonDisconnectCalendar(  # the daily window covers the hour the weekly one leaves
        daily_start=time(8, 0),
        daily_end=time(7, 0),
        weekend_start=WeekTime(0, time(7, 0)),
        weekend_end=WeekTime(0, time(6, 59)),
    )
    with pytest.raises(CalendarError, match="whole week"):
        end_of_non_disconnect_period(brussels(2026, 6, 10, 12, 0), always)
    with pytest.raises(CalendarError):
        WeekTime(7, time(8, 0))
