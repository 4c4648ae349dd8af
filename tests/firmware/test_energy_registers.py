"""Energy registers (rules E1, E2, M7) and their integration."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from meter_rig import WINTER_NOON, build_rig

from firmware.registers import MJ_PER_WH, RegisterValues
from firmware.rules.tariff import TariffCalendar
from firmware.screens import format_kwh
from firmware.settings import MeterSettings
from hal.frontend import PowerReading, StepLoad


def test_display_format_has_six_integer_digits_and_three_decimals() -> None:  # rule E1
    assert format_kwh(21_701) == "000021.701"
    assert format_kwh(0) == "000000.000"
    assert format_kwh(123_456_789) == "123456.789"


def test_one_kilowatt_for_an_hour_of_peak_is_one_kwh_on_181() -> None:  # rules E1, E2
    rig = build_rig()  # Wednesday 12:00 local: peak
    rig.run_to(WINTER_NOON + timedelta(hours=1))
    assert rig.meter.registers == RegisterValues(1000, 0, 0, 0)


def test_export_counts_on_281_and_never_together_with_import() -> None:  # rule E1
    # L1 imports 500 W while L2 exports 1500 W: the meter nets them, 1000 W export.
    reading = PowerReading(import_w=(500, 0, 0), export_w=(0, 1500, 0))
    rig = build_rig(load=StepLoad([(WINTER_NOON, reading)]))
    rig.run_to(WINTER_NOON + timedelta(hours=2))
    assert rig.meter.registers == RegisterValues(0, 0, 2000, 0)


def test_evening_after_22_counts_off_peak() -> None:  # rule E2
    start = datetime(2026, 1, 14, 20, 0, tzinfo=UTC)  # 21:00 local
    rig = build_rig(start=start)
    rig.run_to(start + timedelta(hours=2))  # 21:00-23:00 local: one hour each
    assert rig.meter.registers == RegisterValues(1000, 1000, 0, 0)


def test_weekend_is_off_peak_from_friday_22_to_monday_7() -> None:  # rule E2
    friday_noon = datetime(2026, 1, 16, 11, 0, tzinfo=UTC)
    rig = build_rig(start=friday_noon)
    rig.run_to(datetime(2026, 1, 19, 11, 0, tzinfo=UTC))  # Monday 12:00 local
    # Friday 12-22 (10 h) and Monday 07-12 (5 h) peak; the rest (57 h) off-peak.
    assert rig.meter.registers == RegisterValues(15_000, 57_000, 0, 0)


def test_sub_wh_remainder_is_carried() -> None:  # rule E1
    rig = build_rig(load=StepLoad([(WINTER_NOON, PowerReading.from_net(1))]))
    rig.run_to(WINTER_NOON + timedelta(seconds=3599))
    assert rig.meter.registers.import_peak == 0
    rig.run_to(WINTER_NOON + timedelta(seconds=3600))
    assert rig.meter.registers.import_peak == 1
    assert rig.meter.registers_mj.import_peak == MJ_PER_WH


def test_advance_is_idempotent_and_ignores_the_past() -> None:
    rig = build_rig()
    rig.run_to(WINTER_NOON + timedelta(minutes=30))
    before = rig.meter.registers_mj
    rig.meter.advance_to(WINTER_NOON + timedelta(minutes=30))
    rig.meter.advance_to(WINTER_NOON)
    assert rig.meter.registers_mj == before


def test_tariff_switches_follow_local_time_across_march_dst() -> None:  # rules E2, M7
    # Weekday calendar without weekend, so the DST Sunday has its 22:00 and 07:00 switches.
    calendar = TariffCalendar(weekend_offpeak=False)
    start = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # Sunday 29 March 00:00 CET
    rig = build_rig(start=start, settings=MeterSettings(tariff=calendar))
    rig.run_to(datetime(2026, 3, 29, 22, 0, tzinfo=UTC))  # Monday 00:00 CEST: a 23-hour day
    # Off-peak 00:00-07:00 local = 6 real hours (02:00 skipped) + 22:00-24:00 = 2 h.
    assert rig.meter.registers == RegisterValues(15_000, 8_000, 0, 0)


def test_tariff_switches_follow_local_time_across_october_dst() -> None:  # rules E2, M7
    calendar = TariffCalendar(weekend_offpeak=False)
    start = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)  # Sunday 25 October 00:00 CEST
    rig = build_rig(start=start, settings=MeterSettings(tariff=calendar))
    rig.run_to(datetime(2026, 10, 25, 23, 0, tzinfo=UTC))  # Monday 00:00 CET: a 25-hour day
    assert rig.meter.registers == RegisterValues(15_000, 10_000, 0, 0)


loads = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=6 * 3600 * 1000),  # duration in ms
        st.integers(min_value=-9000, max_value=9000),  # net watts
    ),
    min_size=1,
    max_size=12,
)
calendars = st.builds(
    TariffCalendar,
    offpeak_start=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    offpeak_end=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    weekend_offpeak=st.booleans(),
    single_rate=st.booleans(),
)
starts = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=60, deadline=None)
@given(steps=loads, calendar=calendars, start=starts, checks=st.integers(1, 8))
def test_registers_sum_to_the_integral_and_never_decrease(
    steps: list[tuple[int, int]], calendar: TariffCalendar, start: datetime, checks: int
) -> None:  # rules E1, E2: the four registers hold exactly the energy, split by tariff
    moments, instant = [], start
    for duration, watts in steps:
        moments.append((instant, PowerReading.from_net(watts)))
        instant += timedelta(milliseconds=duration)
    end = instant
    rig = build_rig(
        start=start, load=StepLoad(moments, end=end), settings=MeterSettings(tariff=calendar)
    )
    previous = rig.meter.registers_mj
    span = end - start
    for index in range(1, checks + 1):
        rig.run_to(start + span * index / checks)
        current = rig.meter.registers_mj
        assert all(now >= before for now, before in zip(current, previous, strict=True))
        previous = current
    rig.run_to(end + timedelta(hours=1))
    mj = rig.meter.registers_mj
    import_mj = sum(max(w, 0) * d for d, w in steps)
    export_mj = sum(max(-w, 0) * d for d, w in steps)
    assert mj.import_peak + mj.import_offpeak == import_mj
    assert mj.export_peak + mj.export_offpeak == export_mj
    if calendar.single_rate:
        assert mj.import_offpeak == mj.export_offpeak == 0


def test_daily_schedule_load_at_local_times() -> None:
    from firmware.rules.localtime import BRUSSELS
    from hal.frontend import DailySchedule

    schedule = DailySchedule([(time(0, 0), 100), (time(12, 0), 2000)], BRUSSELS)
    start = datetime(2026, 1, 13, 23, 0, tzinfo=UTC)  # Wednesday 00:00 local
    rig = build_rig(
        start=start, load=schedule, settings=MeterSettings(tariff=TariffCalendar(single_rate=True))
    )
    rig.run_to(start + timedelta(days=1))
    assert rig.meter.registers.import_peak == 12 * 100 + 12 * 2000
