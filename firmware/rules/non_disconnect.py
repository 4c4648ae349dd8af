"""The non-disconnect period (rules P4, P5, B7) in local time across DST (rule M7).

A prepayment cut never happens inside the period: every day from 16:00 to 08:00 and the weekend
from Friday 16:00 to Monday 08:00, Europe/Brussels wall-clock time. Public holidays are NOT
protected (P5). The windows are configuration (`NonDisconnectCalendar`); a pending cut waits for
`end_of_non_disconnect_period`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from firmware.rules.credit import MeterKind
from firmware.rules.errors import FirmwareError
from firmware.rules.localtime import BRUSSELS, to_local

_DAY: Final = timedelta(days=1)
_SECOND: Final = timedelta(seconds=1)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_SEARCH_DAYS: Final = 9  # any end of period lies within a week of now; two days spare for DST


class CalendarError(FirmwareError):
    """A non-disconnect calendar that cannot be used (bad window, naive datetime)."""


@dataclass(frozen=True, slots=True)
class WeekTime:
    """A wall-clock moment in the week: weekday 0 = Monday ... 6 = Sunday, and a time."""

    weekday: int
    at: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise CalendarError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {self.weekday}")
        if self.at.tzinfo is not None:
            raise CalendarError("a WeekTime is wall-clock time, without a time zone")

    def since_monday(self) -> timedelta:
        return timedelta(days=self.weekday) + _since_midnight(self.at)


def _since_midnight(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


@dataclass(frozen=True, slots=True)
class NonDisconnectCalendar:
    """P5 windows, each [start, end) in local wall-clock time and wrapping past midnight/Sunday.

    A window whose start equals its end is empty (disabled).
    """

    daily_start: time = time(16, 0)
    daily_end: time = time(8, 0)
    weekend_start: WeekTime = field(default_factory=lambda: WeekTime(4, time(16, 0)))  # Friday
    weekend_end: WeekTime = field(default_factory=lambda: WeekTime(0, time(8, 0)))  # Monday

    def __post_init__(self) -> None:
        if self.daily_start.tzinfo is not None or self.daily_end.tzinfo is not None:
            raise CalendarError("the daily window is wall-clock time, without a time zone")

    def protects_wall_time(self, local: datetime) -> bool:
        """Whether a local wall-clock time (naive) lies inside one of the windows."""
        in_day = _since_midnight(local.time())
        in_week = timedelta(days=local.weekday()) + in_day
        return _inside(
            in_day, _since_midnight(self.daily_start), _since_midnight(self.daily_end)
        ) or _inside(in_week, self.weekend_start.since_monday(), self.weekend_end.since_monday())

    def window_ends_on(self, day: date) -> list[datetime]:
        """Local wall-clock moments on `day` where a window ends (naive datetimes)."""
        ends = [datetime.combine(day, self.daily_end)]
        if day.weekday() == self.weekend_end.weekday:
            ends.append(datetime.combine(day, self.weekend_end.at))
        return ends


DEFAULT_CALENDAR: Final = NonDisconnectCalendar()


def _inside(value: timedelta, start: timedelta, end: timedelta) -> bool:
    if start <= end:
        return start <= value < end
    return value >= start or value < end  # wraps past midnight / the end of the week


def _require_aware(utc_dt: datetime) -> datetime:
    if utc_dt.tzinfo is None or utc_dt.utcoffset() is None:
        raise CalendarError(f"a timezone-aware datetime is required, got {utc_dt!r}")
    return utc_dt.astimezone(UTC)


def _wall_time(utc_dt: datetime) -> datetime:
    return to_local(utc_dt).replace(tzinfo=None)


def in_non_disconnect_period(
    utc_dt: datetime, calendar: NonDisconnectCalendar = DEFAULT_CALENDAR
) -> bool:
    """P5: whether a prepayment cut must wait at this instant."""
    return calendar.protects_wall_time(_wall_time(_require_aware(utc_dt)))


def _instants_reaching(wall: datetime) -> list[datetime]:
    """The UTC instants at which the local wall-clock time reaches `wall` (naive local).

    Usually one; both occurrences of a wall time repeated in October; for a wall time skipped in
    March, the instant the clocks jump over it.
    """
    first = wall.replace(tzinfo=BRUSSELS, fold=0).astimezone(UTC)
    if _wall_time(first) == wall:
        second = wall.replace(tzinfo=BRUSSELS, fold=1).astimezone(UTC)
        return [first] if second == first else [first, second]
    # In the March gap fold=0 maps after the jump and fold=1 before it: bisect on whole
    # seconds (zone transitions happen on whole seconds) to the instant of the jump.
    before = (wall.replace(tzinfo=BRUSSELS, fold=1) - _EPOCH) // _SECOND
    after = -((_EPOCH - first) // _SECOND)  # ceiling
    while after - before > 1:
        middle = (before + after) // 2
        if _wall_time(_EPOCH + middle * _SECOND) >= wall:
            after = middle
        else:
            before = middle
    return [_EPOCH + after * _SECOND]


def end_of_non_disconnect_period(
    utc_dt: datetime, calendar: NonDisconnectCalendar = DEFAULT_CALENDAR
) -> datetime:
    """P4/P5: the first UTC instant at or after `utc_dt` when a pending cut may happen.

    `utc_dt` itself when it lies outside the period.
    """
    now = _require_aware(utc_dt)
    if not in_non_disconnect_period(now, calendar):
        return now
    today = _wall_time(now).date()
    candidates = sorted(
        instant
        for offset in range(_SEARCH_DAYS)
        for end in calendar.window_ends_on(today + offset * _DAY)
        for instant in _instants_reaching(end)
    )
    for candidate in candidates:
        if candidate > now and not in_non_disconnect_period(candidate, calendar):
            return candidate
    raise CalendarError("the non-disconnect windows cover the whole week: no cut is ever allowed")


def protected_by_non_disconnect_period(kind: MeterKind, has_unpaid_debt: bool) -> bool:
    """P4 vs B7: a smart meter is always protected during the period; a budget meter with an
    unpaid debt (emergency credit used, or an earlier period not yet paid back) is not."""
    return kind is MeterKind.SMART or not has_unpaid_debt


def cut_allowed(
    utc_dt: datetime,
    kind: MeterKind = MeterKind.SMART,
    has_unpaid_debt: bool = False,
    calendar: NonDisconnectCalendar = DEFAULT_CALENDAR,
) -> bool:
    """Whether a prepayment cut whose conditions are met may happen at `utc_dt` (P4, P5, B7)."""
    if not protected_by_non_disconnect_period(kind, has_unpaid_debt):
        return True
    return not in_non_disconnect_period(utc_dt, calendar)
