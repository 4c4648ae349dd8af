"""The head-end as the management client of a running meter in the same process, over
``headend.loopback``: a scenario step (a plain callable on the meter's run loop) runs a whole
head-end exchange (associate, requests, release) at the meter's current simulated instant.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from cosem.server import LogicalDevice
from emulator.config import MeterConfig
from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from headend.loopback import LoopbackTransport, run_now
from headend.session import Session

MANAGEMENT_CLIENT = 1
T = TypeVar("T")


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
