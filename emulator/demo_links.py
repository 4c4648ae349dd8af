"""How the demo's platform reaches each meter over MQTT: a management session (client 1,
LLS), the day's closing index and the supply orders, per energy.

Electricity goes through the head-end's own operations (``headend.operations``,
``headend.platform.orders``). Gas has no platform operations yet: its valve is the Disconnect
control at 0-1:24.4.0.255 and its day closes with the daily volume profile 0-1:24.3.1.255, so
the two sequences are here. The platform bills gas by volume with the gas meter's own
convention (``firmware.gas.gas_meter``): one "Wh" per dm3, priced per m3 as per "kWh"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta

from cosem.apdu import MethodDescriptor
from cosem.axdr import Data
from cosem.classes.disconnect_control import CLASS_ID as DISCONNECT_CONTROL_CLASS
from emulator import obis_map
from firmware.gas.volume import format_m3
from firmware.rules.localtime import local_midnight
from firmware.rules.money import Money
from headend.mqtt import BrokerAddress, MqttTransport
from headend.operations import (
    REMOTE_DISCONNECT,
    REMOTE_RECONNECT,
    NoSnapshot,
    push_balance,
    read_daily_indexes,
    read_profile_rows,
)
from headend.platform.billing import DailyIndexes, Prices
from headend.platform.decisions import BalancePush, Decision, OrderKind
from headend.platform.ledger import Energy
from headend.platform.money import format_eur
from headend.platform.orders import carry_out
from headend.session import Session

MANAGEMENT_CLIENT = 1
CarryOut = Callable[[Decision, BalancePush | None, Session], Awaitable[list[str]]]


@dataclass(frozen=True)
class MeterLink:
    """One meter as the platform talks to it."""

    energy: Energy
    serial: str
    address: BrokerAddress
    password: bytes
    read_day: Callable[[Session, date], Awaitable[DailyIndexes]]
    """The index (Wh; dm3 for gas) at the local midnight closing the day."""
    carry_out: CarryOut
    """The balance push, then the decision's orders; one line per thing done."""
    show_index: Callable[[DailyIndexes], str]
    show_prices: Callable[[Prices], str]

    async def session(self) -> Session:
        """A management session, to enter with ``async with``."""
        transport = await MqttTransport.connect(
            self.address, self.serial, client_sap=MANAGEMENT_CLIENT
        )
        return Session(transport, password=self.password)


def electricity_link(serial: str, address: BrokerAddress, password: bytes) -> MeterLink:
    return MeterLink(
        Energy.ELECTRICITY,
        serial,
        address,
        password,
        read_daily_indexes,
        carry_out,
        lambda day: f"1.8.1 {day.peak_wh} Wh, 1.8.2 {day.offpeak_wh} Wh",
        lambda prices: f"{Money(prices.peak)} EUR/kWh peak, {Money(prices.offpeak)} off-peak",
    )


def gas_link(serial: str, address: BrokerAddress, password: bytes) -> MeterLink:
    return MeterLink(
        Energy.GAS,
        serial,
        address,
        password,
        read_daily_volume,
        carry_out_on_gas,
        lambda day: f"24.2.1 {format_m3(day.peak_wh)} m3",
        lambda prices: f"{Money(prices.peak)} EUR/m3",
    )


async def read_daily_volume(session: Session, day: date) -> DailyIndexes:
    """The gas meter's midnight volume closing ``day`` (rule G1, as E3), in dm3."""
    closing = local_midnight(day + timedelta(days=1))
    rows = await read_profile_rows(session, closing, closing, obis_map.GAS_DAILY_PROFILE)
    if not rows:
        raise NoSnapshot(f"the gas meter has no daily volume closing {day}")
    _, (dm3, *_) = rows[-1]
    return DailyIndexes(day, dm3, 0)


async def carry_out_on_gas(
    decision: Decision, push: BalancePush | None, session: Session
) -> list[str]:
    """As ``headend.platform.orders.carry_out`` on the gas valve: the balance first, so the
    meter checks the 0.50 EUR of rule G4 against it before a reconnect enable."""
    done = []
    if push is not None:
        await push_balance(session, push)
        done.append(
            f"balance pushed: {format_eur(push.balance)} EUR, emergency credit "
            f"{format_eur(push.emergency_credit)} EUR"
        )
    for order in decision.orders:
        method = REMOTE_DISCONNECT if order.kind is OrderKind.DISCONNECT else REMOTE_RECONNECT
        await session.action(
            MethodDescriptor(DISCONNECT_CONTROL_CLASS, obis_map.GAS_VALVE, method),
            Data.integer(0),
        )
        done.append(order.kind.value)
    return done
