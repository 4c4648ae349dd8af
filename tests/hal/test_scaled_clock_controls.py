"""The scaled clock's replay controls (the TUI's pause, play and speed): a paused clock stands
still and says so, a speed change keeps the time read so far."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from hal.clock import ClockError, ScaledClock

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_a_paused_clock_stands_still_until_resumed() -> None:
    clock = ScaledClock(T0, speed=1000)
    clock.pause()
    stopped = clock.now()
    assert not clock.running
    assert clock.now() == stopped
    assert clock.real_seconds_until(stopped + timedelta(seconds=1)) == math.inf
    assert clock.real_seconds_until(stopped) == 0.0
    clock.resume()
    assert clock.running and clock.now() >= stopped


def test_a_speed_change_keeps_the_time_and_needs_a_positive_speed() -> None:
    clock = ScaledClock(T0, speed=1, running=False)
    clock.set_speed(3600)
    assert clock.now() == T0 and clock.speed == 3600  # still paused: nothing moved
    clock.resume()
    before = clock.now()
    clock.set_speed(10)
    assert clock.now() >= before
    with pytest.raises(ClockError):
        clock.set_speed(0)


def test_set_while_paused_moves_the_standing_clock() -> None:  # the TUI's jump
    clock = ScaledClock(T0, running=False)
    clock.set(T0 + timedelta(minutes=15))
    assert clock.now() == T0 + timedelta(minutes=15)
