"""Top-up tokens for meter-side prepayment (rules P6, M5; COSEM Token gateway, class 115).

A token is 14 bytes written as 28 hex digits in groups of four ("1A2B-3C4D-..."), short enough
for a person to type on the meter or into the Token gateway's enter() method:

    version  1 byte   TOKEN_VERSION
    meter    2 bytes  first two bytes of SHA-256(serial): tells "wrong meter" from "bad MAC"
    seq      3 bytes  top-up sequence number, strictly increasing per meter
    amount   3 bytes  cents (P6: 5.00 to 250.00 EUR)
    mac      5 bytes  HMAC-SHA256(key, version|meter|seq|amount|serial) truncated to 40 bits

The MAC covers the full serial, so two meters sharing a 16-bit tag still refuse each other's
tokens (as a bad MAC). HMAC-SHA256 rather than AES-CMAC: any key length, one primitive.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac

from firmware.rules.credit import DEFAULT_RULES, CreditRules, top_up_in_range
from firmware.rules.errors import FirmwareError
from firmware.rules.money import MILLI_CENTS_PER_CENT, Money

TOKEN_VERSION: Final = 1
MIN_KEY_BYTES: Final = 16
_TAG_BYTES: Final = 2
_SEQ_BYTES: Final = 3
_AMOUNT_BYTES: Final = 3
_MAC_BYTES: Final = 5
_PAYLOAD_BYTES: Final = 1 + _TAG_BYTES + _SEQ_BYTES + _AMOUNT_BYTES
TOKEN_BYTES: Final = _PAYLOAD_BYTES + _MAC_BYTES
MAX_SEQ: Final = (1 << 8 * _SEQ_BYTES) - 1
_MAX_CENTS: Final = (1 << 8 * _AMOUNT_BYTES) - 1
_GROUP: Final = 4
_SEPARATORS: Final = re.compile(r"[\s-]")
SEQ_EPOCH: Final = datetime(2024, 1, 1, tzinfo=UTC)


class TokenError(FirmwareError):
    """A token that cannot be made (bad key, serial, sequence or amount)."""


class TokenStatus(enum.Enum):
    """Why a token was accepted or refused."""

    ACCEPTED = "accepted"
    MALFORMED = "malformed"
    WRONG_METER = "wrong meter"
    BAD_MAC = "bad MAC"
    REPLAYED = "replayed"
    AMOUNT_OUT_OF_RANGE = "amount out of range"

    @property
    def cosem_status_code(self) -> int:
        """The Token gateway's token_status_code (COSEM-FACTS 3.4) for this verdict."""
        return _COSEM_STATUS_CODES[self]


# ACCEPTED is "validation OK"; the caller reports 3 (execution OK) once it has credited.
_COSEM_STATUS_CODES: Final = {
    TokenStatus.ACCEPTED: 2,
    TokenStatus.MALFORMED: 4,  # token format failure
    TokenStatus.WRONG_METER: 5,  # authentication failure
    TokenStatus.BAD_MAC: 5,
    TokenStatus.REPLAYED: 6,  # validation result failure
    TokenStatus.AMOUNT_OUT_OF_RANGE: 6,
}


@dataclass(frozen=True, slots=True)
class TokenCheck:
    """The verdict on one token; `amount` and `seq` are set once the MAC has been checked."""

    status: TokenStatus
    amount: Money | None = None
    seq: int | None = None

    @property
    def accepted(self) -> bool:
        return self.status is TokenStatus.ACCEPTED


def _meter_tag(serial: str) -> bytes:
    return hashlib.sha256(serial.encode()).digest()[:_TAG_BYTES]


def _mac(key: bytes, payload: bytes, serial: str) -> bytes:
    signer = crypto_hmac.HMAC(key, hashes.SHA256())
    signer.update(payload + serial.encode())
    return signer.finalize()[:_MAC_BYTES]


def _check_key_and_serial(key: bytes, serial: str) -> None:
    if len(key) < MIN_KEY_BYTES:
        raise TokenError(f"a meter key has at least {MIN_KEY_BYTES} bytes, got {len(key)}")
    if not serial:
        raise TokenError("a meter serial is required")


def make_token(key: bytes, serial: str, seq: int, amount: Money) -> str:
    """The printable token crediting `amount` (whole cents) to meter `serial`."""
    _check_key_and_serial(key, serial)
    if not 0 <= seq <= MAX_SEQ:
        raise TokenError(f"token sequence number must be 0..{MAX_SEQ}, got {seq}")
    cents, sub_cent = divmod(amount.milli_cents, MILLI_CENTS_PER_CENT)
    if sub_cent or not 0 <= cents <= _MAX_CENTS:
        most = Money(_MAX_CENTS * MILLI_CENTS_PER_CENT)
        raise TokenError(f"a token carries whole cents up to {most} EUR, got {amount.format(5)}")
    payload = (
        bytes([TOKEN_VERSION])
        + _meter_tag(serial)
        + seq.to_bytes(_SEQ_BYTES, "big")
        + cents.to_bytes(_AMOUNT_BYTES, "big")
    )
    text = (payload + _mac(key, payload, serial)).hex().upper()
    return "-".join(text[i : i + _GROUP] for i in range(0, len(text), _GROUP))


def default_seq(now: datetime) -> int:
    """A token's sequence number when none is given: the minutes since 2024-01-01 UTC, so a
    later token always counts higher (for 31 years within the 24 bits)."""
    return (now - SEQ_EPOCH) // timedelta(minutes=1)


def _token_bytes(token: str | bytes) -> bytes | None:
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            return None
    digits = _SEPARATORS.sub("", token)
    if len(digits) != 2 * TOKEN_BYTES or not digits.isascii():
        return None
    try:
        return bytes.fromhex(digits)
    except ValueError:
        return None


def verify_token(
    key: bytes,
    serial: str,
    last_seq_seen: int | None,
    token: str | bytes,
    rules: CreditRules = DEFAULT_RULES,
) -> TokenCheck:
    """Check a typed or received token for meter `serial`; never raises on a bad token.

    `last_seq_seen` is the highest sequence number this meter has accepted (None: none yet).
    The checks run in order: format, meter, MAC, replay, amount (P6). Raises TokenError only
    for a bad key or serial, which is the meter's configuration, not the token.
    """
    _check_key_and_serial(key, serial)
    raw = _token_bytes(token)
    if raw is None or raw[0] != TOKEN_VERSION:
        return TokenCheck(TokenStatus.MALFORMED)
    payload, mac = raw[:_PAYLOAD_BYTES], raw[_PAYLOAD_BYTES:]
    if payload[1 : 1 + _TAG_BYTES] != _meter_tag(serial):
        return TokenCheck(TokenStatus.WRONG_METER)
    if not hmac.compare_digest(mac, _mac(key, payload, serial)):
        return TokenCheck(TokenStatus.BAD_MAC)
    seq_start = 1 + _TAG_BYTES
    seq = int.from_bytes(payload[seq_start : seq_start + _SEQ_BYTES], "big")
    amount = Money(int.from_bytes(payload[seq_start + _SEQ_BYTES :], "big") * MILLI_CENTS_PER_CENT)
    if last_seq_seen is not None and seq <= last_seq_seen:
        return TokenCheck(TokenStatus.REPLAYED, amount, seq)
    if not top_up_in_range(amount, rules):
        return TokenCheck(TokenStatus.AMOUNT_OUT_OF_RANGE, amount, seq)
    return TokenCheck(TokenStatus.ACCEPTED, amount, seq)
