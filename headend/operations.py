"""Meter operations as the head-end and the platform call them, each one COSEM exchange sequence
over an associated ``Session`` (whatever carries it: MQTT, TCP, the optical probe).

Reading (public client and up): the clock, the identity, the energies and payment modes,
registers, the daily snapshot (E3) or gas volume (G1) and the load profile (R1). Operating
(management client): the central balance push (E7), the relay or the gas valve (E4, E8, G3),
the power limit (E4, P4) and top-up tokens (P6). The gas meter's objects are the same on its
own device and on an electricity meter's channel 1 (``--with-gas``) but for the 94.32 balance
items; ``meter_obis.AccountObjects`` names an account's.
A refusal by the meter raises ``cosem.client.AccessRefused``; an answer of the wrong shape
``cosem.client.ProtocolError``; no answer ``headend.session.NoAnswer``.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Final, ParamSpec, TypeVar

from cosem.apdu import (
    ActionResult,
    AttributeDescriptor,
    DataAccessResult,
    MethodDescriptor,
    SelectiveAccess,
)
from cosem.axdr import Data
from cosem.classes.clock import CLASS_ID as CLOCK_CLASS
from cosem.classes.clock import date_time_in_zone, local_date_time
from cosem.classes.disconnect_control import CLASS_ID as DISCONNECT_CONTROL_CLASS
from cosem.classes.limiter import CLASS_ID as LIMITER_CLASS
from cosem.classes.payment import TOKEN_GATEWAY_CLASS_ID
from cosem.classes.profile_generic import CLASS_ID as PROFILE_CLASS
from cosem.classes.profile_generic import CLOCK_COLUMN, RANGE_SELECTOR, ProfileRow
from cosem.classes.register import EXTENDED_REGISTER_CLASS_ID, REGISTER_CLASS_ID
from cosem.client import AccessRefused, ProtocolError
from cosem.errors import CosemError
from cosem.obis import Obis
from firmware.rules.localtime import BRUSSELS, local_midnight, to_local
from firmware.rules.money import MILLI_CENTS_PER_CENT
from headend import meter_obis
from headend.platform.billing import DailyIndexes, volume_indexes
from headend.platform.decisions import BalancePush
from headend.platform.ledger import Energy
from headend.session import Session
from headend.values import scaled

DATA_CLASS: Final = 1
ASSOCIATION_LN_CLASS: Final = 15
REMOTE_DISCONNECT, REMOTE_RECONNECT = 1, 2
OUTPUT_STATE, CONTROL_STATE = 2, 3
THRESHOLD_ACTIVE: Final = 3
TOKEN_ENTER: Final = 1
TOKEN_DESCRIPTION: Final = 4
QUARTER_HOUR: Final = timedelta(minutes=15)
WRITE_ACCESS: Final = frozenset({2, 3})  # attribute access modes write-only, read-and-write


class NoSnapshot(CosemError):
    """The meter has no daily snapshot for the day asked (not yet midnight, or not running)."""


class TokenRefused(AccessRefused):
    """The Token gateway refused the token; ``reason`` is what the meter said about it."""

    def __init__(self, result: ActionResult, reason: str) -> None:
        super().__init__(result)
        self.reason = reason
        self.args = (f"token refused by the meter: {reason}",)


class NoLimiter(AccessRefused):
    """The meter serves no Limiter: it has one only in meter-side mode with a power limiter."""

    def __init__(self, result: DataAccessResult) -> None:
        super().__init__(result)
        self.args = (
            f"refused by the meter: {meter_obis.LIMITER} is not served: a limiter exists only"
            " with prepayment.mode: meter and power_limiter: true",
        )


class PaymentMode(enum.Enum):
    """Rule M5 as a head-end sees it from the object list."""

    NONE = "none"  # no prepayment: the 94.32 items are nobody's to write
    CENTRAL = "central"  # the platform keeps the balance and pushes it (E7)
    METER = "meter"  # the meter keeps it and takes tokens (Account, Token gateway)


class ControlState(enum.Enum):
    """The disconnect control's control_state (class 70 attribute 3)."""

    DISCONNECTED = 0
    CONNECTED = 1
    READY_FOR_RECONNECTION = 2


@dataclass(frozen=True, slots=True)
class SupplyAccount:
    """An energy a device meters and who keeps its balance (M5). Channel 0 is the device's own
    energy; channel 1 the gas meter an electricity meter serves (``--with-gas``)."""

    energy: Energy
    channel: int
    mode: PaymentMode


@dataclass(frozen=True, slots=True)
class MeterIdentity:
    serial: str
    ean: str


@dataclass(frozen=True, slots=True)
class RegisterValue:
    obis: Obis
    value: Decimal  # scaler applied, exactly
    unit: str


@dataclass(frozen=True, slots=True)
class RelayState:
    closed: bool  # output_state: the supply is on
    control: ControlState


# ---------------------------------------------------------------- reading

P = ParamSpec("P")
R = TypeVar("R")


def _answer_shape_checked(read: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """A well-formed answer of the wrong shape (a number where a profile belongs, a row too
    short) is the meter's fault: ``ProtocolError``, like an undecodable one, never a crash of
    the head-end or the platform reading it."""

    @functools.wraps(read)
    async def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await read(*args, **kwargs)
        except (TypeError, ValueError, IndexError) as error:
            raise ProtocolError(f"answer of the wrong shape: {error}") from error

    return checked


@_answer_shape_checked
async def read_clock(session: Session) -> datetime:
    """The meter's clock (aware; Europe/Brussels local time when the meter sends no deviation)."""
    value = await session.get(AttributeDescriptor(CLOCK_CLASS, meter_obis.CLOCK, 2))
    return _moment(value)


@_answer_shape_checked
async def read_identity(session: Session, channel: int = 0) -> MeterIdentity:
    """Serial number and EAN (the EAN's last 13 digits are the top-up reference, P6) of the
    device's own meter, or with ``channel`` 1 of the gas meter it serves on M-Bus channel 1."""
    codes = (
        (meter_obis.GAS_SERIAL_NUMBER, meter_obis.GAS_EAN)
        if channel == 1
        else (meter_obis.SERIAL_NUMBER, meter_obis.EAN)
    )
    serial, ean = await _get_all(
        session, [AttributeDescriptor(DATA_CLASS, obis, 2) for obis in codes]
    )
    return MeterIdentity(_text(serial), _text(ean))


@_answer_shape_checked
async def read_payment_mode(session: Session) -> PaymentMode:
    """M5 for the device's own energy (``read_supplies``' first)."""
    return (await read_supplies(session))[0].mode


@_answer_shape_checked
async def read_supplies(session: Session) -> tuple[SupplyAccount, ...]:
    """The energies the device meters, its own first, from the current association's object
    list: a gas volume without electricity registers is a gas meter; an electricity meter
    listing a gas volume serves a gas meter on channel 1. Per energy (M5): an Account or a
    Token gateway means meter-side prepayment, a 94.32.2 balance this client may write central
    mode. Ask as the management client: the public client may write nothing, so it always
    sees NONE or METER."""
    listed = await _object_list(session)
    own = (
        Energy.GAS
        if meter_obis.GAS_VOLUME in listed and meter_obis.IMPORT_PEAK not in listed
        else Energy.ELECTRICITY
    )
    token_objects = (meter_obis.ACCOUNT, meter_obis.TOKEN_GATEWAY)
    supplies = [SupplyAccount(own, 0, _mode(listed, token_objects, meter_obis.BALANCE))]
    if own is Energy.ELECTRICITY and meter_obis.GAS_VOLUME in listed:
        channel_mode = _mode(listed, (meter_obis.GAS_TOKEN_GATEWAY,), meter_obis.GAS_BALANCE)
        supplies.append(SupplyAccount(Energy.GAS, 1, channel_mode))
    return tuple(supplies)


def _mode(listed: dict[Obis, bool], token_objects: tuple[Obis, ...], balance: Obis) -> PaymentMode:
    if any(obis in listed for obis in token_objects):
        return PaymentMode.METER
    return PaymentMode.CENTRAL if listed.get(balance, False) else PaymentMode.NONE


async def _object_list(session: Session) -> dict[Obis, bool]:
    """The objects the association lists, each with whether this client may write its value
    (attribute 2)."""
    listed = await session.get(
        AttributeDescriptor(ASSOCIATION_LN_CLASS, meter_obis.CURRENT_ASSOCIATION, 2)
    )
    objects = {}
    for entry in listed.items:
        _class_id, _version, name, rights = entry.items[:4]
        objects[Obis.from_bytes(_octets(name))] = any(
            item.items[0].int_value == 2 and item.items[1].int_value in WRITE_ACCESS
            for item in rights.items[0].items
        )
    return objects


@_answer_shape_checked
async def read_registers(
    session: Session, registers: tuple[Obis, ...] = meter_obis.ENERGY_REGISTERS
) -> list[RegisterValue]:
    """Registers (class 3) with their scaler and unit, in one GET-with-list (E4 on demand)."""
    descriptors = [
        AttributeDescriptor(REGISTER_CLASS_ID, obis, attribute)
        for obis in registers
        for attribute in (2, 3)
    ]
    values = await _get_all(session, descriptors)
    readings = []
    for index, obis in enumerate(registers):
        number, unit = scaled(values[2 * index], values[2 * index + 1])
        readings.append(RegisterValue(obis, number, unit))
    return readings


@_answer_shape_checked
async def read_daily_indexes(session: Session, day: date | None = None) -> DailyIndexes:
    """E3, R1: the import indexes of the snapshot the meter took at the local midnight that
    closed ``day`` (default: yesterday by the meter's clock). ``NoSnapshot`` if it has none."""
    day, (peak, offpeak, *_export) = await _snapshot_closing(
        session, day, meter_obis.DAILY_PROFILE, "the meter has no daily snapshot"
    )
    return DailyIndexes(day, peak, offpeak)


@_answer_shape_checked
async def read_daily_volume(session: Session, day: date | None = None) -> DailyIndexes:
    """G1, as E3: the gas volume (dm3) of the snapshot closing ``day`` (default: yesterday by
    the meter's clock), as the day's indexes (``billing.volume_indexes``). ``NoSnapshot`` if
    the meter has none."""
    day, (dm3, *_) = await _snapshot_closing(
        session, day, meter_obis.GAS_DAILY_PROFILE, "the gas meter has no daily volume"
    )
    return volume_indexes(day, dm3)


@_answer_shape_checked
async def read_indexes_now(session: Session, energy: Energy, day: date) -> DailyIndexes:
    """The registers a daily snapshot captures (E3: 1.8.1 and 1.8.2 in Wh; G1: the gas volume
    in dm3, on the gas meter's device or an electricity meter's channel 1 alike), read now and
    given as the indexes of ``day``: the platform's opening reading of a new account."""
    if energy is Energy.GAS:
        descriptors = [AttributeDescriptor(EXTENDED_REGISTER_CLASS_ID, meter_obis.GAS_VOLUME, 2)]
        (dm3,) = await _get_all(session, descriptors)
        return volume_indexes(day, dm3.int_value)
    registers = (meter_obis.IMPORT_PEAK, meter_obis.IMPORT_OFFPEAK)
    peak, offpeak = await _get_all(
        session, [AttributeDescriptor(REGISTER_CLASS_ID, obis, 2) for obis in registers]
    )
    return DailyIndexes(day, peak.int_value, offpeak.int_value)


async def _snapshot_closing(
    session: Session, day: date | None, profile: Obis, missing: str
) -> tuple[date, tuple[int, ...]]:
    """The day (default: yesterday by the meter's clock) and the values of ``profile``'s
    snapshot taken at the local midnight closing it; ``NoSnapshot`` (``missing``) if none."""
    if day is None:
        day = to_local(await read_clock(session)).date() - timedelta(days=1)
    closing = local_midnight(day + timedelta(days=1))
    rows = await read_profile_rows(session, closing, closing, profile)
    if not rows:
        raise NoSnapshot(f"{missing} closing {day}")
    return day, rows[-1][1]


@_answer_shape_checked
async def read_profile_rows(
    session: Session, since: datetime, until: datetime, profile: Obis = meter_obis.LOAD_PROFILE
) -> list[ProfileRow]:
    """The profile's entries captured from ``since`` to ``until`` (both included), by selective
    access on the clock column: (capture time, the four energy registers in Wh)."""
    bounds = (
        Data.octet_string(local_date_time(moment, BRUSSELS).to_bytes()) for moment in (since, until)
    )
    selection = Data.structure(CLOCK_COLUMN.to_data(), *bounds, Data.array(()))
    buffer = await session.get(
        AttributeDescriptor(PROFILE_CLASS, profile, 2), SelectiveAccess(RANGE_SELECTOR, selection)
    )
    rows = []
    for entry in buffer.items:
        stamp, *values = entry.items
        rows.append((_moment(stamp), tuple(value.int_value for value in values)))
    return rows


@_answer_shape_checked
async def read_profile(
    session: Session, since: datetime, until: datetime
) -> list[tuple[datetime, int]]:
    """R1: the import energy (Wh, peak + off-peak) of each quarter-hour ending after ``since``
    and by ``until``, stamped with its end; the entry before ``since`` is the starting index."""
    rows = await read_profile_rows(session, since - QUARTER_HOUR, until)
    return _quarters(rows, since, lambda values: values[0] + values[1])


@_answer_shape_checked
async def read_volume_profile(
    session: Session, since: datetime, until: datetime
) -> list[tuple[datetime, int]]:
    """R1 for gas: the volume (dm3) of each quarter-hour, as ``read_profile`` (0-1:24.3.0)."""
    rows = await read_profile_rows(
        session, since - QUARTER_HOUR, until, meter_obis.GAS_LOAD_PROFILE
    )
    return _quarters(rows, since, lambda values: values[0])


def _quarters(
    rows: list[ProfileRow], since: datetime, index: Callable[[tuple[int, ...]], int]
) -> list[tuple[datetime, int]]:
    """What ``index`` grew by in each quarter-hour of ``rows`` ending after ``since``."""
    return [
        (end, index(after) - index(before))
        for (_, before), (end, after) in pairwise(rows)
        if end > since
    ]


@_answer_shape_checked
async def read_relay(session: Session, switch: Obis = meter_obis.DISCONNECT_CONTROL) -> RelayState:
    """The relay's state, or the gas valve's (``switch`` ``meter_obis.GAS_VALVE``)."""
    output, state = await _get_all(
        session,
        [
            AttributeDescriptor(DISCONNECT_CONTROL_CLASS, switch, attribute)
            for attribute in (OUTPUT_STATE, CONTROL_STATE)
        ],
    )
    try:
        return RelayState(bool(output.value), ControlState(state.int_value))
    except ValueError:
        raise ProtocolError(f"unknown control_state {state.value}") from None


# ---------------------------------------------------------------- operating


async def push_balance(
    session: Session,
    push: BalancePush,
    account: meter_obis.AccountObjects = meter_obis.ELECTRICITY_ACCOUNT,
) -> None:
    """E7, P7: the platform's daily 94.32.2 values, in whole cents (rounded down: never more
    credit shown than there is), to ``account``'s items. Each SET is one update on the meter;
    the time goes last so the update carries the platform's time, not the moment the SETs
    arrived (a gas meter checks G4 against that balance)."""
    for obis, milli_cents in (
        (account.balance, push.balance),
        (account.emergency_credit, push.emergency_credit),
    ):
        cents = milli_cents // MILLI_CENTS_PER_CENT
        await session.set(AttributeDescriptor(REGISTER_CLASS_ID, obis, 2), Data.double_long(cents))
    stamp = local_date_time(push.at, BRUSSELS).to_bytes()
    await session.set(
        AttributeDescriptor(DATA_CLASS, account.update_time, 2), Data.octet_string(stamp)
    )


async def remote_disconnect(session: Session, switch: Obis = meter_obis.DISCONNECT_CONTROL) -> None:
    """E4, P4: open the relay, or close the gas valve (disconnect control method 1)."""
    await _relay_method(session, REMOTE_DISCONNECT, switch)


async def reconnect_enable(session: Session, switch: Obis = meter_obis.DISCONNECT_CONTROL) -> None:
    """E8, P8: remote_reconnect (method 2); under control mode 3 the relay becomes ready for
    reconnection and the customer's button closes it. On the gas valve (G3, G4) it arms the
    leak test, which the customer's button starts; the meter refuses it below 0.50 EUR."""
    await _relay_method(session, REMOTE_RECONNECT, switch)


async def set_power_limit(session: Session, watts: int) -> None:
    """E4, P4: the limiter's threshold_active (class 71 attribute 3), in W; ``NoLimiter`` when
    the meter serves none."""
    try:
        await session.set(
            AttributeDescriptor(LIMITER_CLASS, meter_obis.LIMITER, THRESHOLD_ACTIVE),
            Data.double_long_unsigned(watts),
        )
    except AccessRefused as refused:
        if refused.result is DataAccessResult.OBJECT_UNDEFINED:
            raise NoLimiter(refused.result) from None
        raise


async def send_token(session: Session, token: str) -> tuple[str, ...]:
    """P6, M5: enter a top-up token on the Token gateway (method 1); what the meter says about
    it (attribute 4), or ``TokenRefused`` with its reason."""
    gateway = meter_obis.TOKEN_GATEWAY
    try:
        await session.action(
            MethodDescriptor(TOKEN_GATEWAY_CLASS_ID, gateway, TOKEN_ENTER),
            Data.octet_string(token.encode()),
        )
    except AccessRefused as refusal:
        if not isinstance(refusal.result, ActionResult):
            raise
        lines = await _token_description(session)
        raise TokenRefused(refusal.result, "; ".join(lines) or refusal.result.name) from None
    return await _token_description(session)


# ---------------------------------------------------------------- helpers


async def _relay_method(session: Session, method: int, switch: Obis) -> None:
    await session.action(
        MethodDescriptor(DISCONNECT_CONTROL_CLASS, switch, method), Data.integer(0)
    )


async def _token_description(session: Session) -> tuple[str, ...]:
    description = await session.get(
        AttributeDescriptor(TOKEN_GATEWAY_CLASS_ID, meter_obis.TOKEN_GATEWAY, TOKEN_DESCRIPTION)
    )
    return tuple(_text(line) for line in description.items)


async def _get_all(session: Session, descriptors: list[AttributeDescriptor]) -> list[Data]:
    """GET-with-list; one refused attribute refuses the whole read."""
    values = []
    for result in await session.get_with_list(descriptors):
        if isinstance(result, DataAccessResult):
            raise AccessRefused(result)
        values.append(result)
    return values


def _octets(value: Data) -> bytes:
    if not isinstance(value.value, bytes):
        raise ProtocolError(f"expected an octet-string, got {value.type.name}")
    return value.value


def _text(value: Data) -> str:
    try:
        return _octets(value).decode("ascii")
    except UnicodeDecodeError:
        raise ProtocolError(f"not text: {_octets(value).hex()}") from None


def _moment(value: Data) -> datetime:
    try:
        return date_time_in_zone(_octets(value), BRUSSELS)
    except ValueError as error:
        raise ProtocolError(f"clock value: {error}") from None
