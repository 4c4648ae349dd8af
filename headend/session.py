"""An asyncio xDLMS client session over any transport that carries whole APDUs.

The protocol lives in the sans-IO ``cosem.client.ClientAssociation``; this is the loop
around it: send a request, wait for the answer, follow block transfers, turn refusals into
the ``CosemError`` subclasses of ``cosem.client``. Transports (TCP wrapper, HDLC, MQTT)
implement ``ApduTransport`` and own the timeout: it bounds the meter's silence, not the
exchange, so a long answer on a slow line arrives whole as long as it keeps coming.
"""

from __future__ import annotations

import abc
import asyncio
from types import TracebackType
from typing import TypeVar

from cosem.apdu import (
    AttributeDescriptor,
    DataAccessResult,
    DataNotification,
    MethodDescriptor,
    SelectiveAccess,
)
from cosem.axdr import Data
from cosem.client import (
    ActionDone,
    Associated,
    ClientAssociation,
    ClientState,
    Event,
    GetListResult,
    GetResult,
    Notification,
    ProtocolError,
    Released,
    SendNext,
    SetDone,
)
from cosem.errors import CosemError

DEFAULT_TIMEOUT_S = 5.0


class NoAnswer(CosemError):
    """The meter did not answer in time, or the link closed."""


class ApduTransport(abc.ABC):
    """Carries whole APDUs to one meter (logical device) and back."""

    @abc.abstractmethod
    async def send(self, apdu: bytes) -> None: ...

    @abc.abstractmethod
    async def receive(self, timeout_s: float) -> bytes:
        """The next APDU from the meter; raises NoAnswer when the link closed or the meter
        stayed silent for ``timeout_s`` (a silence, not a cap on the whole answer)."""

    @abc.abstractmethod
    async def close(self) -> None: ...


class Session:
    """One association with one meter: ``async with Session(transport) as s: await s.get(..)``
    (associates on entry, releases and closes on exit)."""

    def __init__(
        self,
        transport: ApduTransport,
        *,
        password: bytes | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_receive_pdu_size: int = 0xFFFF,
    ) -> None:
        self.transport = transport
        self.association = ClientAssociation(password, max_receive_pdu_size=max_receive_pdu_size)
        self.timeout_s = timeout_s
        self.notifications: asyncio.Queue[DataNotification] = asyncio.Queue()

    async def __aenter__(self) -> Session:
        try:
            await self.associate()
        except BaseException:
            await self.transport.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc is None and self.association.state is ClientState.ASSOCIATED:
                await self.release()
        finally:
            await self.transport.close()

    async def associate(self) -> Associated:
        return _expect(await self._exchange(self.association.associate_request()), Associated)

    async def get(
        self, attribute: AttributeDescriptor, selective: SelectiveAccess | None = None
    ) -> Data:
        event = await self._exchange(self.association.get_request(attribute, selective))
        return _expect(event, GetResult).value

    async def get_with_list(
        self, attributes: list[AttributeDescriptor]
    ) -> tuple[Data | DataAccessResult, ...]:
        event = await self._exchange(self.association.get_with_list_request(attributes))
        return _expect(event, GetListResult).results

    async def set(self, attribute: AttributeDescriptor, value: Data) -> None:
        _expect(await self._exchange(self.association.set_request(attribute, value)), SetDone)

    async def action(self, method: MethodDescriptor, parameters: Data | None = None) -> Data | None:
        event = await self._exchange(self.association.action_request(method, parameters))
        return _expect(event, ActionDone).return_data

    async def release(self) -> None:
        _expect(await self._exchange(self.association.release_request()), Released)

    async def _exchange(self, request: bytes) -> Event:
        # No task and no timer here: the transport awaits the line directly (one event-loop
        # turn per answer on TCP) and bounds the silence itself.
        await self.transport.send(request)
        while True:
            event = self.association.receive_apdu(await self.transport.receive(self.timeout_s))
            if isinstance(event, Notification):
                self.notifications.put_nowait(event.apdu)
            elif isinstance(event, SendNext):
                await self.transport.send(event.apdu)
            else:
                return event


E = TypeVar("E")


def _expect(event: Event, kind: type[E]) -> E:
    if not isinstance(event, kind):
        raise ProtocolError(f"expected {kind.__name__}, got {type(event).__name__}")
    return event
