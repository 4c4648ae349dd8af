"""SET-Request (0xC1) and SET-Response (0xC5): normal, with blocks, with-list."""

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

SET_REQUEST = 0xC1
SET_RESPONSE = 0xC5
_U32 = struct.Struct(">I")


@dataclass(frozen=True, slots=True)
class DataBlock:
    """DataBlock-SA: one slice of an encoded value sent in several SET requests."""

    last_block: bool
    block_number: int
    raw: bytes

    def to_bytes(self) -> bytes:
        return (
            bytes((1 if self.last_block else 0,))
            + _U32.pack(self.block_number)
            + encode_length(len(self.raw))
            + self.raw
        )

    @classmethod
    def read(cls, r: Reader) -> DataBlock:
        last = r.boolean("last-block")
        number = r.u32("block-number")
        return cls(last, number, r.octet_string("raw-data"))


@dataclass(frozen=True, slots=True)
class SetRequestNormal:
    attribute: AttributeDescriptor
    value: Data
    access: SelectiveAccess | None = None
    invoke: InvokeIdAndPriority = DEFAULT_INVOKE

    def to_bytes(self) -> bytes:
        return (
            bytes((SET_REQUEST, 1, self.invoke.to_byte()))
            + self.attribute.to_bytes()
            + encode_access(self.access)
            + encode(self.value)
        )


@dataclass(frozen=True, slots=True)
class SetRequestWithFirstDatablock:
    attribute: AttributeDescriptor
    block: DataBlock
    access: SelectiveAccess | None = None
    invoke: InvokeIdAndPriority = DEFAULT_INVOKE

    def to_bytes(self) -> bytes:
        return (
            bytes((SET_REQUEST, 2, self.invoke.to_byte()))
            + self.attribute.to_bytes()
            + encode_access(self.access)
            + self.block.to_bytes()
        )


@dataclass(frozen=True, slots=True)
class SetRequestWithDatablock:
    block: DataBlock
    invoke: InvokeIdAndPriority = DEFAULT_INVOKE

    def to_bytes(self) -> bytes:
        return bytes((SET_REQUEST, 3, self.invoke.to_byte())) + self.block.to_bytes()


@dataclass(frozen=True, slots=True)
class SetRequestWithList:
    attributes: tuple[AttributeWithSelection, ...]
    values: tuple[Data, ...]
    invoke: InvokeIdAndPriority = DEFAULT_INVOKE

    def to_bytes(self) -> bytes:
        return (
            bytes((SET_REQUEST, 4, self.invoke.to_byte()))
            + encode_length(len(self.attributes))
            + b"".join(a.to_bytes() for a in self.attributes)
            + encode_length(len(self.values))
            + b"".join(encode(v) for v in self.values)
        )


SetRequest = (
    SetRequestNormal | SetRequestWithFirstDatablock | SetRequestWithDatablock | SetRequestWithList
)


def _read_set_normal(r: Reader, invoke: InvokeIdAndPriority) -> SetRequest:
    attribute = AttributeDescriptor.read(r)
    access = read_access(r)
    return SetRequestNormal(attribute, r.data(), access, invoke)


def _read_set_first_block(r: Reader, invoke: InvokeIdAndPriority) -> SetRequest:
    attribute = AttributeDescriptor.read(r)
    access = read_access(r)
    return SetRequestWithFirstDatablock(attribute, DataBlock.read(r), access, invoke)


def _read_set_block(r: Reader, invoke: InvokeIdAndPriority) -> SetRequest:
    return SetRequestWithDatablock(DataBlock.read(r), invoke)


def _read_set_with_list(r: Reader, invoke: InvokeIdAndPriority) -> SetRequest:
    attributes = tuple(AttributeWithSelection.read(r) for _ in range(r.length()))
    values = tuple(r.data() for _ in range(r.length()))
    return SetRequestWithList(attributes, values, invoke)


_REQUESTS: dict[int, Callable[[Reader, InvokeIdAndPriority], SetRequest]] = {
    1: _read_set_normal,
    2: _read_set_first_block,
    3: _read_set_block,
    4: _read_set_with_list,
}


def parse_set_request(raw: bytes) -> SetRequest:
    return parse_service(raw, SET_REQUEST, "SET-Request", _REQUESTS)


# ---------------------------------------------------------------- responses


@dataclass(frozen=True, slots=True)
class SetResponseNormal:
    result: DataAccessResult
    invoke: InvokeIdAndPriority = DEFAULT_INVOKE

    def to_bytes(self) -> bytes:
        return bytes((SET_RESPONSE, 1, self.invoke.to_byte(), self.result))


@dataclass(frozen=True, slots=True)
class SetResponseDatablock:
    """Acknowledges block ``block_number``; the client sends the next one."""

    block_number: int
    invoke: InvokeIdAndPriority = DEFAULT_INVOKE

    def to_bytes(self) -> bytes:
        return bytes((SET_RESPONSE, 2, self.invoke.to_byte())) + _U32.pack(self.block_number)


@dataclass(frozen=True, slots=True)
class SetResponseLastDatablock:
    result: DataAccessResult
    block_number: int
    invoke: InvokeIdAndPriority = DEFAULT_INVOKE

    def to_bytes(self) -> bytes:
        head = bytes((SET_RESPONSE, 3, self.invoke.to_byte(), self.result))
        return head + _U32.pack(self.block_number)


@dataclass(frozen=True, slots=True)
class SetResponseWithList:
    results: tuple[DataAccessResult, ...]
    invoke: InvokeIdAndPriority = DEFAULT_INVOKE

    def to_bytes(self) -> bytes:
        return (
            bytes((SET_RESPONSE, 5, self.invoke.to_byte()))
            + encode_length(len(self.results))
            + bytes(self.results)
        )


SetResponse = (
    SetResponseNormal | SetResponseDatablock | SetResponseLastDatablock | SetResponseWithList
)


def _read_normal(r: Reader, invoke: InvokeIdAndPriority) -> SetResponse:
    return SetResponseNormal(read_data_access_result(r), invoke)


def _read_datablock(r: Reader, invoke: InvokeIdAndPriority) -> SetResponse:
    return SetResponseDatablock(r.u32("block-number"), invoke)


def _read_last_datablock(r: Reader, invoke: InvokeIdAndPriority) -> SetResponse:
    result = read_data_access_result(r)
    return SetResponseLastDatablock(result, r.u32("block-number"), invoke)


def _read_with_list(r: Reader, invoke: InvokeIdAndPriority) -> SetResponse:
    return SetResponseWithList(tuple(read_data_access_result(r) for _ in range(r.length())), invoke)


_RESPONSES: dict[int, Callable[[Reader, InvokeIdAndPriority], SetResponse]] = {
    1: _read_normal,
    2: _read_datablock,
    3: _read_last_datablock,
    5: _read_with_list,
}


def parse_set_response(raw: bytes) -> SetResponse:
    return parse_service(raw, SET_RESPONSE, "SET-Response", _RESPONSES)
