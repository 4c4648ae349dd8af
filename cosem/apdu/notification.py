"""Exception-Response (0xD8), Data-Notification (0x0F) and confirmedServiceError (0x0E)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cosem.apdu.enums import ServiceError, StateError
from cosem.apdu.reader import Reader, enum_value
from cosem.axdr import Data, encode, encode_length
from cosem.errors import DecodeError

EXCEPTION_RESPONSE = 0xD8
DATA_NOTIFICATION = 0x0F
CONFIRMED_SERVICE_ERROR = 0x0E
_U32 = struct.Struct(">I")


@dataclass(frozen=True, slots=True)
class ExceptionResponse:
    state_error: StateError
    service_error: ServiceError
    invocation_counter: int | None = None  # only with INVOCATION_COUNTER_ERROR

    def to_bytes(self) -> bytes:
        body = bytes((EXCEPTION_RESPONSE, self.state_error, self.service_error))
        if self.invocation_counter is None:
            return body
        return body + _U32.pack(self.invocation_counter)


def parse_exception_response(raw: bytes) -> ExceptionResponse:
    r = Reader(raw, "Exception-Response")
    r.expect(EXCEPTION_RESPONSE)
    state = enum_value(StateError, r.u8("state-error"), "state-error")
    service = enum_value(ServiceError, r.u8("service-error"), "service-error")
    counter = None
    if service is ServiceError.INVOCATION_COUNTER_ERROR and not r.at_end():
        counter = r.u32("invocation-counter")
    r.finish()
    return ExceptionResponse(state, service, counter)


@dataclass(frozen=True, slots=True)
class DataNotification:
    long_invoke_id: int
    date_time: bytes | None
    body: Data

    def to_bytes(self) -> bytes:
        stamp = b"\x00" if self.date_time is None else encode_length(len(self.date_time))
        return (
            bytes((DATA_NOTIFICATION,))
            + _U32.pack(self.long_invoke_id)
            + stamp
            + (self.date_time or b"")
            + encode(self.body)
        )


def parse_data_notification(raw: bytes) -> DataNotification:
    r = Reader(raw, "Data-Notification")
    r.expect(DATA_NOTIFICATION)
    invoke = r.u32("long-invoke-id-and-priority")
    stamp = r.octet_string("date-time")
    body = r.data()
    r.finish()
    return DataNotification(invoke, stamp or None, body)


@dataclass(frozen=True, slots=True)
class ConfirmedServiceError:
    """confirmedServiceError: which service failed (1 = initiateError) and the ServiceError
    CHOICE (``error_kind`` 6 = initiate, with ``error_value`` 1 dlms-version-too-low,
    2 incompatible-conformance, 3 pdu-size-too-short, 4 refused-by-the-VDE-handler)."""

    service: int
    error_kind: int
    error_value: int

    def to_bytes(self) -> bytes:
        return bytes((CONFIRMED_SERVICE_ERROR, self.service, self.error_kind, self.error_value))


def parse_confirmed_service_error(raw: bytes) -> ConfirmedServiceError:
    r = Reader(raw, "confirmedServiceError")
    r.expect(CONFIRMED_SERVICE_ERROR)
    error = ConfirmedServiceError(r.u8("service"), r.u8("service-error"), r.u8("error value"))
    r.finish()
    if error.error_kind > 10:
        raise DecodeError(f"unknown ServiceError choice {error.error_kind}", 2)
    return error
