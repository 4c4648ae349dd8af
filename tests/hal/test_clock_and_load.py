"""hal clocks, load models and emulated devices."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from firmware.rules.localtime import BRUSSELS
from hal.clock import ClockError, ScaledClock, SimulatedClock
from hal.frontend import DailySchedule, LoadError, PowerReading, csv_load
from hal.relay import EmulatedRelay

T0 = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # 29 March 00:00 CET, the DST day


def test_simulated_clock_moves_only_forward_unless_set() -> None:
    clock = SimulatedClock(T0)
    clock.advance_to(T0 + timedelta(hours=1))
    with pytest.raises(ClockError):
        clock.advance_to(T0)
    clock.set(T0)
    assert clock.now() == T0
    with pytest.raises(ClockError):
        SimulatedClock(datetime(2026, 1, 1))  # naive


def test_scaled_clock_runs_faster_than_real_time() -> None:
    clock = ScaledClock(T0, speed=1000)
    assert clock.now() >= T0
    assert clock.real_seconds_until(T0 + timedelta(seconds=1000)) <= 1.0


def test_daily_schedule_changes_at_local_times_across_dst() -> None:  # rule M7
    schedule = DailySchedule([(time(0, 0), 100), (time(7, 0), 900)], BRUSSELS)
    change = schedule.next_change_after(T0)
    assert change == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)  # 07:00 CEST
    assert schedule.reading_at(change).net_w == 900
    assert schedule.reading_at(change - timedelta(seconds=1)).net_w == 100


def test_csv_load_of_quarter_hours(tmp_path: Path) -> None:
    path = tmp_path / "load.csv"
    path.write_text(
        "timestamp,import_w,export_w\n2026-01-01T00:00+00:00,300,0\n2026-01-01T00:15+00:00,0,600\n"
    )
    load = csv_load(path)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert load.reading_at(start).net_w == 300
    assert load.reading_at(start + timedelta(minutes=20)).net_w == -600
    assert load.next_change_after(start + timedelta(minutes=20)) == start + timedelta(minutes=30)
    assert load.reading_at(start + timedelta(minutes=30)).net_w == 0


def test_a_bad_csv_row_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "load.csv"
    path.write_text("2026-01-01T00:00+00:00,300\n2026-01-01T00:15+00:00,lots\n")
    with pytest.raises(LoadError, match=r"load\.csv:2"):
        csv_load(path)


def test_balanced_split_keeps_every_watt() -> None:
    assert PowerReading.from_net(1001).import_w == (335, 333, 333)
    assert PowerReading.from_net(-3).export_w == (1, 1, 1)


def test_relay_clicks_on_each_change_only() -> None:
    clock = SimulatedClock(T0)
    relay = EmulatedRelay(clock)
    relay.set_closed(True)
    relay.set_closed(False)
    relay.set_closed(False)
    assert [event.detail for event in relay.recorder.of_kind("click")] == ["open"]


def test_a_paused_scaled_clock_stands_still_until_resumed() -> None:
    clock = ScaledClock(T0, speed=1_000_000, running=False)
    assert clock.now() == T0
    clock.resume()
    assert clock.now() >= T0
