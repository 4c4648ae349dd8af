"""gurux-dlms reads, writes and triggers the event Push setup over the TCP wrapper, as a
head-end configuring the meter's pushes would (rule P9)."""

from __future__ import annotations

import asyncio
from typing import Any

from gurux_dlms.enums import ObjectType
from gurux_session import GuruxSession
from served_tcp import ServedMeter

from emulator.push_binding import meter_pushes
from headend.push_events import EVENT_PUSH_OBJECTS, parse_push

PUSH_SETUP = "0.0.25.9.0.255"


def find(objects: Any, name: str) -> Any:
    for obj in objects:
        if obj.objectType == ObjectType.PUSH_SETUP and obj.logicalName == name:
            return obj
    raise AssertionError(f"no push setup {name} in the object list")


def configure_and_push(port: int) -> tuple[Any, list[tuple[str, int]], int]:
    with GuruxSession(port, client_sap=1, password="00000000") as session:
        session.associate()
        push = find(session.object_list(), PUSH_SETUP)
        for attribute in range(2, 8):
            session.read(push, attribute)
        listed = [(obj.logicalName, capture.attributeIndex) for obj, capture in push.pushObjectList]
        push.numberOfRetries = 3
        session.write(push, 6)
        push.numberOfRetries = 0
        session.read(push, 6)
        session.method(push.activate(session.client))
        session.release()
        return push, listed, push.numberOfRetries


async def test_gurux_reads_writes_and_triggers_the_push_setup(served: ServedMeter) -> None:
    push, listed, retries = await asyncio.wait_for(
        asyncio.to_thread(configure_and_push, served.port), 30
    )
    assert push.version == 0
    assert listed == [
        (".".join(str(group) for group in entry.obis.to_bytes()), entry.attribute_index)
        for entry in EVENT_PUSH_OBJECTS
    ]
    assert (push.service, push.destination) == (0, "vmeter/VM0000000001/push")
    assert retries == 3
    queue = meter_pushes(served.runtime).queue
    assert len(queue) == 2  # power up, then the push gurux asked for
    queue.sent()
    assert parse_push(queue.oldest() or b"").event == "power up"
