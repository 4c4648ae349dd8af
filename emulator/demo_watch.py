"""What anyone subscribed to the demo's broker sees: the meters' retained status and their
event pushes (``vmeter/+/status``, ``vmeter/+/push``), printed as they arrive.

``settle`` waits until every push the meters queued has come back through the broker, so a
push is printed beside the step that caused it, not a few lines later."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

import aiomqtt

from cosem.errors import DecodeError
from emulator.demo_output import say
from emulator.push_binding import PushQueue
from headend.mqtt import QOS, BrokerAddress, mqtt_client
from headend.push_events import parse_push

STATUS_TOPIC, PUSH_TOPIC = "vmeter/+/status", "vmeter/+/push"
SETTLE_TIMEOUT_S = 10.0


class BrokerWatch:
    def __init__(self, address: BrokerAddress, now: Callable[[], datetime]) -> None:
        self._address, self._now = address, now
        self.statuses: dict[str, str] = {}
        self.pushes_received = 0
        self._pushes_queued = 0
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    def count_pushes_of(self, queue: PushQueue) -> None:
        """Expect each push ``queue`` holds or takes to come back through the broker."""
        self._pushes_queued += len(queue)

        def queued() -> None:
            self._pushes_queued += 1

        queue.subscribe(queued)

    async def start(self) -> None:
        subscribed = asyncio.Event()
        self._task = asyncio.create_task(self._watch(subscribed))
        await asyncio.wait_for(subscribed.wait(), SETTLE_TIMEOUT_S)

    async def until_status(self, serial: str, status: str) -> None:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: self.statuses.get(serial) == status),
                SETTLE_TIMEOUT_S,
            )

    async def settle(self) -> None:
        """Until the pushes queued so far have arrived."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: self.pushes_received >= self._pushes_queued),
                SETTLE_TIMEOUT_S,
            )

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self, subscribed: asyncio.Event) -> None:
        async with mqtt_client(
            self._address, identifier="vmeter-demo-watch", clean_session=True
        ) as client:
            await client.subscribe([(STATUS_TOPIC, QOS), (PUSH_TOPIC, QOS)])
            subscribed.set()
            async for message in client.messages:
                self._show(message)
                async with self._changed:
                    self._changed.notify_all()

    def _show(self, message: aiomqtt.Message) -> None:
        topic = str(message.topic)
        payload = message.payload if isinstance(message.payload, bytes) else b""
        serial = topic.split("/")[1]
        if message.topic.matches(STATUS_TOPIC):
            self.statuses[serial] = payload.decode(errors="replace")
            say(self._now(), "broker", f"{topic} = {self.statuses[serial]}")
            return
        self.pushes_received += 1
        try:
            event = parse_push(payload)
        except DecodeError as error:
            say(self._now(), "broker", f"{topic}: unreadable push ({error})")
            return
        say(
            event.at,
            "gas" if event.energy == "gas" else "meter",
            f'push from {event.serial}: {event.event} "{event.text}" (balance '
            f"{event.balance} EUR, {event.switch} {event.supply})",
        )
