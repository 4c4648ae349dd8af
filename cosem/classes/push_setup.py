"""Push setup (class_id 40, version 0) and the DATA-NOTIFICATION a push sends.

Attributes (Gurux ``GXDLMSPushSetup`` version 0): 1 logical_name; 2 push_object_list, array
of capture-object structures {class_id long-unsigned, logical_name octet-string, attribute_index
integer, data_index long-unsigned}; 3 send_destination_and_method {transport_service enum,
destination octet-string, message enum}; 4 communication_window, array of {start, end}
date-time octet-strings (empty = always); 5 randomisation_start_interval (long-unsigned, s);
6 number_of_retries (unsigned); 7 repetition_delay (long-unsigned, s). Method 1 push(integer 0)
sends the push now through the application's callback.

The push object list is the contract with whoever decodes the pushes, so it is read-only here;
the management client writes attributes 3 to 7, kept in a ``PushSettings``.

A push is one unconfirmed DATA-NOTIFICATION (COSEM-FACTS 8.2): long-invoke-id-and-priority,
the date-time of the push, and as body a structure holding the value of each push object in
list order (``push_notification``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from cosem.apdu.enums import DataAccessResult
from cosem.apdu.notification import DataNotification
from cosem.axdr import Data, DataType
from cosem.classes.base import (
    AccessRefused,
    Attribute,
    CosemObject,
    Method,
    expect_type,
    live,
    logical_name,
    no_parameter,
    static,
)
from cosem.classes.profile_generic import CaptureObject
from cosem.datetime_codec import CosemDateTime
from cosem.errors import DecodeError
from cosem.obis import Obis

CLASS_ID = 40
VERSION = 0
PUSH_METHOD = 1
MAX_INVOKE_ID = 0xFFFFFF
"""long-invoke-id: bits 0-23 (Blue Book [MEM]); bit 31 high priority, bit 30 confirmed."""
HIGH_PRIORITY = 1 << 31


class TransportService(IntEnum):
    """send_destination_and_method transport_service (Gurux ServiceType). MQTT rides on TCP;
    a manufacturer-specific value (200-255, [MEM]) would be refused by Gurux clients."""

    TCP = 0
    UDP = 1
    FTP = 2
    SMTP = 3
    SMS = 4
    HDLC = 5
    M_BUS = 6
    ZIGBEE = 7


class MessageType(IntEnum):
    COSEM_APDU = 0
    COSEM_APDU_XML = 1


@dataclass(frozen=True, slots=True)
class PushDestination:
    """Where and how the push goes (attribute 3)."""

    service: int
    destination: bytes
    message: int = MessageType.COSEM_APDU

    def to_data(self) -> Data:
        return Data.structure(
            Data.enum(self.service), Data.octet_string(self.destination), Data.enum(self.message)
        )


@dataclass(slots=True)
class PushSettings:
    """Attributes 3 to 7, as the management client last wrote them. The window is a list of
    (start, end) date-time octet-strings, empty = the meter may push at any time."""

    destination: PushDestination
    window: list[tuple[bytes, bytes]] = field(default_factory=list)
    randomisation_start_interval_s: int = 0
    number_of_retries: int = 0
    repetition_delay_s: int = 0


def push_setup(
    obis: Obis,
    objects: Sequence[CaptureObject],
    settings: PushSettings,
    push: Callable[[], None],
) -> CosemObject:
    """A Push setup object; ``push`` sends one push now (method 1). It may raise
    ``ActionRefused`` to answer the ACTION with that result."""

    def push_now(parameter: Data | None) -> None:
        no_parameter(parameter)
        push()

    return CosemObject(
        CLASS_ID,
        VERSION,
        obis,
        (
            logical_name(obis),
            Attribute(2, static(Data.array(entry.to_data() for entry in objects))),
            Attribute(3, live(lambda: settings.destination.to_data()), _set_destination(settings)),
            Attribute(4, live(lambda: _window_data(settings)), _set_window(settings)),
            Attribute(
                5,
                live(lambda: Data.long_unsigned(settings.randomisation_start_interval_s)),
                _set_unsigned(settings, "randomisation_start_interval_s", DataType.LONG_UNSIGNED),
            ),
            Attribute(
                6,
                live(lambda: Data.unsigned(settings.number_of_retries)),
                _set_unsigned(settings, "number_of_retries", DataType.UNSIGNED),
            ),
            Attribute(
                7,
                live(lambda: Data.long_unsigned(settings.repetition_delay_s)),
                _set_unsigned(settings, "repetition_delay_s", DataType.LONG_UNSIGNED),
            ),
        ),
        (Method(PUSH_METHOD, push_now),),
    )


def push_notification(
    invoke_id: int, at: CosemDateTime | None, values: Sequence[Data], high_priority: bool = True
) -> DataNotification:
    """The DATA-NOTIFICATION of one push: ``values`` are those of the push object list, in
    its order; unconfirmed, ``invoke_id`` taken modulo 2**24."""
    invoke = (invoke_id & MAX_INVOKE_ID) | (HIGH_PRIORITY if high_priority else 0)
    stamp = None if at is None else at.to_bytes()
    return DataNotification(invoke, stamp, Data.structure(*values))


def pushed_values(notification: DataNotification, expected: int) -> tuple[Data, ...]:
    """The push object values a notification carries; DecodeError unless a structure of
    ``expected`` values."""
    body = notification.body
    if body.type is not DataType.STRUCTURE or len(body.items) != expected:
        raise DecodeError(f"push body: a structure of {expected} values expected")
    return body.items


def invoke_id_of(notification: DataNotification) -> int:
    return notification.long_invoke_id & MAX_INVOKE_ID


# -- SET of attributes 3 to 7 --------------------------------------------------------------------


def _set_destination(settings: PushSettings) -> Callable[[Data], None]:
    def write(value: Data) -> None:
        service, destination, message = _structure(value, 3, "send_destination_and_method")
        settings.destination = PushDestination(
            _integer(service, DataType.ENUM),
            _octets(destination),
            _integer(message, DataType.ENUM),
        )

    return write


def _window_data(settings: PushSettings) -> Data:
    return Data.array(
        Data.structure(Data.octet_string(start), Data.octet_string(end))
        for start, end in settings.window
    )


def _set_window(settings: PushSettings) -> Callable[[Data], None]:
    def write(value: Data) -> None:
        expect_type(value, DataType.ARRAY)
        window = []
        for item in value.items:
            start, end = (_date_time(bound) for bound in _structure(item, 2, "window"))
            window.append((start, end))
        settings.window = window

    return write


def _set_unsigned(settings: PushSettings, name: str, data_type: DataType) -> Callable[[Data], None]:
    def write(value: Data) -> None:
        setattr(settings, name, _integer(value, data_type))

    return write


def _structure(value: Data, count: int, what: str) -> tuple[Data, ...]:
    expect_type(value, DataType.STRUCTURE)
    if len(value.items) != count:
        raise AccessRefused(DataAccessResult.TYPE_UNMATCHED, f"{what}: structure of {count}")
    return value.items


def _integer(value: Data, data_type: DataType) -> int:
    return expect_type(value, data_type).int_value


def _octets(value: Data) -> bytes:
    raw = expect_type(value, DataType.OCTET_STRING).value
    assert isinstance(raw, bytes)
    return raw


def _date_time(value: Data) -> bytes:
    raw = _octets(value)
    try:
        CosemDateTime.from_bytes(raw)
    except DecodeError as error:
        raise AccessRefused(DataAccessResult.TYPE_UNMATCHED, str(error)) from error
    return raw
