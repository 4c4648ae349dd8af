"""Carry out one scenario action on a running ``VirtualMeter`` at its current instant, the way
the customer, the grid or the head-end would: buttons, the card slot and the load through the
emulated hardware, head-end commands and top-up tokens through the COSEM client over the
in-process loopback (``emulator.scenario.loopback``) with ``headend.operations``.

``apply_action`` returns one line saying what happened (the timeline prints it); a refusal by
the meter is an outcome, not an error (a scenario may expect it).
"""

from __future__ import annotations

from datetime import timedelta

from cosem.apdu import AttributeDescriptor, MethodDescriptor
from cosem.axdr import Data
from cosem.classes.disconnect_control import CLASS_ID as DISCONNECT_CONTROL_CLASS
from cosem.errors import CosemError
from cosem.obis import Obis
from emulator import obis_map
from emulator.config import MeterConfig
from emulator.runtime import VirtualMeter
from emulator.scenario.central import CentralPlatform
from emulator.scenario.loopback import LoopbackHeadend
from emulator.scenario.model import (
    Action,
    BreakerTrip,
    GridOutage,
    HeadendCommand,
    InsertCard,
    PressButton,
    RearmBreaker,
    RemoveCard,
    SetFlow,
    SetLoad,
    TopUp,
    format_money,
)
from firmware.errors import FirmwareError
from firmware.gas.leak_test import BUTTONS as GAS_BUTTONS
from firmware.prepayment.card_image import METER_ID_BYTES, CardImage
from firmware.rules.localtime import to_local
from firmware.rules.money import MILLI_CENTS_PER_CENT, ZERO, Money
from firmware.rules.token import make_token
from hal.bundle import EmulatedMeterHal
from hal.flow_models import ConstantFlow
from hal.frontend import ConstantLoad, PowerReading
from headend import operations
from headend.platform.decisions import BalancePush
from headend.session import Session
from headend.values import SCALED_CLASSES, scaled, to_text

REMOTE_DISCONNECT, REMOTE_RECONNECT = 1, 2
CLASS_OF = {
    entry.obis: entry.class_id
    for entry in (
        *obis_map.OBIS_MAP,
        *obis_map.PAYMENT_MAP,
        *obis_map.LIMITER_MAP,
        *obis_map.GAS_OBIS_MAP,
    )
}


class ActionContext:
    """What actions share on one meter: its configuration and the head-end's loopback."""

    def __init__(self, virtual: VirtualMeter, config: MeterConfig) -> None:
        self.config = config
        self.headend = LoopbackHeadend(virtual, config)
        self.central: CentralPlatform | None = None
        """The central platform, when the scenario runs one (``topup ... via platform``)."""


def apply_action(virtual: VirtualMeter, action: Action, context: ActionContext) -> str:
    """Do ``action`` now; one line saying what happened."""
    match action:
        case SetLoad():
            virtual.hal.frontend.set_load(ConstantLoad(PowerReading.from_net(action.watts)))
            virtual.meter.refresh_load()
            done = f"load {action.watts} W"
        case SetFlow():
            assert virtual.flow_sensor is not None and virtual.gas is not None
            virtual.flow_sensor.set_model(ConstantFlow(action.l_per_h))
            virtual.gas.tick()
            done = f"gas demand {action.l_per_h} l/h"
        case PressButton():
            _hal_with_button(virtual, action.name).buttons.press(
                action.name, timedelta(seconds=action.hold_s)
            )
            done = f"{action.name} button {'held' if action.hold_s >= 1 else 'pressed'}"
        case InsertCard():
            done = _insert_card(virtual, action, context.config)
        case RemoveCard():
            assert virtual.hal.card_slot is not None
            virtual.hal.card_slot.remove()
            done = "card removed"
        case TopUp() if action.via == "platform":
            if context.central is None:
                raise ValueError("topup via platform needs the scenario's platform")
            done = context.central.top_up(action.amount)
        case TopUp():
            done = _top_up(virtual, action.amount, context)
        case HeadendCommand():
            done = _headend(virtual, action, context)
        case GridOutage():
            virtual.meter.grid_outage()
            back = virtual.clock.now() + action.duration
            virtual.schedule(back, virtual.meter.grid_return)
            done = f"grid outage until {to_local(back):%Y-%m-%d %H:%M:%S %Z}"
        case BreakerTrip():
            done = _short_circuit(virtual)
        case RearmBreaker():
            firmware = virtual.budget or virtual.meter
            done = "breaker re-armed" if firmware.rearm_breaker() else "breaker trips again"
    virtual.firmware.advance_to(virtual.clock.now())  # the meter notices (card slot...)
    virtual.wake()
    return done


def _short_circuit(virtual: VirtualMeter) -> str:
    """Rule E9: a moment's current far above the breaker's rating, then the household's load
    again; the firmware's own overload check trips the breaker (if the supply was on)."""
    meter = virtual.meter
    frontend = virtual.hal.frontend
    load = frontend.load
    fault_w = 2 * meter.settings.max_current_a * meter.settings.voltage_v
    frontend.set_load(ConstantLoad(PowerReading(import_w=(fault_w, 0, 0))))
    meter.refresh_load()
    frontend.set_load(load)
    meter.refresh_load()
    return "breaker tripped" if meter.breaker_tripped else "breaker not tripped (no supply)"


def _insert_card(virtual: VirtualMeter, action: InsertCard, config: MeterConfig) -> str:
    """This meter's card (its next transaction when it carries credit, B4) or another's."""
    assert virtual.budget is not None and virtual.hal.card_slot is not None
    serial = config.meter.identity.serial_number
    if action.foreign:
        meter_id = ("X" + serial)[:METER_ID_BYTES]
        card = CardImage(action.card_id, meter_id, 1, Money(1000 * MILLI_CENTS_PER_CENT))
        what = f"card {action.card_id} of another meter inserted"
    else:
        last = virtual.budget.account.last_counter(action.card_id) or 0
        counter = last + 1 if action.credit > ZERO else last
        card = CardImage(action.card_id, serial, counter, action.credit)
        what = f"card {action.card_id} inserted carrying {format_money(action.credit)} EUR"
    virtual.hal.card_slot.insert(card.build())
    return what


def _top_up(virtual: VirtualMeter, amount: Money, context: ActionContext) -> str:
    """P6, M5: a token for the meter's next sequence number, entered by the head-end."""
    config = context.config
    account = virtual.meter.account
    seq = (account.last_token_seq if account and account.last_token_seq else 0) + 1
    try:
        token = make_token(
            bytes.fromhex(config.security.token_key),
            config.meter.identity.serial_number,
            seq,
            amount,
        )
    except FirmwareError as error:
        return f"top-up of {format_money(amount)} EUR not made: {error}"
    try:
        said = context.headend.run(lambda session: operations.send_token(session, token))
    except CosemError as error:
        return f"top-up token of {format_money(amount)} EUR: {error}"
    return f"top-up token of {format_money(amount)} EUR accepted: {'; '.join(said)}"


def _headend(virtual: VirtualMeter, command: HeadendCommand, context: ActionContext) -> str:
    name = f"head-end {command.operation}"
    try:
        if command.operation == "read":
            assert command.obis is not None
            obis = Obis.parse(command.obis)
            return f"head-end read {obis} = {context.headend.run(lambda s: _read(s, obis))}"
        if command.operation == "balance":
            push = _balance_push(virtual, command)
            context.headend.run(lambda session: operations.push_balance(session, push))
            return (
                f"head-end balance update: {format_money(Money(push.balance))} EUR, emergency "
                f"credit {format_money(Money(push.emergency_credit))} EUR"
            )
        method = REMOTE_DISCONNECT if command.operation == "disconnect" else REMOTE_RECONNECT
        valve = virtual.gas is not None and virtual.gas_hal is virtual.hal
        target = obis_map.GAS_VALVE if valve else obis_map.DISCONNECT_CONTROL
        context.headend.run(lambda session: _order(session, target, method))
        return f"{name}: done"
    except CosemError as error:
        return f"{name}: {error}"


def _balance_push(virtual: VirtualMeter, command: HeadendCommand) -> BalancePush:
    """E7: the balance given; the emergency credit given, else the last one sent, else 0."""
    assert command.balance is not None
    emergency = command.emergency_credit
    if emergency is None:
        gas_meter = virtual.gas is not None and virtual.gas_hal is virtual.hal
        firmware = virtual.gas if gas_meter else virtual.meter
        assert firmware is not None
        last = firmware.prepayment_balance
        emergency = last.emergency_credit if last is not None else ZERO
    now = virtual.clock.now()
    return BalancePush(now, command.balance.milli_cents, emergency.milli_cents)


async def _order(session: Session, target: Obis, method: int) -> None:
    await session.action(
        MethodDescriptor(DISCONNECT_CONTROL_CLASS, target, method), Data.integer(0)
    )


async def _read(session: Session, obis: Obis) -> str:
    class_id = CLASS_OF.get(obis)
    if class_id is None:
        return "not in the meter's object table"
    value = await session.get(AttributeDescriptor(class_id, obis, 2))
    if class_id in SCALED_CLASSES:
        number, unit = scaled(value, await session.get(AttributeDescriptor(class_id, obis, 3)))
        return f"{number} {unit}".strip()
    return to_text(value, class_id)


def _hal_with_button(virtual: VirtualMeter, name: str) -> EmulatedMeterHal:
    """The gas strip's buttons beside an electricity meter (``--with-gas``) are the gas
    meter's own; every other button is on the meter's front."""
    if name in GAS_BUTTONS and virtual.gas_hal is not None:
        return virtual.gas_hal
    return virtual.hal
