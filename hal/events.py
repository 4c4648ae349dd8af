"""What an emulated device did, with when: the record tests read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class DeviceEvent:
    """One thing a device did: ``kind`` such as ``"click"``, ``detail`` such as ``"closed"``."""

    at: datetime
    device: str
    kind: str
    detail: str = ""


@dataclass
class EventRecorder:
    """The timestamped events of one emulated device, oldest first."""

    events: list[DeviceEvent] = field(default_factory=list)

    def record(self, event: DeviceEvent) -> None:
        self.events.append(event)

    def of_kind(self, kind: str) -> list[DeviceEvent]:
        return [event for event in self.events if event.kind == kind]
