"""Clocks: the only source of time for the firmware. All instants are aware UTC."""

from __future__ import annotations

import math
import time as _time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class ClockError(ValueError):
    """A clock was given a naive datetime or asked to run backwards."""


def require_utc(moment: datetime) -> datetime:
    """``moment`` converted to UTC; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ClockError(f"naive datetime {moment.isoformat()}: give a time zone")
    return moment.astimezone(UTC)


class Clock(Protocol):
    """A settable clock."""

    def now(self) -> datetime:
        """The current instant, aware UTC."""
        ...

    def set(self, now: datetime) -> None:
        """Set the clock to ``now`` (a COSEM Clock SET); it keeps running from there."""
        ...


class SimulatedClock:
    """A clock that moves only when told: ``advance_to`` forward, ``set`` anywhere."""

    def __init__(self, start: datetime) -> None:
        self._now = require_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = require_utc(now)

    def advance_to(self, moment: datetime) -> None:
        """Move forward to ``moment``; moving backwards is refused (use ``set``)."""
        moment = require_utc(moment)
        if moment < self._now:
            raise ClockError(f"advance_to {moment.isoformat()} is before {self._now.isoformat()}")
        self._now = moment


def checked_speed(speed: float) -> float:
    """``speed`` if it is a finite positive number (NaN and infinity would stop time)."""
    if not (math.isfinite(speed) and speed > 0):
        raise ClockError(f"speed must be a positive number, not {speed}")
    return speed


class ScaledClock:
    """A clock running ``speed`` times real time (1 = real time) from ``start``. Created with
    ``running=False`` it stands still at ``start`` until ``resume()``."""

    def __init__(self, start: datetime, speed: float = 1.0, running: bool = True) -> None:
        self.speed = checked_speed(speed)
        self._base = require_utc(start)
        self._base_monotonic: float | None = _time.monotonic() if running else None
        self._held: datetime | None = None

    def now(self) -> datetime:
        if self._held is not None:
            return self._held
        if self._base_monotonic is None:
            return self._base
        elapsed = _time.monotonic() - self._base_monotonic
        return self._base + timedelta(seconds=elapsed * self.speed)

    def set(self, now: datetime) -> None:
        if self._held is not None:
            self._held = require_utc(now)
            return
        self._base = require_utc(now)
        if self._base_monotonic is not None:
            self._base_monotonic = _time.monotonic()

    def hold(self, moment: datetime) -> None:
        """Read ``moment`` until ``release()``, whether running or paused (the run loop holds
        the clock at a deadline while the firmware works there); pause, resume and speed
        changes made meanwhile take effect at the release."""
        self._held = require_utc(moment)

    def release(self) -> None:
        """Go on from the held instant (the time spent held is not simulated)."""
        if self._held is None:
            return
        held, self._held = self._held, None
        self.set(held)

    @property
    def running(self) -> bool:
        return self._base_monotonic is not None

    def resume(self) -> None:
        """Start running (no-op when already running)."""
        if self._base_monotonic is None:
            self._base_monotonic = _time.monotonic()

    def pause(self) -> None:
        """Stand still at the present instant until ``resume()`` (a replay's pause)."""
        self._base = self.now()
        self._base_monotonic = None

    def set_speed(self, speed: float) -> None:
        """Run ``speed`` times real time from now on; the time read so far is kept."""
        checked_speed(speed)
        self._base = self.now()
        if self._base_monotonic is not None:
            self._base_monotonic = _time.monotonic()
        self.speed = speed

    def real_seconds_until(self, moment: datetime) -> float:
        """Real (wall) seconds until the clock reads ``moment``; 0 if already past, infinite
        while the clock stands still."""
        seconds = (moment - self.now()).total_seconds()
        if seconds <= 0:
            return 0.0
        return seconds / self.speed if self.running else math.inf
