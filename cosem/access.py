"""Who may do what: client roles, per-client security policies, COSEM access modes.

A logical device serves several client SAPs (16 public, 17 reader, 1 management by default).
Each client SAP has a ``ClientPolicy``: the authentication mechanism it must use, its secret,
and the ``Role`` its associations get. Every attribute and method names the least role that
may read, write or invoke it; the access modes shown in the object list are derived from that,
so the list a client reads always tells the truth about what it may do.

High-level security (HLS) will add mechanisms and a challenge step to ``ClientPolicy``; the
association layer only asks ``policy.accepts(mechanism, value)``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum

from cosem.apdu.enums import AuthenticationMechanism


class Role(IntEnum):
    """What an association may do, ordered: a higher role may do all a lower one may."""

    PUBLIC = 0
    READER = 1
    MANAGEMENT = 2


class AttributeAccessMode(IntEnum):
    """attribute_access_mode of Association LN version 1 (object list access rights)."""

    NO_ACCESS = 0
    READ_ONLY = 1
    WRITE_ONLY = 2
    READ_AND_WRITE = 3


class MethodAccessMode(IntEnum):
    """method_access_mode of Association LN version 1."""

    NO_ACCESS = 0
    ACCESS = 1


def attribute_access_mode(role: Role, read: Role | None, write: Role | None) -> AttributeAccessMode:
    """The access mode a client with ``role`` has on an attribute with these least roles."""
    readable = read is not None and role >= read
    writable = write is not None and role >= write
    if readable and writable:
        return AttributeAccessMode.READ_AND_WRITE
    if readable:
        return AttributeAccessMode.READ_ONLY
    if writable:
        return AttributeAccessMode.WRITE_ONLY
    return AttributeAccessMode.NO_ACCESS


@dataclass(frozen=True, slots=True)
class ClientPolicy:
    """Security policy of one client SAP: mechanism, secret, and the role it is granted."""

    client_sap: int
    role: Role
    mechanism: AuthenticationMechanism = AuthenticationMechanism.NONE
    secret: bytes = b""

    def accepts(
        self,
        mechanism: AuthenticationMechanism | None,
        authentication_value: bytes | None,
    ) -> bool:
        """True when an AARQ with this mechanism and authentication value may associate."""
        if self.mechanism is AuthenticationMechanism.NONE:
            return mechanism in (None, AuthenticationMechanism.NONE)
        if self.mechanism is AuthenticationMechanism.LLS:
            return (
                mechanism is AuthenticationMechanism.LLS
                and authentication_value is not None
                and hmac.compare_digest(authentication_value, self.secret)
            )
        return False  # HLS mechanisms arrive with their own issue


DEFAULT_READER_PASSWORD = b"12345678"
DEFAULT_MANAGEMENT_PASSWORD = b"00000000"
"""Documented default LLS passwords (as emulator/config.py's SecurityConfig)."""


def default_clients(
    reader_password: bytes = DEFAULT_READER_PASSWORD,
    management_password: bytes = DEFAULT_MANAGEMENT_PASSWORD,
) -> dict[int, ClientPolicy]:
    """The three usual clients: 16 public, 17 reader (LLS), 1 management (LLS)."""
    return {
        16: ClientPolicy(16, Role.PUBLIC),
        17: ClientPolicy(17, Role.READER, AuthenticationMechanism.LLS, reader_password),
        1: ClientPolicy(1, Role.MANAGEMENT, AuthenticationMechanism.LLS, management_password),
    }


def policies_by_sap(policies: Iterable[ClientPolicy]) -> Mapping[int, ClientPolicy]:
    return {policy.client_sap: policy for policy in policies}
