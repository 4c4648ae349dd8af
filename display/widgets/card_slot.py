"""The budget meter's card slot (rules B3, B4): empty, a card inserted, or a card refused.
Clicking it (or ``c`` while focused) asks to insert a card when empty, to remove it otherwise;
the app decides what the meter makes of it and sets ``state``."""

from __future__ import annotations

import enum
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static


class CardSlotState(enum.Enum):
    EMPTY = "empty"
    INSERTED = "inserted"
    REFUSED = "refused"


SLOT_TEXT = {
    CardSlotState.EMPTY: "card slot: empty  [c] insert",
    CardSlotState.INSERTED: "card slot: ▮ card inserted  [c] remove",
    CardSlotState.REFUSED: "card slot: ▮ card refused  [c] remove",
}


class CardSlot(Static, can_focus=True):
    """Shows ``state``; posts ``CardSlot.Insert`` or ``CardSlot.Remove`` when used."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("c", "use_slot", "insert/remove card")]

    class Insert(Message):
        """The technician pushes a card into the empty slot."""

    class Remove(Message):
        """The technician pulls the card out."""

    state: reactive[CardSlotState] = reactive(CardSlotState.EMPTY)

    def render(self) -> Content:
        return Content(SLOT_TEXT[self.state])

    def watch_state(self, state: CardSlotState) -> None:
        for each in CardSlotState:
            self.set_class(each is state, f"-{each.value}")

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.action_use_slot()

    def action_use_slot(self) -> None:
        empty = self.state is CardSlotState.EMPTY
        self.post_message(self.Insert() if empty else self.Remove())
