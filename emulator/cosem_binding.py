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
  token, emergency and starting Credit, energy, starting-credit repayment and weekly fixed
  Charge, read from
  ``meter.account_for_release()`` (a read charges the energy counted so far), money in whole
  cents (rounded down); the management client writes the low-credit threshold, enters
  tokens through the Token gateway (``meter.enter_token``) and calls the payment methods:
  Account activate (accepted while open) / close / reset (``meter.close_account``,
  ``reset_account``), token Credit update_amount / set_amount_to_value as operator adjustments
  (``meter.adjust_credit``), emergency Credit invoke_credit (P3 takes it over by itself: only
  confirmed), energy Charge update_unit_charge / activate_passive_unit_charge (the passive table
  is held by the Charge until ``meter.activate_prices``) and collect (a slice). What a rule
  or the configuration fixes (the emergency credit, the P1 starting credit, its repayment and
  what is owed on it, the B10 weekly fixed charge) refuses its methods
  with other-reason; ``obis_map.PAYMENT_MAP`` says what each attribute and method means.
Clients: 16 public, 17 reader and 1 management with the LLS passwords of the configuration.
A gas ``VirtualMeter`` gets its own logical device instead (``emulator.gas_binding``); with
``--with-gas`` this one also serves the gas meter's volume, valve and profile (M-Bus channel 1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from cosem.access import default_clients
from cosem.apdu.enums import ActionResult, DataAccessResult
from cosem.axdr import Data, DataType
from cosem.classes.base import (
    AccessRefused,
    ActionRefused,
    CosemObject,
)
from cosem.classes.clock import clock
from cosem.classes.data import constant_data
from cosem.classes.disconnect_control import disconnect_control
from cosem.classes.limiter import MonitoredValue, ScriptAction, limiter
from cosem.classes.payment import (
    AccountSetup,
    AccountStatus,
    ChargeSetup,
    ChargeType,
    CreditChargeLink,
    CreditSetup,
    CreditStatus,
    CreditType,
    Currency,
    UnitCharge,
    account,
    charge,
    credit,
    token_gateway,
)
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
from cosem.classes.sap_assignment import sap_assignment
from cosem.obis import Obis
from cosem.server import DEFAULT_SERVER_MAX_RECEIVE_PDU_SIZE, LogicalDevice
from emulator import obis_map
from emulator.balance_binding import (
    CENTS_SCALER,
    CentralBalanceBinding,
    TokenSink,
    central_balance_objects,
    cents,
)
from emulator.config import PRICE_STEP_MC, MeterConfig
from emulator.gas_binding import build_gas_logical_device, gas_channel_objects
from emulator.push_binding import gas_pushes, meter_pushes
from emulator.runtime import VirtualMeter
from firmware.disconnect_control import TransitionResult
from firmware.errors import FirmwareError
from firmware.logs import ProfileEntry
from firmware.meter import ElectricityMeter
from firmware.prepayment.account import MeterSideAccount
from firmware.prepayment.ledger import ChargeKind, EntryKind, LedgerEntry
from firmware.rules.credit import DEFAULT_RULES
from firmware.rules.localtime import BRUSSELS
from firmware.rules.money import MILLI_CENTS_PER_CENT, ZERO, Money
from firmware.rules.tariff import Tariff
from firmware.settings import PrepaymentMode

SERVER_SAP = 1
RELAY_REFUSAL = ActionResult.TEMPORARY_FAILURE
QUARTER_HOUR_S = 15 * 60
DAY_S = 24 * 3600
WEEK_S = 7 * DAY_S


def build_logical_device(
    runtime: VirtualMeter,
    config: MeterConfig,
    max_receive_pdu_size: int = DEFAULT_SERVER_MAX_RECEIVE_PDU_SIZE,
) -> LogicalDevice:
    if config.kind == "gas":
        return build_gas_logical_device(runtime, config, max_receive_pdu_size)
    meter = runtime.meter
    identity = meter.identity
    security = config.security
    clients = default_clients(
        security.reader_password.encode(), security.management_password.encode()
    )
    objects: list[CosemObject] = [
        sap_assignment({SERVER_SAP: identity.logical_device_name.encode()}),
        _text(obis_map.LOGICAL_DEVICE_NAME, identity.logical_device_name),
        _text(obis_map.SERIAL_NUMBER, identity.serial_number),
        _text(obis_map.EAN, identity.ean),
        _text(obis_map.FIRMWARE_IDENTIFIER, identity.firmware_version),
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
        objects += _payment_objects(runtime)
        if meter.settings.meter_side.power_limiter:
            objects.append(_limiter(runtime))
    return LogicalDevice(
        objects, clients, server_sap=SERVER_SAP, max_receive_pdu_size=max_receive_pdu_size
    )


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


def _text(obis: Obis, text: str) -> CosemObject:
    return constant_data(obis, Data.octet_string(text.encode()))


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


# -- meter-side prepayment ------------------------------------------------------------------------

CURRENCY = Currency("EUR", CENTS_SCALER)
PRICE_SCALE = -4  # prices per kWh in 0.0001 EUR (PRICE_STEP_MC)
PER_KWH = 3  # commodity_scale: prices are per 10**3 Wh
ENERGY_COMMODITY = (REGISTER_CLASS_ID, obis_map.IMPORT_PEAK, 2)
PRICE_INDEX = {b"T1": Tariff.PEAK, b"T2": Tariff.OFF_PEAK}  # charge_table index per register
COLLECT_ALWAYS = "111"  # the firmware charges cut, limited and in non-disconnect periods alike
NOT_PERCENTAGE_BASED = 0  # Charge proportion: no charge here collects a percentage
TOKEN_CREDIT_SETUP = CreditSetup(  # receives tokens; cannot go below 0 (the emergency's turn)
    CreditType.TOKEN, 1, "00001", preset_amount=0, limit=0, available_threshold=0
)
EMERGENCY_CREDIT_SETUP = CreditSetup(  # visual, paid back; no confirmation: P3 is automatic
    CreditType.EMERGENCY,
    2,
    "10100",
    preset_amount=cents(DEFAULT_RULES.smart_emergency_credit),
    limit=-cents(DEFAULT_RULES.smart_emergency_credit),  # the -15 EUR floor of the balance (P4)
    available_threshold=0,  # it takes over below 0 (P3)
)
STARTING_CREDIT_SETUP = CreditSetup(  # P1: a reserved credit lent once, visual, paid back
    CreditType.RESERVED,
    3,
    "10100",
    preset_amount=cents(DEFAULT_RULES.starting_credit),
    limit=0,
    available_threshold=0,
)
CREDITS = (
    obis_map.TOKEN_CREDIT,
    obis_map.EMERGENCY_CREDIT_CREDIT,
    obis_map.STARTING_CREDIT_CREDIT,
)
CHARGES = (obis_map.ENERGY_CHARGE, obis_map.STARTING_CREDIT_CHARGE, obis_map.WEEKLY_CHARGE)
ACCOUNT_SETUP = AccountSetup(
    currency=CURRENCY,
    clearance_threshold=cents(DEFAULT_RULES.reconnection_threshold),  # P8
    credits=CREDITS,
    charges=CHARGES,
    credit_charges=tuple(  # one balance pays every charge, but an advance never repays itself
        CreditChargeLink(credit_obis, charge_obis, COLLECT_ALWAYS)
        for credit_obis in CREDITS
        for charge_obis in CHARGES
        if (credit_obis, charge_obis)
        != (obis_map.STARTING_CREDIT_CREDIT, obis_map.STARTING_CREDIT_CHARGE)
    ),
    token_proportions=((obis_map.TOKEN_CREDIT, 100),),  # a token credits the token credit only
    next_credit_available_threshold=0,  # the emergency credit below 0 (P3)
    max_provision=cents(DEFAULT_RULES.top_up_max),  # 250.00 EUR (P6) ...
    max_provision_period_s=0,  # ... per token: no period
)


class _MeterAccount:
    """The account's values for the payment objects, in cents; each read is a slice."""

    def __init__(self, runtime: VirtualMeter) -> None:
        self._runtime = runtime

    @property
    def now(self) -> MeterSideAccount:
        return self._runtime.meter.account_for_release()

    def status(self) -> int:
        return AccountStatus.ACTIVE if self.now.closed_at is None else AccountStatus.CLOSED

    def credit_status(self) -> int:
        return self.now.cosem_credit_status

    def credit_in_use(self) -> int:
        return 1 if self.now.balance < ZERO else 0

    def available_credit(self) -> int:
        account = self.now
        return cents(max(account.balance, ZERO) + account.emergency_credit_left)

    def amount_to_clear(self) -> int:
        return cents(self.now.amount_to_clear)

    def aggregated_debt(self) -> int:
        return cents(self.now.starting_credit_owed)

    def low_credit_threshold(self) -> int:
        return cents(self.now.low_credit_threshold)

    def set_low_credit_threshold(self, amount: int) -> None:
        try:
            self._runtime.meter.set_low_credit_threshold(Money(amount * MILLI_CENTS_PER_CENT))
        except FirmwareError as error:
            raise AccessRefused(DataAccessResult.OTHER_REASON, str(error)) from error
        self._runtime.wake()

    def activation_time(self) -> datetime | None:
        return self.now.activated_at

    def closure_time(self) -> datetime | None:
        return self.now.closed_at

    def activate(self) -> None:
        """The account is active from commissioning (P1): accepted as such; a closed one
        reopens only through reset_account."""
        if self.now.closed_at is not None:
            raise ActionRefused(ActionResult.OTHER_REASON, "closed: reset_account opens it")

    def close(self) -> None:
        self.carry_out(lambda meter: meter.close_account())

    def reset(self) -> None:
        self.carry_out(lambda meter: meter.reset_account())

    @property
    def meter(self) -> ElectricityMeter:
        return self._runtime.meter

    def carry_out(self, action: Callable[[ElectricityMeter], object]) -> None:
        """An order to the meter's account: a refusal is the method's other-reason."""
        try:
            action(self._runtime.meter)
        except FirmwareError as error:
            raise ActionRefused(ActionResult.OTHER_REASON, str(error)) from error
        self._runtime.wake()


class _TokenCredit:
    """The balance above 0 as the token credit; its amount methods are operator adjustments
    booked in the ledger (update_amount adds, set_amount_to_value sets the balance)."""

    def __init__(self, account: _MeterAccount) -> None:
        self._account = account

    def amount(self) -> int:
        return cents(max(self._account.now.balance, ZERO))

    def status(self) -> int:
        return CreditStatus.IN_USE if self._account.now.balance > ZERO else CreditStatus.EXHAUSTED

    def warning_threshold(self) -> int:
        return self._account.low_credit_threshold()

    def update_amount(self, amount: int) -> None:
        self._adjust(Money(amount * MILLI_CENTS_PER_CENT))

    def set_amount(self, amount: int) -> None:
        if amount < 0:
            raise ActionRefused(ActionResult.OTHER_REASON, "the token credit cannot be negative")
        change = Money(amount * MILLI_CENTS_PER_CENT) - self._account.now.balance
        if change != ZERO:
            self._adjust(change)

    def invoke(self) -> None:
        raise ActionRefused(ActionResult.OTHER_REASON, "the token credit is never invoked")

    def _adjust(self, change: Money) -> None:
        self._account.carry_out(lambda meter: meter.adjust_credit(change))


class _EmergencyCredit:
    """P3: the 15 EUR below zero, taken automatically (invoke_credit only confirms it)."""

    def __init__(self, account: _MeterAccount) -> None:
        self._account = account

    def amount(self) -> int:
        return cents(self._account.now.emergency_credit_left)

    def status(self) -> int:
        account = self._account.now
        if account.balance >= ZERO:
            return CreditStatus.INVOKED  # armed: it takes over by itself below zero (P3)
        if account.emergency_credit_left > ZERO:
            return CreditStatus.IN_USE
        return CreditStatus.EXHAUSTED

    def warning_threshold(self) -> int:
        return 0

    def update_amount(self, amount: int) -> None:
        self._fixed()

    def set_amount(self, amount: int) -> None:
        self._fixed()

    def invoke(self) -> None:
        if self.status() == CreditStatus.EXHAUSTED:
            raise ActionRefused(ActionResult.OTHER_REASON, "the emergency credit is used up")

    @staticmethod
    def _fixed() -> None:
        raise ActionRefused(
            ActionResult.OTHER_REASON, "the emergency credit is the 15 EUR below zero (P3)"
        )


class _StartingCredit:
    """P1: the 20 EUR advance; its amount is what is still owed on it, which only the daily
    repayment (or a reset) moves, so its methods are refused."""

    def __init__(self, account: _MeterAccount) -> None:
        self._account = account

    def amount(self) -> int:
        return cents(self._account.now.starting_credit_owed)

    def status(self) -> int:
        owed = self._account.now.starting_credit_owed
        return CreditStatus.IN_USE if owed > ZERO else CreditStatus.EXHAUSTED

    def warning_threshold(self) -> int:
        return 0

    def update_amount(self, amount: int) -> None:
        self._fixed()

    def set_amount(self, amount: int) -> None:
        self._fixed()

    def invoke(self) -> None:
        raise ActionRefused(
            ActionResult.OTHER_REASON, "the starting credit is lent at commissioning (P1)"
        )

    @staticmethod
    def _fixed() -> None:
        raise ActionRefused(
            ActionResult.OTHER_REASON,
            "what is owed on the starting credit is the ledger's (P1): adjust the token credit",
        )


class _LedgerCharge:
    """What a Charge reads from the ledger entries that `matches` picks; `collect` charges
    what is due up to now (a slice)."""

    def __init__(self, account: _MeterAccount, matches: Callable[[LedgerEntry], bool]) -> None:
        self._account = account
        self._matches = matches

    def _entries(self) -> list[LedgerEntry]:
        return [entry for entry in self._account.now.entries if self._matches(entry)]

    def total_amount_paid(self) -> int:
        return cents(sum((entry.amount for entry in self._entries()), ZERO))

    def last_collection(self) -> tuple[datetime, int] | None:
        entries = self._entries()
        return (entries[-1].at, cents(entries[-1].amount)) if entries else None

    def collect(self) -> None:
        self._account.carry_out(lambda meter: meter.account_for_release())


class _EnergyCharge(_LedgerCharge):
    """The import energy at the prices per kWh; new prices go through the passive table."""

    def total_amount_remaining(self) -> int:
        return 0  # energy is paid as it is used

    def unit_charge_active(self) -> UnitCharge:
        account = self._account.meter.account
        assert account is not None  # built in meter mode only
        return _energy_unit_charge(account.prices)

    def unit_charge_activation_time(self) -> datetime | None:
        account = self._account.meter.account
        return account.prices_activated_at if account else None

    def check_unit_charge(self, unit_charge: UnitCharge) -> None:
        _prices(unit_charge)

    def activate_unit_charge(self, unit_charge: UnitCharge) -> None:
        prices = _prices(unit_charge)
        self._account.carry_out(lambda meter: meter.activate_prices(prices))

    def update_total_amount_remaining(self, amount: int) -> None:
        raise ActionRefused(ActionResult.OTHER_REASON, "energy has no amount remaining")

    def set_total_amount_remaining(self, amount: int) -> None:
        raise ActionRefused(ActionResult.OTHER_REASON, "energy has no amount remaining")


def _per_period(unit: bytes, amount: Money) -> UnitCharge:
    """A time-based unit charge: `amount` (in cents) per `unit` of the clock."""
    return UnitCharge(0, CENTS_SCALER, (8, obis_map.CLOCK, 2), ((unit, cents(amount)),))


REPAYMENT = _per_period(b"day", DEFAULT_RULES.daily_repayment)


class _FixedRateCharge(_LedgerCharge):
    """A time-based charge whose rate the meter's rules or configuration fix: the unit charge
    methods accept that same rate only, and the amount remaining is not the operator's."""

    def __init__(
        self,
        account: _MeterAccount,
        matches: Callable[[LedgerEntry], bool],
        rate: UnitCharge,
        why: str,
    ) -> None:
        super().__init__(account, matches)
        self._rate = rate
        self._why = why

    def total_amount_remaining(self) -> int:
        return 0

    def unit_charge_active(self) -> UnitCharge:
        return self._rate

    def unit_charge_activation_time(self) -> datetime | None:
        return None

    def check_unit_charge(self, unit_charge: UnitCharge) -> None:
        if unit_charge != self._rate:
            raise ActionRefused(ActionResult.OTHER_REASON, self._why)

    def activate_unit_charge(self, unit_charge: UnitCharge) -> None:
        self.check_unit_charge(unit_charge)  # the same rate again: nothing changes

    def update_total_amount_remaining(self, amount: int) -> None:
        self._fixed()

    def set_total_amount_remaining(self, amount: int) -> None:
        self._fixed()

    def _fixed(self) -> None:
        raise ActionRefused(ActionResult.OTHER_REASON, self._why)


class _RepaymentCharge(_FixedRateCharge):
    """P1: the starting credit repaid 1 EUR a day; the rule fixes both the rate and what is
    owed (an operator corrects the balance through the token Credit instead)."""

    def __init__(self, account: _MeterAccount, matches: Callable[[LedgerEntry], bool]) -> None:
        why = "the P1 repayment is 1 EUR a day of what the ledger says is owed"
        super().__init__(account, matches, REPAYMENT, why)

    def total_amount_remaining(self) -> int:
        return cents(self._account.now.starting_credit_owed)


def _energy_unit_charge(prices: Mapping[Tariff, Money]) -> UnitCharge:
    return UnitCharge(
        PER_KWH,
        PRICE_SCALE,
        ENERGY_COMMODITY,
        tuple(
            (index, prices[tariff].milli_cents // PRICE_STEP_MC)
            for index, tariff in PRICE_INDEX.items()
        ),
    )


def _prices(unit_charge: UnitCharge) -> dict[Tariff, Money]:
    """The prices per kWh a unit charge for the energy charge gives; ActionRefused for one the
    firmware cannot charge (other commodity or scaling, a register missing or twice, a
    negative price)."""
    if (unit_charge.commodity_scale, unit_charge.price_scale) != (PER_KWH, PRICE_SCALE):
        raise ActionRefused(ActionResult.OTHER_REASON, "prices are per kWh in 0.0001 EUR")
    if unit_charge.commodity != ENERGY_COMMODITY:
        raise ActionRefused(ActionResult.OTHER_REASON, "the commodity is 1-0:1.8.1.255 value")
    indexes = [index for index, _ in unit_charge.table]
    if sorted(indexes) != sorted(PRICE_INDEX):
        raise ActionRefused(ActionResult.OTHER_REASON, "one price for T1 and one for T2")
    if any(price < 0 for _, price in unit_charge.table):
        raise ActionRefused(ActionResult.OTHER_REASON, "a price cannot be negative")
    return {PRICE_INDEX[index]: Money(price * PRICE_STEP_MC) for index, price in unit_charge.table}


def _payment_objects(runtime: VirtualMeter) -> list[CosemObject]:
    """Account, Credits, Charges and Token gateway of meter-side prepayment (COSEM-FACTS 3)."""
    view = _MeterAccount(runtime)

    def is_energy_charge(entry: LedgerEntry) -> bool:
        return entry.kind is EntryKind.CHARGE and entry.charge is ChargeKind.ENERGY

    def is_repayment(entry: LedgerEntry) -> bool:
        return entry.kind is EntryKind.REPAYMENT

    def is_fixed_charge(entry: LedgerEntry) -> bool:
        return entry.kind is EntryKind.CHARGE and entry.charge is ChargeKind.FIXED

    weekly = _per_period(b"week", runtime.meter.settings.meter_side.weekly_fixed_charge)
    weekly_why = "the weekly fixed charge (B10) is the meter's configuration"

    return [
        account(obis_map.ACCOUNT, ACCOUNT_SETUP, view, BRUSSELS),
        credit(obis_map.TOKEN_CREDIT, TOKEN_CREDIT_SETUP, _TokenCredit(view)),
        credit(obis_map.EMERGENCY_CREDIT_CREDIT, EMERGENCY_CREDIT_SETUP, _EmergencyCredit(view)),
        credit(obis_map.STARTING_CREDIT_CREDIT, STARTING_CREDIT_SETUP, _StartingCredit(view)),
        charge(
            obis_map.ENERGY_CHARGE,
            ChargeSetup(ChargeType.CONSUMPTION_BASED, 1, 0, "01", NOT_PERCENTAGE_BASED),
            _EnergyCharge(view, is_energy_charge),
            BRUSSELS,
        ),
        charge(
            obis_map.STARTING_CREDIT_CHARGE,
            ChargeSetup(ChargeType.TIME_BASED, 2, DAY_S, "00", NOT_PERCENTAGE_BASED),
            _RepaymentCharge(view, is_repayment),
            BRUSSELS,
        ),
        charge(
            obis_map.WEEKLY_CHARGE,
            ChargeSetup(ChargeType.TIME_BASED, 3, WEEK_S, "00", NOT_PERCENTAGE_BASED),
            _FixedRateCharge(view, is_fixed_charge, weekly, weekly_why),
            BRUSSELS,
        ),
        token_gateway(
            obis_map.TOKEN_GATEWAY,
            TokenSink(runtime.meter, runtime.wake),
            runtime.clock.now,
            BRUSSELS,
        ),
    ]
