"""The COSEM server role, sans-IO: a ``LogicalDevice`` and its ``ServerAssociation`` objects.

``LogicalDevice`` holds the objects of one logical device (server SAP 1 by default) and the
security policy of each client SAP. A transport (TCP wrapper, HDLC, MQTT...) asks it for one
``ServerAssociation`` per client SAP and feeds it whole APDUs:
``association.handle(apdu) -> bytes | None`` (the response; None = nothing to send). Nothing
raises out of ``handle``: garbage and refusals become an exception-response, an AARE
rejection or a data-access-/action-result.

States (explicit, see ``AssociationState``): IDLE accepts only an AARQ; ASSOCIATED serves
GET/SET/ACTION within the negotiated conformance and max PDU size, and a RLRQ (or a new AARQ,
which replaces the association) leaves it. Long GETs (a response above the client's max
receive PDU size) go out as GET-Response-With-Datablock, SET-with-datablocks is reassembled.

Refusal codes: unknown object -> object-undefined; object with another class ->
object-class-inconsistent; unknown attribute or method -> object-unavailable; not allowed for
this client's role (reading the secret, writing a read-only attribute, public client writing)
-> read-write-denied; wrong SET type -> type-unmatched. An APDU the server cannot parse ->
exception-response(service-not-allowed, other-reason); an unknown APDU tag ->
exception-response(service-unknown, service-not-supported); xDLMS before association or a
service not negotiated -> exception-response(service-not-allowed, service-not-supported); an
APDU longer than the negotiated server max receive PDU size, or a GET answer longer than the
client's when block transfer was not negotiated -> (service-not-allowed, pdu-too-long).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from cosem.access import ClientPolicy, Role
from cosem.apdu.acse import (
    AARE,
    AARQ,
    AARQ_TAG,
    RLRE,
    RLRQ,
    RLRQ_TAG,
    InitiateRequest,
    InitiateResponse,
)
from cosem.apdu.action import (
    ACTION_REQUEST,
    ActionRequestNormal,
    ActionResponseNormal,
    parse_action_request,
)
from cosem.apdu.descriptors import AttributeDescriptor, SelectiveAccess
from cosem.apdu.enums import (
    AcseResult,
    ActionResult,
    ApplicationContext,
    AssociationDiagnostic,
    AuthenticationMechanism,
    Conformance,
    DataAccessResult,
    InvokeIdAndPriority,
    ServiceError,
    StateError,
)
from cosem.apdu.get import (
    GET_REQUEST,
    GetRequestNext,
    GetRequestNormal,
    GetRequestWithList,
    GetResponseNormal,
    GetResponseWithDatablock,
    parse_get_request,
)
from cosem.apdu.notification import ConfirmedServiceError, ExceptionResponse
from cosem.apdu.set import (
    SET_REQUEST,
    SetRequestNormal,
    SetRequestWithDatablock,
    SetRequestWithFirstDatablock,
    SetRequestWithList,
    SetResponseDatablock,
    SetResponseLastDatablock,
    SetResponseNormal,
    SetResponseWithList,
    parse_set_request,
)
from cosem.axdr import Data, decode_all, encode_length
from cosem.classes.association_ln import (
    AssociationContext,
    association_ln,
    encoded_entries,
)
from cosem.classes.base import AccessRefused, ActionRefused, Attribute, CosemObject, Method
from cosem.errors import CosemError, DecodeError

log = logging.getLogger(__name__)

MANAGEMENT_LOGICAL_DEVICE = 1
MIN_CLIENT_PDU_SIZE = 12
"""client-max-receive-pdu-size 1..11 is refused (pdu-size-too-short); 0 means no limit."""
NO_LIMIT_PDU_SIZE = 0xFFFF
DEFAULT_SERVER_MAX_RECEIVE_PDU_SIZE = 1024
DLMS_VERSION = 6
SUPPORTED_CONFORMANCE = (
    Conformance.GET
    | Conformance.SET
    | Conformance.ACTION
    | Conformance.SELECTIVE_ACCESS
    | Conformance.MULTIPLE_REFERENCES
    | Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ
    | Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE
)
# confirmedServiceError initiateError(1) / ServiceError initiate(6) values.
_INITIATE_ERROR = 1
_INITIATE = 6
_DLMS_VERSION_TOO_LOW = 1
_INCOMPATIBLE_CONFORMANCE = 2
_PDU_SIZE_TOO_SHORT = 3

_GET_NORMAL_SIZE = 13  # C0 01 iip class(2) LN(6) attr 00
_GET_NORMAL_HEAD = b"\xc0\x01"
_GET_RESPONSE_NORMAL = b"\xc4\x01"
_DATA_CHOICE = b"\x00"
_DATABLOCK_HEAD = 9  # C4 02 iip last-block block-number(4) raw-data choice

_MAX_CACHED_CONTEXTS = 64

Key = bytes
"""class_id (2) + logical name (6) + attribute or method id (1): the dispatch key."""


class AssociationState(Enum):
    IDLE = "idle"
    ASSOCIATED = "associated"


@dataclass(frozen=True, slots=True)
class _RoleView:
    """What one role sees: readable attributes (hot path) and its object-list entries."""

    readers: dict[Key, Attribute]
    entries: bytes
    count: int


@dataclass(frozen=True, slots=True)
class _AssociationTables:
    own_object: CosemObject
    own_attributes: dict[Key, Attribute]
    readers: dict[Key, Attribute]
    """Hot-path table: every attribute this association may read."""


class LogicalDevice:
    """The objects of one logical device and who may associate with it."""

    def __init__(
        self,
        objects: Iterable[CosemObject],
        clients: Mapping[int, ClientPolicy],
        *,
        server_sap: int = MANAGEMENT_LOGICAL_DEVICE,
        max_receive_pdu_size: int = DEFAULT_SERVER_MAX_RECEIVE_PDU_SIZE,
        conformance: Conformance = SUPPORTED_CONFORMANCE,
    ) -> None:
        self.objects = tuple(objects)
        self.clients = dict(clients)
        self.server_sap = server_sap
        self.max_receive_pdu_size = max_receive_pdu_size
        self.conformance = conformance
        self.by_name: dict[bytes, CosemObject] = {}
        self.attributes: dict[Key, Attribute] = {}
        self.methods: dict[Key, Method] = {}
        for obj in self.objects:
            name = obj.logical_name.to_bytes()
            if name in self.by_name:
                raise ValueError(f"two objects named {obj.logical_name}")
            self.by_name[name] = obj
            self.attributes.update(_attribute_keys(obj))
            self.methods.update(_method_keys(obj))
        self._views = {role: self._view(role) for role in Role}
        self._tables: dict[AssociationContext, _AssociationTables] = {}

    def _view(self, role: Role) -> _RoleView:
        readers = {
            key: attribute
            for key, attribute in self.attributes.items()
            if attribute.read is not None and _may(role, attribute.read_role)
        }
        return _RoleView(readers, encoded_entries(self.objects, role), len(self.objects))

    def tables(self, context: AssociationContext) -> _AssociationTables:
        """The current-association object and the lookup tables of an association, built
        once per distinct negotiated context (a handful: client SAPs x PDU sizes)."""
        tables = self._tables.get(context)
        if tables is None:
            if len(self._tables) >= _MAX_CACHED_CONTEXTS:
                self._tables.clear()
            tables = self._tables[context] = self._build_tables(context)
        return tables

    def _build_tables(self, context: AssociationContext) -> _AssociationTables:
        view = self._views[context.role]
        own = association_ln(context, view.entries, view.count)
        own_attributes = _attribute_keys(own)
        readers: dict[Key, Attribute] = {}
        if Conformance.GET in context.conformance:
            readable = {k: a for k, a in own_attributes.items() if _may(context.role, a.read_role)}
            readers = {**view.readers, **readable}
        return _AssociationTables(own, own_attributes, readers)

    def association(self, client_sap: int) -> ServerAssociation:
        """A new, idle association for ``client_sap`` (an unknown SAP is refused at AARQ)."""
        return ServerAssociation(self, client_sap)


def _prefix(obj: CosemObject) -> bytes:
    return obj.class_id.to_bytes(2, "big") + obj.logical_name.to_bytes()


def _attribute_keys(obj: CosemObject) -> dict[Key, Attribute]:
    prefix = _prefix(obj)
    return {prefix + bytes((a.attribute_id,)): a for a in obj.attributes}


def _method_keys(obj: CosemObject) -> dict[Key, Method]:
    prefix = _prefix(obj)
    return {prefix + bytes((m.method_id,)): m for m in obj.methods}


def _may(role: Role, least: Role | None) -> bool:
    return least is not None and role >= least


@dataclass(slots=True)
class _LongGet:
    invoke: InvokeIdAndPriority
    raw: bytes
    block_size: int

    def block(self, number: int) -> GetResponseWithDatablock:
        start = (number - 1) * self.block_size
        chunk = self.raw[start : start + self.block_size]
        last = start + self.block_size >= len(self.raw)
        return GetResponseWithDatablock(last, number, chunk, self.invoke)


@dataclass(slots=True)
class _LongSet:
    attribute: AttributeDescriptor
    access: SelectiveAccess | None
    raw: bytearray
    last_block: int


class ServerAssociation:
    """One client's association with a logical device: ``handle(apdu) -> response``."""

    def __init__(self, device: LogicalDevice, client_sap: int) -> None:
        self.device = device
        self.client_sap = client_sap
        self.state = AssociationState.IDLE
        self.context: AssociationContext | None = None
        self.closed = False
        """True after a release: the transport may drop the connection."""
        self._role = Role.PUBLIC
        self._fast: dict[Key, Attribute] = {}
        self._own: dict[Key, Attribute] = {}
        self._own_object: CosemObject | None = None
        self._conformance = Conformance.NONE
        self._max_send = NO_LIMIT_PDU_SIZE
        self._max_receive = device.max_receive_pdu_size
        self._long_get: _LongGet | None = None
        self._long_set: _LongSet | None = None

    # ------------------------------------------------------------ entry point

    def handle(self, apdu: bytes) -> bytes | None:
        """Serve one APDU; never raises."""
        # Hot path: GET-Request-Normal without selective access of a readable attribute.
        if len(apdu) == _GET_NORMAL_SIZE and apdu[:2] == _GET_NORMAL_HEAD and apdu[12] == 0:
            attribute = self._fast.get(apdu[3:12])
            if attribute is not None and attribute.read is not None:
                try:
                    value = attribute.read()
                except Exception:
                    value = None  # the general path answers with the proper result
                if value is not None:
                    self._long_get = None
                    if len(value) + 4 <= self._max_send:
                        return _GET_RESPONSE_NORMAL + apdu[2:3] + _DATA_CHOICE + value
                    return self._get_answer(InvokeIdAndPriority.from_byte(apdu[2]), 1, value)
        try:
            return self._dispatch(apdu)
        except DecodeError as exc:
            log.info("undecodable APDU from client %d: %s", self.client_sap, exc)
            return _exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.OTHER_REASON)
        except Exception:
            log.exception("server error on APDU %s", apdu[:64].hex())
            return _exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.OTHER_REASON)

    def _dispatch(self, apdu: bytes) -> bytes | None:
        if not apdu:
            raise DecodeError("empty APDU")
        tag = apdu[0]
        if tag == AARQ_TAG:
            return self._on_aarq(apdu)
        if tag == RLRQ_TAG:
            return self._on_rlrq(apdu)
        if tag not in (GET_REQUEST, SET_REQUEST, ACTION_REQUEST):
            return _exception(StateError.SERVICE_UNKNOWN, ServiceError.SERVICE_NOT_SUPPORTED)
        if self.state is not AssociationState.ASSOCIATED:
            return _exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED)
        if len(apdu) > self._max_receive:
            return _exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.PDU_TOO_LONG)
        if tag == GET_REQUEST:
            return self._on_get(apdu)
        if tag == SET_REQUEST:
            return self._on_set(apdu)
        return self._on_action(apdu)

    # ------------------------------------------------------------ ACSE

    def _on_aarq(self, apdu: bytes) -> bytes:
        self._release()
        try:
            aarq = AARQ.from_bytes(apdu)
        except DecodeError as exc:
            log.info("undecodable AARQ from client %d: %s", self.client_sap, exc)
            return _rejected(AssociationDiagnostic.NO_REASON_GIVEN)
        if aarq.application_context is not ApplicationContext.LOGICAL_NAME:
            return _rejected(AssociationDiagnostic.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED)
        policy = self.device.clients.get(self.client_sap)
        if policy is None:
            return _rejected(AssociationDiagnostic.CALLING_AE_QUALIFIER_NOT_RECOGNIZED)
        refusal = _authentication_refusal(policy, aarq)
        if refusal is not None:
            return _rejected(refusal)
        initiate = aarq.user_information
        if not isinstance(initiate, InitiateRequest):
            return _rejected(AssociationDiagnostic.NO_REASON_GIVEN)
        conformance = initiate.proposed_conformance & self.device.conformance
        initiate_error = None
        if initiate.dlms_version < DLMS_VERSION:
            initiate_error = _DLMS_VERSION_TOO_LOW
        elif not conformance:
            initiate_error = _INCOMPATIBLE_CONFORMANCE
        elif 0 < initiate.proposed_max_pdu_size < MIN_CLIENT_PDU_SIZE:
            initiate_error = _PDU_SIZE_TOO_SHORT
        if initiate_error is not None:
            error = ConfirmedServiceError(_INITIATE_ERROR, _INITIATE, initiate_error)
            return _rejected(AssociationDiagnostic.NO_REASON_GIVEN, error)
        self._associate(policy, conformance, initiate.proposed_max_pdu_size or NO_LIMIT_PDU_SIZE)
        response = InitiateResponse(conformance, self.device.max_receive_pdu_size)
        mechanism = None if policy.mechanism is AuthenticationMechanism.NONE else policy.mechanism
        return AARE(AcseResult.ACCEPTED, user_information=response, mechanism=mechanism).to_bytes()

    def _associate(self, policy: ClientPolicy, conformance: Conformance, max_send: int) -> None:
        self.context = AssociationContext(
            self.client_sap,
            self.device.server_sap,
            policy.role,
            policy.mechanism,
            conformance,
            self.device.max_receive_pdu_size,
            max_send,
        )
        tables = self.device.tables(self.context)
        self._own_object = tables.own_object
        self._own = tables.own_attributes
        self._fast = tables.readers
        self._role = policy.role
        self._conformance = conformance
        self._max_send = max_send
        self.state = AssociationState.ASSOCIATED
        self.closed = False

    def _on_rlrq(self, apdu: bytes) -> bytes:
        RLRQ.from_bytes(apdu)  # only to refuse garbage
        self._release()
        self.closed = True
        return RLRE().to_bytes()

    def _release(self) -> None:
        self.state = AssociationState.IDLE
        self.context = None
        self._fast = {}
        self._own = {}
        self._own_object = None
        self._conformance = Conformance.NONE
        self._long_get = None
        self._long_set = None

    # ------------------------------------------------------------ GET

    def _on_get(self, apdu: bytes) -> bytes:
        if Conformance.GET not in self._conformance:
            return _exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED)
        request = parse_get_request(apdu)
        if isinstance(request, GetRequestNext):
            return self._get_next(request)
        self._long_get = None  # any other GET aborts a long GET
        if isinstance(request, GetRequestNormal):
            result = self._read(request.attribute, request.access)
            if isinstance(result, DataAccessResult):
                return _get_refusal(request.invoke, result)
            return self._get_answer(request.invoke, 1, result)
        return self._get_with_list(request)

    def _get_with_list(self, request: GetRequestWithList) -> bytes:
        if Conformance.MULTIPLE_REFERENCES not in self._conformance:
            return _exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED)
        parts = [encode_length(len(request.attributes))]
        for item in request.attributes:
            result = self._read(item.attribute, item.access)
            parts.append(
                bytes((1, result)) if isinstance(result, DataAccessResult) else b"\x00" + result
            )
        return self._get_answer(request.invoke, 3, b"".join(parts))

    def _get_answer(self, invoke: InvokeIdAndPriority, kind: int, body: bytes) -> bytes:
        """GET-Response normal (kind 1, body = data) or with-list (kind 3), in blocks if long.
        Built here rather than with GetResponseNormal because the body is already encoded."""
        head = bytes((0xC4, kind, invoke.to_byte()))
        if kind == 1:
            head += _DATA_CHOICE
        if len(head) + len(body) <= self._max_send:
            return head + body
        if Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ not in self._conformance:
            return _exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.PDU_TOO_LONG)
        self._long_get = _LongGet(invoke, body, _block_size(self._max_send))
        return self._long_get.block(1).to_bytes()

    def _get_next(self, request: GetRequestNext) -> bytes:
        long_get = self._long_get
        if long_get is None:
            refusal = DataAccessResult.NO_LONG_GET_IN_PROGRESS
            return GetResponseWithDatablock(
                True, request.block_number, refusal, request.invoke
            ).to_bytes()
        number = request.block_number + 1
        if (number - 1) * long_get.block_size >= len(long_get.raw):
            self._long_get = None
            refusal = DataAccessResult.DATA_BLOCK_NUMBER_INVALID
            return GetResponseWithDatablock(
                True, request.block_number, refusal, request.invoke
            ).to_bytes()
        block = long_get.block(number)
        if block.last_block:
            self._long_get = None
        return block.to_bytes()

    def _read(
        self, descriptor: AttributeDescriptor, access: SelectiveAccess | None
    ) -> bytes | DataAccessResult:
        attribute = self._attribute(descriptor)
        if isinstance(attribute, DataAccessResult):
            return attribute
        if attribute.read is None or not _may(self._role, attribute.read_role):
            return DataAccessResult.READ_WRITE_DENIED
        try:
            if access is None:
                return attribute.read()
            if (
                Conformance.SELECTIVE_ACCESS not in self._conformance
                or attribute.read_selective is None
                or access.selector not in attribute.selectors
            ):
                return DataAccessResult.OTHER_REASON
            return attribute.read_selective(access)
        except AccessRefused as refused:
            return refused.result
        except Exception as exc:
            return _failure("GET", descriptor, exc, DataAccessResult)

    def _attribute(self, descriptor: AttributeDescriptor) -> Attribute | DataAccessResult:
        key = descriptor.to_bytes()
        attribute = self.device.attributes.get(key) or self._own.get(key)
        if attribute is not None:
            return attribute
        return self._why_missing(descriptor.class_id, descriptor.obis.to_bytes())

    def _why_missing(self, class_id: int, name: bytes) -> DataAccessResult:
        obj = self.device.by_name.get(name)
        own = self._own_object
        if obj is None and own is not None and own.logical_name.to_bytes() == name:
            obj = own
        if obj is None:
            return DataAccessResult.OBJECT_UNDEFINED
        if obj.class_id != class_id:
            return DataAccessResult.OBJECT_CLASS_INCONSISTENT
        return DataAccessResult.OBJECT_UNAVAILABLE

    # ------------------------------------------------------------ SET

    def _on_set(self, apdu: bytes) -> bytes:
        if Conformance.SET not in self._conformance:
            return _exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED)
        request = parse_set_request(apdu)
        self._long_get = None
        if isinstance(request, SetRequestNormal):
            self._long_set = None
            result = self._write(request.attribute, request.access, request.value)
            return SetResponseNormal(result, request.invoke).to_bytes()
        if isinstance(request, SetRequestWithList):
            self._long_set = None
            return self._set_with_list(request)
        if Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE not in self._conformance:
            return _exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED)
        if isinstance(request, SetRequestWithFirstDatablock):
            self._long_set = _LongSet(request.attribute, request.access, bytearray(), 0)
        return self._set_block(request)

    def _set_with_list(self, request: SetRequestWithList) -> bytes:
        if Conformance.MULTIPLE_REFERENCES not in self._conformance:
            return _exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED)
        if len(request.values) != len(request.attributes):
            results = tuple(DataAccessResult.OTHER_REASON for _ in request.attributes)
        else:
            results = tuple(
                self._write(item.attribute, item.access, value)
                for item, value in zip(request.attributes, request.values, strict=True)
            )
        return SetResponseWithList(results, request.invoke).to_bytes()

    def _set_block(self, request: SetRequestWithFirstDatablock | SetRequestWithDatablock) -> bytes:
        long_set = self._long_set
        block = request.block
        if long_set is None:
            refusal = DataAccessResult.NO_LONG_SET_IN_PROGRESS
            return SetResponseLastDatablock(refusal, block.block_number, request.invoke).to_bytes()
        if block.block_number != long_set.last_block + 1:
            self._long_set = None
            refusal = DataAccessResult.DATA_BLOCK_NUMBER_INVALID
            return SetResponseLastDatablock(refusal, block.block_number, request.invoke).to_bytes()
        long_set.raw += block.raw
        long_set.last_block = block.block_number
        if len(long_set.raw) > 16 * self._max_receive:
            self._long_set = None
            refusal = DataAccessResult.LONG_SET_ABORTED
            return SetResponseLastDatablock(refusal, block.block_number, request.invoke).to_bytes()
        if not block.last_block:
            return SetResponseDatablock(block.block_number, request.invoke).to_bytes()
        self._long_set = None
        try:
            value = decode_all(bytes(long_set.raw))
        except DecodeError:
            result = DataAccessResult.TYPE_UNMATCHED
        else:
            result = self._write(long_set.attribute, long_set.access, value)
        return SetResponseLastDatablock(result, block.block_number, request.invoke).to_bytes()

    def _write(
        self, descriptor: AttributeDescriptor, access: SelectiveAccess | None, value: Data
    ) -> DataAccessResult:
        attribute = self._attribute(descriptor)
        if isinstance(attribute, DataAccessResult):
            return attribute
        if attribute.write is None or not _may(self._role, attribute.write_role):
            return DataAccessResult.READ_WRITE_DENIED
        if access is not None:
            return DataAccessResult.OTHER_REASON
        try:
            attribute.write(value)
        except AccessRefused as refused:
            return refused.result
        except Exception as exc:
            return _failure("SET", descriptor, exc, DataAccessResult)
        return DataAccessResult.SUCCESS

    # ------------------------------------------------------------ ACTION

    def _on_action(self, apdu: bytes) -> bytes:
        if Conformance.ACTION not in self._conformance:
            return _exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED)
        if apdu[1:2] != b"\x01":
            return _exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED)
        request = parse_action_request(apdu)
        self._long_get = None
        result, data = self._invoke(request)
        return ActionResponseNormal(result, data, request.invoke).to_bytes()

    def _invoke(self, request: ActionRequestNormal) -> tuple[ActionResult, Data | None]:
        descriptor = request.method
        key = descriptor.to_bytes()
        method = self.device.methods.get(key)
        if method is None:
            missing = self._why_missing(descriptor.class_id, descriptor.obis.to_bytes())
            return ActionResult(missing), None
        if not _may(self._role, method.role):
            return ActionResult.READ_WRITE_DENIED, None
        try:
            data = method.invoke(request.parameters)
        except ActionRefused as refused:
            return refused.result, None
        except Exception as exc:
            return _failure("ACTION", descriptor, exc, ActionResult), None
        return ActionResult.SUCCESS, data


Result = TypeVar("Result", DataAccessResult, ActionResult)


def _failure(service: str, target: object, error: Exception, results: type[Result]) -> Result:
    """The answer to a read, write or method that raised something other than its refusal:
    other-reason for a COSEM error (a value the object cannot take...), hardware-fault (logged
    with its traceback) for anything else: a bug in one object never stops the meter."""
    if isinstance(error, CosemError):
        log.warning("%s %s failed: %s", service, target, error)
        return results.OTHER_REASON
    log.error("%s %s failed", service, target, exc_info=error)
    return results.HARDWARE_FAULT


def _authentication_refusal(policy: ClientPolicy, aarq: AARQ) -> AssociationDiagnostic | None:
    if policy.accepts(aarq.mechanism, aarq.authentication_value):
        return None
    if policy.mechanism is not AuthenticationMechanism.NONE and aarq.mechanism is None:
        return AssociationDiagnostic.AUTHENTICATION_REQUIRED
    if aarq.mechanism is not policy.mechanism:
        return AssociationDiagnostic.AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED
    return AssociationDiagnostic.AUTHENTICATION_FAILURE


def _rejected(
    diagnostic: AssociationDiagnostic, error: ConfirmedServiceError | None = None
) -> bytes:
    return AARE(AcseResult.REJECTED_PERMANENT, diagnostic, error).to_bytes()


def _exception(state: StateError, service: ServiceError) -> bytes:
    return ExceptionResponse(state, service).to_bytes()


def _get_refusal(invoke: InvokeIdAndPriority, result: DataAccessResult) -> bytes:
    return GetResponseNormal(result, invoke).to_bytes()


def _block_size(max_send: int) -> int:
    """The raw-data bytes that fit one GET-Response-With-Datablock of ``max_send`` bytes."""
    room = max_send - _DATABLOCK_HEAD
    for prefix, largest in ((1, 0x7F), (2, 0xFF)):  # octet-string length prefix sizes
        if room - prefix <= largest:
            return max(room - prefix, 1)
    return room - 3
