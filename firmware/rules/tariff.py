"""The tariff calendar (rules E1, E2, M7): which energy register a local instant counts into.

Pure functions, no state, no hal (rule M5): the meter firmware and the head-end share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import IntEnum

from firmware.rules.localtime import local_midnight, local_to_utc

FRIDAY = 4
SATURDAY = 5
SUNDAY = 6
MONDAY = 0


class Tariff(IntEnum):
    """The tariff register index: 1 = peak ("heures pleines"), 2 = off-peak ("heures creuses")."""

    PEAK = 1
    OFF_PEAK = 2


@dataclass(frozen=True)
class TariffCalendar:
    """Off-peak on weekdays from ``offpeak_start`` to ``offpeak_end`` (local time, may wrap
    midnight) and, with ``weekend_offpeak``, from Friday ``offpeak_start`` to Monday
    ``offpeak_end``. ``single_rate`` counts everything as peak (register x.8.2 stays at 0)."""

    offpeak_start: time = time(22, 0)
    offpeak_end: time = time(7, 0)
    weekend_offpeak: bool = True
    single_rate: bool = False


def tariff_at(calendar: TariffCalendar, local: datetime) -> Tariff:
    """The tariff in force at a local wall-clock time (rule E2)."""
    if calendar.single_rate:
        return Tariff.PEAK
    wall = local.time().replace(tzinfo=None)
    weekday = local.weekday()
    start, end = calendar.offpeak_start, calendar.offpeak_end
    if calendar.weekend_offpeak and (
        weekday in (SATURDAY, SUNDAY)
        or (weekday == FRIDAY and wall >= start)
        or (weekday == MONDAY and wall < end)
    ):
        return Tariff.OFF_PEAK
    off_peak = (wall >= start or wall < end) if start > end else start <= wall < end
    return Tariff.OFF_PEAK if off_peak else Tariff.PEAK


def day_tariff_segments(calendar: TariffCalendar, day: date) -> list[tuple[datetime, Tariff]]:
    """The tariff segments of one local day: ``(utc_start, tariff)`` in time order, the first
    starting at local midnight; consecutive equal tariffs are merged. Computed once per day so
    the meter's hot path never converts time zones."""
    walls = sorted({time(0, 0), calendar.offpeak_start, calendar.offpeak_end})
    segments: list[tuple[datetime, Tariff]] = []
    for wall in walls:
        start = local_midnight(day) if wall == time(0, 0) else local_to_utc(day, wall)
        tariff = tariff_at(calendar, datetime.combine(day, wall))
        if not segments or segments[-1][1] != tariff:
            segments.append((start, tariff))
    return segments
