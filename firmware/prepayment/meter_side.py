"""What a meter needs to keep a meter-side account (rule M5 ``meter`` mode), shared by the
electricity and the gas meter: the account's configuration from the meter's settings, opening
it from the NVM, the 94.32.2 view of its balance, and the event text of each P9 notice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from firmware.central_balance import BalanceUpdate
from firmware.errors import StateFileError
from firmware.prepayment.account import AccountConfig, AccountError, MeterSideAccount
from firmware.prepayment.account_billing import BilledAccount, Journal
from firmware.prepayment.account_events import (
    Disconnected,
    DisconnectionImminent,
    EmergencyCreditStarted,
    LowCredit,
    Notice,
    Outcome,
    TopUpReceived,
)
from firmware.rules.credit import DEFAULT_RULES
from firmware.rules.localtime import to_local
from firmware.rules.money import Money
from firmware.rules.tariff import Tariff
from firmware.settings import MeterSideSettings


def account_config(
    serial: str,
    side: MeterSideSettings,
    prices: Mapping[Tariff, Money] | None = None,
    power_limiter: bool | None = None,
) -> AccountConfig:
    """The account of the meter ``serial`` as configured; ``prices`` and ``power_limiter``
    override the settings' (the gas meter: one price per m3, never a limiter)."""
    return AccountConfig(
        serial=serial,
        token_key=side.token_key,
        prices=side.prices if prices is None else prices,
        rules=replace(DEFAULT_RULES, low_credit_threshold=side.low_credit_threshold),
        power_limiter=side.power_limiter if power_limiter is None else power_limiter,
        weekly_fixed_charge=side.weekly_fixed_charge,
    )


def open_account(
    config: AccountConfig,
    journal: Journal,
    snapshot: Mapping[str, object] | None,
    import_mj: Sequence[int],
    at: datetime,
) -> tuple[BilledAccount, Outcome]:
    """``BilledAccount.open``, an unusable saved account reported as ``StateFileError``."""
    try:
        return BilledAccount.open(config, journal, snapshot, import_mj, at)
    except AccountError as error:
        raise StateFileError(f"prepayment account: {error}") from error


def balance_update(account: MeterSideAccount) -> BalanceUpdate:
    """What 94.32.2/1../3 show in meter mode: the account as of its last balance change."""
    return BalanceUpdate(account.entries[-1].at, account.balance, account.emergency_credit_left)


def describe_notice(notice: Notice) -> str:
    """The event log's (and a push's) text for a P9 notice."""
    match notice:
        case LowCredit():
            return f"low credit: balance {notice.balance} EUR, threshold {notice.threshold} EUR"
        case EmergencyCreditStarted():
            return notice.text
        case DisconnectionImminent():
            return f"your meter will be disconnected on {to_local(notice.cut_at):%d/%m/%y at %H:%M}"
        case Disconnected():
            what = "power limited" if notice.limited else "disconnected"
            return f"{what} for lack of credit: balance {notice.balance} EUR"
        case TopUpReceived():
            return (
                f"top-up of {notice.amount} EUR (token {notice.token_seq}): "
                f"balance {notice.balance} EUR"
            )
