"""Human-readable APDUs for ``--trace``: hex of each frame with its decoded APDU, and where
the trace goes (``open_trace``)."""

from __future__ import annotations

import dataclasses
import enum
import sys
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from cosem.apdu import AttributeDescriptor, InvokeIdAndPriority, MethodDescriptor, parse_apdu
from cosem.axdr import Data, DataType
from cosem.errors import CosemError
from cosem.obis import Obis

_MAX_ITEMS = 8  # long arrays are elided in traces

Tracer = Callable[[str], None]
"""Receives one trace entry (``format_frame``'s text); transports take one, or None."""


class TraceFile:
    """A ``Tracer`` writing to a file, or to stderr for ``-``: stdout is never used, it carries
    the program's own output (the meter's LCD lines, the head-end's results)."""

    def __init__(self, target: str) -> None:
        """``target`` is a path to append to or ``-``; OSError when the file cannot be opened."""
        self.target = target
        self._sink: TextIO = sys.stderr if target == "-" else open(target, "a")  # noqa: SIM115

    def __call__(self, text: str) -> None:
        print(text, file=self._sink, flush=True)

    def close(self) -> None:
        if self._sink is not sys.stderr:
            self._sink.close()

    def __enter__(self) -> TraceFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_trace(target: str | None) -> TraceFile | None:
    """The ``--trace FILE|-`` option: None without one; OSError for a file that cannot be
    opened (each CLI turns it into its own usage error)."""
    return None if target is None else TraceFile(target)


def describe_data(data: Data) -> str:
    """Compact text of a value, e.g. ``double-long-unsigned 1234`` or ``structure{...}``."""
    name = data.type.name.lower().replace("_", "-")
    value = data.value
    if isinstance(value, tuple):
        shown = ", ".join(describe_data(item) for item in value[:_MAX_ITEMS])
        more = f", ... ({len(value)} items)" if len(value) > _MAX_ITEMS else ""
        return f"{name}{{{shown}{more}}}"
    if value is None:
        return name
    if data.type is DataType.VISIBLE_STRING or data.type is DataType.UTF8_STRING:
        return f"{name} {value!r}"
    if isinstance(value, bytes):
        return f"{name} {value.hex(' ') or '(empty)'}"
    return f"{name} {value}"


def describe_apdu(apdu: bytes) -> str:
    """One line naming the APDU and its fields (long arrays elided). Never raises."""
    try:
        message = parse_apdu(apdu)
    except CosemError as exc:
        return f"undecodable APDU ({exc})"
    try:
        return _describe(message)
    except Exception as exc:  # a trace must never break the link it observes
        return f"{type(message).__name__} (not describable: {exc})"


def format_frame(direction: str, raw: bytes, apdu: bytes) -> str:
    """Trace text of one frame: direction, the frame bytes in hex, then the decoded APDU."""
    return f"{direction} {raw.hex(' ')}\n    {describe_apdu(apdu)}"


def _describe(message: object) -> str:
    assert dataclasses.is_dataclass(message)
    parts = []
    for item in dataclasses.fields(message):
        value = getattr(message, item.name)
        if value is None:
            continue
        parts.append(f"{item.name.replace('_', '-')}={_value(value)}")
    return f"{type(message).__name__} " + " ".join(parts)


def _value(value: object) -> str:
    if isinstance(value, Data):
        return describe_data(value)
    if isinstance(value, InvokeIdAndPriority):
        return str(value.invoke_id)
    if isinstance(value, AttributeDescriptor):
        return f"({value.class_id}, {value.obis}, {value.attribute_id})"
    if isinstance(value, MethodDescriptor):
        return f"({value.class_id}, {value.obis}, method {value.method_id})"
    if isinstance(value, Obis):
        return str(value)
    if isinstance(value, enum.Enum):
        return str(value.name)
    if isinstance(value, bytes):
        return value.hex(" ") if len(value) <= 64 else f"{value[:64].hex(' ')} ... ({len(value)} B)"
    if isinstance(value, tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "{" + _describe(value) + "}"
    return repr(value)
