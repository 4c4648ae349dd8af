"""The electricity meter's COSEM logical device, bound live to a running ``VirtualMeter``.

Every object of ``emulator.obis_map.OBIS_MAP`` is built here from the firmware:
- energy registers: ``meter.registers_for_release()`` (advances the meter to the clock's now
  and persists a new value before it leaves), Wh, scaler 0;
- power registers: the firmware's net power after ``advance_to(now)``;
- clock: the meter's hal clock in Europe/Brussels; a SET (or shift_time) is
  ``meter.set_time`` (which logs the CLOCK_SET event and saves) then ``runtime.wake()``;
- disconnect control: ``meter.relay``; a transition the control mode forbids answers the
  action with temporary-failure (``RELAY_REFUSAL``); control_mode 7 (not in the firmware) and
  other unsupported modes answer a SET with other-reason;
- load profile and daily snapshots: the firmware's buffers (``*_for_release``);
- central prepayment (rules E7, P7, M5): the last balance update's time (Data, date-time in
  Brussels local time; all fields "not specified" before the first update), balance and
  emergency credit left (Registers, whole cents as double-long, scaler -2, unit 10 currency;
  0 before the first update). In central mode the management client writes them: each SET
  is one ``meter.receive_balance_update`` keeping the other two values; a SET of the balance
  or of the emergency credit is stamped with the meter's clock, a SET of the time restamps
  the update (so a SET-with-list sends balance, emergency credit, then the time). In the
  other modes nobody may write them (read-write-denied).
  In meter mode the three show the meter's own account as the LCD does (a read charges the
  energy counted so far).
- limiter (meter mode with ``power_limiter`` only, ``obis_map.LIMITER_MAP``, rule P4): the
  import power monitored against the firmware's limit; a SET of threshold_active is
  ``meter.set_power_limit``; what the firmware has no notion of (emergency profiles, the
  script table) is served as constants (``cosem.classes.limiter``).
- meter-side prepayment (rule M5 ``meter`` mode only, ``obis_map.PAYMENT_MAP``): Account,
  Credits, Charges and Token gateway of the meter's account, priced per kWh of 1-0:1.8.1/2
  (``emulator.payment_binding``, the builder the gas meter's account uses too).
Clients: 16 public, 17 reader and 1 management with the LLS passwords of the configuration.
A gas ``VirtualMeter`` gets its own logical device instead (``emulator.gas_binding``); with
``--with-gas`` this one also serves the gas meter's volume, valve, profiles, balance and payment
objects (M-Bus channel 1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from cosem.apdu.enums import ActionResult, DataAccessResult
from cosem.axdr import Data, DataType
from cosem.classes.base import (
    AccessRefused,
    CosemObject,
)
from cosem.classes.clock import clock
from cosem.classes.disconnect_control import disconnect_control
from cosem.classes.limiter import MonitoredValue, ScriptAction, limiter
from cosem.classes.profile_generic import (
    CaptureObject,
    Column,
    ProfileRow,
    profile_generic,
)
from cosem.classes.register import (
    REGISTER_CLASS_ID,
    Unit,
    extended_register,
    register,
)
from cosem.obis import Obis
from cosem.server import DEFAULT_SERVER_MAX_RECEIVE_PDU_SIZE, LogicalDevice
from emulator import obis_map
from emulator.balance_binding import (
    CentralBalanceBinding,
    central_balance_objects,
)
from emulator.config import MeterConfig
from emulator.device_frame import (
    DAY_S,
    QUARTER_HOUR_S,
    identity_objects,
    logical_device,
    text_object,
)
from emulator.gas_binding import build_gas_logical_device, gas_channel_objects
from emulator.payment_binding import ELECTRICITY, payment_objects
from emulator.push_binding import gas_pushes, meter_pushes
from emulator.runtime import VirtualMeter
from firmware.disconnect_control import TransitionResult
from firmware.errors import FirmwareError
from firmware.logs import ProfileEntry
from firmware.rules.localtime import BRUSSELS
from firmware.settings import PrepaymentMode

RELAY_REFUSAL = ActionResult.TEMPORARY_FAILURE


def build_logical_device(
    runtime: VirtualMeter,
    config: MeterConfig,
    max_receive_pdu_size: int = DEFAULT_SERVER_MAX_RECEIVE_PDU_SIZE,
) -> LogicalDevice:
    if config.kind == "gas":
        return build_gas_logical_device(runtime, config, max_receive_pdu_size)
    meter = runtime.meter
    identity = meter.identity
    objects: list[CosemObject] = [
        *identity_objects(identity),
        text_object(obis_map.FIRMWARE_IDENTIFIER, identity.firmware_version),
        clock(_MeterClock(runtime), BRUSSELS),
        *(
            register(obis, _released_register(runtime, index), 0, Unit.WATT_HOUR)
            for index, obis in enumerate(obis_map.ENERGY_REGISTERS)
        ),
        register(obis_map.IMPORT_POWER, lambda: max(_net_power(runtime), 0), 0, Unit.WATT),
        register(obis_map.EXPORT_POWER, lambda: max(-_net_power(runtime), 0), 0, Unit.WATT),
        extended_register(
            obis_map.NET_POWER,
            lambda: _net_power(runtime),
            0,
            Unit.WATT,
            capture_time=runtime.clock.now,
            status=lambda: Data.unsigned(0),
        ),
        disconnect_control(_MeterRelay(runtime), obis_map.DISCONNECT_CONTROL, RELAY_REFUSAL),
        _profile(
            obis_map.LOAD_PROFILE,
            lambda: meter.load_profile_for_release(),
            QUARTER_HOUR_S,
            meter.settings.profile_capacity,
        ),
        _profile(
            obis_map.DAILY_PROFILE,
            lambda: meter.snapshots_for_release(),
            DAY_S,
            meter.settings.snapshot_capacity,
        ),
        *central_balance_objects(_meter_balance(runtime)),
        *meter_pushes(runtime).objects(),  # event pushes (P9), emulator.push_binding
    ]
    if runtime.gas is not None:  # --with-gas: the gas meter on M-Bus channel 1
        objects += gas_channel_objects(runtime, runtime.gas, config, channel=1)
        objects += gas_pushes(runtime, channel=1).objects()
    if meter.settings.prepayment is PrepaymentMode.METER:
        side = meter.settings.meter_side
        objects += payment_objects(
            meter, ELECTRICITY, side.weekly_fixed_charge, 0, runtime.clock.now, runtime.wake
        )
        if meter.settings.meter_side.power_limiter:
            objects.append(_limiter(runtime))
    return logical_device(objects, config, max_receive_pdu_size)


def _meter_balance(runtime: VirtualMeter) -> CentralBalanceBinding:
    """The electricity firmware's central balance, written in central mode only."""
    meter = runtime.meter
    central = meter.settings.prepayment is PrepaymentMode.CENTRAL
    return CentralBalanceBinding(
        meter.prepayment_balance_for_release,
        meter.receive_balance_update if central else None,
        runtime.clock.now,
        runtime.wake,
    )


def _released_register(runtime: VirtualMeter, index: int) -> Callable[[], int]:
    return lambda: runtime.meter.registers_for_release()[index]


def _net_power(runtime: VirtualMeter) -> int:
    runtime.meter.advance_to(runtime.clock.now())
    return runtime.meter.net_power_w


class _MeterClock:
    def __init__(self, runtime: VirtualMeter) -> None:
        self._runtime = runtime

    def now(self) -> datetime:
        return self._runtime.clock.now()

    def set_time(self, moment: datetime) -> None:
        self._runtime.meter.set_time(moment.astimezone(UTC))
        self._runtime.wake()


class _MeterRelay:
    def __init__(self, runtime: VirtualMeter) -> None:
        self._runtime = runtime

    def output_state(self) -> bool:
        return self._runtime.meter.relay.output_state

    def control_state(self) -> int:
        return int(self._runtime.meter.relay.control_state)

    def control_mode(self) -> int:
        return self._runtime.meter.relay.control_mode

    def set_control_mode(self, mode: int) -> None:
        try:
            self._runtime.meter.relay.set_control_mode(mode)
        except FirmwareError as error:
            raise AccessRefused(DataAccessResult.OTHER_REASON, str(error)) from error
        self._runtime.wake()

    def remote_disconnect(self) -> bool:
        return self._order(self._runtime.meter.relay.remote_disconnect)

    def remote_reconnect(self) -> bool:
        return self._order(self._runtime.meter.relay.remote_reconnect)

    def _order(self, transition: Callable[[], TransitionResult]) -> bool:
        self._runtime.meter.advance_to(self._runtime.clock.now())
        result = transition()
        self._runtime.wake()
        return result.accepted


class _MeterPowerLimit:
    """The firmware's limiter threshold (P4) for the Limiter object."""

    def __init__(self, runtime: VirtualMeter) -> None:
        self._runtime = runtime

    def threshold(self) -> int:
        return self._runtime.meter.power_limit_w

    def set_threshold(self, value: int) -> None:
        try:
            self._runtime.meter.set_power_limit(value)
        except FirmwareError as error:
            raise AccessRefused(DataAccessResult.OTHER_REASON, str(error)) from error
        self._runtime.wake()


def _limiter(runtime: VirtualMeter) -> CosemObject:
    """The power limiter (P4): it opens the relay itself above the limit (local disconnect,
    M2 g) and the customer's button recloses it, so no under-threshold action."""
    no_script = ScriptAction(Obis(0, 0, 0, 0, 0, 0), 0)
    return limiter(
        _MeterPowerLimit(runtime),
        MonitoredValue(REGISTER_CLASS_ID, obis_map.IMPORT_POWER, 2),
        over=ScriptAction(obis_map.DISCONNECT_SCRIPT_TABLE, 1),
        under=no_script,
        obis=obis_map.LIMITER,
    )


class _FirmwareProfile:
    def __init__(self, entries: Callable[[], list[ProfileEntry]]) -> None:
        self._entries = entries

    def rows(self) -> Sequence[ProfileRow]:
        return [(entry.timestamp, tuple(entry.values)) for entry in self._entries()]


def _profile(
    obis: Obis,
    entries: Callable[[], list[ProfileEntry]],
    period_s: int,
    capacity: int,
) -> CosemObject:
    columns = tuple(
        Column(CaptureObject(REGISTER_CLASS_ID, register_obis, 2), DataType.DOUBLE_LONG_UNSIGNED)
        for register_obis in obis_map.ENERGY_REGISTERS
    )
    return profile_generic(obis, _FirmwareProfile(entries), columns, period_s, capacity, BRUSSELS)
