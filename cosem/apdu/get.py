"""GET-Request (0xC0) and GET-Response (0xC4): normal, next (block transfer), with-list."""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from cosem.apdu.descriptors import (
    AttributeDescriptor,
    AttributeWithSelection,
    SelectiveAccess,
    encode_access,
    read_access,
)
from cosem.apdu.enums import DEFAULT_INVOKE, DataAccessResult, InvokeIdAndPriority
from cosem.apdu.reader import Reader
from cosem.apdu.service import parse_service, read_data_access_result
from cosem.axdr import Data, encode, encode_length
from cosem.errors import DecodeError
from cosem.obis import Obis

GET_REQUEST = 0xC0
GET_RESPONSE = 0xC4
_U32 = struct.Struct(">I")
_NORMAL_PLAIN = struct.Struct(">BBBH6sBB")  # tag, subtype, iip, class, LN, attr, no-access


@dataclass(frozen=True, slots=True)
class GetRequestNormal:
    attribute: AttributeDescriptor
    access: SelectiveAccess | None = None
    invoke: InvokeIdAndPriority = DEFAULT_INVOKE

    def to_bytes(self) -> bytes:
        return (
            bytes((GET_REQUEST, 1, self.invoke.to_byte()))
            + self.attribute.to_bytes()
            + encode_access(self.access)
        )


@dataclass(frozen=True, slots=True)
class GetRequestNext:
    block_number: int
    invoke: InvokeIdAndPriority = DEFAULT_INVOKE

    def to_bytes(self) -> bytes:
        return bytes((GET_REQUEST, 2, self.invoke.to_byte())) + _U32.pack(self.block_number)


@dataclass(frozen=True, slots=True)
class GetRequestWithList:
    attributes: tuple[AttributeWithSelection, ...]
    invoke: InvokeIdAndPriority = DEFAULT_INVOKE

    def to_bytes(self) -> bytes:
        return (
            bytes((GET_REQUEST, 3, self.invoke.to_byte()))
            + encode_length(len(self.attributes))
            + b"".join(a.to_bytes() for a in self.attributes)
        )


GetRequest = GetRequestNormal | GetRequestNext | GetRequestWithList


def parse_get_request_normal(raw: bytes) -> GetRequestNormal:
    """Fast path for the meter's most frequent request (no selective access): one unpack."""
    if len(raw) == _NORMAL_PLAIN.size and raw[0] == GET_REQUEST and raw[1] == 1 and raw[12] == 0:
        _, _, iip, class_id, ln, attr, _ = _NORMAL_PLAIN.unpack(raw)
        return GetRequestNormal(
            AttributeDescriptor(class_id, Obis.from_bytes(ln), attr),
            None,
            InvokeIdAndPriority.from_byte(iip),
        )
    request = parse_get_request(raw)
    if not isinstance(request, GetRequestNormal):
        raise DecodeError("not a GET-Request-Normal")
    return request


def _read_get_request_normal(r: Reader, invoke: InvokeIdAndPriority) -> GetRequest:
    return GetRequestNormal(AttributeDescriptor.read(r), read_access(r), invoke)


def _read_get_request_next(r: Reader, invoke: InvokeIdAndPriority) -> GetRequest:
    return GetRequestNext(r.u32("block-number"), invoke)


def _read_get_request_with_list(r: Reader, invoke: InvokeIdAndPriority) -> GetRequest:
    count = r.length()
    return GetRequestWithList(tuple(AttributeWithSelection.read(r) for _ in range(count)), invoke)


_REQUESTS: dict[int, Callable[[Reader, InvokeIdAndPriority], GetRequest]] = {
    1: _read_get_request_normal,
    2: _read_get_request_next,
    3: _read_get_request_with_list,
}


def parse_get_request(raw: bytes) -> GetRequest:
    return parse_service(raw, GET_REQUEST, "GET-Request", _REQUESTS)


# ---------------------------------------------------------------- responses


def encode_get_data_result(result: Data | DataAccessResult) -> bytes:
    """Get-Data-Result: CHOICE data [0] / data-access-result [1]."""
    if isinstance(result, Data):
        return b"\x00" + encode(result)
    return bytes((1, result))


def read_get_data_result(r: Reader) -> Data | DataAccessResult:
    if r.choice("get-data-result choice"):
        return read_data_access_result(r)
    return r.data()


@dataclass(frozen=True, slots=True)
class GetResponseNormal:
    result: Data | DataAccessResult
    invoke: InvokeIdAndPriority = DEFAULT_INVOKE

    def to_bytes(self) -> bytes:
        head = bytes((GET_RESPONSE, 1, self.invoke.to_byte()))
        return head + encode_get_data_result(self.result)


@dataclass(frozen=True, slots=True)
class GetResponseWithDatablock:
    """One block of a long GET: ``raw`` is a slice of the encoded Data (or a refusal)."""

    last_block: bool
    block_number: int
    raw: bytes | DataAccessResult
    invoke: InvokeIdAndPriority = DEFAULT_INVOKE

    def to_bytes(self) -> bytes:
        head = bytes((GET_RESPONSE, 2, self.invoke.to_byte(), 1 if self.last_block else 0))
        head += _U32.pack(self.block_number)
        if isinstance(self.raw, bytes):
            return head + b"\x00" + encode_length(len(self.raw)) + self.raw
        return head + bytes((1, self.raw))


@dataclass(frozen=True, slots=True)
class GetResponseWithList:
    results: tuple[Data | DataAccessResult, ...]
    invoke: InvokeIdAndPriority = DEFAULT_INVOKE

    def to_bytes(self) -> bytes:
        return (
            bytes((GET_RESPONSE, 3, self.invoke.to_byte()))
            + encode_length(len(self.results))
            + b"".join(encode_get_data_result(x) for x in self.results)
        )


GetResponse = GetResponseNormal | GetResponseWithDatablock | GetResponseWithList


def _read_get_response_normal(r: Reader, invoke: InvokeIdAndPriority) -> GetResponse:
    return GetResponseNormal(read_get_data_result(r), invoke)


def _read_get_response_datablock(r: Reader, invoke: InvokeIdAndPriority) -> GetResponse:
    last = r.boolean("last-block")
    number = r.u32("block-number")
    raw = read_data_access_result(r) if r.choice("raw-data choice") else r.octet_string("raw-data")
    return GetResponseWithDatablock(last, number, raw, invoke)


def _read_get_response_with_list(r: Reader, invoke: InvokeIdAndPriority) -> GetResponse:
    count = r.length()
    return GetResponseWithList(tuple(read_get_data_result(r) for _ in range(count)), invoke)


_RESPONSES: dict[int, Callable[[Reader, InvokeIdAndPriority], GetResponse]] = {
    1: _read_get_response_normal,
    2: _read_get_response_datablock,
    3: _read_get_response_with_list,
}


def parse_get_response(raw: bytes) -> GetResponse:
    return parse_service(raw, GET_RESPONSE, "GET-Response", _RESPONSES)
