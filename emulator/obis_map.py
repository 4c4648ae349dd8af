"""The OBIS map of the electricity meter's management logical device (server SAP 1): one
table, from which the README's OBIS table is written (``markdown()``) and against which the
COSEM binding is tested (every object served is in the table and the other way round).
``PAYMENT_MAP`` lists the payment-metering objects served only in meter-side prepayment mode
(rule M5), ``LIMITER_MAP`` the limiter served only in meter mode with a power limiter (P4);
``markdown()`` writes them after the others. ``GAS_OBIS_MAP`` is the gas meter's own logical
device (``emulator.gas_binding``), ``GAS_PAYMENT_MAP`` its account's payment objects in meter
mode (the same codes as ``PAYMENT_MAP``), ``GAS_CHANNEL_1_MAP`` what an electricity meter serves
for it with ``--with-gas`` (B = 1, ``on_channel``), all written by ``gas_markdown()``."""

from __future__ import annotations

from dataclasses import dataclass, replace

from cosem.obis import Obis

# The codes the head-end operates are defined in headend.meter_obis; re-exported here.
from headend.meter_obis import ACCOUNT as ACCOUNT
from headend.meter_obis import BALANCE as BALANCE
from headend.meter_obis import BALANCE_UPDATE_TIME as BALANCE_UPDATE_TIME
from headend.meter_obis import CLOCK as CLOCK
from headend.meter_obis import CURRENT_ASSOCIATION as CURRENT_ASSOCIATION
from headend.meter_obis import DAILY_PROFILE as DAILY_PROFILE
from headend.meter_obis import DISCONNECT_CONTROL as DISCONNECT_CONTROL
from headend.meter_obis import EAN as EAN
from headend.meter_obis import EMERGENCY_CREDIT as EMERGENCY_CREDIT
from headend.meter_obis import ENERGY_REGISTERS as ENERGY_REGISTERS
from headend.meter_obis import EXPORT_OFFPEAK as EXPORT_OFFPEAK
from headend.meter_obis import EXPORT_PEAK as EXPORT_PEAK
from headend.meter_obis import GAS_BALANCE as GAS_BALANCE
from headend.meter_obis import GAS_BALANCE_UPDATE_TIME as GAS_BALANCE_UPDATE_TIME
from headend.meter_obis import GAS_DAILY_PROFILE as GAS_DAILY_PROFILE
from headend.meter_obis import GAS_EAN as GAS_EAN
from headend.meter_obis import GAS_EMERGENCY_CREDIT as GAS_EMERGENCY_CREDIT
from headend.meter_obis import GAS_LOAD_PROFILE as GAS_LOAD_PROFILE
from headend.meter_obis import GAS_SERIAL_NUMBER as GAS_SERIAL_NUMBER
from headend.meter_obis import GAS_TOKEN_GATEWAY as GAS_TOKEN_GATEWAY
from headend.meter_obis import GAS_VALVE as GAS_VALVE
from headend.meter_obis import GAS_VOLUME as GAS_VOLUME
from headend.meter_obis import IMPORT_OFFPEAK as IMPORT_OFFPEAK
from headend.meter_obis import IMPORT_PEAK as IMPORT_PEAK
from headend.meter_obis import LIMITER as LIMITER
from headend.meter_obis import LOAD_PROFILE as LOAD_PROFILE
from headend.meter_obis import SERIAL_NUMBER as SERIAL_NUMBER
from headend.meter_obis import TOKEN_GATEWAY as TOKEN_GATEWAY

# Event pushes (rule P9): their layout is the head-end's contract, in headend.push_events.
from headend.push_events import EVENT_CODE as EVENT_CODE
from headend.push_events import EVENT_PUSH_SETUP as EVENT_PUSH_SETUP
from headend.push_events import EVENT_TEXT as EVENT_TEXT
from headend.push_events import GAS_EVENT_CODE as GAS_EVENT_CODE
from headend.push_events import GAS_EVENT_TEXT as GAS_EVENT_TEXT
from headend.push_events import GAS_PUSH_SETUP as GAS_PUSH_SETUP


@dataclass(frozen=True, slots=True)
class ObisEntry:
    obis: Obis
    class_id: int
    name: str
    value: str
    """What the value attribute holds, in the meter's terms."""


SAP_ASSIGNMENT = Obis.parse("0-0:41.0.0.255")
LOGICAL_DEVICE_NAME = Obis.parse("0-0:42.0.0.255")
FIRMWARE_IDENTIFIER = Obis.parse("1-0:0.2.0.255")
IMPORT_POWER = Obis.parse("1-0:1.7.0.255")
EXPORT_POWER = Obis.parse("1-0:2.7.0.255")
NET_POWER = Obis.parse("1-0:16.7.0.255")

# Meter-side prepayment (COSEM-FACTS 3): the standard payment-metering range 0-0:19.
TOKEN_CREDIT = Obis.parse("0-0:19.10.0.255")
EMERGENCY_CREDIT_CREDIT = Obis.parse("0-0:19.10.1.255")
STARTING_CREDIT_CREDIT = Obis.parse("0-0:19.10.2.255")
ENERGY_CHARGE = Obis.parse("0-0:19.20.0.255")
STARTING_CREDIT_CHARGE = Obis.parse("0-0:19.20.1.255")
WEEKLY_CHARGE = Obis.parse("0-0:19.20.2.255")
PAYMENT_CREDITS = (TOKEN_CREDIT, EMERGENCY_CREDIT_CREDIT, STARTING_CREDIT_CREDIT)
PAYMENT_CHARGES = (ENERGY_CHARGE, STARTING_CREDIT_CHARGE, WEEKLY_CHARGE)
DISCONNECT_SCRIPT_TABLE = Obis.parse("0-0:10.0.106.255")
"""Named by the limiter's actions (COSEM-FACTS 2); not served: the firmware acts itself."""


def on_channel(obis: Obis, channel: int) -> Obis:
    """The same object of the meter on M-Bus channel ``channel`` (value group B): the gas
    meter's payment objects are 0-0:19.x on its own device, 0-1:19.x on an electricity
    meter's (``--with-gas``)."""
    return replace(obis, b=channel)


OBIS_MAP: tuple[ObisEntry, ...] = (
    ObisEntry(CURRENT_ASSOCIATION, 15, "Association LN (current)", "object list, rights"),
    ObisEntry(SAP_ASSIGNMENT, 17, "SAP assignment", "server SAP 1 -> logical device name"),
    ObisEntry(LOGICAL_DEVICE_NAME, 1, "Logical device name", "octet-string (16 chars)"),
    ObisEntry(SERIAL_NUMBER, 1, "Serial number", "octet-string"),
    ObisEntry(EAN, 1, "EAN (equipment identifier)", "octet-string (18 digits)"),
    ObisEntry(FIRMWARE_IDENTIFIER, 1, "Active firmware identifier", "octet-string"),
    ObisEntry(CLOCK, 8, "Clock", "local time, Europe/Brussels, DST"),
    ObisEntry(IMPORT_PEAK, 3, "Active energy import, peak (T1)", "Wh, double-long-unsigned"),
    ObisEntry(IMPORT_OFFPEAK, 3, "Active energy import, off-peak (T2)", "Wh"),
    ObisEntry(EXPORT_PEAK, 3, "Active energy export, peak (T1)", "Wh"),
    ObisEntry(EXPORT_OFFPEAK, 3, "Active energy export, off-peak (T2)", "Wh"),
    ObisEntry(IMPORT_POWER, 3, "Active power import", "W, double-long-unsigned"),
    ObisEntry(EXPORT_POWER, 3, "Active power export", "W, double-long-unsigned"),
    ObisEntry(NET_POWER, 4, "Net active power (import - export)", "W, double-long, read time"),
    ObisEntry(DISCONNECT_CONTROL, 70, "Disconnect control (supply relay)", "control_mode 0..6"),
    ObisEntry(LOAD_PROFILE, 7, "Load profile, 15 minutes", "clock + the 4 energy registers"),
    ObisEntry(DAILY_PROFILE, 7, "Daily snapshots (local midnight)", "clock + the 4 registers"),
    ObisEntry(BALANCE_UPDATE_TIME, 1, "Last balance update (94.32.2/1)", "date-time, local time"),
    ObisEntry(
        BALANCE, 3, "Balance at the last update (94.32.2/2)", "cents, double-long, scaler -2, EUR"
    ),
    ObisEntry(
        EMERGENCY_CREDIT, 3, "Emergency credit left (94.32.2/3)", "cents, double-long, scaler -2"
    ),
    ObisEntry(
        EVENT_PUSH_SETUP,
        40,
        "Push setup, events (P9)",
        "2 push objects: this LN, serial, clock, event code, event text, balance, emergency "
        "credit, relay control_state; 3 {0 TCP (MQTT), vmeter/<serial>/push, 0 COSEM APDU}; 4-7 "
        "window, randomisation, retries, delay (management writes); method 1 push",
    ),
    ObisEntry(EVENT_CODE, 1, "Last event code (pushed)", "unsigned, the push event-code table"),
    ObisEntry(EVENT_TEXT, 1, "Last event text (pushed)", "octet-string, UTF-8"),
)


_MONEY = "cents, double-long"
PAYMENT_MAP: tuple[ObisEntry, ...] = (
    ObisEntry(
        ACCOUNT,
        111,
        "Account (meter mode only)",
        "2 {prepayment, 2 active or 3 closed}; 3 credit in use (0 token, 1 emergency); 4 credit "
        "status bits; 5 available credit = balance above 0 + emergency credit left; 6 amount to "
        "clear; 7 clearance threshold = 0.50 EUR (P8); 8 aggregated debt = starting credit still "
        "owed (P1); 9, 10 credit and charge LNs; 11 each credit with each charge (but the "
        "starting credit with its own repayment), collection "
        "bits 111 (charged cut, limited and in non-disconnect periods alike); 12 {token credit, "
        "100 %}; 13 activation (commissioning or last reset); 14 closure (not specified while "
        "open); 15 currency {EUR, -2, monetary}; 16 low-credit threshold (P2, management "
        "writes); 17 next credit available below 0 (P3); 18 max provision 25000 = 250.00 EUR "
        "(P6), 19 period 0 = per token. Methods (management): 1 activate_account accepted while "
        "active (active from commissioning), refused when closed; 2 close_account: no more "
        "charging nor orders, top-ups still credited; 3 reset_account (closed only): ledger "
        "settled to 0 (starting credit repaid, a credit left refunded off the meter or a debt "
        f"written off) and a new 20 EUR starting credit (P1); money in {_MONEY}",
    ),
    ObisEntry(
        TOKEN_CREDIT,
        112,
        "Token credit (meter mode only)",
        "2 balance above 0; type 0; priority 1; 5 warning = low-credit threshold; 6 limit 0; 7 "
        "tokens; status 3 in use, 4 exhausted at 0; 9 preset 0; 10 available threshold 0; 11 "
        "period not specified. Methods (management): 1 update_amount(double-long cents) adds to "
        "the balance, 2 set_amount_to_value(double-long >= 0) sets it, each an operator "
        'adjustment in the ledger (top-up referenced "operator adjustment" or adjustment '
        "charge); 3 invoke_credit refused",
    ),
    ObisEntry(
        EMERGENCY_CREDIT_CREDIT,
        112,
        "Emergency credit (meter mode only)",
        "2 emergency credit left (P3, 15 EUR); type 2; priority 2; 6 limit -1500 = the balance "
        "floor (P4); 7 visual, paid back; status 2 armed, 3 in use (balance < 0), 4 exhausted "
        "(-15 EUR, P4); 9 preset 1500; 10 available below 0 (P3); 11 period not specified. "
        "Methods: 1, 2 refused (fixed by P3); 3 invoke_credit accepted (P3 takes it over by "
        "itself), refused once exhausted",
    ),
    ObisEntry(
        STARTING_CREDIT_CREDIT,
        112,
        "Starting credit (meter mode only)",
        "2 what is still owed of the 20 EUR advance (P1, already in the balance); type 1 "
        "reserved; priority 3; 5 warning 0; 6 limit 0; 7 visual, paid back; status 3 in use "
        "while owed, 4 exhausted once repaid; 9 preset 2000 = 20.00 EUR (P1, again at "
        "reset_account); 10 available threshold 0; 11 period not specified. Methods: 1, 2 "
        "refused (the ledger's: adjust the token credit), 3 refused (lent at commissioning)",
    ),
    ObisEntry(
        ENERGY_CHARGE,
        113,
        "Energy charge (meter mode only)",
        "2 energy charged in total; 5 active, 6 passive price per kWh in 0.0001 EUR, index T1 "
        "(1.8.1) and T2 (1.8.2), commodity 1-0:1.8.1.255 attribute 2 (6 management writes); 7 "
        "when the active prices were activated (not specified: configured ones); 8 period 0; 9 "
        "continuous; 10, 11 last slice charged; 12 remaining 0; 13 proportion 0. Methods "
        "(management): 1 update_unit_charge writes 6 (refused: other scaling or commodity, not "
        "one price each for T1 and T2, a negative price); 2 activate_passive_unit_charge charges "
        "the energy counted so far at the old prices, then the new ones from that instant (kept "
        "in NVM); 3 collect charges up to now; 4, 5 refused",
    ),
    ObisEntry(
        STARTING_CREDIT_CHARGE,
        113,
        "Starting-credit repayment (meter mode only)",
        "time-based, 1 EUR per day (P1); 2 repaid so far; 5, 6 {0, -2} per day of the clock; 7 "
        "not specified; 8 period 86400 s; 10, 11 last repayment; 12 still owed; 13 proportion 0. "
        "Methods (management): 1, 2 accepted only with the same 1 EUR a day; 3 collect books the "
        "days passed; 4, 5 refused (what is owed is the ledger's)",
    ),
    ObisEntry(
        WEEKLY_CHARGE,
        113,
        "Weekly fixed charge (meter mode only)",
        "time-based (B10): prepayment.weekly_fixed_charge (0 = none) taken from the balance at "
        "each local Monday 00:00 (M7); 2 taken so far; 5, 6 {0, -2} index week = the weekly "
        "amount in cents, commodity the clock; 7 not specified; 8 period 604800 s; 10, 11 last "
        "one taken; 12 remaining 0; 13 proportion 0. Methods (management): 1, 2 accepted only "
        "with the configured amount; 3 collect books the Mondays passed; 4, 5 refused",
    ),
    ObisEntry(
        TOKEN_GATEWAY,
        115,
        "Token gateway (meter mode only)",
        "method 1 enter(octet-string token, management); 2-4 last token, its time, description; "
        "6 status {3 credited, 4 malformed, 5 wrong meter or bad MAC, 6 replayed or amount out "
        "of range; 8 before any token}",
    ),
)


LIMITER_MAP: tuple[ObisEntry, ...] = (
    ObisEntry(
        LIMITER,
        71,
        "Limiter (meter mode with power_limiter only)",
        "2 monitored value = 1-0:1.7.0.255 attribute 2; 3 threshold_active W, double-long-"
        "unsigned (management writes: the firmware's limit, kept in NVM); 4 normal, 5 emergency "
        "= the same value; 6, 7 durations 0 s; 8-10 no emergency profile; 11 actions over = "
        "{0-0:10.0.106.255, 1}, under = none. Limits only once the credit is used up (P4)",
    ),
)


GAS_OBIS_MAP: tuple[ObisEntry, ...] = (
    ObisEntry(CURRENT_ASSOCIATION, 15, "Association LN (current)", "object list, rights"),
    ObisEntry(SAP_ASSIGNMENT, 17, "SAP assignment", "server SAP 1 -> logical device name"),
    ObisEntry(LOGICAL_DEVICE_NAME, 1, "Logical device name", "octet-string (16 chars)"),
    ObisEntry(SERIAL_NUMBER, 1, "Serial number", "octet-string"),
    ObisEntry(EAN, 1, "EAN (equipment identifier)", "octet-string (18 digits)"),
    ObisEntry(CLOCK, 8, "Clock", "local time, Europe/Brussels, DST; read-only"),
    ObisEntry(
        GAS_VOLUME,
        4,
        "Gas volume (24.2.1 on the LCD)",
        "dm3, double-long-unsigned, scaler -3, unit m3 (13); capture time = last update",
    ),
    ObisEntry(
        GAS_VALVE,
        70,
        "Disconnect control (gas valve)",
        "1 remote_disconnect closes; 2 remote_reconnect arms the leak test (G3; only with "
        ">= 0.50 EUR, G4: the platform's last balance, or the account's in meter mode), or, "
        "when the test locked out, re-enables it (M4); refused: temporary-failure",
    ),
    ObisEntry(GAS_LOAD_PROFILE, 7, "Gas load profile, 15 minutes", "clock + volume (dm3)"),
    ObisEntry(
        GAS_DAILY_PROFILE,
        7,
        "Gas daily snapshots (local midnight)",
        "clock + volume (dm3); kept in gas.vms",
    ),
    ObisEntry(
        BALANCE_UPDATE_TIME,
        1,
        "Last balance update (94.32.2/1, euro menu)",
        "date-time, local time; management writes in central mode",
    ),
    ObisEntry(
        BALANCE,
        3,
        "Balance at the last update (94.32.2/2)",
        "cents, double-long, scaler -2, EUR; one SET = one update",
    ),
    ObisEntry(
        EMERGENCY_CREDIT,
        3,
        "Emergency credit left (94.32.2/3)",
        "cents, double-long, scaler -2; kept in gas.vms",
    ),
    ObisEntry(
        GAS_PUSH_SETUP,
        40,
        "Push setup, gas events (P9, G3)",
        "as 0-0:25.9.0 with 0-1:96.11.0 and 0-1:96.13.0, the balance 0-0:94.32.2/3 and the "
        "valve 0-1:24.4.0 (control_state)",
    ),
    ObisEntry(GAS_EVENT_CODE, 1, "Last gas event code (pushed)", "unsigned, the event-code table"),
    ObisEntry(GAS_EVENT_TEXT, 1, "Last gas event text (pushed)", "octet-string, UTF-8"),
)
_GAS_PAYMENT_OBJECTS: tuple[tuple[Obis, int, str, str], ...] = (
    (
        ACCOUNT,
        111,
        "Gas account",
        "the gas meter's own account (its serial's tokens, P6), attributes and methods as on "
        "the electricity meter: 5 available credit, 7 clearance 0.50 EUR (P8, G4: then the leak "
        "test), 8 starting credit owed (P1), 16 low-credit threshold (management writes); "
        "activate, close, reset_account",
    ),
    (
        TOKEN_CREDIT,
        112,
        "Gas token credit",
        "the balance above 0; update_amount / set_amount_to_value: operator adjustments",
    ),
    (
        EMERGENCY_CREDIT_CREDIT,
        112,
        "Gas emergency credit",
        "15 EUR below zero (P3), methods as on the electricity meter",
    ),
    (
        STARTING_CREDIT_CREDIT,
        112,
        "Gas starting credit",
        "what is still owed of the 20 EUR advance (P1); methods refused",
    ),
    (
        ENERGY_CHARGE,
        113,
        "Gas volume charge",
        "2 gas charged in total; 5 active, 6 passive price per m3 in 0.0001 EUR "
        "(prepayment.price_per_m3), one index T1, commodity 0-1:24.2.3.255 attribute 2 (class "
        "4, dm3: commodity scale 3 = per m3); update_unit_charge (refused: other scaling or "
        "commodity, not one T1 price, a negative price), activate_passive_unit_charge (the gas "
        "counted so far at the old price, the new one from that instant), collect",
    ),
    (
        STARTING_CREDIT_CHARGE,
        113,
        "Gas starting-credit repayment",
        "1 EUR per day (P1), as on the electricity meter",
    ),
    (
        WEEKLY_CHARGE,
        113,
        "Gas weekly fixed charge",
        "prepayment.weekly_fixed_charge each local Monday 00:00 (B10), as on the electricity meter",
    ),
    (
        TOKEN_GATEWAY,
        115,
        "Gas token gateway",
        "enter: a top-up token for the gas meter's own account (P6, P8: >= 0.50 EUR arms the "
        "leak test); 94.32.2/x then show that account, read-only",
    ),
)
GAS_PAYMENT_MAP: tuple[ObisEntry, ...] = tuple(
    ObisEntry(obis, class_id, f"{name} (meter mode only)", value)
    for obis, class_id, name, value in _GAS_PAYMENT_OBJECTS
)
_GAS_CHANNEL_1_PAYMENT = tuple(
    ObisEntry(
        on_channel(obis, 1),
        class_id,
        f"{name} (channel 1, meter mode only)",
        f"as {obis} on the gas meter's own device",
    )
    for obis, class_id, name, _ in _GAS_PAYMENT_OBJECTS
)
GAS_CHANNEL_1_MAP: tuple[ObisEntry, ...] = (
    ObisEntry(
        GAS_SERIAL_NUMBER, 1, "Gas meter serial number (channel 1)", "octet-string, <serial>-G1"
    ),
    ObisEntry(
        GAS_EAN,
        1,
        "Gas meter EAN (channel 1)",
        "octet-string (18 digits): the electricity EAN with its 8th digit + 1 (mod 10), check "
        "digit recomputed; its top-up reference is the gas account's (P6)",
    ),
    ObisEntry(GAS_VOLUME, 4, "Gas volume (channel 1)", "as on the gas meter's own device"),
    ObisEntry(GAS_VALVE, 70, "Gas valve (channel 1)", "as on the gas meter's own device"),
    ObisEntry(GAS_LOAD_PROFILE, 7, "Gas load profile (channel 1)", "clock + volume (dm3)"),
    ObisEntry(GAS_DAILY_PROFILE, 7, "Gas daily snapshots (channel 1)", "clock + volume (dm3)"),
    ObisEntry(
        GAS_BALANCE_UPDATE_TIME,
        1,
        "Gas last balance update (channel 1)",
        "as 0-0:94.32.1 on the gas meter's own device",
    ),
    ObisEntry(GAS_BALANCE, 3, "Gas balance (channel 1)", "as 0-0:94.32.2; G4 for the valve"),
    ObisEntry(GAS_EMERGENCY_CREDIT, 3, "Gas emergency credit left (channel 1)", "as 0-0:94.32.3"),
    *_GAS_CHANNEL_1_PAYMENT,
    ObisEntry(
        GAS_PUSH_SETUP,
        40,
        "Push setup, gas events (channel 1)",
        "as on the gas meter's own device, with the balance at 0-1:94.32.2/3",
    ),
    ObisEntry(GAS_EVENT_CODE, 1, "Last gas event code (channel 1)", "as 0-1:96.11.0"),
    ObisEntry(GAS_EVENT_TEXT, 1, "Last gas event text (channel 1)", "as 0-1:96.13.0"),
)


def gas_markdown() -> str:
    """The gas meter's table as Markdown (the README holds exactly this), then the objects an
    electricity meter serves for it with ``--with-gas``."""
    return _table((*GAS_OBIS_MAP, *GAS_PAYMENT_MAP, *GAS_CHANNEL_1_MAP))


def markdown() -> str:
    """The table as Markdown (the README holds exactly this)."""
    return _table((*OBIS_MAP, *PAYMENT_MAP, *LIMITER_MAP))


def _table(entries: tuple[ObisEntry, ...]) -> str:
    lines = [
        "| OBIS | class | object | value |",
        "|---|---|---|---|",
        *(
            f"| `{entry.obis}` | {entry.class_id} | {entry.name} | {entry.value} |"
            for entry in entries
        ),
    ]
    return "\n".join(lines) + "\n"
