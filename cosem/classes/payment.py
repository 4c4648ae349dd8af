"""Payment metering (COSEM-FACTS 3): Account (111), Credit (112), Charge (113), Token gateway
(115), all class version 0, built from small views the application supplies.

Only the attributes a view can honestly serve are present; an absent attribute answers
object-undefined. Money attributes are double-long in the Account's currency units (its
`currency_scale`). Date-times are local time in `zone` with the DST status bit, or all fields
"not specified" when nothing happened yet.

The Token gateway keeps what was last entered (token, time, description, status) itself; what a
token means is up to the `TokenSink`. A refused token is recorded (its token_status says why)
and the enter() action answers `refusal`, so a head-end sees the failure at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from cosem.access import Role
from cosem.apdu.enums import ActionResult
from cosem.axdr import BitString, Data, DataType
from cosem.classes.base import (
    ActionRefused,
    Attribute,
    CosemObject,
    Method,
    expect_type,
    live,
    logical_name,
    static,
)
from cosem.classes.clock import local_date_time
from cosem.datetime_codec import CosemDateTime
from cosem.obis import Obis

ACCOUNT_CLASS_ID = 111
CREDIT_CLASS_ID = 112
CHARGE_CLASS_ID = 113
TOKEN_GATEWAY_CLASS_ID = 115
PREPAYMENT_MODE = 2  # payment_mode enum
ACCOUNT_ACTIVE = 2  # account_status enum
MONETARY = 2  # currency_unit enum
REMOTE_COMMUNICATIONS = 0  # token_delivery_method enum
TOKEN_EXECUTION_OK = 3  # token_status_code
NO_TOKEN_YET = 8  # "token received and not yet processed": the closest code to "none"
NOT_SPECIFIED = CosemDateTime(None, None, None, None, None, None, None, None, None, None)


class CreditType:
    TOKEN = 0
    EMERGENCY = 2


class CreditStatus:
    ENABLED = 0
    SELECTABLE = 1
    INVOKED = 2
    IN_USE = 3
    EXHAUSTED = 4


class ChargeType:
    CONSUMPTION_BASED = 0
    TIME_BASED = 1


@dataclass(frozen=True, slots=True)
class Currency:
    name: str
    scale: int  # amounts are units of 10**scale of `name`


def _moment(moment: datetime | None, zone: ZoneInfo) -> Data:
    stamp = NOT_SPECIFIED if moment is None else local_date_time(moment, zone)
    return Data.octet_string(stamp.to_bytes())


def _bits(bits: str) -> Data:
    return Data.bit_string(BitString.from_bits(bits))


def _references(objects: Sequence[Obis]) -> Data:
    return Data.array(Data.octet_string(obis.to_bytes()) for obis in objects)


# -- Account -------------------------------------------------------------------------------------


class AccountView(Protocol):
    """The live values of an Account, money in currency units."""

    def credit_status(self) -> int:
        """current_credit_status as one byte, bit 0 (in_credit) the most significant."""
        ...

    def credit_in_use(self) -> int:
        """Index into credit_reference_list of the credit consumed now."""
        ...

    def available_credit(self) -> int: ...

    def amount_to_clear(self) -> int: ...

    def aggregated_debt(self) -> int: ...

    def low_credit_threshold(self) -> int: ...

    def set_low_credit_threshold(self, amount: int) -> None:
        """Raise AccessRefused for a value the account refuses."""
        ...

    def activation_time(self) -> datetime | None: ...


def account(
    obis: Obis,
    view: AccountView,
    *,
    zone: ZoneInfo,
    currency: Currency,
    clearance_threshold: int,
    credits: Sequence[Obis],
    charges: Sequence[Obis],
) -> CosemObject:
    """Attributes 2-10, 13, 15 and 16 (low_credit_threshold, writable by management)."""

    def set_threshold(value: Data) -> None:
        view.set_low_credit_threshold(expect_type(value, DataType.DOUBLE_LONG).int_value)

    mode_and_status = Data.structure(Data.enum(PREPAYMENT_MODE), Data.enum(ACCOUNT_ACTIVE))
    currency_value = Data.structure(
        Data.utf8_string(currency.name), Data.integer(currency.scale), Data.enum(MONETARY)
    )
    return CosemObject(
        ACCOUNT_CLASS_ID,
        0,
        obis,
        (
            logical_name(obis),
            Attribute(2, static(mode_and_status), write_role=None),
            Attribute(3, live(lambda: Data.unsigned(view.credit_in_use())), write_role=None),
            Attribute(
                4,
                live(lambda: Data.bit_string(BitString(bytes([view.credit_status()]), 8))),
                write_role=None,
            ),
            Attribute(5, live(lambda: Data.double_long(view.available_credit())), write_role=None),
            Attribute(6, live(lambda: Data.double_long(view.amount_to_clear())), write_role=None),
            Attribute(7, static(Data.double_long(clearance_threshold)), write_role=None),
            Attribute(8, live(lambda: Data.double_long(view.aggregated_debt())), write_role=None),
            Attribute(9, static(_references(credits)), write_role=None),
            Attribute(10, static(_references(charges)), write_role=None),
            Attribute(13, live(lambda: _moment(view.activation_time(), zone)), write_role=None),
            Attribute(15, static(currency_value), write_role=None),
            Attribute(
                16, live(lambda: Data.double_long(view.low_credit_threshold())), set_threshold
            ),
        ),
    )


# -- Credit --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreditSetup:
    """The fixed attributes of a Credit; `configuration` is credit_configuration, bit 0 first
    (visual, confirmation, paid_back, resettable, tokens)."""

    credit_type: int
    priority: int
    configuration: str
    preset_amount: int


def credit(
    obis: Obis,
    setup: CreditSetup,
    amount: Callable[[], int],
    status: Callable[[], int],
    warning_threshold: Callable[[], int],
) -> CosemObject:
    """Attributes 2-5, 7-9: current_credit_amount, type, priority, warning threshold,
    configuration, status and preset amount (all read-only: the meter's process moves them)."""
    return CosemObject(
        CREDIT_CLASS_ID,
        0,
        obis,
        (
            logical_name(obis),
            Attribute(2, live(lambda: Data.double_long(amount())), write_role=None),
            Attribute(3, static(Data.enum(setup.credit_type)), write_role=None),
            Attribute(4, static(Data.unsigned(setup.priority)), write_role=None),
            Attribute(5, live(lambda: Data.double_long(warning_threshold())), write_role=None),
            Attribute(7, static(_bits(setup.configuration)), write_role=None),
            Attribute(8, live(lambda: Data.enum(status())), write_role=None),
            Attribute(9, static(Data.double_long(setup.preset_amount)), write_role=None),
        ),
    )


# -- Charge --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitCharge:
    """charge_per_unit x 10**price_scale currency per 10**commodity_scale units of the
    commodity (class, logical name, attribute); `table` is (index, charge_per_unit) rows."""

    commodity_scale: int
    price_scale: int
    commodity: tuple[int, Obis, int]
    table: tuple[tuple[bytes, int], ...]

    def data(self) -> Data:
        class_id, commodity, attribute = self.commodity
        return Data.structure(
            Data.structure(Data.integer(self.commodity_scale), Data.integer(self.price_scale)),
            Data.structure(
                Data.long_unsigned(class_id),
                Data.octet_string(commodity.to_bytes()),
                Data.integer(attribute),
            ),
            Data.array(
                Data.structure(Data.octet_string(index), Data.long(price))
                for index, price in self.table
            ),
        )


@dataclass(frozen=True, slots=True)
class ChargeSetup:
    """The fixed attributes of a Charge; `configuration` is charge_configuration, bit 0 first
    (percentage_based, continuous)."""

    charge_type: int
    priority: int
    unit_charge: UnitCharge
    period_s: int
    configuration: str


class ChargeView(Protocol):
    def total_amount_paid(self) -> int: ...

    def last_collection(self) -> tuple[datetime, int] | None:
        """When the last amount was collected and how much (None: never)."""
        ...

    def total_amount_remaining(self) -> int: ...


def charge(obis: Obis, setup: ChargeSetup, view: ChargeView, zone: ZoneInfo) -> CosemObject:
    """Attributes 2-6, 8-12 (read-only: prices come from the configuration)."""

    def last_time() -> Data:
        last = view.last_collection()
        return _moment(last[0] if last else None, zone)

    def last_amount() -> Data:
        last = view.last_collection()
        return Data.double_long(last[1] if last else 0)

    unit_charge = setup.unit_charge.data()
    return CosemObject(
        CHARGE_CLASS_ID,
        0,
        obis,
        (
            logical_name(obis),
            Attribute(2, live(lambda: Data.double_long(view.total_amount_paid())), write_role=None),
            Attribute(3, static(Data.enum(setup.charge_type)), write_role=None),
            Attribute(4, static(Data.unsigned(setup.priority)), write_role=None),
            Attribute(5, static(unit_charge), write_role=None),
            Attribute(6, static(unit_charge), write_role=None),
            Attribute(8, static(Data.double_long_unsigned(setup.period_s)), write_role=None),
            Attribute(9, static(_bits(setup.configuration)), write_role=None),
            Attribute(10, live(last_time), write_role=None),
            Attribute(11, live(last_amount), write_role=None),
            Attribute(
                12, live(lambda: Data.double_long(view.total_amount_remaining())), write_role=None
            ),
        ),
    )


# -- Token gateway -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenResult:
    """What the application made of a token: token_status_code and a description."""

    status_code: int
    description: tuple[str, ...]

    @property
    def executed(self) -> bool:
        return self.status_code == TOKEN_EXECUTION_OK


class TokenSink(Protocol):
    def enter(self, token: bytes) -> TokenResult: ...


@dataclass(slots=True)
class _LastToken:
    token: bytes = b""
    at: datetime | None = None
    result: TokenResult | None = None


def token_gateway(
    obis: Obis,
    sink: TokenSink,
    now: Callable[[], datetime],
    zone: ZoneInfo,
    refusal: ActionResult = ActionResult.OTHER_REASON,
) -> CosemObject:
    """Attributes 2-6 describe the last token entered; method 1 enter(octet-string) is for the
    management client."""
    last = _LastToken()

    def enter(parameter: Data | None) -> None:
        if parameter is None:
            raise ActionRefused(ActionResult.TYPE_UNMATCHED, "enter() takes the token")
        raw = expect_type(parameter, DataType.OCTET_STRING).value
        assert isinstance(raw, bytes)
        last.token, last.at = raw, now()
        last.result = sink.enter(raw)
        if not last.result.executed:
            raise ActionRefused(refusal, "; ".join(last.result.description))

    def description() -> Data:
        lines = last.result.description if last.result else ()
        return Data.array(Data.octet_string(line.encode()) for line in lines)

    def status() -> Data:
        code = last.result.status_code if last.result else NO_TOKEN_YET
        return Data.structure(Data.enum(code), _bits(""))

    return CosemObject(
        TOKEN_GATEWAY_CLASS_ID,
        0,
        obis,
        (
            logical_name(obis),
            Attribute(2, live(lambda: Data.octet_string(last.token)), write_role=None),
            Attribute(3, live(lambda: _moment(last.at, zone)), write_role=None),
            Attribute(4, live(description), write_role=None),
            Attribute(5, static(Data.enum(REMOTE_COMMUNICATIONS)), write_role=None),
            Attribute(6, live(status), write_role=None),
        ),
        (Method(1, enter, Role.MANAGEMENT),),
    )
