"""15-minute profile and the midnight snapshot (rules E3, M7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from meter_rig import build_rig

from firmware.registers import RegisterValues
from firmware.settings import MeterSettings


def test_snapshot_at_local_midnight_across_march_dst() -> None:  # rules E3, M7
    start = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    rig = build_rig(start=start)
    rig.run_to(datetime(2026, 3, 30, 12, 0, tzinfo=UTC))
    times = [entry.timestamp for entry in rig.meter.snapshots]
    # 29 March 00:00 CET = 23:00 UTC; 30 March 00:00 CEST = 22:00 UTC (a 23-hour day).
    assert times == [
        datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 22, 0, tzinfo=UTC),
    ]
    first, second = (entry.values for entry in rig.meter.snapshots)
    assert second.import_offpeak - first.import_offpeak == 23_000


def test_snapshot_at_local_midnight_across_october_dst() -> None:  # rules E3, M7
    start = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    rig = build_rig(start=start)
    rig.run_to(datetime(2026, 10, 26, 12, 0, tzinfo=UTC))
    times = [entry.timestamp for entry in rig.meter.snapshots]
    assert times == [
        datetime(2026, 10, 24, 22, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 23, 0, tzinfo=UTC),
    ]
    first, second = (entry.values for entry in rig.meter.snapshots)
    assert second.import_offpeak - first.import_offpeak == 25_000


def test_profile_captures_every_quarter_hour_and_is_bounded() -> None:  # rule E3
    start = datetime(2026, 1, 14, 11, 0, tzinfo=UTC)
    rig = build_rig(start=start, settings=MeterSettings(profile_capacity=8))
    rig.run_to(start + timedelta(hours=3))
    entries = rig.meter.profile.entries()
    assert len(entries) == 8
    assert entries[-1].timestamp == start + timedelta(hours=3)
    assert entries[-1].values == RegisterValues(3000, 0, 0, 0)
    assert entries[0].timestamp == start + timedelta(hours=1, minutes=15)


def test_clock_set_adds_no_energy_and_is_logged() -> None:  # clock set (COSEM Clock SET)
    start = datetime(2026, 1, 14, 11, 0, tzinfo=UTC)
    rig = build_rig(start=start)
    rig.run_to(start + timedelta(hours=1))
    rig.meter.set_time(start + timedelta(hours=5))
    assert rig.meter.registers.import_peak == 1000
    rig.meter.set_time(start)  # backwards: registers stay
    assert rig.meter.registers.import_peak == 1000
    assert [e.text.startswith("clock set") for e in rig.meter.events].count(True) == 2
