"""``vmeter headend --mqtt URL --meter SERIAL watch [--count N] [--timeout S] [--json]``: print
the meters' event pushes (``headend.push_events``) as they arrive, one line each: local time,
serial (and ``gas`` for the gas meter's), event, the meter's text, then balance, emergency
credit and the state of the relay or valve.

``--meter +`` watches every meter of the broker. Without ``--count`` and ``--timeout`` it runs
until Ctrl-C. ``watching ...`` goes to stderr once subscribed, so stdout holds only events.
``--session NAME`` keeps a persistent session at the broker: the pushes sent while no watch
of that name runs are delivered to the next one (QoS 1), none is lost.
Exit codes: 0 ok (``--count`` pushes seen, or ``--timeout`` over without ``--count``), 2
usage, 3 broker unreachable or fewer than ``--count`` pushes before ``--timeout``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import secrets
import sys
from collections.abc import Callable
from typing import Any

import aiomqtt

from cosem.errors import DecodeError
from firmware.rules.localtime import to_local
from headend.mqtt import (
    QOS,
    BrokerAddress,
    MeterTopics,
    check_topic_level,
    mqtt_client,
    parse_broker_url,
)
from headend.push_events import PushEvent, parse_push
from headend.session import DEFAULT_TIMEOUT_S

EXIT_OK, EXIT_USAGE, EXIT_NO_ANSWER = 0, 2, 3
EVERY_METER = "+"
CURRENCY = "EUR"


def add_watch_verb(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``watch`` verb on ``vmeter headend``'s sub-parsers."""
    watch = verbs.add_parser("watch", help="print event pushes as they arrive (--mqtt)")
    watch.add_argument("--count", type=int, help="stop after N pushes")
    watch.add_argument(
        "--timeout", dest="watch_timeout", type=float, metavar="S", help="stop after S seconds"
    )
    watch.add_argument("--json", dest="watch_json", action="store_true", help="one JSON a line")
    watch.add_argument("--session", metavar="NAME", help="persistent session: miss no push")


def watch_command(args: argparse.Namespace) -> int:
    """Run ``watch``; an outcome is an exit code, a problem one line on stderr."""
    if not args.mqtt or not args.meter:
        return _fail(EXIT_USAGE, "watch needs --mqtt URL and --meter SERIAL (or --meter '+')")
    if args.count is not None and args.count < 1:
        return _fail(EXIT_USAGE, f"--count must be at least 1, got {args.count}")
    if args.watch_timeout is not None and not 0 < args.watch_timeout < math.inf:
        return _fail(EXIT_USAGE, f"--timeout must be a positive number, got {args.watch_timeout}")
    try:
        address = parse_broker_url(args.mqtt)
        topic = push_topic(args.meter)
        if args.session:
            check_topic_level(args.session, "--session")
    except ValueError as error:
        return _fail(EXIT_USAGE, str(error))
    as_json = args.json or args.watch_json

    def show(event: PushEvent) -> None:
        print(json.dumps(event_json(event)) if as_json else event_line(event), flush=True)

    def subscribed() -> None:
        print(f"watching {topic} on {address}", file=sys.stderr, flush=True)

    try:
        seen = asyncio.run(
            watch(
                address,
                topic,
                show,
                count=args.count,
                timeout_s=args.watch_timeout,
                session=args.session,
                subscribed=subscribed,
            )
        )
    except (aiomqtt.MqttError, OSError) as error:
        return _fail(EXIT_NO_ANSWER, f"broker {address}: {error}")
    except KeyboardInterrupt:
        return EXIT_OK
    if args.count is not None and seen < args.count:
        return _fail(
            EXIT_NO_ANSWER, f"{seen} of {args.count} pushes within {args.watch_timeout:g} s"
        )
    return EXIT_OK


def push_topic(meter: str) -> str:
    """``vmeter/<serial>/push``, or ``vmeter/+/push`` for every meter."""
    if meter == EVERY_METER:
        return f"vmeter/{EVERY_METER}/push"
    return MeterTopics(meter).push


async def watch(
    address: BrokerAddress,
    topic: str,
    show: Callable[[PushEvent], None],
    *,
    count: int | None = None,
    timeout_s: float | None = None,
    session: str | None = None,
    subscribed: Callable[[], None] | None = None,
) -> int:
    """Show each push on ``topic`` until ``count`` were shown or ``timeout_s`` is over;
    returns how many were shown. ``session`` names a persistent session (else a clean one);
    ``subscribed`` is called once the broker has the subscription. A message that is not an
    event push is reported on stderr."""
    seen = 0
    name = check_topic_level(session, "session") if session else secrets.token_hex(4)
    client = mqtt_client(
        address,
        identifier=f"vmeter-watch-{name}",
        clean_session=session is None,
        timeout_s=DEFAULT_TIMEOUT_S,
    )
    async with client:
        await client.subscribe(topic, qos=QOS)
        if subscribed is not None:
            subscribed()
        try:
            async with asyncio.timeout(timeout_s):
                async for message in client.messages:
                    if not message.topic.matches(topic):
                        continue  # amqtt also delivers retained messages of other topics
                    try:
                        event = parse_push(message.payload)
                    except DecodeError as error:
                        print(
                            f"{message.topic.value}: not an event push ({error})", file=sys.stderr
                        )
                        continue
                    show(event)
                    seen += 1
                    if seen == count:
                        break
        except TimeoutError:
            pass
    return seen


def event_line(event: PushEvent) -> str:
    """``2026-03-04 08:30:00 CET  VM0000000001  low credit  "<text>"  [balance 4.95 EUR, ...]``"""
    when = f"{to_local(event.at):%Y-%m-%d %H:%M:%S %Z}"
    meter = f"{event.serial} gas" if event.energy == "gas" else event.serial
    values = (
        f"balance {event.balance} {CURRENCY}, emergency credit {event.emergency_credit} "
        f"{CURRENCY}, {event.switch} {event.supply}"
    )
    return f'{when}  {meter}  {event.event}  "{event.text}"  [{values}]'


def event_json(event: PushEvent) -> dict[str, Any]:
    """Money as exact decimal strings (never floats), the time in ISO 8601 with its offset."""
    return {
        "serial": event.serial,
        "energy": event.energy,
        "time": to_local(event.at).isoformat(),
        "code": event.code,
        "event": event.event,
        "text": event.text,
        "balance": str(event.balance),
        "emergency_credit": str(event.emergency_credit),
        "currency": CURRENCY,
        event.switch: event.supply,
        "invoke_id": event.invoke_id,
    }


def _fail(code: int, message: str) -> int:
    print(f"vmeter headend watch: {message}", file=sys.stderr)
    return code
