"""What every vmeter logical device shares, electricity or gas: server SAP 1, the three
clients and their passwords, the SAP assignment and the identity texts."""

from __future__ import annotations

from collections.abc import Sequence

from cosem.access import default_clients
from cosem.axdr import Data
from cosem.classes.base import CosemObject
from cosem.classes.data import constant_data
from cosem.classes.sap_assignment import sap_assignment
from cosem.obis import Obis
from cosem.server import DEFAULT_SERVER_MAX_RECEIVE_PDU_SIZE, LogicalDevice
from emulator import obis_map
from emulator.config import MeterConfig
from firmware.settings import Identity

SERVER_SAP = 1
QUARTER_HOUR_S = 15 * 60
DAY_S = 24 * 3600


def text_object(obis: Obis, text: str) -> CosemObject:
    """A Data object holding ``text`` as an octet-string."""
    return constant_data(obis, Data.octet_string(text.encode()))


def identity_objects(identity: Identity) -> list[CosemObject]:
    """The SAP assignment and the logical device name, serial number and EAN."""
    return [
        sap_assignment({SERVER_SAP: identity.logical_device_name.encode()}),
        text_object(obis_map.LOGICAL_DEVICE_NAME, identity.logical_device_name),
        text_object(obis_map.SERIAL_NUMBER, identity.serial_number),
        text_object(obis_map.EAN, identity.ean),
    ]


def logical_device(
    objects: Sequence[CosemObject],
    config: MeterConfig,
    max_receive_pdu_size: int = DEFAULT_SERVER_MAX_RECEIVE_PDU_SIZE,
) -> LogicalDevice:
    """The device serving ``objects`` to the public, reader and management clients."""
    security = config.security
    clients = default_clients(
        security.reader_password.encode(), security.management_password.encode()
    )
    return LogicalDevice(
        objects, clients, server_sap=SERVER_SAP, max_receive_pdu_size=max_receive_pdu_size
    )
