"""Payment metering (COSEM-FACTS 3): Account (111), Credit (112), Charge (113), Token gateway
(115), all class version 0, built from small views the application supplies.

Every attribute of the four classes is served; a value the application has no notion of is a
setup constant it documents. The methods call the view, which carries them out or refuses with
`ActionRefused`; they are for the management client only. Money attributes are double-long in
the Account's currency units (its `currency_scale`). Date-times are local time in `zone` with
the DST status bit, or all fields "not specified" when nothing happened yet.

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
from cosem.apdu.enums import ActionResult, DataAccessResult
from cosem.axdr import BitString, Data, DataType
from cosem.classes.base import (
    AccessRefused,
    ActionRefused,
    Attribute,
    CosemObject,
    Method,
    expect_type,
    live,
    logical_name,
    no_parameter,
    static,
)
from cosem.classes.clock import local_date_time
from cosem.datetime_codec import CosemDateTime
from cosem.errors import CosemError
from cosem.obis import Obis

ACCOUNT_CLASS_ID = 111
CREDIT_CLASS_ID = 112
CHARGE_CLASS_ID = 113
TOKEN_GATEWAY_CLASS_ID = 115
PREPAYMENT_MODE = 2  # payment_mode enum


class AccountStatus:
    NEW = 1
    ACTIVE = 2
    CLOSED = 3


MONETARY = 2  # currency_unit enum
REMOTE_COMMUNICATIONS = 0  # token_delivery_method enum
TOKEN_EXECUTION_OK = 3  # token_status_code
NO_TOKEN_YET = 8  # "token received and not yet processed": the closest code to "none"
NOT_SPECIFIED = CosemDateTime(None, None, None, None, None, None, None, None, None, None)


class CreditType:
    TOKEN = 0
    RESERVED = 1
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


class UnitChargeError(CosemError):
    """A unit_charge value that is not the structure COSEM-FACTS 3.3 describes."""


def _moment(moment: datetime | None, zone: ZoneInfo) -> Data:
    stamp = NOT_SPECIFIED if moment is None else local_date_time(moment, zone)
    return Data.octet_string(stamp.to_bytes())


def _bits(bits: str) -> Data:
    return Data.bit_string(BitString.from_bits(bits))


def _references(objects: Sequence[Obis]) -> Data:
    return Data.array(Data.octet_string(obis.to_bytes()) for obis in objects)


def _fixed(attribute_id: int, value: Data) -> Attribute:
    """A read-only attribute set up once."""
    return Attribute(attribute_id, static(value), write_role=None)


def _moving(attribute_id: int, value: Callable[[], Data]) -> Attribute:
    """A read-only attribute the meter's process moves."""
    return Attribute(attribute_id, live(value), write_role=None)


def _amount_method(change: Callable[[int], None]) -> Callable[[Data | None], None]:
    """A method taking one double-long amount."""

    def invoke(parameter: Data | None) -> None:
        if parameter is None or parameter.type is not DataType.DOUBLE_LONG:
            raise ActionRefused(ActionResult.TYPE_UNMATCHED, "expected a double-long amount")
        change(parameter.int_value)

    return invoke


# -- Account -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreditChargeLink:
    """One row of credit_charge_configuration: `charge` collects from `credit`;
    `collection` is collection_configuration, bit 0 first (when disconnected, in load limiting
    periods, in friendly credit periods)."""

    credit: Obis
    charge: Obis
    collection: str


@dataclass(frozen=True, slots=True)
class AccountSetup:
    """The fixed attributes of an Account, money in currency units; `token_proportions` is
    token_gateway_configuration ((credit, percentage) rows) and `max_provision_period_s` the
    period max_provision applies to."""

    currency: Currency
    clearance_threshold: int
    credits: tuple[Obis, ...]
    charges: tuple[Obis, ...]
    credit_charges: tuple[CreditChargeLink, ...]
    token_proportions: tuple[tuple[Obis, int], ...]
    next_credit_available_threshold: int
    max_provision: int
    max_provision_period_s: int


class AccountView(Protocol):
    """The live values of an Account, money in currency units, and its three methods."""

    def status(self) -> int:
        """account_status (`AccountStatus`)."""
        ...

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

    def closure_time(self) -> datetime | None: ...

    def activate(self) -> None:
        """activate_account; raise ActionRefused when it makes no sense."""
        ...

    def close(self) -> None: ...

    def reset(self) -> None: ...


def account(obis: Obis, setup: AccountSetup, view: AccountView, zone: ZoneInfo) -> CosemObject:
    """Attributes 1-19 (16 low_credit_threshold writable by management: the others are fixed by
    the setup or moved by the meter's process) and methods 1-3 for management."""

    def set_threshold(value: Data) -> None:
        view.set_low_credit_threshold(expect_type(value, DataType.DOUBLE_LONG).int_value)

    def mode_and_status() -> Data:
        return Data.structure(Data.enum(PREPAYMENT_MODE), Data.enum(view.status()))

    def method(action: Callable[[], None]) -> Callable[[Data | None], None]:
        def invoke(parameter: Data | None) -> None:
            no_parameter(parameter)
            action()

        return invoke

    currency = setup.currency
    currency_value = Data.structure(
        Data.utf8_string(currency.name), Data.integer(currency.scale), Data.enum(MONETARY)
    )
    credit_charges = Data.array(
        Data.structure(
            Data.octet_string(link.credit.to_bytes()),
            Data.octet_string(link.charge.to_bytes()),
            _bits(link.collection),
        )
        for link in setup.credit_charges
    )
    token_proportions = Data.array(
        Data.structure(Data.octet_string(credit.to_bytes()), Data.unsigned(proportion))
        for credit, proportion in setup.token_proportions
    )

    return CosemObject(
        ACCOUNT_CLASS_ID,
        0,
        obis,
        (
            logical_name(obis),
            _moving(2, mode_and_status),
            _moving(3, lambda: Data.unsigned(view.credit_in_use())),
            _moving(4, lambda: Data.bit_string(BitString(bytes([view.credit_status()]), 8))),
            _moving(5, lambda: Data.double_long(view.available_credit())),
            _moving(6, lambda: Data.double_long(view.amount_to_clear())),
            _fixed(7, Data.double_long(setup.clearance_threshold)),
            _moving(8, lambda: Data.double_long(view.aggregated_debt())),
            _fixed(9, _references(setup.credits)),
            _fixed(10, _references(setup.charges)),
            _fixed(11, credit_charges),
            _fixed(12, token_proportions),
            _moving(13, lambda: _moment(view.activation_time(), zone)),
            _moving(14, lambda: _moment(view.closure_time(), zone)),
            _fixed(15, currency_value),
            Attribute(
                16, live(lambda: Data.double_long(view.low_credit_threshold())), set_threshold
            ),
            _fixed(17, Data.double_long(setup.next_credit_available_threshold)),
            _fixed(18, Data.long_unsigned(setup.max_provision)),
            _fixed(19, Data.double_long(setup.max_provision_period_s)),
        ),
        (
            Method(1, method(view.activate), Role.MANAGEMENT),
            Method(2, method(view.close), Role.MANAGEMENT),
            Method(3, method(view.reset), Role.MANAGEMENT),
        ),
    )


# -- Credit --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreditSetup:
    """The fixed attributes of a Credit; `configuration` is credit_configuration, bit 0 first
    (visual, confirmation, paid_back, resettable, tokens); `limit` and
    `available_threshold` in currency units."""

    credit_type: int
    priority: int
    configuration: str
    preset_amount: int
    limit: int
    available_threshold: int


class CreditView(Protocol):
    """The live values of a Credit, in currency units, and its three methods; a method the
    credit refuses raises ActionRefused."""

    def amount(self) -> int: ...

    def status(self) -> int: ...

    def warning_threshold(self) -> int: ...

    def update_amount(self, amount: int) -> None:
        """Add `amount` (may be negative) to current_credit_amount."""
        ...

    def set_amount(self, amount: int) -> None: ...

    def invoke(self) -> None: ...


def credit(obis: Obis, setup: CreditSetup, view: CreditView) -> CosemObject:
    """Attributes 1-11 (read-only: the meter's process moves them; period is not specified) and
    methods 1-3 for management."""

    def invoke_credit(parameter: Data | None) -> None:
        if parameter is not None and parameter.type not in _INVOKE_PARAMETER_TYPES:
            raise ActionRefused(ActionResult.TYPE_UNMATCHED, "expected the credit_status")
        view.invoke()

    return CosemObject(
        CREDIT_CLASS_ID,
        0,
        obis,
        (
            logical_name(obis),
            _moving(2, lambda: Data.double_long(view.amount())),
            _fixed(3, Data.enum(setup.credit_type)),
            _fixed(4, Data.unsigned(setup.priority)),
            _moving(5, lambda: Data.double_long(view.warning_threshold())),
            _fixed(6, Data.double_long(setup.limit)),
            _fixed(7, _bits(setup.configuration)),
            _moving(8, lambda: Data.enum(view.status())),
            _fixed(9, Data.double_long(setup.preset_amount)),
            _fixed(10, Data.double_long(setup.available_threshold)),
            _fixed(11, Data.octet_string(NOT_SPECIFIED.to_bytes())),
        ),
        (
            Method(1, _amount_method(view.update_amount), Role.MANAGEMENT),
            Method(2, _amount_method(view.set_amount), Role.MANAGEMENT),
            Method(3, invoke_credit, Role.MANAGEMENT),
        ),
    )


_INVOKE_PARAMETER_TYPES = (DataType.ENUM, DataType.UNSIGNED, DataType.INTEGER, DataType.NULL_DATA)


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

    @classmethod
    def from_data(cls, value: Data) -> UnitCharge:
        """Read back what `data` builds; UnitChargeError for anything else."""
        try:
            scaling, commodity, table = _items(value, DataType.STRUCTURE, 3)
            commodity_scale, price_scale = _items(scaling, DataType.STRUCTURE, 2)
            class_id, name, attribute = _items(commodity, DataType.STRUCTURE, 3)
            rows = tuple(_table_row(row) for row in _typed(table, DataType.ARRAY).items)
            raw_name = _typed(name, DataType.OCTET_STRING).value
            assert isinstance(raw_name, bytes)
            return cls(
                _typed(commodity_scale, DataType.INTEGER).int_value,
                _typed(price_scale, DataType.INTEGER).int_value,
                (
                    _typed(class_id, DataType.LONG_UNSIGNED).int_value,
                    Obis.from_bytes(raw_name),
                    _typed(attribute, DataType.INTEGER).int_value,
                ),
                rows,
            )
        except (TypeError, ValueError, CosemError) as error:
            raise UnitChargeError(f"not a unit_charge: {error}") from error


def _items(value: Data, data_type: DataType, count: int) -> tuple[Data, ...]:
    items = _typed(value, data_type).items
    if len(items) != count:
        raise UnitChargeError(f"a {data_type.name} of {len(items)} elements, expected {count}")
    return items


def _typed(value: Data, data_type: DataType) -> Data:
    if value.type is not data_type:
        raise UnitChargeError(f"got {value.type.name}, expected {data_type.name}")
    return value


def _table_row(row: Data) -> tuple[bytes, int]:
    index, price = _items(row, DataType.STRUCTURE, 2)
    raw = _typed(index, DataType.OCTET_STRING).value
    assert isinstance(raw, bytes)
    return raw, _typed(price, DataType.LONG).int_value


@dataclass(frozen=True, slots=True)
class ChargeSetup:
    """The fixed attributes of a Charge; `configuration` is charge_configuration, bit 0 first
    (percentage_based, continuous); `proportion` is used by percentage-based collection only."""

    charge_type: int
    priority: int
    period_s: int
    configuration: str
    proportion: int


class ChargeView(Protocol):
    """The live values of a Charge, in currency units, and its methods; a method the charge
    refuses raises ActionRefused."""

    def total_amount_paid(self) -> int: ...

    def last_collection(self) -> tuple[datetime, int] | None:
        """When the last amount was collected and how much (None: never)."""
        ...

    def total_amount_remaining(self) -> int: ...

    def unit_charge_active(self) -> UnitCharge: ...

    def unit_charge_activation_time(self) -> datetime | None:
        """When the active unit charge was activated (None: the configured one)."""
        ...

    def check_unit_charge(self, unit_charge: UnitCharge) -> None:
        """Refuse (ActionRefused) a unit charge this charge could never activate."""
        ...

    def activate_unit_charge(self, unit_charge: UnitCharge) -> None: ...

    def collect(self) -> None: ...

    def update_total_amount_remaining(self, amount: int) -> None: ...

    def set_total_amount_remaining(self, amount: int) -> None: ...


def charge(obis: Obis, setup: ChargeSetup, view: ChargeView, zone: ZoneInfo) -> CosemObject:
    """Attributes 1-13 (6 unit_charge_passive writable by management, as method 1 does) and
    methods 1-5 for management. The passive unit charge starts as the active one and is kept
    here: activating it hands it to the view."""
    passive = [view.unit_charge_active()]

    def last_time() -> Data:
        last = view.last_collection()
        return _moment(last[0] if last else None, zone)

    def last_amount() -> Data:
        last = view.last_collection()
        return Data.double_long(last[1] if last else 0)

    def store_passive(value: Data) -> None:
        unit_charge = UnitCharge.from_data(value)
        view.check_unit_charge(unit_charge)
        passive[0] = unit_charge

    def write_passive(value: Data) -> None:
        try:
            store_passive(value)
        except UnitChargeError as error:
            raise AccessRefused(DataAccessResult.TYPE_UNMATCHED, str(error)) from error
        except ActionRefused as error:
            raise AccessRefused(DataAccessResult.OTHER_REASON, str(error)) from error

    def update_unit_charge(parameter: Data | None) -> None:
        if parameter is None:
            raise ActionRefused(ActionResult.TYPE_UNMATCHED, "update_unit_charge takes one")
        try:
            store_passive(parameter)
        except UnitChargeError as error:
            raise ActionRefused(ActionResult.TYPE_UNMATCHED, str(error)) from error

    def activate(parameter: Data | None) -> None:
        no_parameter(parameter)
        view.activate_unit_charge(passive[0])

    def collect(parameter: Data | None) -> None:
        no_parameter(parameter)
        view.collect()

    return CosemObject(
        CHARGE_CLASS_ID,
        0,
        obis,
        (
            logical_name(obis),
            _moving(2, lambda: Data.double_long(view.total_amount_paid())),
            _fixed(3, Data.enum(setup.charge_type)),
            _fixed(4, Data.unsigned(setup.priority)),
            _moving(5, lambda: view.unit_charge_active().data()),
            Attribute(6, live(lambda: passive[0].data()), write_passive),
            _moving(7, lambda: _moment(view.unit_charge_activation_time(), zone)),
            _fixed(8, Data.double_long_unsigned(setup.period_s)),
            _fixed(9, _bits(setup.configuration)),
            _moving(10, last_time),
            _moving(11, last_amount),
            _moving(12, lambda: Data.double_long(view.total_amount_remaining())),
            _fixed(13, Data.long_unsigned(setup.proportion)),
        ),
        (
            Method(1, update_unit_charge, Role.MANAGEMENT),
            Method(2, activate, Role.MANAGEMENT),
            Method(3, collect, Role.MANAGEMENT),
            Method(4, _amount_method(view.update_total_amount_remaining), Role.MANAGEMENT),
            Method(5, _amount_method(view.set_total_amount_remaining), Role.MANAGEMENT),
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
