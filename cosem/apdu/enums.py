"""Result codes and flags of ACSE and xDLMS, named as in the standard (COSEM-FACTS 5.5, 8.3)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag

from cosem.errors import DecodeError


class DataAccessResult(IntEnum):
    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_GET_ABORTED = 15
    NO_LONG_GET_IN_PROGRESS = 16
    LONG_SET_ABORTED = 17
    NO_LONG_SET_IN_PROGRESS = 18
    DATA_BLOCK_NUMBER_INVALID = 19
    OTHER_REASON = 250


class ActionResult(IntEnum):
    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_ACTION_ABORTED = 15
    NO_LONG_ACTION_IN_PROGRESS = 16
    OTHER_REASON = 250


class StateError(IntEnum):
    SERVICE_NOT_ALLOWED = 1
    SERVICE_UNKNOWN = 2


class ServiceError(IntEnum):
    OPERATION_NOT_POSSIBLE = 1
    SERVICE_NOT_SUPPORTED = 2
    OTHER_REASON = 3
    PDU_TOO_LONG = 4
    DECIPHERING_ERROR = 5
    INVOCATION_COUNTER_ERROR = 6


class Conformance(IntFlag):
    """The 24-bit conformance block. Member value ``1 << n`` is wire bit n, bit 0 being the MSB
    of the first byte (the numbering of the standard and of gurux's ``Conformance``)."""

    NONE = 0
    RESERVED_ZERO = 1 << 0
    GENERAL_PROTECTION = 1 << 1
    GENERAL_BLOCK_TRANSFER = 1 << 2
    READ = 1 << 3
    WRITE = 1 << 4
    UNCONFIRMED_WRITE = 1 << 5
    DELTA_VALUE_ENCODING = 1 << 6
    RESERVED_SEVEN = 1 << 7
    ATTRIBUTE0_SUPPORTED_WITH_SET = 1 << 8
    PRIORITY_MGMT_SUPPORTED = 1 << 9
    ATTRIBUTE0_SUPPORTED_WITH_GET = 1 << 10
    BLOCK_TRANSFER_WITH_GET_OR_READ = 1 << 11
    BLOCK_TRANSFER_WITH_SET_OR_WRITE = 1 << 12
    BLOCK_TRANSFER_WITH_ACTION = 1 << 13
    MULTIPLE_REFERENCES = 1 << 14
    INFORMATION_REPORT = 1 << 15
    DATA_NOTIFICATION = 1 << 16
    ACCESS = 1 << 17
    PARAMETERIZED_ACCESS = 1 << 18
    GET = 1 << 19
    SET = 1 << 20
    SELECTIVE_ACCESS = 1 << 21
    EVENT_NOTIFICATION = 1 << 22
    ACTION = 1 << 23

    def to_wire(self) -> bytes:
        """The 3 content bytes of the conformance bit string."""
        bits = int(self)
        wire = 0
        for n in range(24):
            if bits & (1 << n):
                wire |= 1 << (23 - n)
        return wire.to_bytes(3, "big")

    @classmethod
    def from_wire(cls, raw: bytes) -> Conformance:
        if len(raw) != 3:
            raise DecodeError(f"conformance needs 3 bytes, got {len(raw)}")
        wire = int.from_bytes(raw, "big")
        bits = 0
        for n in range(24):
            if wire & (1 << (23 - n)):
                bits |= 1 << n
        return cls(bits)


class AcseResult(IntEnum):
    ACCEPTED = 0
    REJECTED_PERMANENT = 1
    REJECTED_TRANSIENT = 2


class DiagnosticSource(IntEnum):
    """Which side of ACSE produced the result-source-diagnostic (its BER context tag)."""

    ACSE_SERVICE_USER = 1
    ACSE_SERVICE_PROVIDER = 2


class AssociationDiagnostic(IntEnum):
    """acse-service-user result-source-diagnostic values."""

    NULL = 0
    NO_REASON_GIVEN = 1
    APPLICATION_CONTEXT_NAME_NOT_SUPPORTED = 2
    CALLING_AP_TITLE_NOT_RECOGNIZED = 3
    CALLING_AP_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = 4
    CALLING_AE_QUALIFIER_NOT_RECOGNIZED = 5
    CALLING_AE_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = 6
    CALLED_AP_TITLE_NOT_RECOGNIZED = 7
    CALLED_AP_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = 8
    CALLED_AE_QUALIFIER_NOT_RECOGNIZED = 9
    CALLED_AE_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = 10
    AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED = 11
    AUTHENTICATION_MECHANISM_NAME_REQUIRED = 12
    AUTHENTICATION_FAILURE = 13
    AUTHENTICATION_REQUIRED = 14


class ReleaseRequestReason(IntEnum):
    NORMAL = 0
    URGENT = 1
    USER_DEFINED = 30


class ReleaseResponseReason(IntEnum):
    NORMAL = 0
    NOT_FINISHED = 1
    USER_DEFINED = 30


ReleaseReason = ReleaseRequestReason


class ApplicationContext(IntEnum):
    """Last arc of the application-context-name 2.16.756.5.8.1.x."""

    LOGICAL_NAME = 1
    SHORT_NAME = 2
    LOGICAL_NAME_CIPHERED = 3
    SHORT_NAME_CIPHERED = 4


class AuthenticationMechanism(IntEnum):
    """Last arc of the mechanism-name 2.16.756.5.8.2.x."""

    NONE = 0
    LLS = 1
    HLS = 2
    HLS_MD5 = 3
    HLS_SHA1 = 4
    HLS_GMAC = 5
    HLS_SHA256 = 6
    HLS_ECDSA = 7


@dataclass(frozen=True, slots=True)
class InvokeIdAndPriority:
    """The invoke-id-and-priority byte: bit 7 high priority, bit 6 confirmed, bits 3..0 id."""

    invoke_id: int = 1
    confirmed: bool = True
    high_priority: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.invoke_id <= 15:
            raise ValueError(f"invoke-id must be 0..15, got {self.invoke_id}")

    def to_byte(self) -> int:
        return (
            (0x80 if self.high_priority else 0) | (0x40 if self.confirmed else 0) | self.invoke_id
        )

    @classmethod
    def from_byte(cls, byte: int) -> InvokeIdAndPriority:
        return _IIP_BY_BYTE[byte]


_IIP_BY_BYTE = [InvokeIdAndPriority(b & 0x0F, bool(b & 0x40), bool(b & 0x80)) for b in range(256)]
DEFAULT_INVOKE = InvokeIdAndPriority()
