"""COSEM values as a technician reads them: text and JSON, registers with scaler and unit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cosem.axdr import BitString, CompactArray, Data, DataType
from cosem.datetime_codec import CosemDateTime

# Unit enum codes (COSEM-FACTS 4.1) as printed after a register value.
UNIT_SYMBOLS = {
    1: "year", 2: "month", 3: "week", 4: "day", 5: "h", 6: "min", 7: "s", 9: "°C",
    10: "currency", 13: "m³", 14: "m³ (corrected)", 19: "l", 22: "Nm", 23: "Pa", 24: "bar",
    25: "J", 27: "W", 28: "VA", 29: "var", 30: "Wh", 31: "VAh", 32: "varh", 33: "A",
    35: "V", 44: "Hz", 56: "%", 254: "(other unit)", 255: "",
}  # fmt: skip
CLOCK_CLASS = 8
SCALED_CLASSES = (3, 4)  # register, extended register: attribute 2 scaled by attribute 3


def scaled(value: Data, scaler_unit: Data) -> tuple[Decimal, str]:
    """Physical value = value x 10^scaler, exactly (Decimal: energy never goes through float)."""
    scaler, unit = (item.int_value for item in scaler_unit.items)
    raw = value.value
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise TypeError(f"a register value must be a number, got {value.type.name}")
    number = Decimal(raw) if isinstance(raw, int) else Decimal(repr(raw))
    return number.scaleb(scaler), UNIT_SYMBOLS.get(unit, f"unit {unit}")


def to_json(data: Data, class_id: int | None = None) -> Any:
    """A JSON-friendly value: octet-strings as text when printable, else hex; clock times as
    ISO 8601."""
    value = data.value
    if isinstance(value, tuple):
        return [to_json(item) for item in value]
    if isinstance(value, CompactArray):
        return [to_json(item) for item in value.values]
    if isinstance(value, BitString):
        return str(value)
    if isinstance(value, bytes):
        if class_id == CLOCK_CLASS and data.type is DataType.OCTET_STRING and len(value) == 12:
            try:
                return CosemDateTime.from_bytes(value).to_datetime().isoformat()
            except ValueError:
                pass  # not fully specified: show the bytes
        if value and all(32 <= b < 127 for b in value):
            return value.decode("ascii")
        return value.hex()
    return value


def to_text(data: Data, class_id: int | None = None) -> str:
    value = to_json(data, class_id)
    if isinstance(value, list):
        return "[" + ", ".join(to_text(item) for item in data_items(data)) + "]"
    if value is None:
        return "(null)"
    return str(value)


def data_items(data: Data) -> tuple[Data, ...]:
    if isinstance(data.value, CompactArray):
        return data.value.values
    return data.items
