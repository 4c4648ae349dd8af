"""Event pushes on ``vmeter/<serial>/push``: what the meters' event Push setups send and how
the head-end reads one back into a ``PushEvent``.

Each MQTT message (QoS 1) is one wrapper frame (IEC 62056-47 header: source wPort 1, the
meter's management logical device, destination wPort 102, the push client) around one
unconfirmed DATA-NOTIFICATION (``cosem.classes.push_setup.push_notification``): its date-time
is the event's (local time with deviation) and its body a structure of the values of the
push object list, in this order (``event_push_objects``):

1. the push setup's logical name (attribute 1): 0-0:25.9.0.255 for the electricity meter's
   events, 0-1:25.9.0.255 for the gas meter's (its own device, or M-Bus channel 1 of an
   electricity meter run ``--with-gas``);
2. 0-0:96.1.0.255 attribute 2, the serial number of the meter that publishes (octet-string);
3. 0-0:1.0.0.255 attribute 2, the clock at the event (date-time octet-string);
4. the event code (attribute 2, unsigned, ``headend.push_codes``): 0-0:96.11.0.255, gas
   0-1:96.11.0.255;
5. the event's text for the customer (attribute 2, octet-string, UTF-8): 0-0:96.13.0.255,
   gas 0-1:96.13.0.255;
6. the balance (Register attribute 2, double-long, whole cents of EUR): 0-0:94.32.2.255, gas
   channel 1 0-1:94.32.2.255;
7. the emergency credit left (same, 94.32.3);
8. the supply switch's control_state (Disconnect control attribute 3, enum: 0 disconnected,
   1 connected, 2 ready for reconnection): the relay 0-0:96.3.10.255, the valve
   0-1:24.4.0.255.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cosem.apdu.notification import parse_data_notification
from cosem.axdr import Data, DataType
from cosem.classes.profile_generic import CaptureObject
from cosem.classes.push_setup import CLASS_ID as PUSH_SETUP_CLASS_ID
from cosem.classes.push_setup import invoke_id_of, pushed_values
from cosem.datetime_codec import CosemDateTime
from cosem.errors import DecodeError
from cosem.obis import Obis
from firmware.rules.money import MILLI_CENTS_PER_CENT, Money
from headend.meter_obis import (
    BALANCE,
    CLOCK,
    DISCONNECT_CONTROL,
    EMERGENCY_CREDIT,
    GAS_BALANCE,
    GAS_EMERGENCY_CREDIT,
    GAS_VALVE,
    SERIAL_NUMBER,
)
from headend.mqtt import unwrap_frame
from headend.push_codes import PushEventCode

EVENT_PUSH_SETUP = Obis.parse("0-0:25.9.0.255")
EVENT_CODE = Obis.parse("0-0:96.11.0.255")
"""The last event's code: the standard event code object of the meter (group 96.11)."""
EVENT_TEXT = Obis.parse("0-0:96.13.0.255")
"""The last event's text: the consumer message text object (DSMR's text message)."""
GAS_PUSH_SETUP = Obis.parse("0-1:25.9.0.255")
GAS_EVENT_CODE = Obis.parse("0-1:96.11.0.255")
GAS_EVENT_TEXT = Obis.parse("0-1:96.13.0.255")
PUSH_CLIENT_SAP = 102
"""The destination wPort of a push (the IDIS push client's SAP, [MEM])."""


def event_push_objects(
    push_setup: Obis,
    event_code: Obis,
    event_text: Obis,
    balance: Obis,
    emergency_credit: Obis,
    switch: Obis,
) -> tuple[CaptureObject, ...]:
    """The push object list of an event push, in the order above."""
    return (
        CaptureObject(PUSH_SETUP_CLASS_ID, push_setup, 1),
        CaptureObject(1, SERIAL_NUMBER, 2),
        CaptureObject(8, CLOCK, 2),
        CaptureObject(1, event_code, 2),
        CaptureObject(1, event_text, 2),
        CaptureObject(3, balance, 2),
        CaptureObject(3, emergency_credit, 2),
        CaptureObject(70, switch, 3),
    )


EVENT_PUSH_OBJECTS = event_push_objects(
    EVENT_PUSH_SETUP, EVENT_CODE, EVENT_TEXT, BALANCE, EMERGENCY_CREDIT, DISCONNECT_CONTROL
)
"""The electricity meter's event push."""
GAS_PUSH_OBJECTS = event_push_objects(
    GAS_PUSH_SETUP, GAS_EVENT_CODE, GAS_EVENT_TEXT, BALANCE, EMERGENCY_CREDIT, GAS_VALVE
)
"""The gas meter's event push in its own logical device (its balance at 0-0:94.32.x)."""
GAS_CHANNEL_1_PUSH_OBJECTS = event_push_objects(
    GAS_PUSH_SETUP, GAS_EVENT_CODE, GAS_EVENT_TEXT, GAS_BALANCE, GAS_EMERGENCY_CREDIT, GAS_VALVE
)
"""The gas meter's event push on M-Bus channel 1 of an electricity meter (``--with-gas``)."""
PUSH_SETUPS = (EVENT_PUSH_SETUP, GAS_PUSH_SETUP)
SUPPLY_STATES = ("disconnected", "connected", "ready for reconnection")


@dataclass(frozen=True, slots=True)
class PushEvent:
    """One event push as the head-end reads it."""

    push_setup: Obis
    """Which push: ``EVENT_PUSH_SETUP`` (electricity) or ``GAS_PUSH_SETUP``."""
    serial: str
    at: datetime
    """The event's time, aware (the meter's local time and offset)."""
    code: int
    text: str
    balance: Money
    emergency_credit: Money
    supply_state: int
    """The relay's (electricity) or the valve's (gas) control_state."""
    invoke_id: int

    @property
    def energy(self) -> str:
        return "gas" if self.push_setup == GAS_PUSH_SETUP else "electricity"

    @property
    def event(self) -> str:
        """The code's name (``low credit``), or ``event N`` for a code not in the table."""
        try:
            return PushEventCode(self.code).label
        except ValueError:
            return f"event {self.code}"

    @property
    def switch(self) -> str:
        return "valve" if self.push_setup == GAS_PUSH_SETUP else "relay"

    @property
    def supply(self) -> str:
        """``connected``, ``disconnected`` or ``ready for reconnection``."""
        if 0 <= self.supply_state < len(SUPPLY_STATES):
            return SUPPLY_STATES[self.supply_state]
        return f"state {self.supply_state}"


def parse_push(payload: bytes) -> PushEvent:
    """The event in one push message; DecodeError if it is not a vmeter event push."""
    notification = parse_data_notification(unwrap_frame(payload).apdu)
    values = pushed_values(notification, len(EVENT_PUSH_OBJECTS))
    name, serial, clock, code, text, balance, emergency, supply = values
    raw_name = _octets(name)
    push_setup = next((known for known in PUSH_SETUPS if known.to_bytes() == raw_name), None)
    if push_setup is None:
        raise DecodeError(f"a push of {raw_name.hex()}, not an event push")
    try:
        at = CosemDateTime.from_bytes(_octets(clock)).to_datetime()
        return PushEvent(
            push_setup=push_setup,
            serial=_octets(serial).decode(),
            at=at,
            code=_integer(code, DataType.UNSIGNED),
            text=_octets(text).decode(),
            balance=_cents(balance),
            emergency_credit=_cents(emergency),
            supply_state=_integer(supply, DataType.ENUM),
            invoke_id=invoke_id_of(notification),
        )
    except (UnicodeDecodeError, ValueError) as error:  # a date-time with fields unspecified
        raise DecodeError(f"event push: {error}") from error


def _octets(value: Data) -> bytes:
    if value.type is not DataType.OCTET_STRING or not isinstance(value.value, bytes):
        raise DecodeError(f"event push: octet-string expected, got {value.type.name}")
    return value.value


def _integer(value: Data, data_type: DataType) -> int:
    if value.type is not data_type:
        raise DecodeError(f"event push: {data_type.name} expected, got {value.type.name}")
    return value.int_value


def _cents(value: Data) -> Money:
    return Money(_integer(value, DataType.DOUBLE_LONG) * MILLI_CENTS_PER_CENT)
