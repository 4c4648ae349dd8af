"""A-XDR codec: COSEM-FACTS 8.1 vectors, range checks, round trips and hostile input."""

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from axdr_strategies import values
from hypothesis import given, settings
from hypothesis import strategies as st

from cosem.axdr import (
    BitString,
    Data,
    DataType,
    TypeDescription,
    decode,
    decode_all,
    decode_length,
    encode,
    encode_length,
)
from cosem.datetime_codec import CosemDateTime
from cosem.errors import DecodeError, EncodeError

VECTORS = [
    # COSEM-FACTS 4.1: scaler 0, unit Wh
    (Data.structure(Data.integer(0), Data.enum(30)), "0202 0F00 161E"),
    (Data.structure(Data.integer(-3), Data.enum(30)), "0202 0FFD 161E"),
    # COSEM-FACTS 4.2: clock.time as octet-string(12)
    (Data.octet_string(bytes.fromhex("07E80301050C1E0F00FFC400")), "090C 07E80301050C1E0F00FFC400"),
    (Data.null(), "00"),
    (Data.dont_care(), "FF"),
    (Data.boolean(True), "0301"),
    (Data.double_long(-2), "05FFFFFFFE"),
    (Data.double_long_unsigned(123456), "060001E240"),
    (Data.visible_string("ABC"), "0A03414243"),
    (Data.utf8_string("é"), "0C02C3A9"),
    (Data.bcd(0x12), "0D12"),
    (Data.long(-1), "10FFFF"),
    (Data.unsigned(255), "11FF"),
    (Data.long_unsigned(1024), "120400"),
    (Data.long64(-1), "14FFFFFFFFFFFFFFFF"),
    (Data.long64_unsigned(2**64 - 1), "15FFFFFFFFFFFFFFFF"),
    (Data.float32(1.5), "173FC00000"),
    (Data.float64(-2.0), "18C000000000000000"),
    (Data.date_time(bytes.fromhex("07E80301050C1E0F00FFC400")), "19 07E80301050C1E0F00FFC400"),
    (Data.date(bytes.fromhex("07E8030105")), "1A 07E8030105"),
    (Data.time(bytes.fromhex("0C1E0F00")), "1B 0C1E0F00"),
    # bit-string: length in bits, MSB first
    (Data.bit_string(BitString.from_bits("1011")), "0404B0"),
    (Data.array([Data.unsigned(1), Data.unsigned(2)]), "0102 1101 1102"),
]


@pytest.mark.parametrize(("data", "hex_bytes"), VECTORS)
def test_known_encodings(data: Data, hex_bytes: str) -> None:
    raw = bytes.fromhex(hex_bytes)
    assert encode(data) == raw
    assert decode_all(raw) == data


@pytest.mark.parametrize(
    ("n", "hex_bytes"),
    [
        (0, "00"),
        (0x7F, "7F"),
        (0x80, "8180"),
        (0xFF, "81FF"),
        (0x100, "820100"),
        (0xFFFF, "82FFFF"),
        (0x10000, "8400010000"),
    ],
)
def test_compact_length_forms(n: int, hex_bytes: str) -> None:
    assert encode_length(n) == bytes.fromhex(hex_bytes)
    assert decode_length(bytes.fromhex(hex_bytes), 0) == (n, len(hex_bytes) // 2)


def test_long_octet_string_uses_long_length_form() -> None:
    raw = encode(Data.octet_string(bytes(300)))
    assert raw[:4] == bytes.fromhex("09820" + "12C")
    assert decode_all(raw) == Data.octet_string(bytes(300))


@pytest.mark.parametrize(
    "data",
    [
        Data.integer(128),
        Data.unsigned(-1),
        Data.long_unsigned(65536),
        Data.double_long(2**31),
        Data.long64_unsigned(2**64),
        Data.enum(256),
        Data.visible_string("é"),
        Data(DataType.UNSIGNED, "1"),
        Data(DataType.UNSIGNED, True),
        Data(DataType.BOOLEAN, 1),
        Data(DataType.OCTET_STRING, "text"),
        Data(DataType.DATE_TIME, b"\x00" * 11),
        Data(DataType.STRUCTURE, (1, 2)),
        Data(DataType.NULL_DATA, 0),
    ],
)
def test_out_of_range_or_mistyped_values_are_refused(data: Data) -> None:
    with pytest.raises(EncodeError):
        encode(data)


def test_compact_array_round_trip() -> None:
    description = TypeDescription(
        DataType.STRUCTURE,
        (TypeDescription(DataType.LONG_UNSIGNED), TypeDescription(DataType.OCTET_STRING)),
    )
    rows = [Data.structure(Data.long_unsigned(n), Data.octet_string(b"x")) for n in range(3)]
    data = Data.compact_array(description, rows)
    raw = encode(data)
    # tag, type description, then contents without tags
    assert raw == bytes.fromhex("13 0202 12 09 0C 0000 0178 0001 0178 0002 0178")
    assert decode_all(raw) == data


def test_compact_array_rejects_elements_of_the_wrong_type() -> None:
    data = Data.compact_array(TypeDescription(DataType.UNSIGNED), [Data.long(1)])
    with pytest.raises(EncodeError):
        encode(data)


def test_decode_reports_where_it_stopped() -> None:
    raw = bytes.fromhex("1105 1106")
    first, offset = decode(raw)
    assert (first, offset) == (Data.unsigned(5), 2)
    assert decode(raw, offset) == (Data.unsigned(6), 4)
    with pytest.raises(DecodeError, match="trailing"):
        decode_all(raw)


@pytest.mark.parametrize(
    "hex_bytes",
    [
        "",
        "07",
        "08",
        "0B",
        "1C",
        "09",
        "0905",
        "0982",
        "0985 00000000 01",
        "0A02 FF FF",
        "0C02 C3",
        "0102 1101",
        "05 0000",
        "19 07E8",
        "13 01",
        "13 00 04 00 00",
    ],
)
def test_malformed_input_raises_decode_error(hex_bytes: str) -> None:
    with pytest.raises(DecodeError):
        decode_all(bytes.fromhex(hex_bytes))


def test_deep_nesting_is_a_decode_error_not_a_crash() -> None:
    with pytest.raises(DecodeError, match="nesting"):
        decode_all(b"\x01\x01" * 5000 + b"\x00")


def test_compact_array_of_contentless_elements_cannot_loop_forever() -> None:
    with pytest.raises(DecodeError):
        decode_all(bytes.fromhex("13 00 02 0000"))


@settings(max_examples=300)
@given(values())
def test_decode_inverts_encode(data: Data) -> None:
    assert decode_all(encode(data)) == data


@settings(max_examples=300)
@given(st.binary(max_size=64))
def test_garbage_never_raises_anything_but_decode_error(raw: bytes) -> None:
    try:
        data = decode_all(raw)
    except DecodeError:
        return
    # Decoding accepts non-minimal lengths and any non-zero boolean, so the bytes may differ
    # after re-encoding; the value may not.
    assert decode_all(encode(data)) == data


@settings(max_examples=200)
@given(values(), st.data())
def test_truncated_values_raise_decode_error(data: Data, draw: st.DataObject) -> None:
    raw = encode(data)
    cut = draw.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(DecodeError):
        decode_all(raw[:cut])


def test_bit_string_helpers() -> None:
    bits = BitString.from_bits("10000000 1".replace(" ", ""))
    assert bits.data == b"\x80\x80" and bits.bit_length == 9
    assert str(bits) == "100000001"
    assert bits.bit(0) and not bits.bit(1) and bits.bit(8)
    with pytest.raises(ValueError):
        BitString(b"\x00", 9)


# ---------------------------------------------------------------- date-time (COSEM-FACTS 4.2)

CLOCK_EXAMPLE = bytes.fromhex("07E80301050C1E0F00FFC400")


def test_clock_example_decodes_to_cet_wall_time() -> None:
    stamp = CosemDateTime.from_bytes(CLOCK_EXAMPLE)
    assert (stamp.year, stamp.month, stamp.day, stamp.day_of_week) == (2024, 3, 1, 5)
    assert stamp.deviation == -60  # UTC+01:00 encodes as -60
    moment = stamp.to_datetime()
    assert moment == datetime(2024, 3, 1, 11, 30, 15, tzinfo=UTC)
    assert moment.utcoffset() == timedelta(hours=1)


def test_aware_datetime_encodes_to_the_clock_example() -> None:
    moment = datetime(2024, 3, 1, 12, 30, 15, tzinfo=timezone(timedelta(hours=1)))
    assert CosemDateTime.from_datetime(moment).to_bytes() == CLOCK_EXAMPLE


def test_opposite_deviation_sign_is_configurable() -> None:
    moment = datetime(2024, 3, 1, 12, 30, 15, tzinfo=timezone(timedelta(hours=1)))
    stamp = CosemDateTime.from_datetime(moment, deviation_sign=+1)
    assert stamp.deviation == 60
    assert stamp.to_datetime(deviation_sign=+1) == moment


def test_not_specified_fields() -> None:
    raw = bytes.fromhex("FFFF FE FF FF 02 00 00 FF 8000 FF")
    stamp = CosemDateTime.from_bytes(raw)
    assert stamp.year is None and stamp.month == 0xFE and stamp.deviation is None
    assert stamp.to_bytes() == raw
    with pytest.raises(ValueError):
        stamp.to_datetime()
    with pytest.raises(DecodeError):
        CosemDateTime.from_bytes(raw[:11])


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
    st.integers(-12 * 60, 12 * 60),
)
def test_datetime_round_trip(moment: datetime, offset_minutes: int) -> None:
    aware = moment.replace(
        microsecond=moment.microsecond // 10_000 * 10_000,
        tzinfo=timezone(timedelta(minutes=offset_minutes)),
    )
    stamp = CosemDateTime.from_datetime(aware)
    again = CosemDateTime.from_bytes(stamp.to_bytes()).to_datetime()
    assert again == aware and again.utcoffset() == aware.utcoffset()


def test_float_values_survive_exactly() -> None:
    assert decode_all(encode(Data.float64(math.pi))) == Data.float64(math.pi)


def test_float32_values_are_rounded_to_what_the_wire_carries() -> None:
    assert decode_all(encode(Data.float32(1.1))) == Data.float32(1.1)
    with pytest.raises(EncodeError):
        encode(Data.float32(1e300))
