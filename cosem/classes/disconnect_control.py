"""Disconnect control (class_id 70, version 1) at 0-0:96.3.10.255, bound to a ``Relay``.

Attributes: 1 logical_name, 2 output_state (boolean, TRUE = connected), 3 control_state
(enum 0 disconnected, 1 connected, 2 ready_for_reconnection), 4 control_mode (enum 0..7,
writable by the management client). Methods: 1 remote_disconnect, 2 remote_reconnect
(parameter integer 0). The state machine and the control_mode table live in the firmware; a
transition the current control_mode forbids is answered with ``refusal`` (default
temporary-failure, COSEM-FACTS 1: no source names the code, so it is configurable).
"""

from __future__ import annotations

from typing import Protocol

from cosem.apdu.enums import ActionResult, DataAccessResult
from cosem.axdr import Data, DataType
from cosem.classes.base import (
    AccessRefused,
    ActionRefused,
    Attribute,
    CosemObject,
    Method,
    expect_type,
    live,
    logical_name,
    no_parameter,
)
from cosem.obis import Obis

CLASS_ID = 70
DISCONNECT_CONTROL_OBIS = Obis(0, 0, 96, 3, 10, 255)
CONTROL_MODES = range(8)


class Relay(Protocol):
    def output_state(self) -> bool: ...

    def control_state(self) -> int: ...

    def control_mode(self) -> int: ...

    def set_control_mode(self, mode: int) -> None: ...

    def remote_disconnect(self) -> bool:
        """Apply transition b/c; False when the control mode forbids it."""
        ...

    def remote_reconnect(self) -> bool:
        """Apply transition a/d (i); False when the control mode forbids it."""
        ...


def disconnect_control(
    relay: Relay,
    obis: Obis = DISCONNECT_CONTROL_OBIS,
    refusal: ActionResult = ActionResult.TEMPORARY_FAILURE,
) -> CosemObject:
    def set_mode(value: Data) -> None:
        mode = expect_type(value, DataType.ENUM).int_value
        if mode not in CONTROL_MODES:
            raise AccessRefused(DataAccessResult.OTHER_REASON, f"control_mode {mode} not 0..7")
        relay.set_control_mode(mode)

    def remote_disconnect(parameter: Data | None) -> None:
        no_parameter(parameter)
        if not relay.remote_disconnect():
            raise ActionRefused(refusal, "remote_disconnect forbidden in this state/mode")

    def remote_reconnect(parameter: Data | None) -> None:
        no_parameter(parameter)
        if not relay.remote_reconnect():
            raise ActionRefused(refusal, "remote_reconnect forbidden in this state/mode")

    return CosemObject(
        CLASS_ID,
        1,
        obis,
        (
            logical_name(obis),
            Attribute(2, live(lambda: Data.boolean(relay.output_state()))),
            Attribute(3, live(lambda: Data.enum(relay.control_state()))),
            Attribute(4, live(lambda: Data.enum(relay.control_mode())), set_mode),
        ),
        (Method(1, remote_disconnect), Method(2, remote_reconnect)),
    )
