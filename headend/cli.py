"""``vmeter headend``: read, list, set, action, disconnect, reconnect against one meter.

    vmeter headend --tcp HOST:PORT [--client N] [--password PW] [--json] [--trace FILE|-]
        read OBIS[:ATTR] [--class N] | list | set OBIS[:ATTR] VALUE [--type T] [--class N]
        | action OBIS:METHOD VALUE [--type T] [--class N] | disconnect [--gas] | reconnect [--gas]
    vmeter headend --mqtt URL --meter SERIAL ...   the same verbs through an MQTT broker,
        and ``watch [--count N] [--timeout S] [--json]`` for event pushes (``headend.watch``)
    vmeter headend --serial DEVICE [--mode-e|--no-mode-e] [--baud 9600] [--physical N] ...
        the same verbs over HDLC on the optical port, and ``readout`` (mode C)
    Meter operations on any target: ``profile``, ``limit``, ``balance``, meter-side ``topup``
    (``headend.meter_verbs``); the platform's verbs, no target needed: ``platform``, central
    ``topup``, ``platform-status``, ``declare`` (``headend.platform_cli``).

OBIS as ``1-0:1.8.1.255`` or ``1.8.1``; ATTR defaults to 2 (the value). Without --class the
class is looked up in the meter's object list, cached per meter between runs
(``headend.object_cache``; ``--no-cache`` fetches it every time). ``read`` prints the value
last, with its unit for registers (scaler applied). Client 16 (public, no password) by
default; with --password the default client is 1 (management, LLS). ``--trace -`` writes
frames to stderr, so stdout keeps only the result. Exit codes: 0 ok, 1 refused by the meter,
2 usage, 3 no answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

from cosem.apdu import AttributeDescriptor, DataAccessResult, MethodDescriptor
from cosem.axdr import BitString, Data, DataType
from cosem.client import AccessRefused, AssociationRejected, ExceptionReceived, ProtocolError
from cosem.datetime_codec import CosemDateTime
from cosem.errors import EncodeError
from cosem.hdlc import HdlcError
from cosem.iec62056_21 import Iec21Error
from cosem.obis import Obis
from cosem.trace import Tracer, open_trace
from firmware.rules.localtime import parse_local
from hal.optical import OpticalPortError
from headend import meter_obis
from headend.meter_verbs import METER_VERBS, add_meter_verbs, prepare_meter_verb
from headend.mqtt import MqttTransport, parse_broker_url
from headend.object_cache import MeterObjects, cache_directory
from headend.platform_cli import add_platform_verbs, platform_command, runs_on_the_platform
from headend.serial import add_serial_arguments, connect_serial, probe_target, readout_lines
from headend.session import DEFAULT_TIMEOUT_S, ApduTransport, NoAnswer, Session
from headend.tcp import PUBLIC_CLIENT, TcpWrapperTransport, parse_endpoint
from headend.values import CLOCK_CLASS, SCALED_CLASSES, scaled, to_json, to_text
from headend.watch import add_watch_verb, watch_command

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_NO_ANSWER = 3
MANAGEMENT_CLIENT = 1
DISCONNECT_CONTROL = Obis(0, 0, 96, 3, 10, 255)
DISCONNECT_CONTROL_CLASS = 70
REMOTE_DISCONNECT, REMOTE_RECONNECT = 1, 2
OTHER_OBJECT = (DataAccessResult.OBJECT_UNDEFINED, DataAccessResult.OBJECT_CLASS_INCONSISTENT)
"""What a meter answers for a class cached from another meter at the same address."""
T = TypeVar("T")
VALUE_TYPES: dict[str, DataType] = {
    t.name.lower().replace("_", "-"): t
    for t in DataType
    if t not in (DataType.ARRAY, DataType.STRUCTURE, DataType.COMPACT_ARRAY)
}


class UsageProblem(Exception):
    """A mistake on the command line: one line, exit code 2."""


class NotOnMeter(Exception):
    """The object is not in the meter's object list: exit code 1."""


def configure_headend(parser: argparse.ArgumentParser) -> None:
    target = parser.add_mutually_exclusive_group()  # required by the verbs on a meter
    target.add_argument("--tcp", metavar="HOST:PORT", help="meter (TCP wrapper)")
    target.add_argument(
        "--mqtt", metavar="URL", help="broker: mqtt://[user:pass@]host:port, mqtts://..?ca=FILE"
    )
    parser.add_argument("--meter", metavar="SERIAL", help="the meter's serial number (--mqtt)")
    add_serial_arguments(parser, target)
    parser.add_argument("--client", type=int, help="client SAP (16 public, 17 reader, 1 mgmt)")
    parser.add_argument("--server", type=int, default=1, help="server SAP (default 1)")
    parser.add_argument("--password", help="LLS password (default client becomes 1)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds")
    parser.add_argument("--trace", metavar="FILE|-", help="log every frame (- = stderr)")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="fetch the object list from the meter, without the per-meter cache",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    read = verbs.add_parser("read", help="read an attribute (value with unit for registers)")
    read.add_argument("target", metavar="OBIS[:ATTR]")
    read.add_argument("--class", dest="class_id", type=int, help="class id (else looked up)")
    verbs.add_parser("list", help="the object list: class, OBIS, version")
    write = verbs.add_parser("set", help="write an attribute")
    write.add_argument("target", metavar="OBIS[:ATTR]")
    write.add_argument("value", metavar="VALUE", help="0x.. for hex octet-strings; ISO for clock")
    write.add_argument(
        "--type", choices=sorted(VALUE_TYPES), metavar="TYPE",
        help=f"default: the current type; one of {', '.join(sorted(VALUE_TYPES))}",
    )  # fmt: skip
    write.add_argument("--class", dest="class_id", type=int)
    action = verbs.add_parser("action", help="invoke a method (parameter type default integer)")
    action.add_argument("target", metavar="OBIS:METHOD")
    action.add_argument("value", metavar="VALUE", help="the parameter (0 when it takes none)")
    action.add_argument(
        "--type", choices=sorted(VALUE_TYPES), default="integer", metavar="TYPE",
        help="the parameter's type (default integer), as for set",
    )  # fmt: skip
    action.add_argument("--class", dest="class_id", type=int)
    for verb, what in (
        ("disconnect", "open the supply relay (remote_disconnect, method 1)"),
        ("reconnect", "enable reconnection (remote_reconnect, method 2; mode 3: then the button)"),
    ):
        relay = verbs.add_parser(verb, help=what, description=what)
        relay.add_argument(
            "--gas", "--channel-1", dest="gas", action="store_true",
            help="the gas valve 0-1:24.4.0 (a gas meter, or channel 1 of --with-gas); "
            "reconnect arms the leak test (G3)",
        )  # fmt: skip
    verbs.add_parser("readout", help="mode C data readout of the optical port (--serial)")
    add_watch_verb(verbs)
    add_meter_verbs(verbs)
    add_platform_verbs(verbs)


def headend_command(args: argparse.Namespace) -> int:
    """Run one verb; every outcome is an exit code and one clear line on stderr."""
    if not 0 < args.timeout < math.inf:  # every verb waits with it, the platform's too
        return _fail(EXIT_USAGE, f"--timeout must be a positive number, got {args.timeout}")
    if args.verb == "watch":  # no session: it listens to the pushes
        return watch_command(args)
    if runs_on_the_platform(args):  # the ledger, and the broker for the platform itself
        return platform_command(args)
    if not (args.tcp or args.mqtt or args.serial):
        return _fail(EXIT_USAGE, "give the meter: --tcp HOST:PORT, --mqtt URL or --serial DEVICE")
    try:
        endpoint = parse_endpoint(args.tcp) if args.tcp else None
        args.broker = parse_broker_url(args.mqtt) if args.mqtt else None
        if args.broker is not None and not args.meter:
            raise UsageProblem("--mqtt needs --meter SERIAL")
        verb = None if args.verb == "readout" else _VERBS[args.verb]
        prepare_meter_verb(args)
        if "target" in args:  # checked before connecting: a typo is not a network problem
            args.obis, args.member = _target(args.target, None if args.verb == "action" else 2)
        args.objects = MeterObjects(
            _meter_name(args, endpoint), None if args.no_cache else cache_directory()
        )
        tracer = open_trace(args.trace)
    except OSError as exc:
        return _fail(EXIT_USAGE, f"--trace {args.trace}: {exc.strerror}")
    except (ValueError, UsageProblem) as exc:
        return _fail(EXIT_USAGE, str(exc))
    try:
        if verb is None:
            lines = asyncio.run(readout_lines(args))
        else:
            lines = asyncio.run(_run(args, endpoint, verb, tracer))
    except (ValueError, UsageProblem, EncodeError, OpticalPortError) as exc:
        return _fail(EXIT_USAGE, str(exc))
    except (AccessRefused, ExceptionReceived, NotOnMeter) as exc:
        return _fail(EXIT_REFUSED, str(exc))
    except AssociationRejected as exc:
        return _fail(EXIT_REFUSED, f"{exc} (check --client and --password)")
    except (NoAnswer, ProtocolError, Iec21Error, HdlcError) as exc:
        return _fail(EXIT_NO_ANSWER, str(exc))
    finally:
        if tracer is not None:
            tracer.close()
    for line in lines:
        print(line)
    return EXIT_OK


Verb = Callable[[Session, argparse.Namespace], Awaitable[list[str]]]


async def _run(
    args: argparse.Namespace, endpoint: tuple[str, int] | None, verb: Verb, trace: Tracer | None
) -> list[str]:
    password = None if args.password is None else args.password.encode()
    client = args.client or (PUBLIC_CLIENT if password is None else MANAGEMENT_CLIENT)

    transport: ApduTransport
    if args.broker is not None:
        transport = await MqttTransport.connect(
            args.broker,
            args.meter,
            client_sap=client,
            server_sap=args.server,
            timeout_s=args.timeout,
            trace=trace,
        )
    elif endpoint is None:
        transport = await connect_serial(probe_target(args, client), trace)
    else:
        transport = await TcpWrapperTransport.connect(
            *endpoint,
            client_sap=client,
            server_sap=args.server,
            timeout_s=args.timeout,
            trace=trace,
        )
    async with Session(transport, password=password, timeout_s=args.timeout) as session:
        return await verb(session, args)


async def _read(session: Session, args: argparse.Namespace) -> list[str]:
    return await _with_class(session, args, lambda class_id: _read_as(session, args, class_id))


async def _read_as(session: Session, args: argparse.Namespace, class_id: int) -> list[str]:
    obis, attribute = args.obis, args.member
    value = await session.get(AttributeDescriptor(class_id, obis, attribute))
    result: dict[str, Any] = {"obis": str(obis), "class": class_id, "attribute": attribute}
    if class_id in SCALED_CLASSES and attribute == 2:
        scaler_unit = await session.get(AttributeDescriptor(class_id, obis, 3))
        number, unit = scaled(value, scaler_unit)
        result |= {"value": _json_number(number), "unit": unit}
        text = f"{number} {unit}".rstrip()
    else:
        result["value"] = to_json(value, class_id)
        text = to_text(value, class_id)
    if args.json:
        return [json.dumps(result)]
    return [f"{obis} class {class_id} attribute {attribute}", text]


async def _list(session: Session, args: argparse.Namespace) -> list[str]:
    objects = await args.objects.fetch(session)
    if args.json:
        return [json.dumps([listed.to_json() for listed in objects])]
    return [f"{o.class_id:>5}  {o.obis!s:<18} v{o.version}" for o in objects]


async def _set(session: Session, args: argparse.Namespace) -> list[str]:
    return await _with_class(session, args, lambda class_id: _set_as(session, args, class_id))


async def _set_as(session: Session, args: argparse.Namespace, class_id: int) -> list[str]:
    obis, attribute = args.obis, args.member
    descriptor = AttributeDescriptor(class_id, obis, attribute)
    if args.type is not None:
        value_type = VALUE_TYPES[args.type]
    else:
        value_type = (await session.get(descriptor)).type
    await session.set(descriptor, parse_value(args.value, value_type, class_id))
    return [json.dumps({"result": "ok"}) if args.json else "ok"]


async def _action(session: Session, args: argparse.Namespace) -> list[str]:
    return await _with_class(session, args, lambda class_id: _act_as(session, args, class_id))


async def _act_as(session: Session, args: argparse.Namespace, class_id: int) -> list[str]:
    obis, method = args.obis, args.member
    value_type = VALUE_TYPES[args.type]
    parameter = parse_value(args.value, value_type, class_id)
    returned = await session.action(MethodDescriptor(class_id, obis, method), parameter)
    return _action_result(returned, class_id, args.json)


async def _relay(session: Session, args: argparse.Namespace) -> list[str]:
    method = REMOTE_DISCONNECT if args.verb == "disconnect" else REMOTE_RECONNECT
    switch = meter_obis.GAS_VALVE if args.gas else DISCONNECT_CONTROL
    descriptor = MethodDescriptor(DISCONNECT_CONTROL_CLASS, switch, method)
    returned = await session.action(descriptor, Data.integer(0))
    return _action_result(returned, DISCONNECT_CONTROL_CLASS, args.json)


_VERBS: dict[str, Verb] = {
    "read": _read,
    "list": _list,
    "set": _set,
    "action": _action,
    "disconnect": _relay,
    "reconnect": _relay,
    **METER_VERBS,
}


def _action_result(returned: Data | None, class_id: int, as_json: bool) -> list[str]:
    if as_json:
        data = None if returned is None else to_json(returned, class_id)
        return [json.dumps({"result": "ok", "return": data})]
    return ["ok"] if returned is None else ["ok", to_text(returned, class_id)]


# ---------------------------------------------------------------- helpers


async def _with_class(
    session: Session, args: argparse.Namespace, use: Callable[[int], Awaitable[T]]
) -> T:
    """``use`` the object's class: ``--class``, else the cached object list's, else (not
    cached, or refused as another meter's class: a different meter now at that address) the
    class in the list fetched again from the meter."""
    if args.class_id:
        return await use(args.class_id)
    cached = args.objects.cached_class(args.obis)
    if cached is not None:
        try:
            return await use(cached)
        except AccessRefused as refused:
            if refused.result not in OTHER_OBJECT:
                raise
    class_id = await args.objects.listed_class(session, args.obis)
    if class_id is None:
        raise NotOnMeter(f"{args.obis} is not in the meter's object list (or give --class)")
    return await use(class_id)


def _meter_name(args: argparse.Namespace, endpoint: tuple[str, int] | None) -> str:
    """What names the meter for its object-list cache: the TCP address, the MQTT serial, or the
    optical port's device and HDLC physical address."""
    if endpoint is not None:
        return f"tcp:{endpoint[0]}:{endpoint[1]}"
    if args.broker is not None:
        return f"mqtt:{args.meter}"
    physical = "default" if args.physical is None else args.physical
    return f"serial:{args.serial}@{physical}"


def _target(text: str, default: int | None) -> tuple[Obis, int]:
    """``OBIS[:N]``: the last ``:N`` after a full ``A-B:C.D.E.F`` or a dotted form."""
    head, sep, tail = text.rpartition(":")
    if sep and tail.isdigit() and ("-" not in text or ("-" in head and ":" in head)):
        return Obis.parse(head), int(tail)
    if default is None:
        raise UsageProblem(f"{text!r}: give the method as OBIS:METHOD, like 0-0:96.3.10.255:1")
    return Obis.parse(text), default


def parse_value(text: str, value_type: DataType, class_id: int | None = None) -> Data:
    """A command-line value as ``value_type``: ``true``/``false``, integers, ``0x..`` hex or text
    for octet-strings, ISO 8601 for a clock's date-time octet-string."""
    if value_type in (DataType.NULL_DATA, DataType.DONT_CARE):
        return Data(value_type, None)
    if value_type is DataType.BOOLEAN:
        if text.lower() not in ("true", "false", "1", "0"):
            raise UsageProblem(f"boolean value must be true or false, got {text!r}")
        return Data.boolean(text.lower() in ("true", "1"))
    if value_type in (DataType.FLOAT32, DataType.FLOAT64):
        return Data(value_type, float(text))
    if value_type in (DataType.VISIBLE_STRING, DataType.UTF8_STRING):
        return Data(value_type, text)
    if value_type in (DataType.OCTET_STRING, DataType.DATE_TIME, DataType.DATE, DataType.TIME):
        return Data(value_type, _octets(text, class_id))
    if value_type is DataType.BIT_STRING:
        return Data.bit_string(BitString.from_bits(text))
    try:
        return Data(value_type, int(text, 0))
    except ValueError:
        raise UsageProblem(f"{value_type.name.lower()} needs an integer, got {text!r}") from None


def _octets(text: str, class_id: int | None) -> bytes:
    if text.startswith("0x"):
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            raise UsageProblem(f"not hex: {text!r}") from None
    if class_id == CLOCK_CLASS:
        try:
            moment = parse_local(text)
        except ValueError:
            raise UsageProblem(f"clock time must be ISO 8601, got {text!r}") from None
        return CosemDateTime.from_datetime(moment).to_bytes()
    return text.encode()


def _json_number(number: Decimal) -> int | str:
    """Integral values as JSON numbers; fractions as exact decimal strings (never floats)."""
    return int(number) if number == number.to_integral_value() else str(number)


def _fail(code: int, message: str) -> int:
    print(f"vmeter headend: {message}", file=sys.stderr)
    return code
