"""COSEM attribute/method descriptors and selective access, shared by GET, SET and ACTION."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cosem.apdu.reader import Reader
from cosem.axdr import Data, encode
from cosem.obis import Obis

_DESCRIPTOR = struct.Struct(">H6sB")


@dataclass(frozen=True, slots=True)
class AttributeDescriptor:
    class_id: int
    obis: Obis
    attribute_id: int

    def to_bytes(self) -> bytes:
        return _DESCRIPTOR.pack(self.class_id, self.obis.to_bytes(), self.attribute_id)

    @classmethod
    def read(cls, reader: Reader) -> AttributeDescriptor:
        class_id = reader.u16("class-id")
        obis = Obis.from_bytes(reader.take(6, "instance-id"))
        return cls(class_id, obis, reader.u8("attribute-id"))


@dataclass(frozen=True, slots=True)
class MethodDescriptor:
    class_id: int
    obis: Obis
    method_id: int

    def to_bytes(self) -> bytes:
        return _DESCRIPTOR.pack(self.class_id, self.obis.to_bytes(), self.method_id)

    @classmethod
    def read(cls, reader: Reader) -> MethodDescriptor:
        class_id = reader.u16("class-id")
        obis = Obis.from_bytes(reader.take(6, "instance-id"))
        return cls(class_id, obis, reader.u8("method-id"))


@dataclass(frozen=True, slots=True)
class SelectiveAccess:
    selector: int
    parameters: Data

    def to_bytes(self) -> bytes:
        return bytes((self.selector,)) + encode(self.parameters)


def encode_access(access: SelectiveAccess | None) -> bytes:
    """The OPTIONAL access-selection that follows an attribute descriptor."""
    return b"\x00" if access is None else b"\x01" + access.to_bytes()


def read_access(reader: Reader) -> SelectiveAccess | None:
    if not reader.choice("access-selection present"):
        return None
    selector = reader.u8("access-selector")
    return SelectiveAccess(selector, reader.data())


@dataclass(frozen=True, slots=True)
class AttributeWithSelection:
    """One entry of a GET/SET-with-list: a descriptor and its optional selective access."""

    attribute: AttributeDescriptor
    access: SelectiveAccess | None = None

    def to_bytes(self) -> bytes:
        return self.attribute.to_bytes() + encode_access(self.access)

    @classmethod
    def read(cls, reader: Reader) -> AttributeWithSelection:
        return cls(AttributeDescriptor.read(reader), read_access(reader))
