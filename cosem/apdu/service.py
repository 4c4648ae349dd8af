"""What the xDLMS service APDUs (GET, SET, ACTION) share on the wire: the header (tag,
service-type CHOICE, invoke-id-and-priority) before each type's body, and Data-Access-Result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from cosem.apdu.enums import DataAccessResult, InvokeIdAndPriority
from cosem.apdu.reader import Reader, enum_value
from cosem.errors import DecodeError

T = TypeVar("T")


def parse_service(
    raw: bytes,
    tag: int,
    what: str,
    bodies: Mapping[int, Callable[[Reader, InvokeIdAndPriority], T]],
) -> T:
    """``what`` is e.g. "GET-Request"; ``bodies`` reads the body of each service type."""
    r = Reader(raw, what)
    r.expect(tag)
    kind = r.u8(f"{what.rsplit('-', 1)[-1].lower()} type")
    body = bodies.get(kind)
    if body is None:
        raise DecodeError(f"unknown {what} type {kind}", 1)
    message = body(r, InvokeIdAndPriority.from_byte(r.u8("invoke-id-and-priority")))
    r.finish()
    return message


def read_data_access_result(r: Reader) -> DataAccessResult:
    return enum_value(DataAccessResult, r.u8("data-access-result"), "data-access-result")
