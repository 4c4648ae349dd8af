"""Head-end sessions with a meter's ``LogicalDevice`` in-process (``headend.loopback``: no
socket, each APDU through ``ServerAssociation.handle``)."""

from __future__ import annotations

from cosem.server import LogicalDevice
from headend.loopback import LoopbackTransport
from headend.session import Session

PUBLIC, MANAGEMENT = 16, 1
MANAGEMENT_PASSWORD = b"00000000"


def management_session(device: LogicalDevice) -> Session:
    return Session(LoopbackTransport(device.association(MANAGEMENT)), password=MANAGEMENT_PASSWORD)


def public_session(device: LogicalDevice) -> Session:
    return Session(LoopbackTransport(device.association(PUBLIC)))
