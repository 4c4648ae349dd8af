"""The head-end's COSEM client talking to a meter in the same process: a loopback
``ApduTransport`` feeding each request straight into the meter's ``ServerAssociation``.

The server answers synchronously, so a ``Session`` over this transport never waits: code
already inside the event loop (a scenario step, a test) can run a whole exchange (associate,
requests, release) at once with ``run_now``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Coroutine
from typing import Any, TypeVar

from cosem.errors import CosemError
from cosem.server import ServerAssociation
from headend.session import ApduTransport, NoAnswer

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
