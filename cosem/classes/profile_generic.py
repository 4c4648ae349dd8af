"""Profile generic (class_id 7, version 1): a clock column followed by integer columns.

Attributes: 1 logical_name, 2 buffer (selective access 1 = range on the clock column,
2 = entries), 3 capture_objects, 4 capture_period (s), 5 sort_method (FIFO), 6 sort_object
(none), 7 entries_in_use, 8 profile_entries. The rows come live from a ``ProfileSource``
(oldest first); capturing is the firmware's job, so methods reset/capture are not offered.

Selective access (COSEM-FACTS 4.3): range_descriptor structure{restricting_object,
from_value, to_value, selected_values} where the restricting object must be the clock column
and from/to are date-time octet-strings (no deviation = the meter's local time), both bounds
included; entry_descriptor structure{from_entry, to_entry, from_selected_value,
to_selected_value}, 1-based, 0 = up to the last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from cosem.apdu.descriptors import SelectiveAccess
from cosem.apdu.enums import DataAccessResult
from cosem.axdr import Data, DataType, encode
from cosem.classes.base import AccessRefused, Attribute, CosemObject, live, logical_name, static
from cosem.classes.clock import CLASS_ID as CLOCK_CLASS_ID
from cosem.classes.clock import CLOCK_OBIS, date_time_in_zone, local_date_time
from cosem.errors import DecodeError
from cosem.obis import Obis

CLASS_ID = 7
SORT_FIFO = 1
RANGE_SELECTOR = 1
ENTRY_SELECTOR = 2

ProfileRow = tuple[datetime, tuple[int, ...]]
"""One entry: its capture time (aware) and the values of the integer columns."""


class ProfileSource(Protocol):
    def rows(self) -> Sequence[ProfileRow]:
        """The buffer, oldest entry first."""
        ...


@dataclass(frozen=True, slots=True)
class CaptureObject:
    class_id: int
    obis: Obis
    attribute_index: int
    data_index: int = 0

    def to_data(self) -> Data:
        return Data.structure(
            Data.long_unsigned(self.class_id),
            Data.octet_string(self.obis.to_bytes()),
            Data.integer(self.attribute_index),
            Data.long_unsigned(self.data_index),
        )


CLOCK_COLUMN = CaptureObject(CLOCK_CLASS_ID, CLOCK_OBIS, 2)


@dataclass(frozen=True, slots=True)
class Column:
    """An integer column: what it captures and the A-XDR type of its values."""

    capture: CaptureObject
    data_type: DataType


def profile_generic(
    obis: Obis,
    source: ProfileSource,
    columns: Sequence[Column],
    capture_period_s: int,
    profile_entries: int,
    zone: ZoneInfo,
) -> CosemObject:
    buffer = _Buffer(source, tuple(columns), zone)
    captures = (CLOCK_COLUMN, *(column.capture for column in columns))
    no_sort_object = CaptureObject(0, Obis(0, 0, 0, 0, 0, 0), 0)
    return CosemObject(
        CLASS_ID,
        1,
        obis,
        (
            logical_name(obis),
            Attribute(
                2,
                buffer.read_all,
                read_selective=buffer.read_selected,
                selectors=(RANGE_SELECTOR, ENTRY_SELECTOR),
            ),
            Attribute(3, static(Data.array(c.to_data() for c in captures))),
            Attribute(4, static(Data.double_long_unsigned(capture_period_s))),
            Attribute(5, static(Data.enum(SORT_FIFO))),
            Attribute(6, static(no_sort_object.to_data())),
            Attribute(7, live(lambda: Data.double_long_unsigned(len(source.rows())))),
            Attribute(8, static(Data.double_long_unsigned(profile_entries))),
        ),
    )


class _Buffer:
    def __init__(self, source: ProfileSource, columns: tuple[Column, ...], zone: ZoneInfo):
        self._source = source
        self._columns = columns
        self._zone = zone
        self._captures = (CLOCK_COLUMN, *(column.capture for column in columns))

    def read_all(self) -> bytes:
        return self._encode(self._source.rows(), range(len(self._captures)))

    def read_selected(self, access: SelectiveAccess) -> bytes:
        parameters = access.parameters
        if access.selector == RANGE_SELECTOR:
            return self._by_range(parameters)
        if access.selector == ENTRY_SELECTOR:
            return self._by_entry(parameters)
        raise AccessRefused(DataAccessResult.OTHER_REASON, f"no selector {access.selector}")

    def _by_range(self, parameters: Data) -> bytes:
        restricting, start, end, selected = _fields(parameters, 4, "range_descriptor")
        if _capture_of(restricting) != CLOCK_COLUMN:
            raise AccessRefused(DataAccessResult.OTHER_REASON, "range only on the clock column")
        first, last = self._moment(start), self._moment(end)
        rows = [row for row in self._source.rows() if first <= row[0] <= last]
        return self._encode(rows, self._selected_columns(selected))

    def _by_entry(self, parameters: Data) -> bytes:
        from_entry, to_entry, from_value, to_value = (
            _unsigned(item) for item in _fields(parameters, 4, "entry_descriptor")
        )
        rows = self._source.rows()
        stop = len(rows) if to_entry == 0 else min(to_entry, len(rows))
        last_column = len(self._captures) if to_value == 0 else to_value
        if from_entry < 1 or from_value < 1 or last_column > len(self._captures):
            raise AccessRefused(DataAccessResult.OTHER_REASON, "entry or column out of range")
        return self._encode(rows[from_entry - 1 : stop], range(from_value - 1, last_column))

    def _selected_columns(self, selected: Data) -> Sequence[int]:
        if selected.type is not DataType.ARRAY:
            raise AccessRefused(DataAccessResult.TYPE_UNMATCHED, "selected_values: array")
        if not selected.items:
            return range(len(self._captures))
        try:
            return [self._captures.index(_capture_of(item)) for item in selected.items]
        except ValueError:
            raise AccessRefused(
                DataAccessResult.OTHER_REASON, "selected value not captured"
            ) from None

    def _moment(self, value: Data) -> datetime:
        if value.type not in (DataType.OCTET_STRING, DataType.DATE_TIME) or not isinstance(
            value.value, bytes
        ):
            raise AccessRefused(DataAccessResult.TYPE_UNMATCHED, "range bound: date-time")
        try:
            return date_time_in_zone(value.value, self._zone)
        except (DecodeError, ValueError) as exc:
            raise AccessRefused(DataAccessResult.OTHER_REASON, str(exc)) from exc

    def _encode(self, rows: Sequence[ProfileRow], columns: Sequence[int]) -> bytes:
        types = (DataType.OCTET_STRING, *(column.data_type for column in self._columns))
        entries = []
        for moment, values in rows:
            cells = (local_date_time(moment, self._zone).to_bytes(), *values)
            entries.append(Data.structure(*(Data(types[i], cells[i]) for i in columns)))
        return encode(Data.array(entries))


def _fields(value: Data, count: int, what: str) -> tuple[Data, ...]:
    if value.type is not DataType.STRUCTURE or len(value.items) != count:
        raise AccessRefused(DataAccessResult.TYPE_UNMATCHED, f"{what}: structure of {count}")
    return value.items


def _capture_of(value: Data) -> CaptureObject:
    class_id, name, attribute, data_index = _fields(value, 4, "capture_object_definition")
    raw = name.value
    if not isinstance(raw, bytes) or len(raw) != 6:
        raise AccessRefused(DataAccessResult.TYPE_UNMATCHED, "logical_name: octet-string(6)")
    return CaptureObject(
        _unsigned(class_id), Obis.from_bytes(raw), _unsigned(attribute), _unsigned(data_index)
    )


def _unsigned(value: Data) -> int:
    if isinstance(value.value, int) and not isinstance(value.value, bool) and value.value >= 0:
        return value.value
    raise AccessRefused(DataAccessResult.TYPE_UNMATCHED, "unsigned integer expected")
