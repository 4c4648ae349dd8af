"""The head-end's COSEM client talking to a meter in the same process: a loopback
``ApduTransport`` feeding each request straight into the meter's ``ServerAssociation``.

The server answers synchronously, so a ``Session`` over this transport never waits: a
scenario step (a plain callable on the meter's run loop) runs a whole head-end exchange
(associate, requests, release) at the meter's current simulated instant with ``run_now``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from cosem.errors import CosemError
from cosem.server import LogicalDevice, ServerAssociation
from emulator.config import MeterConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from headend.session import ApduTransport, NoAnswer, Session

MANAGEMENT_CLIENT = 1
T = TypeVar("T")


class LoopbackTransport(ApduTransport):
    """Carries APDUs to one ``ServerAssociation`` in-process; answers are ready at once."""

    def __init__(self, association: ServerAssociation) -> None:
        self._association = association
        self._answers: deque[bytes] = deque()

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


class LoopbackWaited(CosemError):
    """A head-end exchange tried to wait for I/O, which the loopback never needs."""


def run_now(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that completes without waiting (a head-end exchange over the loopback)
    from synchronous code already inside the event loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise LoopbackWaited("a head-end exchange over the loopback waited for I/O")


class LoopbackHeadend:
    """The head-end as the management client of one running meter's logical device (built
    on first use, so a meter never operated by the head-end never builds it)."""

    def __init__(self, virtual: VirtualMeter, config: MeterConfig) -> None:
        self._virtual = virtual
        self._config = config
        self._device: LogicalDevice | None = None

    def run(self, operation: Callable[[Session], Awaitable[T]]) -> T:
        """One association: associate, ``operation(session)``, release. Raises the
        ``CosemError`` the operation raised (a refusal, a protocol error)."""
        if self._device is None:
            self._device = build_logical_device(self._virtual, self._config)
        transport = LoopbackTransport(self._device.association(MANAGEMENT_CLIENT))
        password = self._config.security.management_password.encode()

        async def exchange() -> T:
            async with Session(transport, password=password) as session:
                return await operation(session)

        return run_now(exchange())
