"""The central prepayment objects (rules E7, P7, M5) of either meter: 0-0:94.32.1 the last
balance update's time (Data, date-time in Brussels local time; all fields "not specified"
before the first update), 94.32.2 the balance and 94.32.3 the emergency credit left (Registers,
whole cents as double-long, scaler -2, unit 10 currency; 0 before the first update).
When writable the management client writes them: each SET is one balance update keeping the
other two values; a SET of the balance or of the emergency credit is stamped with the meter's
clock, a SET of the time restamps the update. Otherwise nobody may write them.

Also the Token gateway's sink both meters share in meter-side mode (``TokenSink``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from cosem.access import Role
from cosem.apdu.enums import DataAccessResult
from cosem.axdr import Data, DataType
from cosem.classes.base import (
    AccessRefused,
    Attribute,
    CosemObject,
    expect_type,
    logical_name,
    static,
)
from cosem.classes.clock import date_time_in_zone, local_date_time
from cosem.classes.data import live_data
from cosem.classes.payment import TOKEN_EXECUTION_OK, TokenResult
from cosem.classes.register import REGISTER_CLASS_ID, Unit, integer_reader, scaler_unit
from cosem.datetime_codec import CosemDateTime
from cosem.errors import DecodeError
from cosem.obis import Obis
from emulator import obis_map
from firmware.central_balance import BalanceUpdate
from firmware.errors import FirmwareError
from firmware.prepayment.account import MeterSideAccount
from firmware.rules.localtime import BRUSSELS
from firmware.rules.money import MILLI_CENTS_PER_CENT, ZERO, Money
from firmware.rules.token import TOKEN_BYTES, TokenCheck

CENTS_SCALER = -2
NO_UPDATE_TIME = CosemDateTime(None, None, None, None, None, None, None, None, None, None)

Receive = Callable[[datetime, Money, Money], object]
"""Store one update (time, balance, emergency credit); raises ``FirmwareError`` to refuse it."""


class CentralBalanceBinding:
    """A meter's last balance update (``last``) and how it takes a new one (``receive``, None
    when the prepayment mode lets nobody write), ``now`` stamping a SET, ``changed`` told
    after each accepted update."""

    def __init__(
        self,
        last: Callable[[], BalanceUpdate | None],
        receive: Receive | None,
        now: Callable[[], datetime],
        changed: Callable[[], None],
    ) -> None:
        self._last, self._receive_update = last, receive
        self._now, self._changed = now, changed

    @property
    def writable(self) -> bool:
        return self._receive_update is not None

    def update_time(self) -> Data:
        last = self._last()
        stamp = NO_UPDATE_TIME if last is None else local_date_time(last.at, BRUSSELS)
        return Data.octet_string(stamp.to_bytes())

    def balance_cents(self) -> int:
        return cents(self._current_balance())

    def emergency_credit_cents(self) -> int:
        return cents(self._current_emergency_credit())

    def set_update_time(self, value: Data) -> None:
        raw = expect_type(value, DataType.OCTET_STRING).value
        assert isinstance(raw, bytes)
        try:
            at = date_time_in_zone(raw, BRUSSELS)
        except DecodeError as error:
            raise AccessRefused(DataAccessResult.TYPE_UNMATCHED, str(error)) from error
        except ValueError as error:
            raise AccessRefused(DataAccessResult.OTHER_REASON, str(error)) from error
        self._receive(at, self._current_balance(), self._current_emergency_credit())

    def set_balance(self, value: Data) -> None:
        self._receive(self._now(), _money(value), self._current_emergency_credit())

    def set_emergency_credit(self, value: Data) -> None:
        self._receive(self._now(), self._current_balance(), _money(value))

    def _current_balance(self) -> Money:
        last = self._last()
        return last.balance if last else ZERO

    def _current_emergency_credit(self) -> Money:
        last = self._last()
        return last.emergency_credit if last else ZERO

    def _receive(self, at: datetime, balance: Money, emergency_credit: Money) -> None:
        assert self._receive_update is not None, "a read-only balance has no writer"
        try:
            self._receive_update(at, balance, emergency_credit)
        except FirmwareError as error:
            raise AccessRefused(DataAccessResult.OTHER_REASON, str(error)) from error
        self._changed()


def cents(amount: Money) -> int:
    return amount.milli_cents // MILLI_CENTS_PER_CENT


def _money(value: Data) -> Money:
    whole_cents = expect_type(value, DataType.DOUBLE_LONG).value
    assert isinstance(whole_cents, int)
    return Money(whole_cents * MILLI_CENTS_PER_CENT)


BALANCE_CODES = (obis_map.BALANCE_UPDATE_TIME, obis_map.BALANCE, obis_map.EMERGENCY_CREDIT)
GAS_CHANNEL_BALANCE_CODES = (
    obis_map.GAS_BALANCE_UPDATE_TIME,
    obis_map.GAS_BALANCE,
    obis_map.GAS_EMERGENCY_CREDIT,
)
"""The gas meter's balance served by an electricity meter (``--with-gas``, channel 1)."""


def central_balance_objects(
    balance: CentralBalanceBinding, codes: tuple[Obis, Obis, Obis] = BALANCE_CODES
) -> tuple[CosemObject, ...]:
    """94.32.1 (time), 94.32.2 (balance), 94.32.3 (emergency credit), rule E7; ``codes``
    name them (B = 1 for the gas meter on channel 1)."""
    writer = Role.MANAGEMENT if balance.writable else None
    update_time, amount, emergency_credit = codes
    return (
        live_data(update_time, balance.update_time, balance.set_update_time if writer else None),
        money_register(amount, balance.balance_cents, balance.set_balance, writer),
        money_register(
            emergency_credit, balance.emergency_credit_cents, balance.set_emergency_credit, writer
        ),
    )


class TokenMeter(Protocol):
    """A meter with a meter-side account (electricity or gas)."""

    def enter_token(self, token: str | bytes) -> TokenCheck: ...

    def account_for_release(self) -> MeterSideAccount: ...


class TokenSink:
    """The Token gateway's sink: a token entered over COSEM is a top-up (P6) of ``meter``;
    ``changed`` (the run loop's wake) is told after each."""

    def __init__(self, meter: TokenMeter, changed: Callable[[], None]) -> None:
        self._meter, self._changed = meter, changed

    def enter(self, token: bytes) -> TokenResult:
        meter = self._meter
        # The printed token's text, or its 14 bytes as such (what a hex-minded client sends).
        check = meter.enter_token(token.hex() if len(token) == TOKEN_BYTES else token)
        self._changed()
        if not check.accepted:
            return TokenResult(check.status.cosem_status_code, (f"refused: {check.status.value}",))
        assert check.amount is not None  # set on every accepted token
        account = meter.account_for_release()
        return TokenResult(
            TOKEN_EXECUTION_OK,
            (f"top-up {check.amount} EUR", f"token {check.seq}", f"balance {account.balance} EUR"),
        )


def money_register(
    obis: Obis, amount_cents: Callable[[], int], write: Callable[[Data], None], writer: Role | None
) -> CosemObject:
    """A Register in whole cents of local currency (scaler -2, unit 10), written by
    ``writer`` (None: nobody)."""
    return CosemObject(
        REGISTER_CLASS_ID,
        0,
        obis,
        (
            logical_name(obis),
            Attribute(
                2,
                integer_reader(amount_cents, DataType.DOUBLE_LONG),
                write if writer else None,
                write_role=writer,
            ),
            Attribute(3, static(scaler_unit(CENTS_SCALER, Unit.LOCAL_CURRENCY))),
        ),
    )
