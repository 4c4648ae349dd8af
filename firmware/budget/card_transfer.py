"""A card in the budget meter's slot (rules B3, B4, B11) as one state machine.

    IDLE --insert, card refused--> REFUSED (`8`; nothing changes)
    IDLE --insert, card accepted--> READING (`9`) --> TRANSFERRING (`9` and moving dashes)
         --> credit taken and meter data written back (B4) --> SHOWING_AMOUNT (amount loaded)
         --> SHOWING_BALANCE (new balance) --> DONE (double beep: the card can be removed)
    any --remove--> IDLE (removed before the transfer ends: nothing is credited)

The credit is applied at one step only, after checking the card is still in the slot, and the
card's counter is recorded with it, so a card is credited exactly once. Time is injected: the
meter calls `advance_to` at `next_deadline`; the LCD, buzzer and slot are the hal interfaces.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from firmware.budget.account import BudgetAccount
from firmware.prepayment.account_events import NOTHING, Outcome
from firmware.prepayment.card_image import CardError, CardImage, CardRefusal, read_card
from firmware.rules.money import ZERO, Money
from hal.buzzer import Buzzer
from hal.card_slot import CardSlot
from hal.lcd import Lcd, LcdState

READ_CODE: Final = "9"  # B3: card being read
REFUSED_CODE: Final = "8"  # B3: card refused
DASH_WIDTH: Final = 6
EUR: Final = "EUR"


class TransferState(enum.Enum):
    IDLE = "idle"
    READING = "reading"
    TRANSFERRING = "transferring"
    SHOWING_AMOUNT = "showing_amount"
    SHOWING_BALANCE = "showing_balance"
    DONE = "done"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class TransferTiming:
    read: timedelta = timedelta(milliseconds=500)
    dash_step: timedelta = timedelta(milliseconds=250)
    dash_steps: int = 8
    show_amount: timedelta = timedelta(seconds=3)
    show_balance: timedelta = timedelta(seconds=3)


class CardTransfer:
    """The card slot's firmware side, crediting `account`."""

    def __init__(
        self,
        account: BudgetAccount,
        lcd: Lcd,
        buzzer: Buzzer,
        slot: CardSlot,
        timing: TransferTiming = TransferTiming(),
    ) -> None:
        self._account = account
        self._lcd = lcd
        self._buzzer = buzzer
        self._slot = slot
        self._timing = timing
        self._state = TransferState.IDLE
        self._deadline: datetime | None = None
        self._raw = b""
        self._card: CardImage | None = None
        self._dash = 0
        self._loaded = ZERO
        self.refusal: CardRefusal | None = None

    @property
    def state(self) -> TransferState:
        return self._state

    @property
    def active(self) -> bool:
        """Whether the transfer owns the display (any state but IDLE)."""
        return self._state is not TransferState.IDLE

    @property
    def amount_loaded(self) -> Money:
        """The credit the last accepted card brought (shown in SHOWING_AMOUNT)."""
        return self._loaded

    def next_deadline(self) -> datetime | None:
        return self._deadline

    # ----------------------------------------------------------------- events

    def insert(self, at: datetime, raw: bytes) -> None:
        """A card went into the slot: refused (`8`) or read (`9`)."""
        if self._state is not TransferState.IDLE:
            self.remove(at)
        account = self._account
        try:
            card_id = CardImage.parse(raw).card_id  # the replay check is per card (B11)
            self._card = read_card(
                raw, account.config.meter_id, account.last_counter(card_id), account.revoked_cards
            )
        except CardError as error:
            self._refuse(error.reason)
            return
        self._raw = raw
        self._go(TransferState.READING, at + self._timing.read, LcdState(code=READ_CODE))

    def remove(self, at: datetime) -> None:
        """The card was taken out; an unfinished transfer is abandoned, nothing credited."""
        self._state = TransferState.IDLE
        self._deadline = None
        self._card = None
        self.refusal = None

    def advance_to(self, at: datetime) -> Outcome:
        """Take every display step due by `at`; the account's outcome when credit is taken."""
        outcome = NOTHING
        while self._deadline is not None and self._deadline <= at:
            step_at = self._deadline
            if self._state is TransferState.READING:
                self._dash = 0
                self._show_dashes(step_at)
            elif self._state is TransferState.TRANSFERRING:
                self._dash += 1
                if self._dash < self._timing.dash_steps:
                    self._show_dashes(step_at)
                else:
                    outcome = self._transfer(step_at)
            elif self._state is TransferState.SHOWING_AMOUNT:
                self._show_balance(step_at)
            elif self._state is TransferState.SHOWING_BALANCE:
                self._go(TransferState.DONE, None, self._balance_screen())
                self._buzzer.beep(2)  # B3: the card can be removed
        return outcome

    # ----------------------------------------------------------------- steps

    def _transfer(self, at: datetime) -> Outcome:
        card = self._card
        if card is None or self._slot.card != self._raw:
            self.remove(at)  # the card left the slot before the transfer ended
            return NOTHING
        outcome = self._account.load_card(at, card)
        self._slot.write(card.written_back(self._account.meter_data(at)).build())  # B4
        self._loaded = card.credit_to_load
        if self._loaded > ZERO:
            amount = LcdState(value=f"+{self._loaded}", unit=EUR)
            self._go(TransferState.SHOWING_AMOUNT, at + self._timing.show_amount, amount)
        else:
            self._show_balance(at)
        return outcome

    def _show_dashes(self, at: datetime) -> None:
        dashes = "-" * (self._dash % DASH_WIDTH + 1)
        screen = LcdState(code=READ_CODE, value=dashes)
        self._go(TransferState.TRANSFERRING, at + self._timing.dash_step, screen)

    def _show_balance(self, at: datetime) -> None:
        deadline = at + self._timing.show_balance
        self._go(TransferState.SHOWING_BALANCE, deadline, self._balance_screen())

    def _balance_screen(self) -> LcdState:
        return LcdState(value=str(self._account.balance), unit=EUR)

    def _refuse(self, reason: CardRefusal) -> None:
        self.refusal = reason
        self._go(TransferState.REFUSED, None, LcdState(code=REFUSED_CODE))

    def _go(self, state: TransferState, deadline: datetime | None, screen: LcdState) -> None:
        self._state, self._deadline = state, deadline
        self._lcd.show(screen)
