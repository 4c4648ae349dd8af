"""The events waiting in a meter's push queue, read as the head-end would (the queue emptied)."""

from __future__ import annotations

from emulator.push_binding import PushQueue
from headend.push_events import PushEvent, parse_push


def drained(queue: PushQueue) -> list[PushEvent]:
    events = []
    while (message := queue.oldest()) is not None:
        events.append(parse_push(message))
        queue.sent()
    return events
