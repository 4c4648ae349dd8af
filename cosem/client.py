"""Sans-IO xDLMS client (the head-end's side of an association), after h11.

Methods named ``*_request`` return the APDU bytes to send; ``receive_apdu`` takes the APDU
that came back and returns a typed event, or raises a ``CosemError`` subclass when the meter
refused (``AccessRefused``, ``AssociationRejected``, ``ExceptionReceived``) or broke the
protocol (``ProtocolError``). A ``SendNext`` event carries the next request of a block
transfer (GET-next, SET datablock): send it and feed the answer back, until a final event.
Any transport (TCP wrapper, HDLC, MQTT, a test) is a thin loop around this object.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from cosem.apdu import (
    AARE,
    AARQ,
    RLRE,
    RLRQ,
    AcseResult,
    ActionRequestNormal,
    ActionResponseNormal,
    ActionResult,
    AssociationDiagnostic,
    AttributeDescriptor,
    AttributeWithSelection,
    AuthenticationMechanism,
    ConfirmedServiceError,
    Conformance,
    DataAccessResult,
    DataBlock,
    DataNotification,
    ExceptionResponse,
    GetRequestNext,
    GetRequestNormal,
    GetRequestWithList,
    GetResponseNormal,
    GetResponseWithDatablock,
    GetResponseWithList,
    InitiateRequest,
    InitiateResponse,
    InvokeIdAndPriority,
    MethodDescriptor,
    ReleaseResponseReason,
    SelectiveAccess,
    ServiceError,
    SetRequestNormal,
    SetRequestWithDatablock,
    SetRequestWithFirstDatablock,
    SetRequestWithList,
    SetResponseDatablock,
    SetResponseLastDatablock,
    SetResponseNormal,
    SetResponseWithList,
    StateError,
    parse_apdu,
)
from cosem.apdu.get import read_get_data_result
from cosem.apdu.reader import Reader
from cosem.axdr import Data, decode_all, encode
from cosem.errors import CosemError, DecodeError

DEFAULT_CONFORMANCE = (
    Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ
    | Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE
    | Conformance.BLOCK_TRANSFER_WITH_ACTION
    | Conformance.MULTIPLE_REFERENCES
    | Conformance.GET
    | Conformance.SET
    | Conformance.SELECTIVE_ACCESS
    | Conformance.ACTION
)
# Bytes a SET-with-first-datablock / with-datablock adds around its raw data (the octet-string
# length counted at its largest, 3 bytes).
_FIRST_BLOCK_OVERHEAD = 3 + 9 + 1 + 1 + 4 + 3
_NEXT_BLOCK_OVERHEAD = 3 + 1 + 4 + 3


# ---------------------------------------------------------------- errors


class ProtocolError(CosemError):
    """The peer answered with something the protocol does not allow here."""


class AccessRefused(CosemError):
    """The meter answered a GET/SET/ACTION with a data-access-result or action-result."""

    def __init__(self, result: DataAccessResult | ActionResult) -> None:
        self.result = result
        super().__init__(f"refused by the meter: {result.name.lower().replace('_', '-')}")


class AssociationRejected(CosemError):
    def __init__(
        self,
        diagnostic: AssociationDiagnostic | int,
        result: AcseResult = AcseResult.REJECTED_PERMANENT,
        service_error: ConfirmedServiceError | None = None,
    ) -> None:
        self.diagnostic = diagnostic
        self.result = result
        self.service_error = service_error
        name = diagnostic.name if isinstance(diagnostic, AssociationDiagnostic) else diagnostic
        detail = f", initiate error {service_error.error_value}" if service_error else ""
        super().__init__(f"association rejected ({result.name.lower()}): {name}{detail}")


class ExceptionReceived(CosemError):
    def __init__(self, state_error: StateError, service_error: ServiceError) -> None:
        self.state_error = state_error
        self.service_error = service_error
        super().__init__(f"exception-response: {state_error.name}, {service_error.name}")


# ---------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class Associated:
    negotiated_conformance: Conformance
    server_max_receive_pdu_size: int


@dataclass(frozen=True, slots=True)
class SendNext:
    """Part of a block transfer: send ``apdu`` and feed the answer to ``receive_apdu``."""

    apdu: bytes


@dataclass(frozen=True, slots=True)
class GetResult:
    value: Data


@dataclass(frozen=True, slots=True)
class GetListResult:
    results: tuple[Data | DataAccessResult, ...]


@dataclass(frozen=True, slots=True)
class SetDone:
    pass


@dataclass(frozen=True, slots=True)
class SetListResult:
    results: tuple[DataAccessResult, ...]


@dataclass(frozen=True, slots=True)
class ActionDone:
    return_data: Data | None


@dataclass(frozen=True, slots=True)
class Released:
    reason: ReleaseResponseReason | None


@dataclass(frozen=True, slots=True)
class Notification:
    """An unsolicited data-notification (push) received in any state."""

    apdu: DataNotification


Event = (
    Associated
    | SendNext
    | GetResult
    | GetListResult
    | SetDone
    | SetListResult
    | ActionDone
    | Released
    | Notification
)


class ClientState(enum.Enum):
    IDLE = "idle"  # no association
    ASSOCIATING = "associating"  # AARQ sent
    ASSOCIATED = "associated"  # ready for a request
    AWAITING_RESPONSE = "awaiting response"  # GET/SET/ACTION in flight
    RELEASING = "releasing"  # RLRQ sent
    ERROR = "error"  # protocol broken: drop the link


class _Pending(enum.Enum):
    GET = "get"
    GET_LIST = "get-list"
    SET = "set"
    SET_LIST = "set-list"
    ACTION = "action"


class ClientAssociation:
    def __init__(
        self,
        password: bytes | None = None,
        conformance: Conformance = DEFAULT_CONFORMANCE,
        max_receive_pdu_size: int = 0xFFFF,
    ) -> None:
        self.state = ClientState.IDLE
        self._password = password
        self._proposed_conformance = conformance
        self._max_receive_pdu_size = max_receive_pdu_size
        self.conformance = Conformance.NONE
        self.server_max_receive_pdu_size = 0
        self._invoke_id = 0
        self._pending: _Pending | None = None
        self._blocks = bytearray()
        self._block_number = 0
        self._set_chunks: list[bytes] = []

    # ------------------------------------------------------------ requests

    def associate_request(self) -> bytes:
        self._require(ClientState.IDLE, "associate")
        initiate = InitiateRequest(self._proposed_conformance, self._max_receive_pdu_size)
        if self._password is None:
            aarq = AARQ(initiate)
        else:
            aarq = AARQ(
                initiate, mechanism=AuthenticationMechanism.LLS, authentication_value=self._password
            )
        self.state = ClientState.ASSOCIATING
        return aarq.to_bytes()

    def get_request(
        self, attribute: AttributeDescriptor, selective: SelectiveAccess | None = None
    ) -> bytes:
        self._start(_Pending.GET)
        return GetRequestNormal(attribute, selective, self._next_invoke()).to_bytes()

    def get_with_list_request(self, attributes: list[AttributeDescriptor]) -> bytes:
        self._start(_Pending.GET_LIST)
        items = tuple(AttributeWithSelection(a) for a in attributes)
        return GetRequestWithList(items, self._next_invoke()).to_bytes()

    def set_request(
        self, attribute: AttributeDescriptor, value: Data, access: SelectiveAccess | None = None
    ) -> bytes:
        """SET normal, or the first of several datablocks when the request would exceed the
        meter's max receive PDU size (and the meter accepts SET block transfer)."""
        self._start(_Pending.SET)
        invoke = self._next_invoke()
        whole = SetRequestNormal(attribute, value, access, invoke).to_bytes()
        limit = self.server_max_receive_pdu_size
        blocks_allowed = Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE in self.conformance
        if not limit or len(whole) <= limit or not blocks_allowed:
            return whole
        raw = encode(value)
        first_size = max(1, limit - _FIRST_BLOCK_OVERHEAD)
        next_size = max(1, limit - _NEXT_BLOCK_OVERHEAD)
        self._set_chunks = [
            raw[first_size + i : first_size + i + next_size]
            for i in range(0, len(raw) - first_size, next_size)
        ]
        self._block_number = 1
        block = DataBlock(not self._set_chunks, 1, raw[:first_size])
        return SetRequestWithFirstDatablock(attribute, block, access, invoke).to_bytes()

    def set_with_list_request(self, items: list[tuple[AttributeDescriptor, Data]]) -> bytes:
        self._start(_Pending.SET_LIST)
        attributes = tuple(AttributeWithSelection(a) for a, _ in items)
        values = tuple(v for _, v in items)
        return SetRequestWithList(attributes, values, self._next_invoke()).to_bytes()

    def action_request(self, method: MethodDescriptor, parameters: Data | None = None) -> bytes:
        self._start(_Pending.ACTION)
        return ActionRequestNormal(method, parameters, self._next_invoke()).to_bytes()

    def release_request(self) -> bytes:
        self._require(ClientState.ASSOCIATED, "release")
        self.state = ClientState.RELEASING
        return RLRQ().to_bytes()

    # ------------------------------------------------------------ responses

    def receive_apdu(self, raw: bytes) -> Event:
        try:
            apdu = parse_apdu(raw)
        except DecodeError as exc:
            self.state = ClientState.ERROR
            raise ProtocolError(f"undecodable answer: {exc}") from exc
        if isinstance(apdu, DataNotification):
            return Notification(apdu)
        if isinstance(apdu, ExceptionResponse) and self.state in _AWAITING:
            self.state = _AWAITING[self.state]
            self._pending = None
            raise ExceptionReceived(apdu.state_error, apdu.service_error)
        if self.state is ClientState.ASSOCIATING and isinstance(apdu, AARE):
            return self._on_aare(apdu)
        if self.state is ClientState.RELEASING and isinstance(apdu, RLRE):
            self.state = ClientState.IDLE
            return Released(apdu.reason)
        if self.state is ClientState.AWAITING_RESPONSE:
            return self._on_response(apdu)
        state, self.state = self.state, ClientState.ERROR
        raise ProtocolError(f"unexpected {type(apdu).__name__} while {state.value}")

    def _on_aare(self, aare: AARE) -> Event:
        info = aare.user_information
        if aare.result is not AcseResult.ACCEPTED or not isinstance(info, InitiateResponse):
            self.state = ClientState.IDLE
            error = info if isinstance(info, ConfirmedServiceError) else None
            result = aare.result
            if result is AcseResult.ACCEPTED:  # accepted without an InitiateResponse
                result = AcseResult.REJECTED_PERMANENT
            raise AssociationRejected(aare.diagnostic, result, error)
        self.conformance = info.negotiated_conformance
        self.server_max_receive_pdu_size = info.server_max_receive_pdu_size
        self.state = ClientState.ASSOCIATED
        return Associated(self.conformance, self.server_max_receive_pdu_size)

    def _on_response(self, apdu: object) -> Event:
        invoke = getattr(apdu, "invoke", None)
        if isinstance(invoke, InvokeIdAndPriority) and invoke.invoke_id != self._invoke_id:
            self.state = ClientState.ERROR
            raise ProtocolError(f"answer for invoke-id {invoke.invoke_id}, not {self._invoke_id}")
        pending = self._pending
        if pending is _Pending.GET or pending is _Pending.GET_LIST:
            if isinstance(apdu, GetResponseNormal) and pending is _Pending.GET:
                return self._finish_get(apdu.result)
            if isinstance(apdu, GetResponseWithList) and pending is _Pending.GET_LIST:
                self._done()
                return GetListResult(apdu.results)
            if isinstance(apdu, GetResponseWithDatablock):
                return self._on_get_block(apdu)
        elif pending is _Pending.SET:
            if isinstance(apdu, SetResponseNormal | SetResponseLastDatablock):
                self._done()
                if apdu.result is not DataAccessResult.SUCCESS:
                    raise AccessRefused(apdu.result)
                return SetDone()
            if isinstance(apdu, SetResponseDatablock) and self._set_chunks:
                return self._next_set_block(apdu.block_number)
        elif pending is _Pending.SET_LIST and isinstance(apdu, SetResponseWithList):
            self._done()
            return SetListResult(apdu.results)
        elif pending is _Pending.ACTION and isinstance(apdu, ActionResponseNormal):
            return self._finish_action(apdu)
        self.state = ClientState.ERROR
        what = pending.value if pending else "no"
        raise ProtocolError(f"unexpected {type(apdu).__name__} for a {what} request")

    def _finish_get(self, result: Data | DataAccessResult) -> Event:
        self._done()
        if isinstance(result, DataAccessResult):
            raise AccessRefused(result)
        return GetResult(result)

    def _on_get_block(self, block: GetResponseWithDatablock) -> Event:
        if isinstance(block.raw, DataAccessResult):
            self._done()
            raise AccessRefused(block.raw)
        if block.block_number != self._block_number + 1:
            self.state = ClientState.ERROR
            raise ProtocolError(
                f"GET block {block.block_number} received, {self._block_number + 1} expected"
            )
        self._block_number = block.block_number
        self._blocks += block.raw
        if not block.last_block:
            return SendNext(GetRequestNext(block.block_number, self._invoke()).to_bytes())
        raw = bytes(self._blocks)
        pending = self._pending
        try:
            if pending is _Pending.GET_LIST:
                self._done()
                return GetListResult(_decode_result_list(raw))
            return self._finish_get(decode_all(raw))
        except DecodeError as exc:
            self.state = ClientState.ERROR
            raise ProtocolError(f"reassembled GET blocks undecodable: {exc}") from exc

    def _next_set_block(self, acknowledged: int) -> Event:
        if acknowledged != self._block_number:
            self.state = ClientState.ERROR
            raise ProtocolError(f"SET block {acknowledged} acknowledged, {self._block_number} sent")
        self._block_number += 1
        chunk = self._set_chunks.pop(0)
        block = DataBlock(not self._set_chunks, self._block_number, chunk)
        return SendNext(SetRequestWithDatablock(block, self._invoke()).to_bytes())

    def _finish_action(self, response: ActionResponseNormal) -> Event:
        self._done()
        if response.result is not ActionResult.SUCCESS:
            raise AccessRefused(response.result)
        if isinstance(response.return_data, DataAccessResult):
            raise AccessRefused(response.return_data)
        return ActionDone(response.return_data)

    # ------------------------------------------------------------ state helpers

    def _require(self, state: ClientState, what: str) -> None:
        if self.state is not state:
            raise ProtocolError(f"cannot {what} while {self.state.value}")

    def _start(self, pending: _Pending) -> None:
        self._require(ClientState.ASSOCIATED, f"send a {pending.value} request")
        self.state = ClientState.AWAITING_RESPONSE
        self._pending = pending
        self._blocks = bytearray()
        self._block_number = 0
        self._set_chunks = []

    def _done(self) -> None:
        self.state = ClientState.ASSOCIATED
        self._pending = None

    def _next_invoke(self) -> InvokeIdAndPriority:
        self._invoke_id = (self._invoke_id + 1) % 16
        return self._invoke()

    def _invoke(self) -> InvokeIdAndPriority:
        return InvokeIdAndPriority(self._invoke_id)


# After an exception-response the association is back where it was before the request.
_AWAITING = {
    ClientState.ASSOCIATING: ClientState.IDLE,
    ClientState.AWAITING_RESPONSE: ClientState.ASSOCIATED,
    ClientState.RELEASING: ClientState.ASSOCIATED,
}


def _decode_result_list(raw: bytes) -> tuple[Data | DataAccessResult, ...]:
    """The body of a GET-Response-With-List sent in blocks: count, then Get-Data-Results."""
    r = Reader(raw, "GET list blocks")
    results = tuple(read_get_data_result(r) for _ in range(r.length()))
    r.finish()
    return results
