"""Differential tests against gurux-dlms (issue: "gurux-dlms decodes what we encode and we
decode what gurux-dlms encodes, to the same value").

Date-times are compared as instants (gurux writes day-of-week as "not specified"). Out of
scope, with reasons: date/time tags 26/27 (gurux turns them into GXDate/GXTime objects),
dont-care (gurux cannot decode tag 0xFF), compact-array (gurux cannot encode it), non-ASCII
utf8-string (gurux decodes it to hex text).
"""

from datetime import datetime, timedelta, timezone
from typing import Any

from axdr_strategies import values
from gurux_dlms import GXBitString, GXByteBuffer, GXDateTime, GXDLMSSettings, GXEnum
from gurux_dlms.GXFloat32 import GXFloat32
from gurux_dlms.internal._GXCommon import _GXCommon
from gurux_dlms.internal._GXDataInfo import _GXDataInfo
from hypothesis import given, settings
from hypothesis import strategies as st

from cosem.axdr import BitString, Data, DataType, decode_all, encode
from cosem.datetime_codec import CosemDateTime

_SETTINGS = GXDLMSSettings(True, None)


def gurux_encode(data: Data) -> bytes:
    """Encode with gurux: containers walked here, every leaf and count written by gurux."""
    buffer = GXByteBuffer()
    _gurux_write(buffer, data)
    return bytes(buffer.array())


def _gurux_write(buffer: GXByteBuffer, data: Data) -> None:
    if isinstance(data.value, tuple):
        buffer.setUInt8(int(data.type))
        _GXCommon.setObjectCount(len(data.value), buffer)
        for item in data.value:
            _gurux_write(buffer, item)
        return
    value: Any = data.value
    if isinstance(value, BitString):
        value = str(value)
    if data.type is DataType.BCD:
        value = int(value)
    _GXCommon.setData(_SETTINGS, buffer, int(data.type), value)


def gurux_decode(raw: bytes) -> Any:
    buffer = GXByteBuffer(raw)
    info = _GXDataInfo()
    value = _GXCommon.getData(_SETTINGS, buffer, info)
    assert info.complete and buffer.position == len(raw)
    return plain(value)


def plain(value: Any) -> Any:
    """gurux's decoded objects as plain Python values."""
    if isinstance(value, list):  # GXArray and GXStructure are lists
        return [plain(v) for v in value]
    if isinstance(value, GXEnum):
        return int(value)
    if isinstance(value, GXFloat32):
        return float(value)
    if isinstance(value, GXBitString):
        return str(value)
    if isinstance(value, bytearray):
        return bytes(value)
    return value


def our_plain(data: Data) -> Any:
    if isinstance(data.value, tuple):
        return [our_plain(item) for item in data.value]
    if isinstance(data.value, BitString):
        return str(data.value)
    return data.value


@settings(max_examples=300, deadline=None)
@given(values(ascii_only=True))
def test_gurux_decodes_what_we_encode_to_the_same_value(data: Data) -> None:
    assert gurux_decode(encode(data)) == our_plain(data)


@settings(max_examples=300, deadline=None)
@given(values(ascii_only=True))
def test_we_decode_what_gurux_encodes_to_the_same_value(data: Data) -> None:
    raw = gurux_encode(data)
    assert decode_all(raw) == data
    assert encode(data) == raw  # byte for byte the same encoding


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    """Aware datetimes to the hundredth of a second, any offset within +-12 h."""
    moment = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
    offset = timezone(timedelta(minutes=draw(st.integers(-12 * 60, 12 * 60))))
    return moment.replace(microsecond=moment.microsecond // 10_000 * 10_000, tzinfo=offset)


@settings(max_examples=100, deadline=None)
@given(instants())
def test_gurux_reads_our_date_time_as_the_same_instant(moment: datetime) -> None:
    raw = encode(Data.date_time(CosemDateTime.from_datetime(moment).to_bytes()))
    buffer = GXByteBuffer(raw)
    decoded = _GXCommon.getData(_SETTINGS, buffer, _GXDataInfo())
    assert decoded.value == moment and buffer.position == len(raw)


@settings(max_examples=100, deadline=None)
@given(instants())
def test_we_read_gurux_date_time_as_the_same_instant(moment: datetime) -> None:
    buffer = GXByteBuffer()
    _GXCommon.setData(_SETTINGS, buffer, int(DataType.DATE_TIME), GXDateTime(moment))
    data = decode_all(bytes(buffer.array()))
    assert isinstance(data.value, bytes)
    stamp = CosemDateTime.from_bytes(data.value)
    assert stamp.to_datetime() == moment
    assert stamp.to_datetime().utcoffset() == moment.utcoffset()
