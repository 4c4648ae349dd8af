"""Association LN (class_id 15, version 1) at 0-0:40.0.0.255 (the current association).

One instance per association, built when the AARQ is accepted: 1 logical_name, 2 object_list
(every object of the logical device, whatever the client's role, with the access rights of
*this* client), 3 associated_partners_id, 4 application_context_name, 5 xDLMS_context_info,
6 authentication_mechanism_name, 7 secret (never readable), 8 association_status,
9 security_setup_reference (none yet: zeros). Names 4 and 6 are the BER-encoded object
identifiers (60 85 74 05 08 ...), the form gurux and most meters use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cosem.access import MethodAccessMode, Role, attribute_access_mode
from cosem.apdu.enums import ApplicationContext, AuthenticationMechanism, Conformance
from cosem.axdr import BitString, Data, encode, encode_length
from cosem.classes.base import Attribute, CosemObject, logical_name, static
from cosem.obis import Obis

CLASS_ID = 15
CURRENT_ASSOCIATION_OBIS = Obis(0, 0, 40, 0, 0, 255)
ASSOCIATED = 2
_OID_PREFIX = bytes((0x60, 0x85, 0x74, 0x05, 0x08))  # 2.16.756.5.8 in BER
_CONTEXT_NAME_ARC = 1
_MECHANISM_NAME_ARC = 2
_NO_SECURITY_SETUP = bytes(6)


@dataclass(frozen=True, slots=True)
class AssociationContext:
    """What an accepted AARQ negotiated: shown by attributes 3, 5, 6."""

    client_sap: int
    server_sap: int
    role: Role
    mechanism: AuthenticationMechanism
    conformance: Conformance
    server_max_receive_pdu_size: int
    client_max_receive_pdu_size: int
    dlms_version: int = 6


def object_list_entry(obj: CosemObject, role: Role) -> Data:
    """structure{class_id, version, logical_name, access_rights} as ``role`` sees it."""
    attribute_access = Data.array(
        Data.structure(
            Data.integer(attribute.attribute_id),
            Data.enum(attribute_access_mode(role, attribute.read_role, attribute.write_role)),
            Data.array(Data.integer(s) for s in attribute.selectors)
            if attribute.selectors
            else Data.null(),
        )
        for attribute in obj.attributes
    )
    method_access = Data.array(
        Data.structure(
            Data.integer(method.method_id),
            Data.enum(
                MethodAccessMode.ACCESS if role >= method.role else MethodAccessMode.NO_ACCESS
            ),
        )
        for method in obj.methods
    )
    return Data.structure(
        Data.long_unsigned(obj.class_id),
        Data.unsigned(obj.version),
        Data.octet_string(obj.logical_name.to_bytes()),
        Data.structure(attribute_access, method_access),
    )


def encoded_entries(objects: Iterable[CosemObject], role: Role) -> bytes:
    """The concatenated encoded entries (no array header) for ``role``."""
    return b"".join(encode(object_list_entry(obj, role)) for obj in objects)


def association_ln(context: AssociationContext, device_entries: bytes, count: int) -> CosemObject:
    """The current-association object; ``device_entries``/``count``: the other objects' list
    entries for this role, pre-encoded once per logical device."""
    obis = CURRENT_ASSOCIATION_OBIS
    partners = Data.structure(
        Data.integer(context.client_sap), Data.long_unsigned(context.server_sap)
    )
    context_name = _oid(_CONTEXT_NAME_ARC, ApplicationContext.LOGICAL_NAME)
    attributes = [
        logical_name(obis),
        Attribute(2, None),  # its entry in its own list needs only the access rights
        Attribute(3, static(partners)),
        Attribute(4, static(Data.octet_string(context_name))),
        Attribute(5, static(_xdlms_context_info(context))),
        Attribute(6, static(Data.octet_string(_oid(_MECHANISM_NAME_ARC, context.mechanism)))),
        Attribute(7, None, read_role=None, write_role=None),
        Attribute(8, static(Data.enum(ASSOCIATED))),
        Attribute(9, static(Data.octet_string(_NO_SECURITY_SETUP))),
    ]
    own_entry = encode(
        object_list_entry(CosemObject(CLASS_ID, 1, obis, tuple(attributes)), context.role)
    )
    object_list = b"\x01" + encode_length(count + 1) + device_entries + own_entry
    attributes[1] = Attribute(2, lambda: object_list)
    return CosemObject(CLASS_ID, 1, obis, tuple(attributes))


def _oid(kind: int, last_arc: int) -> bytes:
    return _OID_PREFIX + bytes((kind, last_arc))


def _xdlms_context_info(context: AssociationContext) -> Data:
    return Data.structure(
        Data.bit_string(BitString(context.conformance.to_wire(), 24)),
        Data.long_unsigned(context.server_max_receive_pdu_size),
        Data.long_unsigned(context.client_max_receive_pdu_size),
        Data.unsigned(context.dlms_version),
        Data.integer(0),
        Data.octet_string(b""),
    )
