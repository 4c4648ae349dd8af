"""Clock (class_id 8, version 0) at 0-0:1.0.0.255, bound to a ``ClockSource``.

Attributes: 1 logical_name, 2 time (date-time octet-string, local time with deviation and
clock status), 3 time_zone (long, minutes, standard sign: UTC+01:00 = -60), 4 status,
5/6 daylight_savings_begin/end (wildcard date-times), 7 daylight_savings_deviation (minutes),
8 daylight_savings_enabled, 9 clock_base (1 = internal crystal).
Method 6 shift_time(long seconds, -900..900). SET of attribute 2 and shift_time move the
source's time (the firmware logs the event and re-plans its timers).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from cosem.access import Role
from cosem.apdu.enums import ActionResult, DataAccessResult
from cosem.axdr import Data, DataType
from cosem.classes.base import (
    AccessRefused,
    ActionRefused,
    Attribute,
    CosemObject,
    Method,
    expect_type,
    live,
    logical_name,
    static,
)
from cosem.datetime_codec import STANDARD_SIGN, CosemDateTime
from cosem.errors import DecodeError
from cosem.obis import Obis

CLASS_ID = 8
CLOCK_OBIS = Obis(0, 0, 1, 0, 0, 255)
DAYLIGHT_SAVING_ACTIVE = 0x80
CLOCK_BASE_INTERNAL_CRYSTAL = 1
MAX_SHIFT_SECONDS = 900
DST_DEVIATION_MINUTES = 60

# EU rule (Europe/Brussels): last Sunday of March 02:00, last Sunday of October 03:00.
LAST_DAY_OF_MONTH = 0xFE
SUNDAY = 7
EU_DST_BEGIN = CosemDateTime(None, 3, LAST_DAY_OF_MONTH, SUNDAY, 2, 0, 0, 0, None, None)
EU_DST_END = CosemDateTime(None, 10, LAST_DAY_OF_MONTH, SUNDAY, 3, 0, 0, 0, None, None)


class ClockSource(Protocol):
    def now(self) -> datetime:
        """The meter's current time, aware."""
        ...

    def set_time(self, moment: datetime) -> None:
        """Move the meter's clock to ``moment`` (aware)."""
        ...


def clock(
    source: ClockSource,
    zone: ZoneInfo,
    dst_begin: CosemDateTime = EU_DST_BEGIN,
    dst_end: CosemDateTime = EU_DST_END,
    obis: Obis = CLOCK_OBIS,
) -> CosemObject:
    def local_now() -> datetime:
        return source.now().astimezone(zone)

    def time_value() -> Data:
        return Data.octet_string(local_date_time(source.now(), zone).to_bytes())

    def time_zone_value() -> Data:
        moment = local_now()
        standard = (moment.utcoffset() or timedelta()) - (moment.dst() or timedelta())
        return Data.long(STANDARD_SIGN * int(standard.total_seconds() // 60))

    def set_time(value: Data) -> None:
        source.set_time(_parse_time(expect_type(value, DataType.OCTET_STRING), zone))

    def shift_time(parameter: Data | None) -> None:
        if parameter is None or parameter.type is not DataType.LONG:
            raise ActionRefused(ActionResult.TYPE_UNMATCHED, "shift_time takes a long")
        seconds = parameter.int_value
        if not -MAX_SHIFT_SECONDS <= seconds <= MAX_SHIFT_SECONDS:
            raise ActionRefused(ActionResult.OTHER_REASON, "shift beyond +-900 s")
        source.set_time(source.now() + timedelta(seconds=seconds))

    return CosemObject(
        CLASS_ID,
        0,
        obis,
        (
            logical_name(obis),
            Attribute(2, live(time_value), set_time),
            Attribute(3, live(time_zone_value)),
            Attribute(4, live(lambda: Data.unsigned(_status(local_now())))),
            Attribute(5, static(Data.octet_string(dst_begin.to_bytes()))),
            Attribute(6, static(Data.octet_string(dst_end.to_bytes()))),
            Attribute(7, static(Data.integer(DST_DEVIATION_MINUTES))),
            Attribute(8, static(Data.boolean(True))),
            Attribute(9, static(Data.enum(CLOCK_BASE_INTERNAL_CRYSTAL))),
        ),
        (Method(6, shift_time, Role.MANAGEMENT),),
    )


def local_date_time(moment: datetime, zone: ZoneInfo) -> CosemDateTime:
    """``moment`` as the meter shows it: local wall time, deviation, DST status bit."""
    local = moment.astimezone(zone)
    return CosemDateTime.from_datetime(local, clock_status=_status(local))


def _status(local: datetime) -> int:
    return DAYLIGHT_SAVING_ACTIVE if local.dst() else 0


def _parse_time(value: Data, zone: ZoneInfo) -> datetime:
    raw = value.value
    assert isinstance(raw, bytes)
    try:
        return date_time_in_zone(raw, zone)
    except DecodeError as exc:
        raise AccessRefused(DataAccessResult.TYPE_UNMATCHED, str(exc)) from exc
    except ValueError as exc:
        raise AccessRefused(DataAccessResult.OTHER_REASON, str(exc)) from exc


def date_time_in_zone(raw: bytes, zone: ZoneInfo) -> datetime:
    """A date-time octet-string as an aware datetime; no deviation = local time in ``zone``.

    DecodeError when not 12 bytes; ValueError when a needed field is not specified."""
    stamp = CosemDateTime.from_bytes(raw)
    if stamp.deviation is not None:
        return stamp.to_datetime()
    if None in (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute):
        raise ValueError("date-time not fully specified")
    assert stamp.year is not None and stamp.month is not None and stamp.day is not None
    assert stamp.hour is not None and stamp.minute is not None
    return datetime(
        stamp.year,
        stamp.month,
        stamp.day,
        stamp.hour,
        stamp.minute,
        stamp.second or 0,
        (stamp.hundredths or 0) * 10_000,
        tzinfo=zone,
    )
