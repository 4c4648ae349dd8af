"""Bounded logs: the 15-minute load profile, the daily snapshots (rule E3), the event log."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Generic, TypeVar

from firmware.registers import RegisterValues


@dataclass(frozen=True)
class ProfileEntry:
    """A capture: the UTC instant and the four registers in Wh at that instant."""

    timestamp: datetime
    values: RegisterValues


class EventCode(IntEnum):
    POWER_DOWN = 1
    POWER_UP = 2
    CLOCK_SET = 3
    RELAY_DISCONNECTED = 10
    RELAY_CONNECTED = 11
    RELAY_READY_FOR_RECONNECTION = 12
    BREAKER_TRIP = 20
    BREAKER_REARM = 21
    GRID_OUTAGE = 30
    GRID_RETURN = 31
    BALANCE_UPDATE = 40  # central mode: the platform's daily balance (rule P7)
    # Meter-side mode: the account's notifications (rule P9) and what the meter did about them.
    LOW_CREDIT = 41
    EMERGENCY_CREDIT = 42
    DISCONNECTION_IMMINENT = 43
    CREDIT_DISCONNECT = 44
    TOP_UP = 45
    TOKEN_REFUSED = 46
    POWER_LIMITED = 47
    POWER_LIMIT_LIFTED = 48
    PREPAYMENT_ORDER_REFUSED = 49  # the relay's control mode refused the account's order
    POWER_LIMIT_EXCEEDED = 50  # the limiter opened the relay (P4 with a power limiter)
    POWER_LIMIT_SET = 51  # the management client moved the limiter's threshold


@dataclass(frozen=True)
class MeterEvent:
    timestamp: datetime
    code: EventCode
    text: str


T = TypeVar("T")


class BoundedLog(Generic[T]):
    """Oldest entries drop out once ``capacity`` is reached."""

    def __init__(self, capacity: int, entries: list[T] | None = None) -> None:
        self.capacity = capacity
        self._entries: deque[T] = deque(entries or [], maxlen=capacity)

    def append(self, entry: T) -> None:
        self._entries.append(entry)

    def entries(self) -> list[T]:
        """All entries, oldest first."""
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[T]:
        return iter(self._entries)


def select_by_time(
    entries: list[ProfileEntry], start: datetime, end: datetime
) -> list[ProfileEntry]:
    """Entries with ``start <= timestamp <= end`` (a COSEM range_descriptor on the clock)."""
    return [entry for entry in entries if start <= entry.timestamp <= end]


def select_by_index(entries: list[T], from_entry: int, to_entry: int) -> list[T]:
    """Entries ``from_entry``..``to_entry``, 1-based and inclusive, ``to_entry`` 0 = the last
    (a COSEM entry_descriptor). Out-of-range bounds give what exists."""
    last = len(entries) if to_entry == 0 else min(to_entry, len(entries))
    return entries[max(from_entry, 1) - 1 : last]
