"""Data (class_id 1, version 0): 1 logical_name, 2 value."""

from __future__ import annotations

from collections.abc import Callable

from cosem.access import Role
from cosem.axdr import Data
from cosem.classes.base import Attribute, CosemObject, Writer, live, logical_name, static
from cosem.obis import Obis

CLASS_ID = 1


def constant_data(obis: Obis, value: Data) -> CosemObject:
    """A Data object whose value never changes (serial number, firmware identifier...)."""
    return CosemObject(CLASS_ID, 0, obis, (logical_name(obis), Attribute(2, static(value))))


def live_data(
    obis: Obis,
    value: Callable[[], Data],
    write: Writer | None = None,
    read_role: Role = Role.PUBLIC,
    write_role: Role = Role.MANAGEMENT,
) -> CosemObject:
    """A Data object read at each request, optionally writable."""
    attribute = Attribute(
        2, live(value), write, read_role=read_role, write_role=write_role if write else None
    )
    return CosemObject(CLASS_ID, 0, obis, (logical_name(obis), attribute))
