"""A-XDR encoding of COSEM ``Data`` (IEC 62056-6-2; tags in COSEM-FACTS section 8.1).

Values are immutable: ``Data(type, value)`` where value is None (null-data, dont-care), bool,
int, float (float32/64 only), bytes (octet-string and the raw date-time/date/time bytes), str
(visible/utf8 string), ``BitString``, ``tuple[Data, ...]`` (array, structure) or
``CompactArray``. Encoding is table-driven with precompiled ``struct.Struct`` objects because
the meter encodes simple values on every GET. Decoding never raises anything but
``DecodeError``.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum

from cosem.errors import DecodeError, EncodeError

# Garbage such as 01 01 01 01 ... would nest arrays as deep as the buffer is long.
MAX_NESTING = 64


class DataType(IntEnum):
    NULL_DATA = 0
    ARRAY = 1
    STRUCTURE = 2
    BOOLEAN = 3
    BIT_STRING = 4
    DOUBLE_LONG = 5
    DOUBLE_LONG_UNSIGNED = 6
    OCTET_STRING = 9
    VISIBLE_STRING = 10
    UTF8_STRING = 12
    BCD = 13
    INTEGER = 15
    LONG = 16
    UNSIGNED = 17
    LONG_UNSIGNED = 18
    COMPACT_ARRAY = 19
    LONG64 = 20
    LONG64_UNSIGNED = 21
    ENUM = 22
    FLOAT32 = 23
    FLOAT64 = 24
    DATE_TIME = 25
    DATE = 26
    TIME = 27
    DELTA_INTEGER = 28
    DELTA_LONG = 29
    DELTA_DOUBLE_LONG = 30
    DELTA_UNSIGNED = 31
    DELTA_LONG_UNSIGNED = 32
    DELTA_DOUBLE_LONG_UNSIGNED = 33
    DONT_CARE = 255


@dataclass(frozen=True, slots=True)
class BitString:
    """A bit string: ``bit_length`` bits held MSB-first in ``data`` (bit 0 = MSB of byte 0)."""

    data: bytes
    bit_length: int

    def __post_init__(self) -> None:
        if self.bit_length < 0 or len(self.data) != (self.bit_length + 7) // 8:
            raise ValueError(
                f"bit string of {self.bit_length} bits needs {(self.bit_length + 7) // 8} bytes"
            )

    @classmethod
    def from_bits(cls, bits: str) -> BitString:
        """``BitString.from_bits("1011")``: bit 0 first."""
        if bits.strip("01"):
            raise ValueError(f"not a bit string: {bits!r}")
        padded = bits.ljust(-(-len(bits) // 8) * 8, "0")
        data = int(padded, 2).to_bytes(len(padded) // 8, "big") if bits else b""
        return cls(data, len(bits))

    def bit(self, index: int) -> bool:
        if not 0 <= index < self.bit_length:
            raise IndexError(index)
        return bool(self.data[index // 8] & (0x80 >> (index % 8)))

    def __str__(self) -> str:
        return "".join("1" if self.bit(i) else "0" for i in range(self.bit_length))


@dataclass(frozen=True, slots=True)
class TypeDescription:
    """The element type of a compact-array: a simple type, ``ARRAY`` of ``count`` x
    ``elements[0]``, or ``STRUCTURE`` of ``elements``."""

    type: DataType
    elements: tuple[TypeDescription, ...] = ()
    count: int = 0


@dataclass(frozen=True, slots=True)
class CompactArray:
    description: TypeDescription
    values: tuple[Data, ...]


@dataclass(frozen=True, slots=True)
class Data:
    type: DataType
    value: object = None

    @classmethod
    def null(cls) -> Data:
        return _NULL

    @classmethod
    def dont_care(cls) -> Data:
        return cls(DataType.DONT_CARE, None)

    @classmethod
    def boolean(cls, value: bool) -> Data:
        return cls(DataType.BOOLEAN, bool(value))

    @classmethod
    def bit_string(cls, value: BitString) -> Data:
        return cls(DataType.BIT_STRING, value)

    @classmethod
    def integer(cls, value: int) -> Data:
        return cls(DataType.INTEGER, value)

    @classmethod
    def long(cls, value: int) -> Data:
        return cls(DataType.LONG, value)

    @classmethod
    def double_long(cls, value: int) -> Data:
        return cls(DataType.DOUBLE_LONG, value)

    @classmethod
    def long64(cls, value: int) -> Data:
        return cls(DataType.LONG64, value)

    @classmethod
    def unsigned(cls, value: int) -> Data:
        return cls(DataType.UNSIGNED, value)

    @classmethod
    def long_unsigned(cls, value: int) -> Data:
        return cls(DataType.LONG_UNSIGNED, value)

    @classmethod
    def double_long_unsigned(cls, value: int) -> Data:
        return cls(DataType.DOUBLE_LONG_UNSIGNED, value)

    @classmethod
    def long64_unsigned(cls, value: int) -> Data:
        return cls(DataType.LONG64_UNSIGNED, value)

    @classmethod
    def enum(cls, value: int) -> Data:
        return cls(DataType.ENUM, value)

    @classmethod
    def bcd(cls, value: int) -> Data:
        return cls(DataType.BCD, value)

    @classmethod
    def float32(cls, value: float) -> Data:
        """Rounded to the nearest float32, so that decode(encode(x)) == x."""
        # out of float32 range: kept, and encode() refuses it with an EncodeError
        with contextlib.suppress(OverflowError):
            value = _F32.unpack(_F32.pack(value))[0]
        return cls(DataType.FLOAT32, float(value))

    @classmethod
    def float64(cls, value: float) -> Data:
        return cls(DataType.FLOAT64, float(value))

    @classmethod
    def octet_string(cls, value: bytes) -> Data:
        return cls(DataType.OCTET_STRING, bytes(value))

    @classmethod
    def visible_string(cls, value: str) -> Data:
        return cls(DataType.VISIBLE_STRING, value)

    @classmethod
    def utf8_string(cls, value: str) -> Data:
        return cls(DataType.UTF8_STRING, value)

    @classmethod
    def date_time(cls, value: bytes) -> Data:
        """Tag-25 date-time (12 raw bytes). COSEM attributes usually carry date-times as
        ``octet_string`` instead (COSEM-FACTS 4.2)."""
        return cls(DataType.DATE_TIME, bytes(value))

    @classmethod
    def date(cls, value: bytes) -> Data:
        return cls(DataType.DATE, bytes(value))

    @classmethod
    def time(cls, value: bytes) -> Data:
        return cls(DataType.TIME, bytes(value))

    @classmethod
    def structure(cls, *items: Data) -> Data:
        return cls(DataType.STRUCTURE, items)

    @classmethod
    def array(cls, items: Iterable[Data]) -> Data:
        return cls(DataType.ARRAY, tuple(items))

    @classmethod
    def compact_array(cls, description: TypeDescription, values: Iterable[Data]) -> Data:
        return cls(DataType.COMPACT_ARRAY, CompactArray(description, tuple(values)))

    @property
    def items(self) -> tuple[Data, ...]:
        """The elements of an array or structure (TypeError for other types)."""
        if isinstance(self.value, tuple):
            return self.value
        raise TypeError(f"{self.type.name} has no items")

    @property
    def int_value(self) -> int:
        if isinstance(self.value, int) and not isinstance(self.value, bool):
            return self.value
        raise TypeError(f"{self.type.name} is not an integer type")


_NULL = Data(DataType.NULL_DATA, None)

# ---------------------------------------------------------------- lengths

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_F32 = struct.Struct(">f")


def encode_length(n: int) -> bytes:
    """A-XDR length/count: one byte below 0x80, else 0x81/0x82/0x84 + big-endian bytes."""
    if n < 0:
        raise EncodeError(f"negative length {n}")
    if n < 0x80:
        return bytes((n,))
    if n <= 0xFF:
        return bytes((0x81, n))
    if n <= 0xFFFF:
        return b"\x82" + _U16.pack(n)
    if n <= 0xFFFFFFFF:
        return b"\x84" + _U32.pack(n)
    raise EncodeError(f"length {n} too large for A-XDR")


def decode_length(buf: bytes, offset: int) -> tuple[int, int]:
    """Return (length, offset after it). Accepts the long forms 0x81..0x84."""
    if offset >= len(buf):
        raise DecodeError("length expected, buffer ended", offset)
    first = buf[offset]
    if first < 0x80:
        return first, offset + 1
    size = first & 0x7F
    if not 1 <= size <= 4:
        raise DecodeError(f"bad length prefix 0x{first:02X}", offset)
    end = offset + 1 + size
    if end > len(buf):
        raise DecodeError("length truncated", offset)
    return int.from_bytes(buf[offset + 1 : end], "big"), end


def _take(buf: bytes, pos: int, size: int, what: str) -> int:
    end = pos + size
    if end > len(buf):
        raise DecodeError(f"{what}: needs {size} bytes, {len(buf) - pos} left", pos)
    return end


# ---------------------------------------------------------------- fixed-size types

_FIXED: dict[DataType, struct.Struct] = {
    DataType.BOOLEAN: struct.Struct(">B"),
    DataType.DOUBLE_LONG: struct.Struct(">i"),
    DataType.DOUBLE_LONG_UNSIGNED: struct.Struct(">I"),
    DataType.BCD: struct.Struct(">B"),
    DataType.INTEGER: struct.Struct(">b"),
    DataType.LONG: struct.Struct(">h"),
    DataType.UNSIGNED: struct.Struct(">B"),
    DataType.LONG_UNSIGNED: struct.Struct(">H"),
    DataType.LONG64: struct.Struct(">q"),
    DataType.LONG64_UNSIGNED: struct.Struct(">Q"),
    DataType.ENUM: struct.Struct(">B"),
    DataType.FLOAT32: struct.Struct(">f"),
    DataType.FLOAT64: struct.Struct(">d"),
    DataType.DELTA_INTEGER: struct.Struct(">b"),
    DataType.DELTA_LONG: struct.Struct(">h"),
    DataType.DELTA_DOUBLE_LONG: struct.Struct(">i"),
    DataType.DELTA_UNSIGNED: struct.Struct(">B"),
    DataType.DELTA_LONG_UNSIGNED: struct.Struct(">H"),
    DataType.DELTA_DOUBLE_LONG_UNSIGNED: struct.Struct(">I"),
}
# Tag and value packed in one call: the hot path of a GET of a register.
_TAGGED: dict[DataType, struct.Struct] = {
    t: struct.Struct(">B" + s.format[1:]) for t, s in _FIXED.items()
}
_FLOATS = (DataType.FLOAT32, DataType.FLOAT64)
_RAW_SIZES = {DataType.DATE_TIME: 12, DataType.DATE: 5, DataType.TIME: 4}
_NO_CONTENT = (DataType.NULL_DATA, DataType.DONT_CARE)


def _check_fixed_value(data_type: DataType, value: object) -> None:
    if data_type in _FLOATS:
        if not isinstance(value, float):
            raise EncodeError(f"{data_type.name} needs a float, got {value!r}")
    elif data_type is DataType.BOOLEAN:
        if not isinstance(value, bool):
            raise EncodeError(f"BOOLEAN needs a bool, got {value!r}")
    elif not isinstance(value, int) or isinstance(value, bool):
        raise EncodeError(f"{data_type.name} needs an int, got {value!r}")


# ---------------------------------------------------------------- encoding


def encode(data: Data) -> bytes:
    """Encode one tagged value. Raises EncodeError on out-of-range or mistyped values."""
    packer = _TAGGED.get(data.type)
    if packer is not None:
        _check_fixed_value(data.type, data.value)
        try:
            return packer.pack(data.type, data.value)
        except (struct.error, OverflowError) as exc:
            raise EncodeError(f"{data.type.name} value out of range: {data.value!r}") from exc
    out = bytearray()
    _encode_into(out, data, 0)
    return bytes(out)


def _encode_into(out: bytearray, data: Data, depth: int) -> None:
    out.append(data.type)
    _encode_content(out, data, depth)


def _encode_content(out: bytearray, data: Data, depth: int) -> None:
    """The value without its tag (what a compact-array holds)."""
    data_type, value = data.type, data.value
    if depth > MAX_NESTING:
        raise EncodeError(f"nesting deeper than {MAX_NESTING}")
    packer = _FIXED.get(data_type)
    if packer is not None:
        _check_fixed_value(data_type, value)
        try:
            out += packer.pack(value)
        except (struct.error, OverflowError) as exc:
            raise EncodeError(f"{data_type.name} value out of range: {value!r}") from exc
        return
    encoder = _CONTENT_ENCODERS.get(data_type)
    if encoder is None:
        raise EncodeError(f"cannot encode data type {data_type!r}")
    encoder(out, value, depth)


def _enc_nothing(out: bytearray, value: object, depth: int) -> None:
    if value is not None:
        raise EncodeError(f"null-data/dont-care carry no value, got {value!r}")


def _enc_octets(out: bytearray, value: object, depth: int) -> None:
    if not isinstance(value, bytes | bytearray):
        raise EncodeError(f"octet-string needs bytes, got {type(value).__name__}")
    out += encode_length(len(value))
    out += value


def _enc_visible(out: bytearray, value: object, depth: int) -> None:
    if not isinstance(value, str):
        raise EncodeError(f"visible-string needs str, got {type(value).__name__}")
    try:
        raw = value.encode("ascii")
    except UnicodeEncodeError as exc:
        raise EncodeError(f"visible-string must be ASCII: {value!r}") from exc
    out += encode_length(len(raw))
    out += raw


def _enc_utf8(out: bytearray, value: object, depth: int) -> None:
    if not isinstance(value, str):
        raise EncodeError(f"utf8-string needs str, got {type(value).__name__}")
    try:
        raw = value.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        raise EncodeError(f"utf8-string not encodable: {value!r}") from exc
    out += encode_length(len(raw))
    out += raw


def _enc_bits(out: bytearray, value: object, depth: int) -> None:
    if not isinstance(value, BitString):
        raise EncodeError(f"bit-string needs a BitString, got {type(value).__name__}")
    out += encode_length(value.bit_length)
    out += value.data


def _enc_sequence(out: bytearray, value: object, depth: int) -> None:
    if not isinstance(value, tuple):
        raise EncodeError(f"array/structure needs a tuple of Data, got {type(value).__name__}")
    out += encode_length(len(value))
    for item in value:
        if not isinstance(item, Data):
            raise EncodeError(f"array/structure element is not Data: {item!r}")
        _encode_into(out, item, depth + 1)


def _raw_encoder(data_type: DataType) -> _Encoder:
    size = _RAW_SIZES[data_type]

    def encode_raw(out: bytearray, value: object, depth: int) -> None:
        if not isinstance(value, bytes | bytearray) or len(value) != size:
            raise EncodeError(f"{data_type.name} needs exactly {size} bytes, got {value!r}")
        out += value

    return encode_raw


def _enc_description(out: bytearray, description: TypeDescription, depth: int) -> None:
    if depth > MAX_NESTING:
        raise EncodeError(f"nesting deeper than {MAX_NESTING}")
    out.append(description.type)
    if description.type is DataType.ARRAY:
        if len(description.elements) != 1 or not 0 <= description.count <= 0xFFFF:
            raise EncodeError("compact-array ARRAY description needs one element type, count<65536")
        out += _U16.pack(description.count)
        _enc_description(out, description.elements[0], depth + 1)
    elif description.type is DataType.STRUCTURE:
        out += encode_length(len(description.elements))
        for element in description.elements:
            _enc_description(out, element, depth + 1)


def _enc_described(out: bytearray, description: TypeDescription, item: Data, depth: int) -> None:
    if item.type is not description.type:
        raise EncodeError(
            f"compact-array element {item.type.name}, expected {description.type.name}"
        )
    if description.type is DataType.ARRAY or description.type is DataType.STRUCTURE:
        items = item.items
        if description.type is DataType.ARRAY:
            if len(items) != description.count:
                raise EncodeError(f"compact-array inner array needs {description.count} elements")
            kinds = description.elements * len(items)
        else:
            kinds = description.elements
            if len(items) != len(kinds):
                raise EncodeError("compact-array structure element count mismatch")
        for kind, sub in zip(kinds, items, strict=True):
            _enc_described(out, kind, sub, depth + 1)
    else:
        _encode_content(out, item, depth + 1)


def _enc_compact(out: bytearray, value: object, depth: int) -> None:
    if not isinstance(value, CompactArray):
        raise EncodeError(f"compact-array needs a CompactArray, got {type(value).__name__}")
    if value.description.type is DataType.COMPACT_ARRAY:
        raise EncodeError("a compact-array cannot hold compact-arrays")
    _enc_description(out, value.description, depth + 1)
    contents = bytearray()
    for item in value.values:
        _enc_described(contents, value.description, item, depth + 1)
    out += encode_length(len(contents))
    out += contents


_Encoder = Callable[[bytearray, object, int], None]
_CONTENT_ENCODERS: dict[DataType, _Encoder] = {
    DataType.NULL_DATA: _enc_nothing,
    DataType.DONT_CARE: _enc_nothing,
    DataType.ARRAY: _enc_sequence,
    DataType.STRUCTURE: _enc_sequence,
    DataType.BIT_STRING: _enc_bits,
    DataType.OCTET_STRING: _enc_octets,
    DataType.VISIBLE_STRING: _enc_visible,
    DataType.UTF8_STRING: _enc_utf8,
    DataType.COMPACT_ARRAY: _enc_compact,
    **{t: _raw_encoder(t) for t in _RAW_SIZES},
}

# ---------------------------------------------------------------- decoding


def decode(buf: bytes, offset: int = 0) -> tuple[Data, int]:
    """Decode one tagged value at ``offset``; return it and the offset after it."""
    return _decode(buf, offset, 0)


def decode_all(buf: bytes) -> Data:
    """Decode a buffer holding exactly one value (trailing bytes are an error)."""
    data, end = _decode(buf, 0, 0)
    if end != len(buf):
        raise DecodeError(f"{len(buf) - end} trailing bytes after the value", end)
    return data


def _tag(buf: bytes, pos: int) -> DataType:
    if pos >= len(buf):
        raise DecodeError("data type tag expected, buffer ended", pos)
    try:
        return _TAGS[buf[pos]]
    except KeyError:
        raise DecodeError(f"unknown data type tag 0x{buf[pos]:02X}", pos) from None


_TAGS = {int(t): t for t in DataType}


def _decode(buf: bytes, pos: int, depth: int) -> tuple[Data, int]:
    data_type = _tag(buf, pos)
    value, end = _decode_content(buf, pos + 1, data_type, depth)
    return Data(data_type, value), end


def _decode_content(buf: bytes, pos: int, data_type: DataType, depth: int) -> tuple[object, int]:
    if depth > MAX_NESTING:
        raise DecodeError(f"nesting deeper than {MAX_NESTING}", pos)
    unpacker = _FIXED.get(data_type)
    if unpacker is not None:
        end = _take(buf, pos, unpacker.size, data_type.name)
        (value,) = unpacker.unpack_from(buf, pos)
        if data_type is DataType.BOOLEAN:
            value = value != 0
        return value, end
    return _CONTENT_DECODERS[data_type](buf, pos, depth)


def _dec_nothing(buf: bytes, pos: int, depth: int) -> tuple[object, int]:
    return None, pos


def _dec_octets(buf: bytes, pos: int, depth: int) -> tuple[object, int]:
    length, pos = decode_length(buf, pos)
    end = _take(buf, pos, length, "octet-string")
    return bytes(buf[pos:end]), end


def _dec_visible(buf: bytes, pos: int, depth: int) -> tuple[object, int]:
    length, pos = decode_length(buf, pos)
    end = _take(buf, pos, length, "visible-string")
    try:
        return bytes(buf[pos:end]).decode("ascii"), end
    except UnicodeDecodeError:
        raise DecodeError("visible-string is not ASCII", pos) from None


def _dec_utf8(buf: bytes, pos: int, depth: int) -> tuple[object, int]:
    length, pos = decode_length(buf, pos)
    end = _take(buf, pos, length, "utf8-string")
    try:
        return bytes(buf[pos:end]).decode("utf-8"), end
    except UnicodeDecodeError:
        raise DecodeError("utf8-string is not valid UTF-8", pos) from None


def _dec_bits(buf: bytes, pos: int, depth: int) -> tuple[object, int]:
    bits, pos = decode_length(buf, pos)
    end = _take(buf, pos, (bits + 7) // 8, "bit-string")
    return BitString(bytes(buf[pos:end]), bits), end


def _dec_sequence(buf: bytes, pos: int, depth: int) -> tuple[object, int]:
    count, pos = decode_length(buf, pos)
    items = []
    for _ in range(count):
        item, pos = _decode(buf, pos, depth + 1)
        items.append(item)
    return tuple(items), pos


def _raw_decoder(data_type: DataType) -> _Decoder:
    size = _RAW_SIZES[data_type]

    def decode_raw(buf: bytes, pos: int, depth: int) -> tuple[object, int]:
        end = _take(buf, pos, size, data_type.name)
        return bytes(buf[pos:end]), end

    return decode_raw


def _dec_description(buf: bytes, pos: int, depth: int) -> tuple[TypeDescription, int]:
    if depth > MAX_NESTING:
        raise DecodeError(f"nesting deeper than {MAX_NESTING}", pos)
    data_type = _tag(buf, pos)
    pos += 1
    if data_type is DataType.ARRAY:
        end = _take(buf, pos, 2, "compact-array element count")
        count = _U16.unpack_from(buf, pos)[0]
        element, pos = _dec_description(buf, end, depth + 1)
        return TypeDescription(data_type, (element,), count), pos
    if data_type is DataType.STRUCTURE:
        count, pos = decode_length(buf, pos)
        elements = []
        for _ in range(count):
            element, pos = _dec_description(buf, pos, depth + 1)
            elements.append(element)
        return TypeDescription(data_type, tuple(elements)), pos
    if data_type is DataType.COMPACT_ARRAY:
        raise DecodeError("a compact-array cannot hold compact-arrays", pos - 1)
    return TypeDescription(data_type), pos


def _dec_described(
    buf: bytes, pos: int, description: TypeDescription, depth: int
) -> tuple[Data, int]:
    if depth > MAX_NESTING:
        raise DecodeError(f"nesting deeper than {MAX_NESTING}", pos)
    if description.type is DataType.ARRAY or description.type is DataType.STRUCTURE:
        if description.type is DataType.ARRAY:
            kinds = description.elements * description.count
        else:
            kinds = description.elements
        items = []
        for kind in kinds:
            item, pos = _dec_described(buf, pos, kind, depth + 1)
            items.append(item)
        return Data(description.type, tuple(items)), pos
    value, pos = _decode_content(buf, pos, description.type, depth + 1)
    return Data(description.type, value), pos


def _dec_compact(buf: bytes, pos: int, depth: int) -> tuple[object, int]:
    description, pos = _dec_description(buf, pos, depth + 1)
    length, pos = decode_length(buf, pos)
    end = _take(buf, pos, length, "compact-array contents")
    contents = bytes(buf[pos:end])
    values = []
    cursor = 0
    while cursor < len(contents):
        item, after = _dec_described(contents, cursor, description, depth + 1)
        if after == cursor:
            raise DecodeError("compact-array element type has no content", pos + cursor)
        values.append(item)
        cursor = after
    return CompactArray(description, tuple(values)), end


_Decoder = Callable[[bytes, int, int], tuple[object, int]]
_CONTENT_DECODERS: dict[DataType, _Decoder] = {
    DataType.NULL_DATA: _dec_nothing,
    DataType.DONT_CARE: _dec_nothing,
    DataType.ARRAY: _dec_sequence,
    DataType.STRUCTURE: _dec_sequence,
    DataType.BIT_STRING: _dec_bits,
    DataType.OCTET_STRING: _dec_octets,
    DataType.VISIBLE_STRING: _dec_visible,
    DataType.UTF8_STRING: _dec_utf8,
    DataType.COMPACT_ARRAY: _dec_compact,
    **{t: _raw_decoder(t) for t in _RAW_SIZES},
}
