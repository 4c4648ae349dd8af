"""Register (class_id 3, version 0) and Extended register (class_id 4, version 0).

Register: 1 logical_name, 2 value, 3 scaler_unit; method 1 reset (not offered: a billing
register of a meter is never reset remotely). Extended register adds 4 status and
5 capture_time. Values are integers read live; physical value = value x 10^scaler unit.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import datetime
from enum import IntEnum

from cosem.axdr import Data, DataType, encode
from cosem.classes.base import Attribute, CosemObject, Reader, live, logical_name, static
from cosem.datetime_codec import CosemDateTime
from cosem.obis import Obis

REGISTER_CLASS_ID = 3
EXTENDED_REGISTER_CLASS_ID = 4


class Unit(IntEnum):
    """The unit enum codes used by vmeter (COSEM-FACTS 4.1)."""

    SECOND = 7
    LOCAL_CURRENCY = 10
    CUBIC_METRE = 13
    WATT = 27
    VOLT_AMPERE = 28
    WATT_HOUR = 30
    AMPERE = 33
    VOLT = 35
    HERTZ = 44
    COUNT = 255


_INTEGER_FORMATS = {
    DataType.DOUBLE_LONG: ">Bi",
    DataType.DOUBLE_LONG_UNSIGNED: ">BI",
    DataType.LONG: ">Bh",
    DataType.LONG_UNSIGNED: ">BH",
    DataType.LONG64: ">Bq",
    DataType.LONG64_UNSIGNED: ">BQ",
    DataType.INTEGER: ">Bb",
    DataType.UNSIGNED: ">BB",
}


def integer_reader(value: Callable[[], int], value_type: DataType) -> Reader:
    """Encode a live integer of ``value_type``; out of range raises EncodeError like encode()."""
    packer = struct.Struct(_INTEGER_FORMATS[value_type])

    def read() -> bytes:
        number = value()
        try:
            return packer.pack(value_type, number)
        except struct.error:
            return encode(Data(value_type, number))  # raises the EncodeError that says why

    return read


def scaler_unit(scaler: int, unit: Unit) -> Data:
    return Data.structure(Data.integer(scaler), Data.enum(unit))


def register(
    obis: Obis,
    value: Callable[[], int],
    scaler: int,
    unit: Unit,
    value_type: DataType = DataType.DOUBLE_LONG_UNSIGNED,
) -> CosemObject:
    return CosemObject(
        REGISTER_CLASS_ID,
        0,
        obis,
        (
            logical_name(obis),
            Attribute(2, integer_reader(value, value_type)),
            Attribute(3, static(scaler_unit(scaler, unit))),
        ),
    )


def extended_register(
    obis: Obis,
    value: Callable[[], int],
    scaler: int,
    unit: Unit,
    capture_time: Callable[[], datetime],
    status: Callable[[], Data] = Data.null,
    value_type: DataType = DataType.DOUBLE_LONG,
) -> CosemObject:
    """capture_time is an aware datetime, sent as a date-time octet-string(12)."""

    def capture_time_data() -> Data:
        return Data.octet_string(CosemDateTime.from_datetime(capture_time()).to_bytes())

    return CosemObject(
        EXTENDED_REGISTER_CLASS_ID,
        0,
        obis,
        (
            logical_name(obis),
            Attribute(2, integer_reader(value, value_type)),
            Attribute(3, static(scaler_unit(scaler, unit))),
            Attribute(4, live(status)),
            Attribute(5, live(capture_time_data)),
        ),
    )
