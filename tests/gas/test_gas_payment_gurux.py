"""gurux-dlms (an independent client) against the gas meter's own payment objects over loopback
TCP (rules P3, P6, M5, M6): the Account, the emergency Credit and the gas Charge priced per m3
as a third party decodes them; a token through the Token gateway; a new price written to the
passive unit charge and activated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from gurux_dlms.enums import DataType, ObjectType
from gurux_session import GuruxSession, find, in_thread
from prepaid_gas import DEFAULT_PRICE, gas_token, later, prepaid_gas, prepaid_gas_config

from emulator.cosem_binding import build_logical_device
from emulator.runtime import VirtualMeter
from emulator.tcp_service import TcpService

pytestmark = pytest.mark.timeout(60)

MANAGEMENT_PASSWORD = "00000000"
ACCOUNT = "0.0.19.0.0.255"
EMERGENCY_CREDIT = "0.0.19.10.1.255"
GAS_CHARGE = "0.0.19.20.0.255"
TOKEN_GATEWAY = "0.0.19.40.0.255"
VOLUME = "0.1.24.2.3.255"


@dataclass
class ServedGas:
    virtual: VirtualMeter
    port: int


@pytest.fixture
async def served() -> AsyncIterator[ServedGas]:
    config = prepaid_gas_config()
    virtual = prepaid_gas(config)
    service = TcpService(build_logical_device(virtual, config), "127.0.0.1", 0, idle_timeout_s=30)
    await service.start()
    try:
        yield ServedGas(virtual, service.port)
    finally:
        await service.close()


def management(port: int) -> GuruxSession:
    return GuruxSession(port, 1, MANAGEMENT_PASSWORD)


def available_credit(port: int) -> int:
    with management(port) as session:
        session.associate()
        account = find(session.object_list(), ObjectType.ACCOUNT, ACCOUNT)
        value = int(session.read(account, 5))
        session.release()
        return value


async def test_gurux_reads_the_credit_and_the_price_per_m3(served: ServedGas) -> None:
    # rules P1, P3, M5: 20 EUR starting credit + 15 EUR emergency credit; 0.85 EUR per m3
    def read() -> tuple[int, int, Any]:
        with GuruxSession(served.port) as session:
            session.associate()
            objects = session.object_list()
            available = session.read(find(objects, ObjectType.ACCOUNT, ACCOUNT), 5)
            emergency = session.read(find(objects, ObjectType.CREDIT, EMERGENCY_CREDIT), 2)
            charge = find(objects, ObjectType.CHARGE, GAS_CHARGE)
            session.read(charge, 5)
            session.release()
            return available, emergency, charge.unitChargeActive

    available, emergency, price = await in_thread(read)
    assert (available, emergency) == (3500, 1500)
    scaling = price.chargePerUnitScaling
    assert (scaling.commodityScale, scaling.priceScale) == (3, -4)
    target = price.commodity.target
    assert (target.objectType, target.logicalName, price.commodity.index) == (
        ObjectType.EXTENDED_REGISTER,
        VOLUME,
        2,
    )
    [row] = price.chargeTables
    assert (bytes(row.index), row.chargePerUnit) == (b"T1", DEFAULT_PRICE)


async def test_gurux_enters_a_token_and_activates_a_new_price(served: ServedGas) -> None:
    # rule P6: a 10 EUR token raises the available credit; rule M6: the passive unit charge
    # written with 1.20 EUR per m3 and activated prices the next m3
    token = gas_token(served.virtual, 1, "10.00")

    def top_up_and_reprice() -> tuple[int, int, int]:
        with management(served.port) as session:
            session.associate()
            objects = session.object_list()
            gateway = find(objects, ObjectType.TOKEN_GATEWAY, TOKEN_GATEWAY)
            entered = session.method(
                session.client.method(gateway, 1, token, DataType.OCTET_STRING)
            )
            account = find(objects, ObjectType.ACCOUNT, ACCOUNT)
            topped_up = int(session.read(account, 5))
            charge = find(objects, ObjectType.CHARGE, GAS_CHARGE)
            session.read(charge, 6)
            charge.unitChargePassive.chargeTables[0].chargePerUnit = 12_000
            session.write(charge, 6)
            activated = session.method(session.client.method(charge, 2, 0, DataType.INT8))
            session.release()
            return int(entered.error), topped_up, int(activated.error)

    entered, topped_up, activated = await in_thread(top_up_and_reprice)
    assert (entered, activated) == (0, 0)
    assert topped_up == 3500 + 1000
    later(served.virtual, 1)  # one m3 at the new price
    assert await in_thread(lambda: available_credit(served.port)) == 4500 - 120
