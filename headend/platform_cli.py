"""The prepayment platform's verbs on ``vmeter headend`` (central mode, rules P1-P9, R1-R3):

    platform --db FILE --mqtt URL [--speed N] [--start ISO] [--until ISO] [--meter SERIAL ...]
             [--consent SERIAL ...] [--alert PERCENT] [--gas-price EUR] [--password PW]
        the operator's side, running: enrols the meters (given, or heard online on
        ``vmeter/+/status``), one account per energy (a gas meter; an electricity meter and
        the gas meter on its channel 1, ``<serial>-G1``), collects indexes (gas: the daily
        volume, billed per m3) and consented profiles after local midnight,
        cuts after the non-disconnect period, carries out orders, pushes the balance daily,
        publishes notifications on ``vmeter/platform/outbox/<serial>``
    topup SERIAL|REFERENCE EUR --db FILE [--at ISO] [--mqtt URL]
        books a payment (5.00-250.00 EUR, P6); with --mqtt also carries out what it decided
        (reconnect enable, P8) when the meter is online; else the running platform does
    platform-status --db FILE [SERIAL] [--at ISO] [--json]
        balance, estimate from the last 7 days (P7), supply state, last day collected
    declare SERIAL --day DATE --peak WH --offpeak WH --db FILE
        a manual index declaration (refused for communicating meters, R3)

Top-ups reach a running platform through the shared database: it polls the ledger's unsent
orders and unpublished notifications on every pass. Exit codes: 0 ok, 1 refused (amount,
reference, R3), 2 usage, 3 broker or meter unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
from datetime import UTC, date, datetime

import aiomqtt

from cosem.errors import CosemError
from firmware.rules.localtime import to_local
from hal.clock import ScaledClock
from headend.meter_verbs import add_token_arguments, moment
from headend.mqtt import (
    ONLINE,
    QOS,
    BrokerAddress,
    MqttTransport,
    check_topic_level,
    mqtt_client,
    parse_broker_url,
)
from headend.platform.billing import DailyIndexes, Prices
from headend.platform.duties import CarryOut, due_duties
from headend.platform.errors import PlatformError
from headend.platform.ledger import Ledger
from headend.platform.live import Enrolment, LivePlatform, OpenSession, serve
from headend.platform.money import MILLI_CENTS_PER_EUR, parse_eur
from headend.platform.service import Platform
from headend.platform.topup import normalise_reference
from headend.session import Session

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_NO_ANSWER = 0, 1, 2, 3
MANAGEMENT_CLIENT = 1
DEFAULT_MANAGEMENT_PASSWORD = "00000000"  # a vmeter meter's default configuration
POLL_S = 0.2
STATUS_TOPICS = "vmeter/+/status"
PLATFORM_VERBS = ("platform", "topup", "platform-status", "declare")


def add_platform_verbs(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # Options also on ``vmeter headend`` itself default to SUPPRESS here, so that either place
    # works (a sub-parser's default would overwrite the value given before the verb).
    run = verbs.add_parser("platform", help="run the central prepayment platform")
    run.add_argument("--db", required=True, metavar="FILE", help="the platform's SQLite file")
    run.add_argument("--mqtt", default=argparse.SUPPRESS, metavar="URL", help="the broker")
    run.add_argument("--speed", type=float, default=1.0, help="N times real time (default 1)")
    run.add_argument("--start", type=moment, metavar="ISO", help="clock start (default now)")
    run.add_argument("--until", type=moment, metavar="ISO", help="stop at this platform time")
    run.add_argument(
        "--meter", dest="meters", action="append", metavar="SERIAL", default=[],
        help="serve this meter (repeatable; default: every meter heard online)",
    )  # fmt: skip
    run.add_argument(
        "--consent", action="append", metavar="SERIAL", default=[],
        help="R1: collect this meter's 15-minute profile (repeatable)",
    )  # fmt: skip
    run.add_argument("--alert", type=int, metavar="PERCENT", help="R2 alerts for new meters")
    run.add_argument("--peak-price", default="0.1575", metavar="EUR", help="per kWh, 1.8.1")
    run.add_argument("--offpeak-price", default="0.0746", metavar="EUR", help="per kWh, 1.8.2")
    run.add_argument("--gas-price", default="0.85", metavar="EUR", help="per m3 of gas")
    run.add_argument("--password", default=argparse.SUPPRESS, help="management LLS password")
    topup = verbs.add_parser("topup", help="a top-up: ledger (--db) or token (--key)")
    topup.add_argument("meter_serial", metavar="SERIAL|REFERENCE")
    topup.add_argument("amount", metavar="EUR", help="5.00 to 250.00")
    topup.add_argument("--db", metavar="FILE", help="central mode: the platform's database")
    topup.add_argument("--at", type=moment, metavar="ISO", help="booking time (default now)")
    topup.add_argument("--mqtt", default=argparse.SUPPRESS, metavar="URL", help="the broker")
    add_token_arguments(topup)
    status = verbs.add_parser("platform-status", help="balances and estimates (P7)")
    status.add_argument("meter_serial", nargs="?", metavar="SERIAL")
    status.add_argument("--db", required=True, metavar="FILE")
    status.add_argument("--at", type=moment, metavar="ISO", help="estimate time (default now)")
    status.add_argument("--json", default=argparse.SUPPRESS, action="store_true")
    declare = verbs.add_parser("declare", help="a manual index declaration (R3)")
    declare.add_argument("meter_serial", metavar="SERIAL")
    declare.add_argument("--db", required=True, metavar="FILE")
    declare.add_argument("--day", required=True, type=date.fromisoformat, metavar="DATE")
    declare.add_argument("--peak", required=True, type=int, metavar="WH")
    declare.add_argument("--offpeak", required=True, type=int, metavar="WH")


def runs_on_the_platform(args: argparse.Namespace) -> bool:
    """The verbs served here (a meter-side ``topup`` is a meter verb instead)."""
    return args.verb in PLATFORM_VERBS and (args.verb != "topup" or args.db is not None)


def platform_command(args: argparse.Namespace) -> int:
    try:
        ledger = Ledger(args.db)
    except PlatformError as error:
        return _fail(EXIT_USAGE, str(error))
    try:
        lines = _VERBS[args.verb](Platform(ledger), args)
    except PlatformError as error:
        return _fail(EXIT_REFUSED, str(error))
    except (ValueError, UsageError) as error:
        return _fail(EXIT_USAGE, str(error))
    except CosemError as error:
        return _fail(EXIT_NO_ANSWER, str(error))
    except (aiomqtt.MqttError, OSError) as error:
        return _fail(EXIT_NO_ANSWER, f"broker unreachable: {error}")
    except KeyboardInterrupt:
        return EXIT_OK
    finally:
        ledger.close()
    for line in lines:
        print(line, flush=True)
    return EXIT_OK


class UsageError(Exception):
    """A command line the platform verbs cannot run: exit code 2."""


# ---------------------------------------------------------------- verbs


def _platform(platform: Platform, args: argparse.Namespace) -> list[str]:
    if not args.mqtt:
        raise UsageError("platform needs --mqtt URL")
    address = parse_broker_url(args.mqtt)
    try:
        prices = Prices(parse_eur(args.peak_price), parse_eur(args.offpeak_price))
        gas_price = parse_eur(args.gas_price)
    except PlatformError as error:
        raise UsageError(f"price: {error}") from None
    if prices.peak < 0 or prices.offpeak < 0 or gas_price < 0:
        raise UsageError("prices cannot be negative")
    if args.alert is not None and args.alert < 0:
        raise UsageError(f"--alert is a percentage above the average, 0 or more: {args.alert}")
    for serial in (*args.meters, *args.consent):  # a topic level of the meter's, later
        check_topic_level(serial, "serial number")
    start = args.start or datetime.now(UTC).replace(microsecond=0)
    clock = ScaledClock(start, args.speed)
    enrolment = Enrolment(prices, frozenset(args.consent), args.alert, gas_price)
    password = (args.password or DEFAULT_MANAGEMENT_PASSWORD).encode()
    asyncio.run(_run_platform(platform, address, clock, enrolment, password, args))
    return []


async def _run_platform(
    platform: Platform,
    address: BrokerAddress,
    clock: ScaledClock,
    enrolment: Enrolment,
    password: bytes,
    args: argparse.Namespace,
) -> None:
    client_id = f"platform-{secrets.token_hex(4)}"
    heard: asyncio.Queue[str] = asyncio.Queue()
    for serial in args.meters:
        heard.put_nowait(serial)
    async with mqtt_client(
        address, identifier=f"vmeter-{client_id}-outbox", clean_session=True
    ) as mqtt:

        async def publish(topic: str, payload: bytes) -> None:
            await mqtt.publish(topic, payload, qos=QOS)

        live = LivePlatform(
            platform,
            clock,
            mqtt_session_opener(address, client_id, password, args.timeout),
            publish,
            enrolment,
            report=lambda line: print(line, flush=True),
        )
        listener = None
        if not args.meters:  # discover: every meter whose retained status says online
            await mqtt.subscribe(STATUS_TOPICS, qos=QOS)
            listener = asyncio.create_task(_hear_meters(mqtt, heard))
        print(platform_banner(address, clock), flush=True)
        try:
            await serve(live, heard, POLL_S, args.until)
        finally:
            if listener is not None:
                listener.cancel()


def platform_banner(address: BrokerAddress, clock: ScaledClock) -> str:
    """The platform's first line: its broker and clock, in local time as every line after it."""
    now = to_local(clock.now())
    return f"platform on {address}, clock {now:%Y-%m-%d %H:%M:%S %Z} x{clock.speed:g}"


async def _hear_meters(mqtt: aiomqtt.Client, heard: asyncio.Queue[str]) -> None:
    async for message in mqtt.messages:
        levels = message.topic.value.split("/")
        if len(levels) == 3 and message.payload == ONLINE:
            heard.put_nowait(levels[1])


def mqtt_session_opener(
    address: BrokerAddress, client_id: str, password: bytes, timeout_s: float
) -> OpenSession:
    """Management sessions to meters through the broker, as head-end ``client_id``."""

    async def open_session(serial: str) -> Session:
        transport = await MqttTransport.connect(
            address, serial, client_id=client_id, client_sap=MANAGEMENT_CLIENT, timeout_s=timeout_s
        )
        return Session(transport, password=password, timeout_s=timeout_s)

    return open_session


def _topup(platform: Platform, args: argparse.Namespace) -> list[str]:
    """P6: by serial or by reference; P8 carried out at once when --mqtt reaches the meter."""
    at = args.at or datetime.now(UTC).replace(microsecond=0)
    reference = _reference(platform, args.meter_serial)
    result = platform.top_up(reference, args.amount, at)
    lines = [f"top-up {_eur(result.amount)} EUR booked for {result.serial} (reference {reference})"]
    if args.mqtt:
        lines += asyncio.run(
            _carry_out_now(platform, parse_broker_url(args.mqtt), result.serial, at, args)
        )
    return [*lines, f"balance {_eur(result.balance)} EUR"]


async def _carry_out_now(
    platform: Platform, address: BrokerAddress, serial: str, at: datetime, args: argparse.Namespace
) -> list[str]:
    lines: list[str] = []
    password = (args.password or DEFAULT_MANAGEMENT_PASSWORD).encode()
    live = LivePlatform(
        platform,
        _Fixed(at),
        mqtt_session_opener(address, f"topup-{secrets.token_hex(4)}", password, args.timeout),
        _no_publish,
        report=lines.append,
    )
    for duty in due_duties(platform.ledger, at, {}, {}):
        if isinstance(duty, CarryOut) and duty.serial == serial:
            try:
                await live.carry_out_orders(duty, at)
            except CosemError as error:
                lines.append(f"{serial}: not reached ({error}); the platform will carry it out")
    return lines


def _status(platform: Platform, args: argparse.Namespace) -> list[str]:
    """P7: the computed balance and the portal's estimate, per meter."""
    ledger = platform.ledger
    at = args.at or datetime.now(UTC)
    serials = [args.meter_serial] if args.meter_serial else ledger.serials()
    rows = []
    for serial in serials:
        meter = ledger.meter(serial)
        # The opening reading (taken at enrolment) closes no day collected.
        last = None if ledger.last_is_opening(serial) else ledger.last_indexes(serial)
        rows.append(
            {
                "serial": serial,
                "energy": meter.energy.value,
                "reference": meter.reference,
                "balance": _eur(ledger.balance(serial)),
                "estimate": _eur(platform.estimated_balance(serial, at)),
                "supply": ledger.account_state(serial).supply.value,
                "last_day": last.day.isoformat() if last else None,
            }
        )
    if args.json:
        return [json.dumps(rows)]
    return [
        f"{r['serial']}  {r['energy']}  ref {r['reference']}  balance {r['balance']} EUR"
        f"  supply {r['supply']}"
        f"  last day {r['last_day']}  estimate {r['estimate']} EUR"
        for r in rows
    ]


def _declare(platform: Platform, args: argparse.Namespace) -> list[str]:
    """R3: refused for a communicating meter (PlatformError, exit code 1)."""
    at = datetime.now(UTC)
    indexes = DailyIndexes(args.day, args.peak, args.offpeak)
    decision = platform.declare_manual_index(args.meter_serial, indexes, at)
    return [f"declared; balance {_eur(decision.state.balance)} EUR"]


_VERBS = {
    "platform": _platform,
    "topup": _topup,
    "platform-status": _status,
    "declare": _declare,
}


# ---------------------------------------------------------------- helpers


def _reference(platform: Platform, meter: str) -> str:
    """A known serial's reference (P6), or the text as a reference."""
    if meter in platform.ledger.serials():
        return platform.reference_of(meter)
    return normalise_reference(meter)


def _eur(milli_cents: int) -> str:
    """Exactly, with a point, two decimals at least (the CLI's value format)."""
    sign = "-" if milli_cents < 0 else ""
    units, rest = divmod(abs(milli_cents), MILLI_CENTS_PER_EUR)
    return f"{sign}{units}.{rest // 1000:02d}" + (f"{rest % 1000:03d}".rstrip("0"))


class _Fixed:
    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at


async def _no_publish(topic: str, payload: bytes) -> None:
    """The top-up command leaves the outbox to the running platform."""


def _fail(code: int, message: str) -> int:
    print(f"vmeter headend: {message}", file=sys.stderr)
    return code
