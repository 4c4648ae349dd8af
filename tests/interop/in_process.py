"""One-shot xDLMS exchanges with a LogicalDevice in-process (bytes through
``ServerAssociation.handle``, no transport): associate, then GET, SET or ACTION one attribute."""

from __future__ import annotations

from cosem.apdu import (
    AARE,
    AARQ,
    AcseResult,
    ActionRequestNormal,
    ActionResponseNormal,
    ActionResult,
    AttributeDescriptor,
    AuthenticationMechanism,
    Conformance,
    DataAccessResult,
    GetRequestNormal,
    GetResponseNormal,
    InitiateRequest,
    MethodDescriptor,
    SetRequestNormal,
    SetResponseNormal,
    parse_apdu,
)
from cosem.axdr import Data
from cosem.obis import Obis
from cosem.server import LogicalDevice, ServerAssociation

ALL = (
    Conformance.GET
    | Conformance.SET
    | Conformance.ACTION
    | Conformance.SELECTIVE_ACCESS
    | Conformance.MULTIPLE_REFERENCES
)


def associate(device: LogicalDevice, client: int, password: bytes | None) -> ServerAssociation:
    association = device.association(client)
    aarq = AARQ(
        InitiateRequest(ALL, 0xFFFF),
        mechanism=AuthenticationMechanism.LLS if password else None,
        authentication_value=password,
    )
    aare = parse_apdu(association.handle(aarq.to_bytes()) or b"")
    assert isinstance(aare, AARE) and aare.result is AcseResult.ACCEPTED
    return association


def read(association: ServerAssociation, target: tuple[int, Obis], attribute: int) -> object:
    """The attribute's Data, or the DataAccessResult of a refusal."""
    request = GetRequestNormal(AttributeDescriptor(*target, attribute))
    response = parse_apdu(association.handle(request.to_bytes()) or b"")
    assert isinstance(response, GetResponseNormal)
    return response.result


def write(
    association: ServerAssociation, target: tuple[int, Obis], attribute: int, value: Data
) -> DataAccessResult:
    request = SetRequestNormal(AttributeDescriptor(*target, attribute), value)
    response = parse_apdu(association.handle(request.to_bytes()) or b"")
    assert isinstance(response, SetResponseNormal)
    return response.result


def act(
    association: ServerAssociation, target: tuple[int, Obis], method: int, parameter: Data | None
) -> ActionResult:
    request = ActionRequestNormal(MethodDescriptor(*target, method), parameter)
    response = parse_apdu(association.handle(request.to_bytes()) or b"")
    assert isinstance(response, ActionResponseNormal)
    return response.result
