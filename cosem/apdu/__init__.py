"""xDLMS and ACSE APDUs as frozen dataclasses; ``parse_apdu`` dispatches on the tag byte."""

from __future__ import annotations

from collections.abc import Callable

from cosem.apdu.acse import (
    AARE,
    AARQ,
    RLRE,
    RLRQ,
    InitiateRequest,
    InitiateResponse,
)
from cosem.apdu.action import (
    ActionRequest,
    ActionRequestNormal,
    ActionResponse,
    ActionResponseNormal,
    parse_action_request,
    parse_action_response,
)
from cosem.apdu.descriptors import (
    AttributeDescriptor,
    AttributeWithSelection,
    MethodDescriptor,
    SelectiveAccess,
)
from cosem.apdu.enums import (
    DEFAULT_INVOKE,
    AcseResult,
    ActionResult,
    ApplicationContext,
    AssociationDiagnostic,
    AuthenticationMechanism,
    Conformance,
    DataAccessResult,
    DiagnosticSource,
    InvokeIdAndPriority,
    ReleaseReason,
    ReleaseRequestReason,
    ReleaseResponseReason,
    ServiceError,
    StateError,
)
from cosem.apdu.get import (
    GetRequest,
    GetRequestNext,
    GetRequestNormal,
    GetRequestWithList,
    GetResponse,
    GetResponseNormal,
    GetResponseWithDatablock,
    GetResponseWithList,
    parse_get_request,
    parse_get_request_normal,
    parse_get_response,
)
from cosem.apdu.notification import (
    ConfirmedServiceError,
    DataNotification,
    ExceptionResponse,
    parse_confirmed_service_error,
    parse_data_notification,
    parse_exception_response,
)
from cosem.apdu.set import (
    DataBlock,
    SetRequest,
    SetRequestNormal,
    SetRequestWithDatablock,
    SetRequestWithFirstDatablock,
    SetRequestWithList,
    SetResponse,
    SetResponseDatablock,
    SetResponseLastDatablock,
    SetResponseNormal,
    SetResponseWithList,
    parse_set_request,
    parse_set_response,
)
from cosem.errors import DecodeError

Apdu = (
    AARQ
    | AARE
    | RLRQ
    | RLRE
    | GetRequest
    | GetResponse
    | SetRequest
    | SetResponse
    | ActionRequest
    | ActionResponse
    | ExceptionResponse
    | DataNotification
    | ConfirmedServiceError
)

_PARSERS: dict[int, Callable[[bytes], Apdu]] = {
    0x60: AARQ.from_bytes,
    0x61: AARE.from_bytes,
    0x62: RLRQ.from_bytes,
    0x63: RLRE.from_bytes,
    0xC0: parse_get_request,
    0xC4: parse_get_response,
    0xC1: parse_set_request,
    0xC5: parse_set_response,
    0xC3: parse_action_request,
    0xC7: parse_action_response,
    0xD8: parse_exception_response,
    0x0F: parse_data_notification,
    0x0E: parse_confirmed_service_error,
}


def parse_apdu(raw: bytes) -> Apdu:
    """Decode any supported APDU; DecodeError on garbage or an unsupported tag."""
    if not raw:
        raise DecodeError("empty APDU")
    parser = _PARSERS.get(raw[0])
    if parser is None:
        raise DecodeError(f"unsupported APDU tag 0x{raw[0]:02X}", 0)
    return parser(raw)


__all__ = [
    "AARE",
    "AARQ",
    "DEFAULT_INVOKE",
    "RLRE",
    "RLRQ",
    "AcseResult",
    "ActionRequest",
    "ActionRequestNormal",
    "ActionResponse",
    "ActionResponseNormal",
    "ActionResult",
    "Apdu",
    "ApplicationContext",
    "AssociationDiagnostic",
    "AttributeDescriptor",
    "AttributeWithSelection",
    "AuthenticationMechanism",
    "ConfirmedServiceError",
    "Conformance",
    "DataAccessResult",
    "DataBlock",
    "DataNotification",
    "DiagnosticSource",
    "ExceptionResponse",
    "GetRequest",
    "GetRequestNext",
    "GetRequestNormal",
    "GetRequestWithList",
    "GetResponse",
    "GetResponseNormal",
    "GetResponseWithDatablock",
    "GetResponseWithList",
    "InitiateRequest",
    "InitiateResponse",
    "InvokeIdAndPriority",
    "MethodDescriptor",
    "ReleaseReason",
    "ReleaseRequestReason",
    "ReleaseResponseReason",
    "SelectiveAccess",
    "ServiceError",
    "SetRequest",
    "SetRequestNormal",
    "SetRequestWithDatablock",
    "SetRequestWithFirstDatablock",
    "SetRequestWithList",
    "SetResponse",
    "SetResponseDatablock",
    "SetResponseLastDatablock",
    "SetResponseNormal",
    "SetResponseWithList",
    "StateError",
    "parse_action_request",
    "parse_action_response",
    "parse_apdu",
    "parse_confirmed_service_error",
    "parse_data_notification",
    "parse_exception_response",
    "parse_get_request",
    "parse_get_request_normal",
    "parse_get_response",
    "parse_set_request",
    "parse_set_response",
]
