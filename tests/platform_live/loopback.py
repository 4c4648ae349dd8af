"""An in-process ``ApduTransport``: the head-end's ``Session`` talks to a meter's
``LogicalDevice`` with no socket between them (each APDU through ``ServerAssociation.handle``)."""

from __future__ import annotations

import collections

from cosem.server import LogicalDevice
from headend.session import ApduTransport, NoAnswer, Session

PUBLIC, MANAGEMENT = 16, 1
MANAGEMENT_PASSWORD = b"00000000"


class Loopback(ApduTransport):
    def __init__(self, device: LogicalDevice, client_sap: int) -> None:
        self._association = device.association(client_sap)
        self._answers: collections.deque[bytes] = collections.deque()

    async def send(self, apdu: bytes) -> None:
        answer = self._association.handle(apdu)
        if answer is not None:
            self._answers.append(answer)

    async def receive(self, timeout_s: float) -> bytes:
        if not self._answers:
            raise NoAnswer("the meter did not answer")
        return self._answers.popleft()

    async def close(self) -> None:
        self._answers.clear()


def management_session(device: LogicalDevice) -> Session:
    return Session(Loopback(device, MANAGEMENT), password=MANAGEMENT_PASSWORD)


def public_session(device: LogicalDevice) -> Session:
    return Session(Loopback(device, PUBLIC))
