"""Every attribute and method of the payment objects (Account 111, Credit 112, Charge 113) in
meter-side prepayment: what management may do, what the public and reader clients may not, and
the ledger behind each method that moves money (rules P1, P3, P6, M5, M6)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from in_process import act, associate, read, write
from payment_meter import (
    device,
    meter_mode_config,
    meter_mode_runtime,
)

from cosem.access import DEFAULT_MANAGEMENT_PASSWORD, DEFAULT_READER_PASSWORD
from cosem.apdu import ActionResult, DataAccessResult
from cosem.axdr import Data, DataType
from cosem.classes.payment import NOT_SPECIFIED, UnitCharge
from cosem.classes.register import REGISTER_CLASS_ID
from cosem.obis import Obis
from cosem.server import LogicalDevice, ServerAssociation
from emulator import obis_map
from emulator.runtime import VirtualMeter
from firmware.prepayment.ledger import ChargeKind, EntryKind
from firmware.rules.money import Money

ACCOUNT = (111, obis_map.ACCOUNT)
TOKEN_CREDIT = (112, obis_map.TOKEN_CREDIT)
EMERGENCY = (112, obis_map.EMERGENCY_CREDIT_CREDIT)
STARTING_CREDIT = (112, obis_map.STARTING_CREDIT_CREDIT)
ENERGY = (113, obis_map.ENERGY_CHARGE)
REPAYMENT = (113, obis_map.STARTING_CREDIT_CHARGE)
WEEKLY = (113, obis_map.WEEKLY_CHARGE)
TOKEN_GATEWAY = (115, obis_map.TOKEN_GATEWAY)
ATTRIBUTES = {
    ACCOUNT: 19,
    TOKEN_CREDIT: 11,
    EMERGENCY: 11,
    STARTING_CREDIT: 11,
    ENERGY: 13,
    REPAYMENT: 13,
    WEEKLY: 13,
    TOKEN_GATEWAY: 6,
}
NONE_YET = Data.octet_string(NOT_SPECIFIED.to_bytes())
ZERO_PARAMETER = Data.integer(0)
CENTS = Data.double_long


WEEKLY_RATE = UnitCharge(0, -2, (8, obis_map.CLOCK, 2), ((b"week", 0),))


def new_prices(peak: int, off_peak: int, scale: int = -4) -> UnitCharge:
    return UnitCharge(
        3, scale, (REGISTER_CLASS_ID, obis_map.IMPORT_PEAK, 2), ((b"T1", peak), (b"T2", off_peak))
    )


@pytest.fixture
def runtime() -> VirtualMeter:
    return meter_mode_runtime(meter_mode_config())


@pytest.fixture
def served(runtime: VirtualMeter) -> LogicalDevice:
    return device(runtime)


@pytest.fixture
def management(served: LogicalDevice) -> ServerAssociation:
    return associate(served, 1, DEFAULT_MANAGEMENT_PASSWORD)


def balance(runtime: VirtualMeter) -> Money:
    return runtime.meter.account_for_release().balance


def later(runtime: VirtualMeter, hours: int) -> None:
    clock = runtime.simulated_clock
    assert clock is not None
    clock.advance_to(clock.now() + timedelta(hours=hours))


def books_balance(runtime: VirtualMeter) -> None:
    # rule M6: money in = money out + balance change (from zero at commissioning)
    account = runtime.meter.account_for_release()
    totals = account.totals
    assert totals.top_ups + totals.advances == totals.charges + totals.repayments + account.balance


def test_every_attribute_reads_and_no_more(served: LogicalDevice) -> None:  # rule M5
    public = associate(served, 16, None)
    for target, count in ATTRIBUTES.items():
        for attribute in range(1, count + 1):
            assert isinstance(read(public, target, attribute), Data), (target, attribute)
        assert isinstance(read(public, target, count + 1), DataAccessResult)  # no such one


@pytest.mark.parametrize(
    ("target", "attribute", "value"),
    [
        (ACCOUNT, 2, Data.structure(Data.enum(2), Data.enum(2))),  # prepayment, active
        (ACCOUNT, 14, NONE_YET),  # not closed
        (ACCOUNT, 17, CENTS(0)),  # the emergency credit below 0 (P3)
        (ACCOUNT, 18, Data.long_unsigned(25_000)),  # 250.00 EUR per token (P6)
        (ACCOUNT, 19, CENTS(0)),  # per token: no period
        (TOKEN_CREDIT, 6, CENTS(0)),
        (TOKEN_CREDIT, 10, CENTS(0)),
        (TOKEN_CREDIT, 11, NONE_YET),
        (EMERGENCY, 6, CENTS(-1500)),  # the -15 EUR floor (P4)
        (EMERGENCY, 10, CENTS(0)),  # available below 0 (P3)
        (ENERGY, 6, new_prices(3000, 2500).data()),  # passive starts as the active prices
        (ENERGY, 7, NONE_YET),  # the configured prices: never activated
        (ENERGY, 13, Data.long_unsigned(0)),
        (REPAYMENT, 8, Data.double_long_unsigned(86_400)),
        (REPAYMENT, 13, Data.long_unsigned(0)),
        (STARTING_CREDIT, 2, CENTS(2000)),  # nothing repaid yet (P1)
        (STARTING_CREDIT, 3, Data.enum(1)),  # reserved credit
        (STARTING_CREDIT, 8, Data.enum(3)),  # in use while owed
        (STARTING_CREDIT, 9, CENTS(2000)),  # the 20 EUR preset (P1)
        (WEEKLY, 2, CENTS(0)),  # nothing taken yet (B10)
        (WEEKLY, 3, Data.enum(1)),  # time-based
        (WEEKLY, 5, WEEKLY_RATE.data()),  # the configured 0.00 EUR a week
        (WEEKLY, 8, Data.double_long_unsigned(604_800)),
        (WEEKLY, 12, CENTS(0)),
    ],
)
def test_attribute_values(
    served: LogicalDevice, target: tuple[int, Obis], attribute: int, value: Data
) -> None:
    assert read(associate(served, 16, None), target, attribute) == value


def test_credit_charge_and_token_configuration(served: LogicalDevice) -> None:
    public = associate(served, 16, None)
    links = read(public, ACCOUNT, 11)
    # each credit with each charge, but the starting credit with its own repayment
    assert isinstance(links, Data) and len(links.items) == 3 * 3 - 1
    proportions = read(public, ACCOUNT, 12)
    assert proportions == Data.array(
        [Data.structure(Data.octet_string(obis_map.TOKEN_CREDIT.to_bytes()), Data.unsigned(100))]
    )


CREDITS = (TOKEN_CREDIT, EMERGENCY, STARTING_CREDIT)
CHARGES = (ENERGY, REPAYMENT, WEEKLY)
METHODS = [
    (ACCOUNT, 1, ZERO_PARAMETER),
    (ACCOUNT, 2, ZERO_PARAMETER),
    (ACCOUNT, 3, ZERO_PARAMETER),
    *((credit, method, CENTS(100)) for credit in CREDITS for method in (1, 2)),
    *((credit, 3, Data.enum(2)) for credit in CREDITS),
    *((charge, 1, new_prices(4000, 3000).data()) for charge in CHARGES),
    *((charge, method, ZERO_PARAMETER) for charge in CHARGES for method in (2, 3)),
    *((charge, method, CENTS(100)) for charge in CHARGES for method in (4, 5)),
]


@pytest.mark.parametrize(("target", "method", "parameter"), METHODS)
@pytest.mark.parametrize(("client", "password"), [(16, None), (17, DEFAULT_READER_PASSWORD)])
def test_public_and_reader_may_not_call_payment_methods(
    runtime: VirtualMeter,
    served: LogicalDevice,
    client: int,
    password: bytes | None,
    target: tuple[int, Obis],
    method: int,
    parameter: Data,
) -> None:
    before = balance(runtime)
    association = associate(served, client, password)
    assert act(association, target, method, parameter) is ActionResult.READ_WRITE_DENIED
    assert balance(runtime) == before


@pytest.mark.parametrize(
    ("target", "method", "parameter", "result"),
    [
        (ACCOUNT, 1, ZERO_PARAMETER, ActionResult.SUCCESS),  # active from commissioning
        (ACCOUNT, 3, ZERO_PARAMETER, ActionResult.OTHER_REASON),  # reset: close first
        (TOKEN_CREDIT, 3, Data.enum(2), ActionResult.OTHER_REASON),  # never invoked
        (EMERGENCY, 1, CENTS(100), ActionResult.OTHER_REASON),  # fixed by P3
        (EMERGENCY, 2, CENTS(100), ActionResult.OTHER_REASON),
        (EMERGENCY, 3, Data.enum(2), ActionResult.SUCCESS),  # P3 takes it over by itself
        (ENERGY, 3, ZERO_PARAMETER, ActionResult.SUCCESS),
        (ENERGY, 4, CENTS(100), ActionResult.OTHER_REASON),  # energy has nothing remaining
        (ENERGY, 5, CENTS(100), ActionResult.OTHER_REASON),
        (REPAYMENT, 1, new_prices(4000, 3000).data(), ActionResult.OTHER_REASON),  # P1 rate
        (REPAYMENT, 2, ZERO_PARAMETER, ActionResult.SUCCESS),  # the same rate again
        (REPAYMENT, 3, ZERO_PARAMETER, ActionResult.SUCCESS),
        (REPAYMENT, 4, CENTS(100), ActionResult.OTHER_REASON),  # owed is the ledger's (P1)
        (REPAYMENT, 5, CENTS(100), ActionResult.OTHER_REASON),
        (STARTING_CREDIT, 1, CENTS(100), ActionResult.OTHER_REASON),  # the ledger's (P1)
        (STARTING_CREDIT, 2, CENTS(100), ActionResult.OTHER_REASON),
        (STARTING_CREDIT, 3, Data.enum(2), ActionResult.OTHER_REASON),  # lent at commissioning
        (WEEKLY, 1, WEEKLY_RATE.data(), ActionResult.SUCCESS),  # the configured rate again
        (WEEKLY, 1, new_prices(4000, 3000).data(), ActionResult.OTHER_REASON),  # B10 config
        (WEEKLY, 2, ZERO_PARAMETER, ActionResult.SUCCESS),
        (WEEKLY, 3, ZERO_PARAMETER, ActionResult.SUCCESS),
        (WEEKLY, 4, CENTS(100), ActionResult.OTHER_REASON),
        (WEEKLY, 5, CENTS(100), ActionResult.OTHER_REASON),
        (TOKEN_CREDIT, 1, Data.long(100), ActionResult.TYPE_UNMATCHED),
        (ENERGY, 1, ZERO_PARAMETER, ActionResult.TYPE_UNMATCHED),
    ],
)
def test_management_methods_that_change_no_money(
    runtime: VirtualMeter,
    management: ServerAssociation,
    target: tuple[int, Obis],
    method: int,
    parameter: Data,
    result: ActionResult,
) -> None:
    before = len(runtime.meter.account_for_release().entries)
    assert act(management, target, method, parameter) is result
    assert len(runtime.meter.account_for_release().entries) == before
    assert balance(runtime) == Money.eur(20)


def test_new_prices_charge_the_next_kwh_exactly(
    runtime: VirtualMeter, management: ServerAssociation
) -> None:  # rule M6: 1 kW, peak hours on Monday
    later(runtime, 1)
    before = balance(runtime)
    assert before == Money.eur(20) - Money.parse("0.30")
    prices = new_prices(5000, 4000)
    assert act(management, ENERGY, 1, prices.data()) is ActionResult.SUCCESS
    assert read(management, ENERGY, 6) == prices.data()
    assert read(management, ENERGY, 5) == new_prices(3000, 2500).data()  # not active yet
    assert act(management, ENERGY, 2, ZERO_PARAMETER) is ActionResult.SUCCESS
    assert read(management, ENERGY, 5) == prices.data()
    assert read(management, ENERGY, 7) != NONE_YET
    later(runtime, 1)
    assert balance(runtime) == before - Money.parse("0.50")
    books_balance(runtime)


@pytest.mark.parametrize(
    "prices",
    [
        UnitCharge(3, -4, (REGISTER_CLASS_ID, obis_map.IMPORT_PEAK, 2), ((b"T1", 5000),)),
        new_prices(5000, 4000, scale=-3),
        new_prices(5000, -1),
        UnitCharge(3, -4, (3, obis_map.EXPORT_PEAK, 2), ((b"T1", 5000), (b"T2", 4000))),
    ],
)
def test_prices_the_meter_cannot_charge_are_refused(
    runtime: VirtualMeter, management: ServerAssociation, prices: UnitCharge
) -> None:
    assert act(management, ENERGY, 1, prices.data()) is ActionResult.OTHER_REASON
    assert write(management, ENERGY, 6, prices.data()) is DataAccessResult.OTHER_REASON
    assert act(management, ENERGY, 2, ZERO_PARAMETER) is ActionResult.SUCCESS  # the old ones
    assert runtime.meter.account_for_release().prices_activated_at is not None
    assert read(management, ENERGY, 5) == new_prices(3000, 2500).data()


def test_management_writes_the_passive_prices(served: LogicalDevice) -> None:
    management = associate(served, 1, DEFAULT_MANAGEMENT_PASSWORD)
    reader = associate(served, 17, DEFAULT_READER_PASSWORD)
    prices = new_prices(3500, 2000)
    assert write(reader, ENERGY, 6, prices.data()) is DataAccessResult.READ_WRITE_DENIED
    assert write(management, ENERGY, 6, prices.data()) is DataAccessResult.SUCCESS
    assert read(reader, ENERGY, 6) == prices.data()
    assert write(management, ENERGY, 6, Data.integer(1)) is DataAccessResult.TYPE_UNMATCHED


def test_an_operator_adjustment_is_booked(
    runtime: VirtualMeter, management: ServerAssociation
) -> None:  # rule M6
    assert act(management, TOKEN_CREDIT, 1, CENTS(1000)) is ActionResult.SUCCESS
    assert balance(runtime) == Money.eur(30)
    last = runtime.meter.account_for_release().entries[-1]
    assert (last.kind, last.reference) == (EntryKind.TOP_UP, "operator adjustment")
    assert act(management, TOKEN_CREDIT, 2, CENTS(550)) is ActionResult.SUCCESS
    assert balance(runtime) == Money.parse("5.50")
    last = runtime.meter.account_for_release().entries[-1]
    assert (last.kind, last.charge, last.amount) == (
        EntryKind.CHARGE,
        ChargeKind.ADJUSTMENT,
        Money.parse("24.50"),
    )
    assert read(management, TOKEN_CREDIT, 2) == CENTS(550)
    assert act(management, TOKEN_CREDIT, 1, CENTS(-1550)) is ActionResult.SUCCESS
    assert read(management, TOKEN_CREDIT, 2) == CENTS(0)
    assert read(management, EMERGENCY, 2) == CENTS(500)  # -10 EUR: emergency credit in use
    assert act(management, TOKEN_CREDIT, 2, CENTS(-1)) is ActionResult.OTHER_REASON
    assert act(management, TOKEN_CREDIT, 1, CENTS(0)) is ActionResult.OTHER_REASON
    books_balance(runtime)


def test_close_then_reset_the_account(
    runtime: VirtualMeter, management: ServerAssociation
) -> None:  # rules P1, M6
    later(runtime, 1)
    assert act(management, ACCOUNT, 2, ZERO_PARAMETER) is ActionResult.SUCCESS
    assert read(management, ACCOUNT, 2) == Data.structure(Data.enum(2), Data.enum(3))
    closed_at = read(management, ACCOUNT, 14)
    assert isinstance(closed_at, Data) and closed_at.type is DataType.OCTET_STRING
    assert closed_at != NONE_YET
    left = balance(runtime)
    later(runtime, 2)
    assert balance(runtime) == left  # no more charging
    assert act(management, ACCOUNT, 2, ZERO_PARAMETER) is ActionResult.OTHER_REASON
    assert act(management, ACCOUNT, 1, ZERO_PARAMETER) is ActionResult.OTHER_REASON
    assert act(management, TOKEN_CREDIT, 1, CENTS(100)) is ActionResult.OTHER_REASON
    assert act(management, ACCOUNT, 3, ZERO_PARAMETER) is ActionResult.SUCCESS
    assert read(management, ACCOUNT, 2) == Data.structure(Data.enum(2), Data.enum(2))
    assert read(management, ACCOUNT, 14) == NONE_YET
    assert balance(runtime) == Money.eur(20)
    assert read(management, ACCOUNT, 8) == CENTS(2000)  # a new starting credit (P1)
    books_balance(runtime)
