"""The payment-metering objects of a meter-side account (rule M5 ``meter`` mode, COSEM-FACTS
3), one builder for both meters: Account (111), token, emergency and starting Credit (112),
energy, starting-credit repayment and weekly fixed Charge (113) and the Token gateway (115).

``payment_objects`` serves them for any ``PaymentMeter`` (the electricity or the gas firmware),
its ``Commodity`` (what the energy Charge prices: the import register 1-0:1.8.1 per kWh with
T1/T2 prices, or the gas volume 0-1:24.2.3 per m3 at one T1 price) on M-Bus channel
``channel`` (value group B of every code: 0 on a meter's own device, 1 for the gas meter an
electricity meter serves with ``--with-gas``).

Read from ``meter.account_for_release()`` (a read charges what was counted so far), money in
whole cents (rounded down); the management client writes the low-credit threshold, enters
tokens through the Token gateway (``meter.enter_token``) and calls the payment methods: Account
activate (accepted while open) / close / reset (``meter.close_account``, ``reset_account``),
token Credit update_amount / set_amount_to_value as operator adjustments
(``meter.adjust_credit``), emergency Credit invoke_credit (P3 takes it over by itself: only
confirmed), energy Charge update_unit_charge / activate_passive_unit_charge (the passive table
is held by the Charge until ``meter.activate_prices``) and collect (a slice). What a rule or the
configuration fixes (the emergency credit, the P1 starting credit, its repayment and what is
owed on it, the B10 weekly fixed charge) refuses its methods with other-reason;
``obis_map.PAYMENT_MAP`` says what each attribute and method means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol

from cosem.apdu.enums import ActionResult, DataAccessResult
from cosem.classes.base import AccessRefused, ActionRefused, CosemObject
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
from cosem.classes.register import EXTENDED_REGISTER_CLASS_ID, REGISTER_CLASS_ID
from cosem.obis import Obis
from emulator import obis_map
from emulator.balance_binding import CENTS_SCALER, TokenMeter, TokenSink, cents
from emulator.config import PRICE_STEP_MC
from emulator.device_frame import DAY_S
from firmware.errors import FirmwareError
from firmware.prepayment.account import MeterSideAccount
from firmware.prepayment.ledger import ChargeKind, EntryKind, LedgerEntry
from firmware.rules.credit import DEFAULT_RULES
from firmware.rules.localtime import BRUSSELS
from firmware.rules.money import MILLI_CENTS_PER_CENT, ZERO, Money
from firmware.rules.tariff import Tariff

WEEK_S = 7 * DAY_S


class PaymentMeter(TokenMeter, Protocol):
    """A meter keeping its own account (``ElectricityMeter`` or ``GasMeter`` in meter mode);
    each order raises ``FirmwareError`` to refuse."""

    @property
    def account(self) -> MeterSideAccount | None: ...

    def set_low_credit_threshold(self, threshold: Money) -> None: ...

    def adjust_credit(self, amount: Money) -> None: ...

    def activate_prices(self, prices: Mapping[Tariff, Money]) -> None: ...

    def close_account(self) -> None: ...

    def reset_account(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Commodity:
    """What the energy Charge prices: ``register`` (class, logical name, attribute), priced
    per 10**3 of its value (Wh or dm3: per kWh or per m3, ``unit``) in 0.0001 EUR, one price
    per ``price_index`` row for the firmware's tariffs it names."""

    register: tuple[int, Obis, int]
    price_index: Mapping[bytes, tuple[Tariff, ...]]
    unit: str


ELECTRICITY: Final = Commodity(
    (REGISTER_CLASS_ID, obis_map.IMPORT_PEAK, 2),
    {b"T1": (Tariff.PEAK,), b"T2": (Tariff.OFF_PEAK,)},
    "kWh",
)
GAS: Final = Commodity(
    (EXTENDED_REGISTER_CLASS_ID, obis_map.GAS_VOLUME, 2),
    {b"T1": tuple(Tariff)},  # one gas rate: the firmware's two registers at one price
    "m3",
)

CURRENCY = Currency("EUR", CENTS_SCALER)
PRICE_SCALE = -4  # prices in 0.0001 EUR (PRICE_STEP_MC)
PER_THOUSAND = 3  # commodity_scale: prices per 10**3 of the register's value (kWh, m3)
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


def _account_setup(credits: tuple[Obis, ...], charges: tuple[Obis, ...]) -> AccountSetup:
    """The Account's fixed attributes for ``credits`` (token, emergency, starting) and
    ``charges`` (energy, repayment, weekly)."""
    token, _, starting = credits
    _, repayment, _ = charges
    return AccountSetup(
        currency=CURRENCY,
        clearance_threshold=cents(DEFAULT_RULES.reconnection_threshold),  # P8
        credits=credits,
        charges=charges,
        credit_charges=tuple(  # one balance pays every charge; an advance never repays itself
            CreditChargeLink(credit_obis, charge_obis, COLLECT_ALWAYS)
            for credit_obis in credits
            for charge_obis in charges
            if (credit_obis, charge_obis) != (starting, repayment)
        ),
        token_proportions=((token, 100),),  # a token credits the token credit only
        next_credit_available_threshold=0,  # the emergency credit below 0 (P3)
        max_provision=cents(DEFAULT_RULES.top_up_max),  # 250.00 EUR (P6) ...
        max_provision_period_s=0,  # ... per token: no period
    )


def payment_objects(
    meter: PaymentMeter,
    commodity: Commodity,
    weekly_fixed_charge: Money,
    channel: int,
    now: Callable[[], datetime],
    changed: Callable[[], None],
) -> list[CosemObject]:
    """Account, Credits, Charges and Token gateway of ``meter``'s account (COSEM-FACTS 3) at
    B = ``channel``; ``now`` stamps a token, ``changed`` (the run loop's wake) is told after
    each accepted order."""
    credits = tuple(obis_map.on_channel(obis, channel) for obis in obis_map.PAYMENT_CREDITS)
    charges = tuple(obis_map.on_channel(obis, channel) for obis in obis_map.PAYMENT_CHARGES)
    token_credit, emergency_credit, starting_credit = credits
    energy, repayment, weekly_charge = charges
    view = _AccountView(meter, changed)

    def is_energy_charge(entry: LedgerEntry) -> bool:
        return entry.kind is EntryKind.CHARGE and entry.charge is ChargeKind.ENERGY

    def is_repayment(entry: LedgerEntry) -> bool:
        return entry.kind is EntryKind.REPAYMENT

    def is_fixed_charge(entry: LedgerEntry) -> bool:
        return entry.kind is EntryKind.CHARGE and entry.charge is ChargeKind.FIXED

    weekly = _per_period(b"week", weekly_fixed_charge)
    weekly_why = "the weekly fixed charge (B10) is the meter's configuration"
    setup = _account_setup(credits, charges)
    gateway = obis_map.on_channel(obis_map.TOKEN_GATEWAY, channel)
    return [
        account(obis_map.on_channel(obis_map.ACCOUNT, channel), setup, view, BRUSSELS),
        credit(token_credit, TOKEN_CREDIT_SETUP, _TokenCredit(view)),
        credit(emergency_credit, EMERGENCY_CREDIT_SETUP, _EmergencyCredit(view)),
        credit(starting_credit, STARTING_CREDIT_SETUP, _StartingCredit(view)),
        charge(
            energy,
            ChargeSetup(ChargeType.CONSUMPTION_BASED, 1, 0, "01", NOT_PERCENTAGE_BASED),
            _EnergyCharge(view, is_energy_charge, commodity),
            BRUSSELS,
        ),
        charge(
            repayment,
            ChargeSetup(ChargeType.TIME_BASED, 2, DAY_S, "00", NOT_PERCENTAGE_BASED),
            _RepaymentCharge(view, is_repayment),
            BRUSSELS,
        ),
        charge(
            weekly_charge,
            ChargeSetup(ChargeType.TIME_BASED, 3, WEEK_S, "00", NOT_PERCENTAGE_BASED),
            _FixedRateCharge(view, is_fixed_charge, weekly, weekly_why),
            BRUSSELS,
        ),
        token_gateway(gateway, TokenSink(meter, changed), now, BRUSSELS),
    ]


class _AccountView:
    """The account's values for the payment objects, in cents; each read is a slice."""

    def __init__(self, meter: PaymentMeter, changed: Callable[[], None]) -> None:
        self.meter, self._changed = meter, changed

    @property
    def now(self) -> MeterSideAccount:
        return self.meter.account_for_release()

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
            self.meter.set_low_credit_threshold(Money(amount * MILLI_CENTS_PER_CENT))
        except FirmwareError as error:
            raise AccessRefused(DataAccessResult.OTHER_REASON, str(error)) from error
        self._changed()

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

    def carry_out(self, action: Callable[[PaymentMeter], object]) -> None:
        """An order to the meter's account: a refusal is the method's other-reason."""
        try:
            action(self.meter)
        except FirmwareError as error:
            raise ActionRefused(ActionResult.OTHER_REASON, str(error)) from error
        self._changed()


class _TokenCredit:
    """The balance above 0 as the token credit; its amount methods are operator adjustments
    booked in the ledger (update_amount adds, set_amount_to_value sets the balance)."""

    def __init__(self, account: _AccountView) -> None:
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


class _RuleCredit:
    """A credit whose amount a rule fixes: no warning threshold, and its amount methods are
    refused with ``FIXED_BY``."""

    FIXED_BY = ""

    def __init__(self, account: _AccountView) -> None:
        self._account = account

    def warning_threshold(self) -> int:
        return 0

    def update_amount(self, amount: int) -> None:
        raise ActionRefused(ActionResult.OTHER_REASON, self.FIXED_BY)

    def set_amount(self, amount: int) -> None:
        raise ActionRefused(ActionResult.OTHER_REASON, self.FIXED_BY)


class _EmergencyCredit(_RuleCredit):
    """P3: the 15 EUR below zero, taken automatically (invoke_credit only confirms it)."""

    FIXED_BY = "the emergency credit is the 15 EUR below zero (P3)"

    def amount(self) -> int:
        return cents(self._account.now.emergency_credit_left)

    def status(self) -> int:
        account = self._account.now
        if account.balance >= ZERO:
            return CreditStatus.INVOKED  # armed: it takes over by itself below zero (P3)
        if account.emergency_credit_left > ZERO:
            return CreditStatus.IN_USE
        return CreditStatus.EXHAUSTED

    def invoke(self) -> None:
        if self.status() == CreditStatus.EXHAUSTED:
            raise ActionRefused(ActionResult.OTHER_REASON, "the emergency credit is used up")


class _StartingCredit(_RuleCredit):
    """P1: the 20 EUR advance; its amount is what is still owed on it, which only the daily
    repayment (or a reset) moves, so its methods are refused."""

    FIXED_BY = "what is owed on the starting credit is the ledger's (P1): adjust the token credit"

    def amount(self) -> int:
        return cents(self._account.now.starting_credit_owed)

    def status(self) -> int:
        owed = self._account.now.starting_credit_owed
        return CreditStatus.IN_USE if owed > ZERO else CreditStatus.EXHAUSTED

    def invoke(self) -> None:
        raise ActionRefused(
            ActionResult.OTHER_REASON, "the starting credit is lent at commissioning (P1)"
        )


class _LedgerCharge:
    """What a Charge reads from the ledger entries that `matches` picks; `collect` charges
    what is due up to now (a slice)."""

    def __init__(self, account: _AccountView, matches: Callable[[LedgerEntry], bool]) -> None:
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
    """The commodity at its prices; new prices go through the passive table."""

    def __init__(
        self,
        account: _AccountView,
        matches: Callable[[LedgerEntry], bool],
        commodity: Commodity,
    ) -> None:
        super().__init__(account, matches)
        self._commodity = commodity

    def total_amount_remaining(self) -> int:
        return 0  # energy is paid as it is used

    def unit_charge_active(self) -> UnitCharge:
        account = self._account.meter.account
        assert account is not None  # built in meter mode only
        return UnitCharge(
            PER_THOUSAND,
            PRICE_SCALE,
            self._commodity.register,
            tuple(
                (index, account.prices[tariffs[0]].milli_cents // PRICE_STEP_MC)
                for index, tariffs in self._commodity.price_index.items()
            ),
        )

    def unit_charge_activation_time(self) -> datetime | None:
        account = self._account.meter.account
        return account.prices_activated_at if account else None

    def check_unit_charge(self, unit_charge: UnitCharge) -> None:
        self._prices(unit_charge)

    def activate_unit_charge(self, unit_charge: UnitCharge) -> None:
        prices = self._prices(unit_charge)
        self._account.carry_out(lambda meter: meter.activate_prices(prices))

    def update_total_amount_remaining(self, amount: int) -> None:
        raise ActionRefused(ActionResult.OTHER_REASON, "energy has no amount remaining")

    def set_total_amount_remaining(self, amount: int) -> None:
        raise ActionRefused(ActionResult.OTHER_REASON, "energy has no amount remaining")

    def _prices(self, unit_charge: UnitCharge) -> dict[Tariff, Money]:
        """The firmware's prices a unit charge gives; ActionRefused for one it cannot charge
        (other commodity or scaling, an index missing or twice, a negative price)."""
        commodity = self._commodity
        if (unit_charge.commodity_scale, unit_charge.price_scale) != (PER_THOUSAND, PRICE_SCALE):
            why = f"prices are per {commodity.unit} in 0.0001 EUR"
            raise ActionRefused(ActionResult.OTHER_REASON, why)
        if unit_charge.commodity != commodity.register:
            class_id, obis, attribute = commodity.register
            why = f"the commodity is class {class_id} {obis} attribute {attribute}"
            raise ActionRefused(ActionResult.OTHER_REASON, why)
        indexes = [index for index, _ in unit_charge.table]
        if sorted(indexes) != sorted(commodity.price_index):
            names = " and ".join(index.decode() for index in commodity.price_index)
            raise ActionRefused(ActionResult.OTHER_REASON, f"one price for each of {names}")
        if any(price < 0 for _, price in unit_charge.table):
            raise ActionRefused(ActionResult.OTHER_REASON, "a price cannot be negative")
        return {
            tariff: Money(price * PRICE_STEP_MC)
            for index, price in unit_charge.table
            for tariff in commodity.price_index[index]
        }


def _per_period(unit: bytes, amount: Money) -> UnitCharge:
    """A time-based unit charge: `amount` (in cents) per `unit` of the clock."""
    return UnitCharge(0, CENTS_SCALER, (8, obis_map.CLOCK, 2), ((unit, cents(amount)),))


REPAYMENT = _per_period(b"day", DEFAULT_RULES.daily_repayment)


class _FixedRateCharge(_LedgerCharge):
    """A time-based charge whose rate the meter's rules or configuration fix: the unit charge
    methods accept that same rate only, and the amount remaining is not the operator's."""

    def __init__(
        self,
        account: _AccountView,
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

    def __init__(self, account: _AccountView, matches: Callable[[LedgerEntry], bool]) -> None:
        why = "the P1 repayment is 1 EUR a day of what the ledger says is owed"
        super().__init__(account, matches, REPAYMENT, why)

    def total_amount_remaining(self) -> int:
        return cents(self._account.now.starting_credit_owed)
