"""The budget-card slot: a chip card is inserted, read, written back, removed (rules B3, B4)."""

from __future__ import annotations

from typing import Protocol

from hal.clock import Clock
from hal.events import DeviceEvent, EventRecorder


class CardSlot(Protocol):
    @property
    def card(self) -> bytes | None:
        """The inserted card's memory, or None when the slot is empty."""
        ...

    def write(self, data: bytes) -> None:
        """Write back to the inserted card."""
        ...


class EmulatedCardSlot:
    """A slot holding an optional card image (bytes); insertions and writes are recorded."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._card: bytes | None = None
        self.recorder = EventRecorder()

    @property
    def card(self) -> bytes | None:
        return self._card

    def insert(self, card: bytes) -> None:
        self._card = card
        self.recorder.record(DeviceEvent(self._clock.now(), "card_slot", "insert"))

    def remove(self) -> None:
        self._card = None
        self.recorder.record(DeviceEvent(self._clock.now(), "card_slot", "remove"))

    def write(self, data: bytes) -> None:
        if self._card is None:
            raise RuntimeError("no card in the slot")
        self._card = data
        self.recorder.record(DeviceEvent(self._clock.now(), "card_slot", "write", str(len(data))))
