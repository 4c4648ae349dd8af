"""A bounds-checked cursor over an APDU: every read raises DecodeError, never IndexError."""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import TypeVar

from cosem.axdr import Data, decode, decode_length
from cosem.errors import DecodeError

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")


class Reader:
    __slots__ = ("buf", "pos", "what")

    def __init__(self, buf: bytes, what: str, pos: int = 0) -> None:
        self.buf = buf
        self.pos = pos
        self.what = what

    def _need(self, size: int, field: str) -> int:
        start = self.pos
        if start + size > len(self.buf):
            raise DecodeError(f"{self.what}: truncated in {field}", start)
        self.pos = start + size
        return start

    def expect(self, tag: int) -> None:
        """The APDU tag byte."""
        found = self.u8("tag")
        if found != tag:
            raise DecodeError(f"{self.what}: expected tag 0x{tag:02X}, found 0x{found:02X}", 0)

    def u8(self, field: str) -> int:
        return self.buf[self._need(1, field)]

    def u16(self, field: str) -> int:
        return int(_U16.unpack_from(self.buf, self._need(2, field))[0])

    def u32(self, field: str) -> int:
        return int(_U32.unpack_from(self.buf, self._need(4, field))[0])

    def take(self, size: int, field: str) -> bytes:
        start = self._need(size, field)
        return bytes(self.buf[start : start + size])

    def boolean(self, field: str) -> bool:
        """A BOOLEAN: zero is FALSE, anything else TRUE."""
        return self.u8(field) != 0

    def choice(self, field: str) -> bool:
        """An OPTIONAL marker or a two-way CHOICE: exactly 0 or 1."""
        value = self.u8(field)
        if value > 1:
            raise DecodeError(f"{self.what}: {field} must be 0 or 1, got {value}", self.pos - 1)
        return value == 1

    def length(self) -> int:
        value, self.pos = decode_length(self.buf, self.pos)
        return value

    def octet_string(self, field: str) -> bytes:
        return self.take(self.length(), field)

    def data(self) -> Data:
        value, self.pos = decode(self.buf, self.pos)
        return value

    def rest(self) -> bytes:
        start, self.pos = self.pos, len(self.buf)
        return bytes(self.buf[start:])

    def at_end(self) -> bool:
        return self.pos >= len(self.buf)

    def finish(self) -> None:
        if self.pos != len(self.buf):
            raise DecodeError(f"{self.what}: {len(self.buf) - self.pos} trailing bytes", self.pos)


E = TypeVar("E", bound=IntEnum)


def enum_value(enum_type: type[E], value: int, field: str) -> E:
    """Map a wire code to its enum member (DecodeError on an unknown code)."""
    try:
        return enum_type(value)
    except ValueError:
        raise DecodeError(f"unknown {field} code {value}") from None
