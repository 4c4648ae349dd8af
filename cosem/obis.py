"""OBIS codes (IEC 62056-61): six value groups A-F, parsed from the usual written forms.

Accepted spellings:
- ``A-B:C.D.E.F`` (``1-0:1.8.1.255``), also with ``*`` before F (``1-0:1.8.1*255``)
  and ``A-B:C.D.E`` (F = 255);
- six dotted groups ``A.B.C.D.E.F`` (``1.0.1.8.1.255``);
- the short electricity form ``C.D.E`` (``1.8.1``): A = 1 (electricity), B = 0, F = 255.
  The short form is only for electricity: abstract or gas objects (``0-0:96.1.0.255``,
  ``7-0:3.0.0.255``) must be written in full, because ``0.0.96`` would otherwise be ambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cosem.errors import DecodeError

_FULL = re.compile(r"^(\d+)-(\d+):(\d+)\.(\d+)\.(\d+)(?:[.*](\d+))?$")
_DOTTED = re.compile(r"^(\d+)\.(\d+)\.(\d+)\.(\d+)\.(\d+)\.(\d+)$")
_SHORT = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
# Every request names its object by 6 bytes: the meter's OBIS codes are parsed once. Bounded,
# so a client sending random codes cannot grow it without limit.
_CACHE_LIMIT = 4096
_FROM_BYTES: dict[bytes, Obis] = {}


@dataclass(frozen=True, slots=True)
class Obis:
    a: int
    b: int
    c: int
    d: int
    e: int
    f: int = 255

    def __post_init__(self) -> None:
        for group in (self.a, self.b, self.c, self.d, self.e, self.f):
            if not 0 <= group <= 255:
                raise ValueError(f"OBIS value group out of range 0..255: {group}")

    @classmethod
    def parse(cls, text: str) -> Obis:
        """Parse any accepted spelling (see module docstring); ValueError otherwise."""
        text = text.strip()
        if match := _FULL.match(text):
            groups = [int(g) for g in match.groups(default="255")]
            return cls(*groups)
        if match := _DOTTED.match(text):
            return cls(*(int(g) for g in match.groups()))
        if match := _SHORT.match(text):
            c, d, e = (int(g) for g in match.groups())
            return cls(1, 0, c, d, e, 255)
        raise ValueError(
            f"not an OBIS code: {text!r} "
            "(write A-B:C.D.E.F like 1-0:1.8.1.255, or C.D.E like 1.8.1)"
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> Obis:
        cached = _FROM_BYTES.get(raw)
        if cached is not None:
            return cached
        if len(raw) != 6:
            raise DecodeError(f"OBIS code needs 6 bytes, got {len(raw)}")
        obis = cls(raw[0], raw[1], raw[2], raw[3], raw[4], raw[5])
        if len(_FROM_BYTES) < _CACHE_LIMIT:
            _FROM_BYTES[bytes(raw)] = obis
        return obis

    def to_bytes(self) -> bytes:
        return bytes((self.a, self.b, self.c, self.d, self.e, self.f))

    def __str__(self) -> str:
        return f"{self.a}-{self.b}:{self.c}.{self.d}.{self.e}.{self.f}"
