"""COSEM date-time octet-string(12) (COSEM-FACTS 4.2) and aware-datetime conversion.

Field value ``None`` means "not specified" (0xFF, 0xFFFF for the year, 0x8000 for the
deviation). Month and day keep their special codes as ints (month 0xFE = DST begin, 0xFD = DST
end; day 0xFE = last day of month, 0xFD = second-last day).

Deviation sign: the standard counts minutes from local time to UTC, so UTC+01:00 is -60.
Some meters use the opposite sign; pass ``deviation_sign=+1`` to read or write those.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from cosem.errors import DecodeError, EncodeError

_LAYOUT = struct.Struct(">HBBBBBBBhB")
_UNSPECIFIED_DEVIATION = -0x8000
STANDARD_SIGN = -1  # deviation = -(UTC offset in minutes)


@dataclass(frozen=True, slots=True)
class CosemDateTime:
    year: int | None
    month: int | None
    day: int | None
    day_of_week: int | None
    hour: int | None
    minute: int | None
    second: int | None
    hundredths: int | None
    deviation: int | None
    clock_status: int | None

    @classmethod
    def from_bytes(cls, raw: bytes) -> CosemDateTime:
        if len(raw) != 12:
            raise DecodeError(f"date-time needs 12 bytes, got {len(raw)}")
        year, mo, d, dow, h, mi, s, hs, dev, status = _LAYOUT.unpack(raw)
        return cls(
            None if year == 0xFFFF else year,
            _specified(mo),
            _specified(d),
            _specified(dow),
            _specified(h),
            _specified(mi),
            _specified(s),
            _specified(hs),
            None if dev == _UNSPECIFIED_DEVIATION else dev,
            _specified(status),
        )

    def to_bytes(self) -> bytes:
        def byte(v: int | None) -> int:
            return 0xFF if v is None else v

        try:
            return _LAYOUT.pack(
                0xFFFF if self.year is None else self.year,
                byte(self.month),
                byte(self.day),
                byte(self.day_of_week),
                byte(self.hour),
                byte(self.minute),
                byte(self.second),
                byte(self.hundredths),
                _UNSPECIFIED_DEVIATION if self.deviation is None else self.deviation,
                byte(self.clock_status),
            )
        except struct.error as exc:
            raise EncodeError(f"date-time field out of range: {self}") from exc

    @classmethod
    def from_datetime(
        cls, moment: datetime, clock_status: int = 0, deviation_sign: int = STANDARD_SIGN
    ) -> CosemDateTime:
        """Local wall-clock fields of an aware datetime, with its UTC offset as deviation."""
        offset = moment.utcoffset()
        if offset is None:
            raise EncodeError("date-time needs an aware datetime")
        return cls(
            moment.year,
            moment.month,
            moment.day,
            moment.isoweekday(),
            moment.hour,
            moment.minute,
            moment.second,
            moment.microsecond // 10_000,
            deviation_sign * int(offset.total_seconds() // 60),
            clock_status,
        )

    def to_datetime(self, deviation_sign: int = STANDARD_SIGN) -> datetime:
        """The aware datetime; ValueError if a field needed for that is not specified."""
        year, month, day, hour, minute = self.year, self.month, self.day, self.hour, self.minute
        if (
            year is None
            or month is None
            or day is None
            or hour is None
            or minute is None
            or self.deviation is None
        ):
            raise ValueError(f"date-time not fully specified: {self}")
        offset = timedelta(minutes=deviation_sign * self.deviation)
        return datetime(
            year,
            month,
            day,
            hour,
            minute,
            self.second or 0,
            (self.hundredths or 0) * 10_000,
            tzinfo=UTC if not offset else timezone(offset),
        )


def _specified(value: int) -> int | None:
    return None if value == 0xFF else value
