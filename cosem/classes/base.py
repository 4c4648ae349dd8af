"""What every interface class instance is made of: attributes and methods bound to callables.

An object is data, not a subclass: ``CosemObject(class_id, version, logical_name, attributes,
methods)``. Each ``Attribute`` holds a ``read`` callable returning the value already A-XDR
encoded (so the server's hot path is one call and one concatenation, and static values are
encoded once) and optionally a ``write`` callable taking the decoded ``Data``. The interface
class modules (``cosem.classes.register`` ...) build these from small protocols supplied by
the application; cosem never imports the firmware.

A callable refuses with ``AccessRefused`` (GET/SET: a data-access-result) or ``ActionRefused``
(ACTION: an action-result); the server turns these into the proper result codes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cosem.access import Role
from cosem.apdu.descriptors import SelectiveAccess
from cosem.apdu.enums import ActionResult, DataAccessResult
from cosem.axdr import Data, DataType, encode
from cosem.errors import CosemError
from cosem.obis import Obis

Reader = Callable[[], bytes]
"""Returns the attribute value, A-XDR encoded (tag included)."""
SelectiveReader = Callable[[SelectiveAccess], bytes]
Writer = Callable[[Data], None]
Invoker = Callable[[Data | None], Data | None]
"""Runs a method with its optional parameter; returns the optional return data."""


class AccessRefused(CosemError):
    """A GET or SET that the object refuses, with the data-access-result to answer."""

    def __init__(self, result: DataAccessResult, why: str = "") -> None:
        self.result = result
        super().__init__(f"{result.name}: {why}" if why else result.name)


class ActionRefused(CosemError):
    """An ACTION that the object refuses, with the action-result to answer."""

    def __init__(self, result: ActionResult, why: str = "") -> None:
        self.result = result
        super().__init__(f"{result.name}: {why}" if why else result.name)


@dataclass(frozen=True, slots=True)
class Attribute:
    """One attribute. ``read_role``/``write_role``: least role allowed, None = nobody."""

    attribute_id: int
    read: Reader | None
    write: Writer | None = None
    read_selective: SelectiveReader | None = None
    selectors: tuple[int, ...] = ()
    read_role: Role | None = Role.PUBLIC
    write_role: Role | None = Role.MANAGEMENT


@dataclass(frozen=True, slots=True)
class Method:
    method_id: int
    invoke: Invoker
    role: Role = Role.MANAGEMENT


@dataclass(frozen=True, slots=True)
class CosemObject:
    class_id: int
    version: int
    logical_name: Obis
    attributes: tuple[Attribute, ...]
    methods: tuple[Method, ...] = ()


def static(value: Data) -> Reader:
    """A reader for a value that never changes: encoded once, here."""
    encoded = encode(value)
    return lambda: encoded


def live(value: Callable[[], Data]) -> Reader:
    """A reader that builds and encodes the value at each request."""
    return lambda: encode(value())


def logical_name(obis: Obis) -> Attribute:
    """Attribute 1 of every class, pre-encoded."""
    return Attribute(1, static(Data.octet_string(obis.to_bytes())))


def expect_type(value: Data, *types: DataType) -> Data:
    """The SET type check: a value of another type is refused with type-unmatched."""
    if value.type not in types:
        raise AccessRefused(
            DataAccessResult.TYPE_UNMATCHED,
            f"got {value.type.name}, expected {' or '.join(t.name for t in types)}",
        )
    return value


def no_parameter(parameter: Data | None) -> None:
    """Methods documented as taking ``integer 0`` accept that, null, or nothing."""
    if parameter is not None and parameter.type not in (DataType.INTEGER, DataType.NULL_DATA):
        raise ActionRefused(ActionResult.TYPE_UNMATCHED, "parameter must be integer 0")
