"""The gas meter's COSEM logical device (server SAP 1 of its own TCP wrapper, HDLC or MQTT),
bound live to a running ``VirtualMeter`` of kind gas. Every object of
``emulator.obis_map.GAS_OBIS_MAP`` (and ``GAS_PAYMENT_MAP`` in meter mode):
- identity (logical device name, serial number, EAN) from the configuration;
- clock: the meter's clock in Europe/Brussels, read-only here (a SET answers other-reason);
- volume (rule G1): Extended register, dm3 with scaler -3 and unit m3, the meter brought up to
  the clock first and a higher value saved before it leaves (``volume_for_release``), capture
  time = the instant the volume was integrated to;
- valve (rules M1, M2, G3, M4): Disconnect control on ``GasMeter``: remote_disconnect closes
  the valve, remote_reconnect enables reconnection (the leak test is armed; the valve opens only
  once it passes) only with 0.50 EUR or more (rule G4: the platform's last balance in central
  mode, the account's in meter mode); in the leak test's locked-out state remote_reconnect is
  the head-end's re-enable (M4). A transition refused answers temporary-failure;
- load profile (15 minutes) and daily snapshots (local midnight): clock + volume;
- prepayment (rules E7, G2, M5; ``emulator.balance_binding``): 94.32.1/2/3 as on the
  electricity meter, each management SET in central mode one ``GasMeter.receive_balance_update``
  (shown in the euro button's menu, kept in ``gas.vms``); in meter mode the account's values,
  read-only, and its Account, Credits, Charges and Token gateway (``emulator.payment_binding``,
  the electricity meter's builder; the energy Charge prices the volume per m3 at one T1 price).
With ``--with-gas`` the electricity meter's device serves the same objects for the gas meter on
channel 1 (``gas_channel_objects``), its identity, balance and payment objects at B = 1
(``GAS_CHANNEL_1_MAP``).
Clients: 16 public (reads), 17 reader and 1 management (writes and actions).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cosem.apdu.enums import ActionResult, DataAccessResult
from cosem.axdr import Data, DataType
from cosem.classes.base import AccessRefused, CosemObject
from cosem.classes.clock import clock
from cosem.classes.disconnect_control import disconnect_control
from cosem.classes.profile_generic import CaptureObject, Column, ProfileRow, profile_generic
from cosem.classes.register import EXTENDED_REGISTER_CLASS_ID, Unit, extended_register
from cosem.server import DEFAULT_SERVER_MAX_RECEIVE_PDU_SIZE, LogicalDevice
from emulator import obis_map
from emulator.balance_binding import (
    BALANCE_CODES,
    GAS_CHANNEL_BALANCE_CODES,
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
from emulator.payment_binding import GAS, payment_objects
from emulator.push_binding import gas_pushes
from emulator.runtime import VirtualMeter
from firmware.central_balance import BalanceUpdate
from firmware.errors import FirmwareError
from firmware.gas.gas_meter import GasMeter
from firmware.gas.volume import PROFILE_CAPACITY, SNAPSHOT_CAPACITY
from firmware.rules.localtime import BRUSSELS
from firmware.settings import PrepaymentMode

VALVE_REFUSAL = ActionResult.TEMPORARY_FAILURE
VOLUME_SCALER = -3  # dm3 shown as m3


def build_gas_logical_device(
    runtime: VirtualMeter,
    config: MeterConfig,
    max_receive_pdu_size: int = DEFAULT_SERVER_MAX_RECEIVE_PDU_SIZE,
) -> LogicalDevice:
    """The gas meter's objects; ``runtime`` must be a gas meter (``runtime.gas``)."""
    gas = runtime.gas
    assert gas is not None, "build_gas_logical_device needs a gas VirtualMeter"
    objects: list[CosemObject] = [
        *identity_objects(config.meter.identity),
        clock(_GasClock(runtime), BRUSSELS),
        *gas_channel_objects(runtime, gas, config, channel=0),
        *gas_pushes(runtime, channel=0).objects(),  # event pushes (P9, G3), push_binding
    ]
    return logical_device(objects, config, max_receive_pdu_size)


def gas_channel_objects(
    runtime: VirtualMeter, gas: GasMeter, config: MeterConfig, channel: int
) -> tuple[CosemObject, ...]:
    """The objects of ``gas``: the M-Bus channel 1 ones (volume, valve, profiles) and its
    prepayment objects, served by its own logical device (``channel`` 0: 0-0:94.32.x and
    0-0:19.x) or by the electricity meter's (``--with-gas``, ``channel`` 1: 0-1:94.32.x and
    0-1:19.x, so the head-end's balance update there lets the valve reconnect, G4; and the
    gas meter's serial and EAN, 0-1:96.1.0 and 0-1:96.1.1, ``MeterConfig.gas_identity``)."""
    volume = _Volume(gas)
    identity: tuple[CosemObject, ...] = ()
    if channel == 1:
        gas_identity = config.gas_identity
        identity = (
            text_object(obis_map.GAS_SERIAL_NUMBER, gas_identity.serial_number),
            text_object(obis_map.GAS_EAN, gas_identity.ean),
        )
    return (
        *identity,
        extended_register(
            obis_map.GAS_VOLUME,
            volume.dm3,
            VOLUME_SCALER,
            Unit.CUBIC_METRE,
            capture_time=volume.captured_at,
            status=lambda: Data.unsigned(0),
            value_type=DataType.DOUBLE_LONG_UNSIGNED,
        ),
        disconnect_control(_Valve(runtime, gas), obis_map.GAS_VALVE, VALVE_REFUSAL),
        profile_generic(
            obis_map.GAS_LOAD_PROFILE,
            volume,
            (
                Column(
                    CaptureObject(EXTENDED_REGISTER_CLASS_ID, obis_map.GAS_VOLUME, 2),
                    DataType.DOUBLE_LONG_UNSIGNED,
                ),
            ),
            QUARTER_HOUR_S,
            PROFILE_CAPACITY,
            BRUSSELS,
        ),
        _daily_profile(gas),
        *_prepayment_objects(runtime, gas, channel),
    )


def _daily_profile(gas: GasMeter) -> CosemObject:
    """The midnight volumes (as electricity's daily snapshots, rule E3)."""

    class Snapshots:
        def rows(self) -> Sequence[ProfileRow]:
            return [(entry.at, (entry.dm3,)) for entry in gas.snapshots_for_release()]

    column = Column(
        CaptureObject(EXTENDED_REGISTER_CLASS_ID, obis_map.GAS_VOLUME, 2),
        DataType.DOUBLE_LONG_UNSIGNED,
    )
    return profile_generic(
        obis_map.GAS_DAILY_PROFILE, Snapshots(), (column,), DAY_S, SNAPSHOT_CAPACITY, BRUSSELS
    )


def _prepayment_objects(
    runtime: VirtualMeter, gas: GasMeter, channel: int
) -> tuple[CosemObject, ...]:
    """94.32.1/2/3 (the euro menu, rule G2): written by the platform in central mode; in meter
    mode the account's, read-only, with the account's payment objects priced per m3 of the
    volume (``emulator.payment_binding``, as the electricity meter's) at B = ``channel``."""
    central = gas.settings.prepayment is PrepaymentMode.CENTRAL
    balance = CentralBalanceBinding(
        lambda: _released_balance(gas),
        gas.receive_balance_update if central else None,
        runtime.clock.now,
        runtime.wake,
    )
    codes = BALANCE_CODES if channel == 0 else GAS_CHANNEL_BALANCE_CODES
    objects = central_balance_objects(balance, codes)
    account = gas.settings.account
    if account is None:
        return objects
    payment = payment_objects(
        gas, GAS, account.weekly_fixed_charge, channel, runtime.clock.now, runtime.wake
    )
    return (*objects, *payment)


def _released_balance(gas: GasMeter) -> BalanceUpdate | None:
    """The euro menu's values for a client: in meter mode the account charged up to now."""
    if gas.account is not None:
        gas.account_for_release()
    return gas.prepayment_balance


class _Volume:
    """The volume register and its profile, the meter brought up to the clock before a read."""

    def __init__(self, gas: GasMeter) -> None:
        self._gas = gas

    def dm3(self) -> int:
        return self._gas.volume_for_release()

    def captured_at(self) -> datetime:
        return self._gas.metering.now

    def rows(self) -> Sequence[ProfileRow]:
        self._gas.tick()
        return [(entry.at, (entry.dm3,)) for entry in self._gas.metering.profile]


class _GasClock:
    def __init__(self, runtime: VirtualMeter) -> None:
        self._runtime = runtime

    def now(self) -> datetime:
        return self._runtime.clock.now()

    def set_time(self, moment: datetime) -> None:
        raise AccessRefused(DataAccessResult.OTHER_REASON, "the gas meter's clock is read-only")


class _Valve:
    """``GasMeter``'s valve as the Disconnect control's relay."""

    def __init__(self, runtime: VirtualMeter, gas: GasMeter) -> None:
        self._runtime, self._gas = runtime, gas

    def output_state(self) -> bool:
        return self._gas.valve.output_state

    def control_state(self) -> int:
        return int(self._gas.valve.control_state)

    def control_mode(self) -> int:
        return self._gas.valve.control_mode

    def set_control_mode(self, mode: int) -> None:
        try:
            self._gas.set_control_mode(mode)
        except FirmwareError as error:
            raise AccessRefused(DataAccessResult.OTHER_REASON, str(error)) from error
        self._runtime.wake()

    def remote_disconnect(self) -> bool:
        accepted = self._gas.remote_disconnect().accepted
        self._runtime.wake()
        return accepted

    def remote_reconnect(self) -> bool:
        """Transition d (only with credit, rule G4), or after a leak-test lockout the
        head-end's re-enable (rule M4): ``GasMeter.head_end_reconnect``."""
        accepted = self._gas.head_end_reconnect()
        self._runtime.wake()
        return accepted
