"""The gas volume register, profile and snapshots, and the flow models (rule G1, as E1/E3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gas_rig import WINTER_NOON, build_gas_rig

from firmware.gas.volume import VolumeEntry, VolumeError, VolumeRegister, format_m3
from hal.flow_models import ConstantFlow, FlowError, FlowSchedule, csv_flow


def test_sub_dm3_fractions_are_carried_not_lost() -> None:
    # rule G1: 1 l/h for 1 s is 1/3600 dm3; 3600 such seconds are exactly 1 dm3
    register = VolumeRegister()
    for _ in range(3599):
        register.add(1, 1000)
    assert register.dm3 == 0
    register.add(1, 1000)
    assert (register.dm3, register.carried) == (1, 0)


def test_negative_flow_or_time_is_refused() -> None:
    with pytest.raises(VolumeError):
        VolumeRegister().add(-1, 10)


def test_format_m3() -> None:
    assert format_m3(12_345) == "00012.345"
    assert format_m3(7) == "00000.007"


def test_quarter_hour_profile_and_midnight_snapshot() -> None:
    # rule G1 "as for electricity": 15-minute values and a daily snapshot at local midnight
    start = datetime(2026, 1, 14, 22, 50, tzinfo=UTC)
    rig = build_gas_rig(demand=ConstantFlow(600), start=start)  # 10 dm3 a minute
    rig.run_until(datetime(2026, 1, 14, 23, 30, tzinfo=UTC))
    profile = rig.meter.metering.profile
    assert list(profile) == [
        VolumeEntry(datetime(2026, 1, 14, 23, 0, tzinfo=UTC), 100),
        VolumeEntry(datetime(2026, 1, 14, 23, 15, tzinfo=UTC), 250),
        VolumeEntry(datetime(2026, 1, 14, 23, 30, tzinfo=UTC), 400),
    ]
    # 23:00 UTC is local midnight in Brussels in winter
    assert list(rig.meter.metering.snapshots) == [profile[0]]


def test_schedule_flow_is_integrated_exactly() -> None:
    steps = [(WINTER_NOON + timedelta(minutes=10), 700), (WINTER_NOON + timedelta(minutes=40), 0)]
    rig = build_gas_rig(demand=FlowSchedule(steps))
    rig.wait(timedelta(hours=2))
    assert rig.meter.volume_dm3 == 350  # 700 l/h for half an hour


def test_csv_flow(tmp_path: Path) -> None:
    path = tmp_path / "gas.csv"
    path.write_text(
        "timestamp,l_per_h\n2026-01-14T12:00:00+01:00,400\n2026-01-14T12:15:00+01:00,800\n"
    )
    rig = build_gas_rig(demand=csv_flow(path))
    rig.wait(timedelta(hours=3))
    assert rig.meter.volume_dm3 == 100 + 200  # nothing after the last quarter


def test_bad_csv_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "gas.csv"
    path.write_text("2026-01-14T12:00:00+01:00,-4\n")
    with pytest.raises(FlowError, match=r"gas\.csv:1"):
        csv_flow(path)
    with pytest.raises(FlowError):
        ConstantFlow(-1)


def test_a_closed_valve_stops_the_count() -> None:
    # rule G1: the register counts what passes the valve
    rig = build_gas_rig(demand=ConstantFlow(3600))
    rig.wait(timedelta(seconds=10))
    rig.cut()
    rig.wait(timedelta(hours=1))
    assert rig.meter.volume_dm3 == 10
