"""ACSE APDUs (BER): AARQ 0x60, AARE 0x61, RLRQ 0x62, RLRE 0x63, and the xDLMS
InitiateRequest/InitiateResponse carried in their user-information (COSEM-FACTS 5.5).

BER lengths are written in the short form where possible; the long forms 0x81/0x82 (and up
to 0x84) are accepted. Unknown optional ACSE fields are skipped, as the standard allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, TypeVar

from cosem.apdu.enums import (
    AcseResult,
    ApplicationContext,
    AssociationDiagnostic,
    AuthenticationMechanism,
    Conformance,
    DiagnosticSource,
    ReleaseRequestReason,
    ReleaseResponseReason,
)
from cosem.apdu.notification import (
    CONFIRMED_SERVICE_ERROR,
    ConfirmedServiceError,
    parse_confirmed_service_error,
)
from cosem.apdu.reader import Reader, enum_value
from cosem.errors import DecodeError, EncodeError

AARQ_TAG = 0x60
AARE_TAG = 0x61
RLRQ_TAG = 0x62
RLRE_TAG = 0x63
INITIATE_REQUEST = 0x01
INITIATE_RESPONSE = 0x08
_CONTEXT_OID = bytes.fromhex("6085740508") + b"\x01"
_MECHANISM_OID = bytes.fromhex("6085740508") + b"\x02"
_CONFORMANCE_TAG = b"\x5f\x1f\x04\x00"  # [APPLICATION 31] IMPLICIT BIT STRING, 0 unused bits
_ACSE_REQUIREMENTS = b"\x07\x80"  # bit string, authentication functional unit
VAA_NAME_LN = 0x0007
VAA_NAME_SN = 0xFA00
_USER_DIAGNOSTICS = frozenset(int(d) for d in AssociationDiagnostic)


# ---------------------------------------------------------------- BER primitives


def ber_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    if n <= 0xFF:
        return bytes((0x81, n))
    if n <= 0xFFFF:
        return bytes((0x82, n >> 8, n & 0xFF))
    raise EncodeError(f"BER length {n} too large for an ACSE APDU")


def tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + ber_length(len(content)) + content


def _read_ber_length(r: Reader) -> int:
    first = r.u8("BER length")
    if first < 0x80:
        return first
    size = first & 0x7F
    if not 1 <= size <= 4:
        raise DecodeError(f"{r.what}: bad BER length prefix 0x{first:02X}", r.pos - 1)
    return int.from_bytes(r.take(size, "BER length"), "big")


def _read_tlv(r: Reader) -> tuple[int, bytes]:
    tag = r.u8("BER tag")
    return tag, r.take(_read_ber_length(r), f"BER field 0x{tag:02X}")


def _fields(raw: bytes, tag: int, what: str) -> list[tuple[int, bytes]]:
    """The TLVs inside an ACSE APDU (the outer tag and length checked)."""
    r = Reader(raw, what)
    r.expect(tag)
    content = r.take(_read_ber_length(r), what)
    r.finish()
    inner = Reader(content, what)
    fields = []
    while not inner.at_end():
        fields.append(_read_tlv(inner))
    return fields


def _inner(value: bytes, tag: int, what: str) -> bytes:
    """Unwrap one nested TLV (e.g. the OBJECT IDENTIFIER inside A1)."""
    r = Reader(value, what)
    found, content = _read_tlv(r)
    r.finish()
    if found != tag:
        raise DecodeError(f"{what}: expected BER tag 0x{tag:02X}, found 0x{found:02X}")
    return content


def _small_int(value: bytes, what: str) -> int:
    content = _inner(value, 0x02, what)
    if not 1 <= len(content) <= 2:
        raise DecodeError(f"{what}: INTEGER of {len(content)} bytes")
    return int.from_bytes(content, "big")


def _context(value: bytes) -> ApplicationContext:
    oid = _inner(value, 0x06, "application-context-name")
    if len(oid) != 7 or oid[:6] != _CONTEXT_OID:
        raise DecodeError(f"application-context-name not DLMS: {oid.hex()}")
    return enum_value(ApplicationContext, oid[6], "application-context-name")


def _mechanism(oid: bytes) -> AuthenticationMechanism:
    if len(oid) != 7 or oid[:6] != _MECHANISM_OID:
        raise DecodeError(f"mechanism-name not DLMS: {oid.hex()}")
    return enum_value(AuthenticationMechanism, oid[6], "mechanism-name")


def _encode_context(context: ApplicationContext) -> bytes:
    return tlv(0xA1, tlv(0x06, _CONTEXT_OID + bytes((context,))))


def _authentication_value(value: bytes) -> bytes:
    """charstring [0] of Authentication-value (the only choice DLMS uses)."""
    return _inner(value, 0x80, "authentication-value")


def _user_information(value: bytes) -> bytes:
    return _inner(value, 0x04, "user-information")


# ---------------------------------------------------------------- xDLMS initiate


@dataclass(frozen=True, slots=True)
class InitiateRequest:
    TAG: ClassVar[int] = INITIATE_REQUEST
    proposed_conformance: Conformance
    proposed_max_pdu_size: int
    dedicated_key: bytes | None = None
    response_allowed: bool = True
    quality_of_service: int | None = None
    dlms_version: int = 6

    def to_bytes(self) -> bytes:
        out = bytearray((INITIATE_REQUEST,))
        if self.dedicated_key is None:
            out.append(0)
        else:
            out += bytes((1, len(self.dedicated_key))) + self.dedicated_key
        # response-allowed is BOOLEAN DEFAULT TRUE: 00 means "the default".
        out += b"\x00" if self.response_allowed else b"\x01\x00"
        out += b"\x00" if self.quality_of_service is None else bytes((1, self.quality_of_service))
        out.append(self.dlms_version)
        out += _CONFORMANCE_TAG + self.proposed_conformance.to_wire()
        out += self.proposed_max_pdu_size.to_bytes(2, "big")
        return bytes(out)

    @classmethod
    def from_bytes(cls, raw: bytes) -> InitiateRequest:
        r = Reader(raw, "InitiateRequest")
        r.expect(INITIATE_REQUEST)
        key = r.octet_string("dedicated-key") if r.choice("dedicated-key present") else None
        allowed = r.boolean("response-allowed") if r.choice("response-allowed present") else True
        qos = r.u8("quality-of-service") if r.choice("quality-of-service present") else None
        version = r.u8("dlms-version")
        conformance = _read_conformance(r)
        max_pdu = r.u16("client-max-receive-pdu-size")
        r.finish()
        return cls(conformance, max_pdu, key, allowed, qos, version)


@dataclass(frozen=True, slots=True)
class InitiateResponse:
    TAG: ClassVar[int] = INITIATE_RESPONSE
    negotiated_conformance: Conformance
    server_max_receive_pdu_size: int
    vaa_name: int = VAA_NAME_LN
    negotiated_quality_of_service: int | None = None
    dlms_version: int = 6

    def to_bytes(self) -> bytes:
        out = bytearray((INITIATE_RESPONSE,))
        qos = self.negotiated_quality_of_service
        out += b"\x00" if qos is None else bytes((1, qos))
        out.append(self.dlms_version)
        out += _CONFORMANCE_TAG + self.negotiated_conformance.to_wire()
        out += self.server_max_receive_pdu_size.to_bytes(2, "big")
        out += self.vaa_name.to_bytes(2, "big")
        return bytes(out)

    @classmethod
    def from_bytes(cls, raw: bytes) -> InitiateResponse:
        r = Reader(raw, "InitiateResponse")
        r.expect(INITIATE_RESPONSE)
        qos = r.u8("quality-of-service") if r.choice("quality-of-service present") else None
        version = r.u8("dlms-version")
        conformance = _read_conformance(r)
        max_pdu = r.u16("server-max-receive-pdu-size")
        vaa = r.u16("vaa-name")
        r.finish()
        return cls(conformance, max_pdu, vaa, qos, version)


def _read_conformance(r: Reader) -> Conformance:
    if r.take(4, "conformance tag") != _CONFORMANCE_TAG:
        raise DecodeError(f"{r.what}: bad conformance block header", r.pos - 4)
    return Conformance.from_wire(r.take(3, "conformance"))


# ---------------------------------------------------------------- AARQ / AARE


@dataclass(frozen=True, slots=True)
class AARQ:
    """Association request. ``user_information`` is an InitiateRequest, or the raw bytes of a
    ciphered (glo-)initiate-request which this layer does not decipher."""

    user_information: InitiateRequest | bytes | None
    application_context: ApplicationContext = ApplicationContext.LOGICAL_NAME
    mechanism: AuthenticationMechanism | None = None
    authentication_value: bytes | None = None
    calling_ap_title: bytes | None = None

    def to_bytes(self) -> bytes:
        body = _encode_context(self.application_context)
        if self.calling_ap_title is not None:
            body += tlv(0xA6, tlv(0x04, self.calling_ap_title))
        if self.mechanism is not None:
            body += tlv(0x8A, _ACSE_REQUIREMENTS)
            body += tlv(0x8B, _MECHANISM_OID + bytes((self.mechanism,)))
        if self.authentication_value is not None:
            body += tlv(0xAC, tlv(0x80, self.authentication_value))
        if self.user_information is not None:
            body += tlv(0xBE, tlv(0x04, _initiate_bytes(self.user_information)))
        return tlv(AARQ_TAG, body)

    @classmethod
    def from_bytes(cls, raw: bytes) -> AARQ:
        context = ApplicationContext.LOGICAL_NAME
        mechanism = auth = title = None
        info: InitiateRequest | bytes | None = None
        for tag, value in _fields(raw, AARQ_TAG, "AARQ"):
            if tag == 0xA1:
                context = _context(value)
            elif tag == 0xA6:
                title = _inner(value, 0x04, "calling-AP-title")
            elif tag == 0x8B:
                mechanism = _mechanism(value)
            elif tag == 0xAC:
                auth = _authentication_value(value)
            elif tag == 0xBE:
                initiate = _user_information(value)
                info = (
                    InitiateRequest.from_bytes(initiate)
                    if initiate[:1] == bytes((INITIATE_REQUEST,))
                    else initiate
                )
        return cls(info, context, mechanism, auth, title)


@dataclass(frozen=True, slots=True)
class AARE:
    result: AcseResult
    diagnostic: AssociationDiagnostic | int = AssociationDiagnostic.NULL
    user_information: InitiateResponse | ConfirmedServiceError | bytes | None = None
    application_context: ApplicationContext = ApplicationContext.LOGICAL_NAME
    diagnostic_source: DiagnosticSource = DiagnosticSource.ACSE_SERVICE_USER
    responding_ap_title: bytes | None = None
    mechanism: AuthenticationMechanism | None = None
    responder_authentication_value: bytes | None = None

    def to_bytes(self) -> bytes:
        body = _encode_context(self.application_context)
        body += tlv(0xA2, tlv(0x02, bytes((self.result,))))
        body += tlv(0xA3, tlv(0xA0 | self.diagnostic_source, tlv(0x02, bytes((self.diagnostic,)))))
        if self.responding_ap_title is not None:
            body += tlv(0xA4, tlv(0x04, self.responding_ap_title))
        if self.mechanism is not None:
            body += tlv(0x88, _ACSE_REQUIREMENTS)
            body += tlv(0x89, _MECHANISM_OID + bytes((self.mechanism,)))
        if self.responder_authentication_value is not None:
            body += tlv(0xAA, tlv(0x80, self.responder_authentication_value))
        if self.user_information is not None:
            body += tlv(0xBE, tlv(0x04, _initiate_bytes(self.user_information)))
        return tlv(AARE_TAG, body)

    @classmethod
    def from_bytes(cls, raw: bytes) -> AARE:
        context = ApplicationContext.LOGICAL_NAME
        result: AcseResult | None = None
        diagnostic: AssociationDiagnostic | int = AssociationDiagnostic.NULL
        source = DiagnosticSource.ACSE_SERVICE_USER
        title = auth = None
        mechanism = None
        info: InitiateResponse | ConfirmedServiceError | bytes | None = None
        for tag, value in _fields(raw, AARE_TAG, "AARE"):
            if tag == 0xA1:
                context = _context(value)
            elif tag == 0xA2:
                result = enum_value(AcseResult, _small_int(value, "result"), "AARE result")
            elif tag == 0xA3:
                diagnostic, source = _diagnostic(value)
            elif tag == 0xA4:
                title = _inner(value, 0x04, "responding-AP-title")
            elif tag == 0x89:
                mechanism = _mechanism(value)
            elif tag == 0xAA:
                auth = _authentication_value(value)
            elif tag == 0xBE:
                info = _parse_initiate_answer(_user_information(value))
        if result is None:
            raise DecodeError("AARE without a result field")
        return cls(result, diagnostic, info, context, source, title, mechanism, auth)


def _diagnostic(value: bytes) -> tuple[AssociationDiagnostic | int, DiagnosticSource]:
    r = Reader(value, "result-source-diagnostic")
    tag, content = _read_tlv(r)
    r.finish()
    source = enum_value(DiagnosticSource, tag & 0x1F, "diagnostic source")
    code = _small_int(content, "result-source-diagnostic")
    if source is DiagnosticSource.ACSE_SERVICE_USER and code in _USER_DIAGNOSTICS:
        return AssociationDiagnostic(code), source
    return code, source


def _parse_initiate_answer(raw: bytes) -> InitiateResponse | ConfirmedServiceError | bytes:
    if raw[:1] == bytes((INITIATE_RESPONSE,)):
        return InitiateResponse.from_bytes(raw)
    if raw[:1] == bytes((CONFIRMED_SERVICE_ERROR,)):
        return parse_confirmed_service_error(raw)
    return raw  # ciphered glo-initiate-response


def _initiate_bytes(
    info: InitiateRequest | InitiateResponse | ConfirmedServiceError | bytes,
) -> bytes:
    return info if isinstance(info, bytes) else info.to_bytes()


# ---------------------------------------------------------------- RLRQ / RLRE


@dataclass(frozen=True, slots=True)
class RLRQ:
    reason: ReleaseRequestReason | None = ReleaseRequestReason.NORMAL
    user_information: InitiateRequest | bytes | None = None

    def to_bytes(self) -> bytes:
        return _encode_release(RLRQ_TAG, self.reason, self.user_information)

    @classmethod
    def from_bytes(cls, raw: bytes) -> RLRQ:
        return cls(*_decode_release(raw, RLRQ_TAG, "RLRQ", ReleaseRequestReason, InitiateRequest))


@dataclass(frozen=True, slots=True)
class RLRE:
    reason: ReleaseResponseReason | None = ReleaseResponseReason.NORMAL
    user_information: InitiateResponse | bytes | None = None

    def to_bytes(self) -> bytes:
        return _encode_release(RLRE_TAG, self.reason, self.user_information)

    @classmethod
    def from_bytes(cls, raw: bytes) -> RLRE:
        return cls(*_decode_release(raw, RLRE_TAG, "RLRE", ReleaseResponseReason, InitiateResponse))


Reason = TypeVar("Reason", ReleaseRequestReason, ReleaseResponseReason)
Initiate = TypeVar("Initiate", InitiateRequest, InitiateResponse)


def _encode_release(
    tag: int, reason: int | None, info: InitiateRequest | InitiateResponse | bytes | None
) -> bytes:
    """RLRQ and RLRE: an optional reason [0], optional user-information [30]."""
    body = b"" if reason is None else tlv(0x80, bytes((reason,)))
    if info is not None:
        body += tlv(0xBE, tlv(0x04, _initiate_bytes(info)))
    return tlv(tag, body)


def _decode_release(
    raw: bytes, tag: int, what: str, reasons: type[Reason], initiate: type[Initiate]
) -> tuple[Reason | None, Initiate | bytes | None]:
    """(reason, user-information): the xDLMS initiate APDU, or its ciphered bytes."""
    reason: Reason | None = None
    info: Initiate | bytes | None = None
    for field, value in _fields(raw, tag, what):
        if field == 0x80:
            reason = enum_value(reasons, _one_byte(value), "release reason")
        elif field == 0xBE:
            content = _user_information(value)
            is_initiate = content[:1] == bytes((initiate.TAG,))  # else ciphered
            info = initiate.from_bytes(content) if is_initiate else content
    return reason, info


def _one_byte(value: bytes) -> int:
    if len(value) != 1:
        raise DecodeError(f"release reason of {len(value)} bytes")
    return value[0]
