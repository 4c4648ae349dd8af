"""The gas volume register (rule G1): integer dm3, integrated exactly from the flow.

Flow is integer litres (dm3) per hour and time integer milliseconds, so flow x time is an
integer number of "litre-milliseconds per hour"; whole dm3 go to the register and the rest is
carried, as the energy registers carry sub-Wh milli-joules. The 15-minute profile and the daily
snapshot at local midnight are taken on the exact boundary, as for electricity (rule E3).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from firmware.errors import FirmwareError
from firmware.rules.localtime import next_local_midnight
from hal.clock import require_utc

MS_PER_HOUR = 3_600_000  # 1 l/h flowing for 1 ms passes 1/3,600,000 dm3
QUARTER_HOUR = timedelta(minutes=15)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PROFILE_CAPACITY = 96 * 40  # 40 days of quarter hours, as the electricity profile
SNAPSHOT_CAPACITY = 400  # the oldest entries drop out first


def epoch_ms(moment: datetime) -> int:
    """Whole milliseconds since the epoch: pieces measured this way add up exactly."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


class VolumeError(FirmwareError):
    """Time asked to run backwards, or a negative flow."""


class FlowSource(Protocol):
    """Flow as the firmware reads it (``hal.flow_models.ModelledFlowSensor``)."""

    def flow_at(self, moment: datetime) -> int: ...

    def next_change_after(self, moment: datetime) -> datetime | None: ...


@dataclass
class VolumeRegister:
    """The index in whole dm3 plus the carried fraction (in l.ms/h, below ``MS_PER_HOUR``)."""

    dm3: int = 0
    carried: int = 0

    def add(self, flow_l_per_h: int, elapsed_ms: int) -> None:
        """Add ``flow`` held for ``elapsed_ms``: never loses nor invents a fraction of a dm3."""
        if flow_l_per_h < 0 or elapsed_ms < 0:
            raise VolumeError(f"cannot add {flow_l_per_h} l/h for {elapsed_ms} ms")
        whole, self.carried = divmod(self.carried + flow_l_per_h * elapsed_ms, MS_PER_HOUR)
        self.dm3 += whole


def format_m3(dm3: int) -> str:
    """``12345`` dm3 -> ``00012.345`` (m3 with 3 decimals, the home screen, rule G1)."""
    return f"{dm3 // 1000:05d}.{dm3 % 1000:03d}"


@dataclass(frozen=True)
class VolumeEntry:
    """The index (dm3) at a profile or snapshot instant."""

    at: datetime
    dm3: int


@dataclass
class GasMetering:
    """The volume register kept up to date from a flow source: ``advance_to`` integrates piece
    by piece between flow changes and records the 15-minute profile and daily snapshots."""

    source: FlowSource
    now: datetime
    register: VolumeRegister = field(default_factory=VolumeRegister)
    profile: deque[VolumeEntry] = field(default_factory=lambda: deque(maxlen=PROFILE_CAPACITY))
    snapshots: deque[VolumeEntry] = field(default_factory=lambda: deque(maxlen=SNAPSHOT_CAPACITY))

    def __post_init__(self) -> None:
        self.now = require_utc(self.now)

    @property
    def dm3(self) -> int:
        return self.register.dm3

    def advance_to(self, moment: datetime) -> None:
        """Integrate the flow up to ``moment``. Call it before anything changes the flow (a
        valve move, a new demand model) so each piece has one constant flow."""
        moment = require_utc(moment)
        if moment < self.now:
            raise VolumeError(f"time runs backwards: {moment.isoformat()} < {self.now.isoformat()}")
        while self.now < moment:
            boundary = min(self._next_quarter(), next_local_midnight(self.now))
            change = self.source.next_change_after(self.now)
            step_end = min(moment, boundary, *([change] if change is not None else []))
            elapsed_ms = epoch_ms(step_end) - epoch_ms(self.now)
            self.register.add(self.source.flow_at(self.now), elapsed_ms)
            self.now = step_end
            if step_end == boundary:
                self._record_boundary(boundary)

    def next_deadline(self) -> datetime:
        """The next profile or snapshot instant."""
        return min(self._next_quarter(), next_local_midnight(self.now))

    def _next_quarter(self) -> datetime:
        return EPOCH + ((self.now - EPOCH) // QUARTER_HOUR + 1) * QUARTER_HOUR

    def _record_boundary(self, boundary: datetime) -> None:
        entry = VolumeEntry(boundary, self.register.dm3)
        if (boundary - EPOCH) % QUARTER_HOUR == timedelta():
            self.profile.append(entry)
        if next_local_midnight(boundary - timedelta(microseconds=1)) == boundary:
            self.snapshots.append(entry)
