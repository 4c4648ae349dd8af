"""gurux-dlms (an independent client) enters a top-up token over loopback TCP (rule P6) and
reads the account back: the Token gateway (115) and Account (111) as a third party sees them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from gurux_dlms.enums import DataType, ObjectType
from gurux_session import GuruxSession, find, in_thread
from payment_meter import serve_meter_mode, token

from emulator.runtime import VirtualMeter
from firmware.rules.money import Money

MANAGEMENT_PASSWORD = "00000000"


@pytest.fixture
async def served() -> AsyncIterator[tuple[VirtualMeter, int]]:
    runtime, service = await serve_meter_mode()
    try:
        yield runtime, service.port
    finally:
        await service.close()


async def test_gurux_enters_a_token_and_reads_the_credited_account(
    served: tuple[VirtualMeter, int],
) -> None:
    runtime, port = served
    text = token(1, "25.00")

    def top_up() -> tuple[Any, Any]:
        with GuruxSession(port, 1, MANAGEMENT_PASSWORD) as session:
            session.associate()
            objects = session.object_list()
            gateway = find(objects, ObjectType.TOKEN_GATEWAY, "0.0.19.40.0.255")
            session.method(session.client.method(gateway, 1, text.encode(), DataType.OCTET_STRING))
            account = find(objects, ObjectType.ACCOUNT, "0.0.19.0.0.255")
            available = session.read(account, 5)
            status = session.read(gateway, 6)
            session.release()
            return available, status

    available, status = await in_thread(top_up)
    assert runtime.meter.account_for_release().balance == Money.eur(45)
    assert available == 4500 + 1500  # balance and the untouched emergency credit, in cents
    assert status[0] == 3  # token_status_code: token execution OK


async def test_gurux_sees_a_replayed_token_refused(served: tuple[VirtualMeter, int]) -> None:
    runtime, port = served
    assert runtime.meter.enter_token(token(3, "10.00")).accepted

    def replay() -> tuple[int, Any]:
        with GuruxSession(port, 1, MANAGEMENT_PASSWORD) as session:
            session.associate()
            gateway = find(session.object_list(), ObjectType.TOKEN_GATEWAY, "0.0.19.40.0.255")
            replayed = token(3, "10.00").encode()
            reply = session.method(
                session.client.method(gateway, 1, replayed, DataType.OCTET_STRING)
            )
            status = session.read(gateway, 6)
            session.release()
            return int(reply.error), status

    error, status = await in_thread(replay)
    assert error == 250  # action-result other-reason
    assert status[0] == 6  # token_status_code: validation result failure
    assert runtime.meter.account_for_release().balance == Money.eur(30)


PAYMENT_ATTRIBUTES = {
    ObjectType.ACCOUNT: 19,
    ObjectType.CREDIT: 11,
    ObjectType.CHARGE: 13,
    ObjectType.TOKEN_GATEWAY: 6,
}


async def test_gurux_reads_every_attribute_of_the_payment_objects(
    served: tuple[VirtualMeter, int],
) -> None:  # rule M5: the classes as an independent client decodes them
    _, port = served

    def read_all() -> dict[tuple[str, int], Any]:
        with GuruxSession(port, 1, MANAGEMENT_PASSWORD) as session:
            session.associate()
            values = {
                (obj.logicalName, attribute): session.read(obj, attribute)
                for obj in session.object_list()
                if obj.objectType in PAYMENT_ATTRIBUTES
                for attribute in range(1, PAYMENT_ATTRIBUTES[obj.objectType] + 1)
            }
            session.release()
            return values

    values = await in_thread(read_all)
    assert len(values) == 19 + 3 * 11 + 3 * 13 + 6  # three credits, three charges
    assert values["0.0.19.10.2.255", 2] == 2000  # the starting credit still owed (P1)
    assert values["0.0.19.10.2.255", 9] == 2000
    assert values["0.0.19.20.2.255", 8] == 604_800  # the weekly fixed charge (B10)
    assert values["0.0.19.0.0.255", 18] == 25_000  # max provision 250.00 EUR (P6)
    assert values["0.0.19.10.1.255", 6] == -1500  # the emergency credit's -15 EUR floor (P4)
