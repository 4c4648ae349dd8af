"""The budget meter's chip card (rules B3, B4, B11) as a small binary image.

Layout (big-endian, 68 bytes), built and parsed with `construct`:

    magic "VMBC", version 1, card id u32, bound meter id (16 ASCII, NUL padded),
    transaction counter u32 (the shop terminal adds one per load), credit to load u32 milli-cents,
    flags (bit 7: written back by the meter, others zero),
    meter data written back: time u64 (UTC seconds), balance i32 mc, debt u32 mc,
    total loaded u64 mc, energy index u64 Wh,
    CRC-16/X-25 (the ISO 14443 type B card CRC, via crcmod) over everything before it.

The meter reads a card with `read_card` (refusals as `CardRefusal`, B3 shows `8`), transfers the
credit and writes its data back (`written_back`, B4); the terminal reloads a card only after that
(`loaded`). Cards are bound to one meter and a replaced card is revoked (B11).
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import crcmod.predefined
from construct import (
    BitsInteger,
    BitStruct,
    Bytes,
    Checksum,
    ChecksumError,
    Const,
    ConstructError,
    Flag,
    Int8ub,
    Int16ub,
    Int32sb,
    Int32ub,
    Int64ub,
    PaddedString,
    RawCopy,
    Struct,
    this,
)

from firmware.errors import FirmwareError
from firmware.rules.money import ZERO, Money

MAGIC: Final = b"VMBC"
CARD_VERSION: Final = 1
METER_ID_BYTES: Final = 16
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND: Final = timedelta(seconds=1)
_LAST_SECOND: Final = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _SECOND

_crc16_x25 = crcmod.predefined.mkCrcFun("x-25")

_METER_DATA = Struct(
    "written_at" / Int64ub,
    "balance_mc" / Int32sb,
    "debt_mc" / Int32ub,
    "total_loaded_mc" / Int64ub,
    "energy_wh" / Int64ub,
)
_BODY = Struct(
    "magic" / Const(MAGIC, Bytes(len(MAGIC))),
    "version" / Const(CARD_VERSION, Int8ub),
    "card_id" / Int32ub,
    "meter_id" / PaddedString(METER_ID_BYTES, "ascii"),
    "counter" / Int32ub,
    "credit_mc" / Int32ub,
    "flags" / BitStruct("written_back" / Flag, "reserved" / Const(0, BitsInteger(7))),
    "meter_data" / _METER_DATA,
)
_IMAGE = Struct(
    "body" / RawCopy(_BODY),
    "crc" / Checksum(Int16ub, _crc16_x25, this.body.data),
)
IMAGE_BYTES: Final = _IMAGE.sizeof()


class CardRefusal(enum.Enum):
    """Why a card is refused (the meter shows `8`, B3; the terminal refuses the reload, B4)."""

    MALFORMED = "malformed"
    BAD_CHECKSUM = "bad checksum"
    REVERSED_INSERTION = "reversed insertion"
    WRONG_METER = "wrong meter"
    REPLAYED_COUNTER = "replayed counter"
    REVOKED_CARD = "revoked card"
    NOT_WRITTEN_BACK = "not written back"


class CardError(FirmwareError):
    """A card image refused, with the reason."""

    def __init__(self, reason: CardRefusal, detail: str) -> None:
        super().__init__(f"card refused ({reason.value}): {detail}")
        self.reason = reason


def _require(ok: bool, detail: str) -> None:
    if not ok:
        raise CardError(CardRefusal.MALFORMED, detail)


def _fits(value: int, bits: int, signed: bool = False) -> bool:
    if signed:
        return -(1 << (bits - 1)) <= value < 1 << (bits - 1)
    return 0 <= value < 1 << bits


@dataclass(frozen=True, slots=True)
class MeterData:
    """What the meter writes back on the card (B4), read by the shop terminal."""

    written_at: datetime
    balance: Money
    debt: Money
    total_loaded: Money  # B8 item 4: total amount ever loaded
    energy_wh: int

    def __post_init__(self) -> None:
        _require(self.written_at.tzinfo is not None, "write-back time must be timezone-aware")
        _require(self.written_at.microsecond == 0, "write-back time is in whole seconds")
        _require(
            _fits(self.epoch_seconds(), 64), f"write-back time out of range: {self.written_at}"
        )
        _require(_fits(self.balance.milli_cents, 32, signed=True), f"balance {self.balance}")
        _require(_fits(self.debt.milli_cents, 32), f"debt out of range: {self.debt}")
        _require(_fits(self.total_loaded.milli_cents, 64), f"total {self.total_loaded}")
        _require(_fits(self.energy_wh, 64), f"energy index out of range: {self.energy_wh}")

    def epoch_seconds(self) -> int:
        return (self.written_at - _EPOCH) // _SECOND


@dataclass(frozen=True, slots=True)
class CardImage:
    """One budget card; `meter_data` is None until the meter wrote back after the last load."""

    card_id: int
    meter_id: str
    transaction_counter: int
    credit_to_load: Money
    meter_data: MeterData | None = None

    def __post_init__(self) -> None:
        _require(_fits(self.card_id, 32), f"card id out of range: {self.card_id}")
        _require(
            0 < len(self.meter_id) <= METER_ID_BYTES
            and self.meter_id.isascii()
            and self.meter_id.isprintable(),
            f"meter id must be 1..{METER_ID_BYTES} printable ASCII, got {self.meter_id!r}",
        )
        _require(_fits(self.transaction_counter, 32), f"counter {self.transaction_counter}")
        _require(_fits(self.credit_to_load.milli_cents, 32), f"credit {self.credit_to_load}")

    @classmethod
    def parse(cls, raw: bytes) -> CardImage:
        """Read an image; CardError (MALFORMED, BAD_CHECKSUM, REVERSED_INSERTION) if unusable."""
        if len(raw) != IMAGE_BYTES:
            raise CardError(CardRefusal.MALFORMED, f"{len(raw)} bytes, expected {IMAGE_BYTES}")
        if not raw.startswith(MAGIC) and raw.endswith(MAGIC[::-1]):
            try:
                cls._decode(raw[::-1])
            except CardError:
                pass  # not a clean reversed image: report what is wrong with it as inserted
            else:
                raise CardError(CardRefusal.REVERSED_INSERTION, "card inserted the wrong way")
        return cls._decode(raw)

    @classmethod
    def _decode(cls, raw: bytes) -> CardImage:
        try:
            body: Any = _IMAGE.parse(raw).body.value
        except ChecksumError as error:
            raise CardError(CardRefusal.BAD_CHECKSUM, "CRC mismatch") from error
        except (ConstructError, UnicodeDecodeError) as error:
            raise CardError(CardRefusal.MALFORMED, str(error)) from error
        data: Any = body.meter_data
        meter_data = None
        if body.flags.written_back:
            _require(data.written_at <= _LAST_SECOND, f"write-back time {data.written_at} s")
            meter_data = MeterData(
                written_at=_EPOCH + int(data.written_at) * _SECOND,
                balance=Money(int(data.balance_mc)),
                debt=Money(int(data.debt_mc)),
                total_loaded=Money(int(data.total_loaded_mc)),
                energy_wh=int(data.energy_wh),
            )
        return cls(
            card_id=int(body.card_id),
            meter_id=str(body.meter_id),
            transaction_counter=int(body.counter),
            credit_to_load=Money(int(body.credit_mc)),
            meter_data=meter_data,
        )

    def build(self) -> bytes:
        data = self.meter_data
        body = {
            "card_id": self.card_id,
            "meter_id": self.meter_id,
            "counter": self.transaction_counter,
            "credit_mc": self.credit_to_load.milli_cents,
            "flags": {"written_back": data is not None},
            "meter_data": {
                "written_at": data.epoch_seconds() if data else 0,
                "balance_mc": data.balance.milli_cents if data else 0,
                "debt_mc": data.debt.milli_cents if data else 0,
                "total_loaded_mc": data.total_loaded.milli_cents if data else 0,
                "energy_wh": data.energy_wh if data else 0,
            },
        }
        built: bytes = _IMAGE.build({"body": {"value": body}})
        return built

    def written_back(self, meter_data: MeterData) -> CardImage:
        """B3/B4: the meter took the credit and wrote its data back (`9`, two beeps)."""
        return CardImage(self.card_id, self.meter_id, self.transaction_counter, ZERO, meter_data)

    def loaded(self, amount: Money) -> CardImage:
        """B4: the shop terminal reloads the card, only after the meter has written back."""
        if self.meter_data is None:
            raise CardError(
                CardRefusal.NOT_WRITTEN_BACK,
                "insert the card in the meter once before reloading it",
            )
        if amount <= ZERO:
            raise CardError(CardRefusal.MALFORMED, f"reload amount must be positive: {amount}")
        return CardImage(self.card_id, self.meter_id, self.transaction_counter + 1, amount)


def read_card(
    raw: bytes, meter_id: str, last_counter: int | None, revoked_cards: Collection[int] = ()
) -> CardImage:
    """B3, B11: the card as the meter accepts it, or CardError with the refusal reason.

    `last_counter` is the transaction counter of the last credit this meter took from a card
    (None: none yet); a card offering credit again under a counter already used is a copy.
    """
    image = CardImage.parse(raw)
    if image.card_id in revoked_cards:
        raise CardError(CardRefusal.REVOKED_CARD, f"card {image.card_id} has been replaced")
    if image.meter_id != meter_id:
        raise CardError(CardRefusal.WRONG_METER, f"card bound to meter {image.meter_id!r}")
    replayed = last_counter is not None and image.transaction_counter <= last_counter
    if image.credit_to_load > ZERO and replayed:
        raise CardError(
            CardRefusal.REPLAYED_COUNTER,
            f"transaction {image.transaction_counter} already loaded (last {last_counter})",
        )
    return image
