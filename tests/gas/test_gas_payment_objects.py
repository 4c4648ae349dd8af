"""The gas meter's own payment objects in meter-side prepayment (rule M5): Account, Credits,
Charges and Token gateway as the electricity meter serves them, the energy charge priced per
m3 of the gas volume; read and operated by our head-end Session over loopback TCP, on the gas
meter's own device (0-0:19.x) and on an electricity meter's channel 1 (``--with-gas``, 0-1:19.x)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from prepaid_gas import (
    DEFAULT_PRICE,
    gas_token,
    later,
    prepaid_gas,
    prepaid_gas_config,
    price_per_m3,
)
from served_tcp import tcp_session

from cosem.apdu import AttributeDescriptor, MethodDescriptor
from cosem.apdu.enums import ActionResult
from cosem.axdr import Data
from cosem.classes.payment import UnitCharge
from cosem.classes.register import REGISTER_CLASS_ID
from cosem.client import AccessRefused
from cosem.obis import Obis
from emulator import obis_map
from emulator.config import MeterConfig
from emulator.cosem_binding import build_logical_device
from firmware.prepayment.ledger import EntryKind
from firmware.rules.money import Money
from firmware.settings import PrepaymentMode

pytestmark = pytest.mark.timeout(60)

MANAGEMENT, MANAGEMENT_PASSWORD = 1, b"00000000"
PUBLIC = 16
ZERO = Data.integer(0)
CENTS = Data.double_long
PAYMENT_CLASSES = (111, 112, 113, 115)


def on(channel: int, class_id: int, obis: Obis, attribute: int) -> AttributeDescriptor:
    return AttributeDescriptor(class_id, obis_map.on_channel(obis, channel), attribute)


def method(channel: int, class_id: int, obis: Obis, index: int) -> MethodDescriptor:
    return MethodDescriptor(class_id, obis_map.on_channel(obis, channel), index)


AVAILABLE_CREDIT = on(0, 111, obis_map.ACCOUNT, 5)
ACCOUNT_STATUS = on(0, 111, obis_map.ACCOUNT, 2)
LOW_CREDIT_THRESHOLD = on(0, 111, obis_map.ACCOUNT, 16)
EMERGENCY_AMOUNT = on(0, 112, obis_map.EMERGENCY_CREDIT_CREDIT, 2)
ACTIVE_PRICE = on(0, 113, obis_map.ENERGY_CHARGE, 5)
PASSIVE_PRICE = on(0, 113, obis_map.ENERGY_CHARGE, 6)
UPDATE_UNIT_CHARGE = method(0, 113, obis_map.ENERGY_CHARGE, 1)
ACTIVATE_PASSIVE = method(0, 113, obis_map.ENERGY_CHARGE, 2)
ENTER_TOKEN = method(0, 115, obis_map.TOKEN_GATEWAY, 1)


def electricity_in_meter_mode() -> MeterConfig:
    config = MeterConfig()
    return replace(config, meter=replace(config.meter, prepayment=PrepaymentMode.METER))


def served_payment_codes(config: MeterConfig, with_gas: bool) -> set[tuple[Obis, int]]:
    device = build_logical_device(prepaid_gas(config, with_gas), config)
    return {
        (obj.logical_name, obj.class_id)
        for obj in device.objects
        if obj.class_id in PAYMENT_CLASSES
    }


def test_the_gas_meter_serves_the_payment_objects_of_its_obis_map() -> None:  # rule M5
    served = served_payment_codes(prepaid_gas_config(), with_gas=False)
    assert served == {(entry.obis, entry.class_id) for entry in obis_map.GAS_PAYMENT_MAP}


def test_with_gas_channel_1_serves_the_gas_accounts_payment_objects() -> None:  # rule M5
    served = served_payment_codes(electricity_in_meter_mode(), with_gas=True)
    channel_1 = {
        (entry.obis, entry.class_id)
        for entry in obis_map.GAS_CHANNEL_1_MAP
        if entry.class_id in PAYMENT_CLASSES
    }
    electricity = {(entry.obis, entry.class_id) for entry in obis_map.PAYMENT_MAP}
    assert len(channel_1) == 8
    assert served == channel_1 | electricity


async def test_available_credit_emergency_credit_and_the_price_per_m3() -> None:
    # rules P1 (20 EUR starting credit), P3 (15 EUR emergency credit), M5
    config = prepaid_gas_config()
    async with tcp_session(prepaid_gas(config), config, PUBLIC) as session:
        available = await session.get(AVAILABLE_CREDIT)
        emergency = await session.get(EMERGENCY_AMOUNT)
        price = UnitCharge.from_data(await session.get(ACTIVE_PRICE))
    assert available == CENTS(2000 + 1500)
    assert emergency == CENTS(1500)
    assert price == price_per_m3(DEFAULT_PRICE)  # 0.85 EUR per m3 of 0-1:24.2.3.255


async def test_a_token_through_the_gateway_raises_the_available_credit() -> None:  # rule P6
    config = prepaid_gas_config()
    virtual = prepaid_gas(config)
    async with tcp_session(virtual, config, MANAGEMENT, MANAGEMENT_PASSWORD) as session:
        before = await session.get(AVAILABLE_CREDIT)
        await session.action(ENTER_TOKEN, Data.octet_string(gas_token(virtual, 1, "12.50")))
        after = await session.get(AVAILABLE_CREDIT)
    assert (before, after) == (CENTS(3500), CENTS(4750))
    assert virtual.gas is not None
    assert virtual.gas.account_for_release().entries[-1].kind is EntryKind.TOP_UP


async def test_activate_passive_unit_charge_prices_gas_from_that_instant() -> None:
    # rule M6: an hour at 0.85 EUR per m3, then a new price of 1.20 EUR per m3 for the next
    config = prepaid_gas_config()
    virtual = prepaid_gas(config)
    new_price = price_per_m3(12_000)
    async with tcp_session(virtual, config, MANAGEMENT, MANAGEMENT_PASSWORD) as session:
        later(virtual, 1)
        first_hour = await session.get(AVAILABLE_CREDIT)
        await session.action(UPDATE_UNIT_CHARGE, new_price.data())
        passive = UnitCharge.from_data(await session.get(PASSIVE_PRICE))
        still_active = UnitCharge.from_data(await session.get(ACTIVE_PRICE))
        await session.action(ACTIVATE_PASSIVE, ZERO)
        active = UnitCharge.from_data(await session.get(ACTIVE_PRICE))
        later(virtual, 1)
        second_hour = await session.get(AVAILABLE_CREDIT)
    assert first_hour == CENTS(3500 - 85)
    assert (passive, still_active, active) == (new_price, price_per_m3(DEFAULT_PRICE), new_price)
    assert second_hour == CENTS(3500 - 85 - 120)
    assert virtual.gas is not None
    assert virtual.gas.account_for_release().balance == Money.parse("17.95")


@pytest.mark.parametrize(
    "unit_charge",
    [
        UnitCharge(3, -4, price_per_m3(9000).commodity, ((b"T1", 9000), (b"T2", 8000))),
        UnitCharge(3, -4, (REGISTER_CLASS_ID, obis_map.IMPORT_PEAK, 2), ((b"T1", 9000),)),
        UnitCharge(0, -4, price_per_m3(9000).commodity, ((b"T1", 9000),)),  # per dm3
        price_per_m3(-1),
    ],
)
async def test_prices_the_gas_meter_cannot_charge_are_refused(unit_charge: UnitCharge) -> None:
    # as on electricity: other commodity or scaling, not one T1 price, a negative price
    config = prepaid_gas_config()
    async with tcp_session(prepaid_gas(config), config, MANAGEMENT, MANAGEMENT_PASSWORD) as session:
        with pytest.raises(AccessRefused) as refused:
            await session.action(UPDATE_UNIT_CHARGE, unit_charge.data())
        active = UnitCharge.from_data(await session.get(ACTIVE_PRICE))
    assert refused.value.result is ActionResult.OTHER_REASON
    assert active == price_per_m3(DEFAULT_PRICE)


@pytest.mark.parametrize(
    ("target", "parameter"),
    [
        (method(0, 112, obis_map.EMERGENCY_CREDIT_CREDIT, 1), CENTS(100)),  # fixed by P3
        (method(0, 112, obis_map.STARTING_CREDIT_CREDIT, 3), Data.enum(2)),  # lent (P1)
        (method(0, 113, obis_map.STARTING_CREDIT_CHARGE, 4), CENTS(100)),  # the ledger's
        (method(0, 113, obis_map.ENERGY_CHARGE, 5), CENTS(100)),  # nothing remaining
        (method(0, 111, obis_map.ACCOUNT, 3), ZERO),  # reset: close first
    ],
)
async def test_what_a_rule_fixes_refuses_its_methods(
    target: MethodDescriptor, parameter: Data
) -> None:
    config = prepaid_gas_config()
    virtual = prepaid_gas(config)
    async with tcp_session(virtual, config, MANAGEMENT, MANAGEMENT_PASSWORD) as session:
        with pytest.raises(AccessRefused) as refused:
            await session.action(target, parameter)
        available = await session.get(AVAILABLE_CREDIT)
    assert refused.value.result is ActionResult.OTHER_REASON
    assert available == CENTS(3500)


async def test_a_public_client_may_not_enter_a_token() -> None:  # rule M5: management only
    config = prepaid_gas_config()
    virtual = prepaid_gas(config)
    async with tcp_session(virtual, config, PUBLIC) as session:
        with pytest.raises(AccessRefused) as refused:
            await session.action(ENTER_TOKEN, Data.octet_string(gas_token(virtual, 1, "5.00")))
    assert refused.value.result is ActionResult.READ_WRITE_DENIED


async def test_threshold_close_and_reset_of_the_gas_account() -> None:
    # rules P2 (the low-credit threshold written), P1 (a new starting credit at reset), M6
    config = prepaid_gas_config()
    virtual = prepaid_gas(config)
    async with tcp_session(virtual, config, MANAGEMENT, MANAGEMENT_PASSWORD) as session:
        await session.set(LOW_CREDIT_THRESHOLD, CENTS(700))
        threshold = await session.get(LOW_CREDIT_THRESHOLD)
        later(virtual, 1)
        await session.action(method(0, 111, obis_map.ACCOUNT, 2), ZERO)  # close
        closed = await session.get(ACCOUNT_STATUS)
        left = await session.get(AVAILABLE_CREDIT)
        later(virtual, 2)
        still = await session.get(AVAILABLE_CREDIT)  # no more charging
        await session.action(method(0, 111, obis_map.ACCOUNT, 3), ZERO)  # reset
        reopened = await session.get(ACCOUNT_STATUS)
        fresh = await session.get(AVAILABLE_CREDIT)
    assert threshold == CENTS(700)
    assert closed == Data.structure(Data.enum(2), Data.enum(3))
    assert left == still == CENTS(3500 - 85)
    assert reopened == Data.structure(Data.enum(2), Data.enum(2))
    assert fresh == CENTS(3500)


async def test_with_gas_a_channel_1_token_credits_the_gas_account_only() -> None:
    # rules P6, M5: the gas meter's account on 0-1:19.x, the electricity's on 0-0:19.x
    config = electricity_in_meter_mode()
    virtual = prepaid_gas(config, with_gas=True)
    gas_available = on(1, 111, obis_map.ACCOUNT, 5)
    async with tcp_session(virtual, config, MANAGEMENT, MANAGEMENT_PASSWORD) as session:
        token = Data.octet_string(gas_token(virtual, 1, "7.00"))
        await session.action(method(1, 115, obis_map.TOKEN_GATEWAY, 1), token)
        gas = await session.get(gas_available)
        electricity = await session.get(AVAILABLE_CREDIT)
        gas_price = UnitCharge.from_data(await session.get(on(1, 113, obis_map.ENERGY_CHARGE, 5)))
    assert gas == CENTS(2000 + 700 + 1500)
    assert isinstance(electricity.value, int) and electricity.value <= 3500  # no top-up
    assert gas_price.commodity == price_per_m3(0).commodity  # the volume 0-1:24.2.3.255
