"""The ``vmeter`` command line: a registry of sub-commands built on argparse.

To add a sub-command, append a ``Command`` to ``COMMANDS``; to add an option to ``vmeter run``,
add it in ``add_run_arguments`` (and read it in ``run_command``). Exit codes: 0 ok,
2 usage or configuration error (one clear line, no traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cosem.trace import Tracer, open_trace
from display.text import render_line
from emulator.card_cli import card_command, configure_card
from emulator.config import (
    KINDS,
    ConfigError,
    LoadConfig,
    MeterConfig,
    default_config_text,
    load_config,
    parse_config,
    parse_instant,
    parse_until,
)
from emulator.token_cli import configure_token, token_command
from firmware.errors import FirmwareError
from firmware.rules.localtime import to_local
from hal.clock import ClockError, checked_speed
from hal.lcd import LcdState
from headend.cli import configure_headend, headend_command

if TYPE_CHECKING:
    from emulator.runtime import VirtualMeter

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A command-line mistake reported as one line with exit code 2."""


@dataclass(frozen=True)
class Command:
    """One sub-command: ``configure`` adds its arguments, ``handler`` runs it (exit code)."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]


# -- vmeter run ------------------------------------------------------------------------------


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``vmeter run``; each can also come from the configuration file (the
    command line wins)."""
    parser.add_argument("--config", metavar="FILE", type=Path, help="meter configuration (YAML)")
    parser.add_argument(
        "--kind", choices=KINDS, help="meter kind (without --config: its default configuration)"
    )
    parser.add_argument(
        "--state", metavar="DIR", type=Path, help="state directory (NVM); kept across runs"
    )
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument(
        "--speed", metavar="N", type=float, help="run at N times real time (default 1)"
    )
    pace.add_argument(
        "--instant", action="store_true", default=None, help="jump from event to event"
    )
    parser.add_argument(
        "--start", metavar="ISO", help="start time (ISO; no offset = Brussels); default now"
    )
    parser.add_argument(
        "--until", metavar="ISO|+DUR", help="stop at this time or after +1d, +6h, +30m, +90s"
    )
    parser.add_argument(
        "--with-gas",
        action="store_true",
        help="an electricity meter with a gas meter on M-Bus channel 1 (served by its COSEM)",
    )
    load = parser.add_mutually_exclusive_group()
    load.add_argument("--load", metavar="FILE", type=Path, help="CSV of 15-minute load values")
    load.add_argument(
        "--load-watts", metavar="N", type=int, help="constant net load in W (negative = export)"
    )
    tcp = parser.add_mutually_exclusive_group()
    tcp.add_argument(
        "--tcp", metavar="HOST:PORT", help="COSEM TCP wrapper server (default 127.0.0.1:4059)"
    )
    tcp.add_argument("--no-tcp", action="store_true", help="no COSEM TCP server")
    parser.add_argument(
        "--trace", metavar="FILE|-", help="write each COSEM frame, hex and decoded, to FILE or -"
    )
    parser.add_argument(
        "--serial",
        metavar="DEVICE|pty",
        help="optical port (IEC 62056-21 mode C/E, HDLC) on DEVICE, or on a new pty (its path "
        "is printed)",
    )
    parser.add_argument("--tcp-hdlc", metavar="HOST:PORT", help="HDLC frames over TCP")
    parser.add_argument(
        "--mqtt",
        metavar="URL|embedded[:PORT]",
        help="DLMS over MQTT: a broker (mqtt://user:pass@host:port, mqtts://..?ca=FILE) or an "
        "embedded one on 127.0.0.1",
    )


def config_from_args(args: argparse.Namespace) -> MeterConfig:
    """The configuration file (or defaults) with the command-line options applied."""
    if args.config:
        config = load_config(args.config)
        if args.kind is not None and args.kind != config.kind:
            raise ConfigError(f"--kind {args.kind}, but {args.config} is a {config.kind} meter")
    else:
        config = parse_config(default_config_text(args.kind)) if args.kind else MeterConfig()
    run = config.run
    if args.state is not None:
        run = replace(run, state=args.state)
    if args.speed is not None:
        run = replace(run, speed=speed_option(args.speed), instant=False)
    if args.instant:
        run = replace(run, instant=True)
    if args.start is not None:
        run = replace(run, start=parse_instant(args.start))
    if args.until is not None:
        run = replace(run, until=parse_until(args.until))
    if args.with_gas:
        run = replace(run, with_gas=True)
    load = config.load
    if args.load is not None:
        load = LoadConfig(watts=None, csv=args.load)
    elif args.load_watts is not None:
        load = LoadConfig(watts=args.load_watts)
    communication = config.communication
    if args.tcp is not None:
        communication = replace(communication, tcp=args.tcp)
    elif args.no_tcp:
        communication = replace(communication, tcp=None)
    if args.serial is not None:
        communication = replace(communication, serial=args.serial)
    if args.mqtt is not None:
        communication = replace(communication, mqtt=args.mqtt)
    return replace(config, run=run, load=load, communication=communication)


def speed_option(speed: float) -> float:
    """``--speed N``: a finite positive number (ConfigError otherwise)."""
    try:
        return checked_speed(speed)
    except ClockError as error:
        raise ConfigError(f"--{error}") from None


def print_lcd(moment: datetime, state: LcdState) -> None:
    """Print one LCD change with the local time."""
    print(f"{to_local(moment):%Y-%m-%d %H:%M:%S %Z}  {render_line(state)}", flush=True)


def print_gas_lcd(moment: datetime, state: LcdState) -> None:
    """The M-Bus gas meter's LCD under ``--with-gas``, prefixed ``gas``."""
    print(f"{to_local(moment):%Y-%m-%d %H:%M:%S %Z}  gas {render_line(state)}", flush=True)


def print_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def serve(
    virtual: VirtualMeter, config: MeterConfig, tcp_hdlc: str | None, tracer: Tracer | None
) -> None:
    """Run the meter with the services its configuration asks for, all on one event loop.
    SIGTERM stops it like Ctrl-C: the run is cancelled, and the runtime saves on the way out."""
    stopping = asyncio.current_task()
    assert stopping is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.cancel)
    communication = config.communication
    if communication.serial is not None or tcp_hdlc is not None:
        from emulator.serial_service import start_serial_services

        start_serial_services(virtual, config, tcp_hdlc, announce=print_stderr, trace=tracer)
    if communication.mqtt is not None:
        from emulator.mqtt_service import run_cli as run_mqtt

        await run_mqtt(virtual, config, communication.mqtt, tracer)
    elif communication.tcp is None:
        await virtual.run()
    else:
        from emulator.tcp_service import run_cli

        await run_cli(virtual, config, communication.tcp, tracer)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_command(args: argparse.Namespace) -> int:
    from emulator.runtime import VirtualMeter

    config = config_from_args(args)
    if config.run.instant and config.run.until is None:
        raise ConfigError("--instant needs --until (or run.until in the file)")
    # SIGTERM stops the meter like Ctrl-C from the start, also before serve() hands it to the
    # event loop: the meter is saved, never killed half-way.
    signal.signal(signal.SIGTERM, _interrupt)
    virtual = VirtualMeter(config, config.run, on_lcd=print_lcd, on_gas_lcd=print_gas_lcd)
    try:
        tracer = open_trace(args.trace)  # one trace for every service: '-' is stderr
    except OSError as error:
        raise ConfigError(f"--trace {args.trace}: {error.strerror or error}") from error
    try:
        asyncio.run(serve(virtual, config, args.tcp_hdlc, tracer))
    except (KeyboardInterrupt, asyncio.CancelledError):
        virtual.shutdown()  # no-op when the run loop already saved
        print("stopped; state saved" if config.run.state else "stopped", file=sys.stderr)
    finally:
        if tracer is not None:
            tracer.close()
    return EXIT_OK


# -- vmeter config init ----------------------------------------------------------------------


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init",
        help="write a documented default configuration",
        description="Write a documented default meter configuration (YAML).",
    )
    init.add_argument("--kind", choices=KINDS, default="electricity", help="meter kind")
    init.add_argument(
        "--output", "-o", metavar="FILE", type=Path, help="file to write (default: stdout)"
    )
    init.add_argument("--force", action="store_true", help="overwrite an existing file")


def config_command(args: argparse.Namespace) -> int:
    text = default_config_text(args.kind)
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    if args.output.exists() and not args.force:
        raise UsageError(f"{args.output} exists; use --force to overwrite it")
    try:
        args.output.write_text(text)
    except OSError as error:
        raise UsageError(f"{args.output}: {error.strerror}") from error
    print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK


# -- vmeter demo -----------------------------------------------------------------------------


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--start",
        metavar="ISO",
        default="2026-11-25T22:00",
        help="when the meters are installed, Brussels time (default: a Wednesday evening)",
    )


def demo_command(args: argparse.Namespace) -> int:
    from emulator.demo import run_demo

    run_demo(parse_instant(args.start))
    return EXIT_OK


# -- vmeter replay / record (emulator.scenario.cli) ------------------------------------------


def configure_replay(parser: argparse.ArgumentParser) -> None:
    from emulator.scenario.cli import configure_replay as configure

    configure(parser)


def replay_command(args: argparse.Namespace) -> int:
    from emulator.scenario.cli import replay_command as replay

    return replay(args)


def add_record_arguments(parser: argparse.ArgumentParser) -> None:
    from emulator.scenario.cli import add_record_arguments as add_output

    add_output(parser)
    add_run_arguments(parser)


def record_command(args: argparse.Namespace) -> int:
    from emulator.scenario.cli import record_command as record

    return record(args, config_from_args(args))


# -- vmeter tui (emulator.tui.command) -------------------------------------------------------


def add_tui_arguments(parser: argparse.ArgumentParser) -> None:
    from emulator.tui.command import add_tui_options

    add_run_arguments(parser)
    add_tui_options(parser)


def tui_command(args: argparse.Namespace) -> int:
    from emulator.tui.command import tui_command as tui

    return tui(args, config_from_args(args))


COMMANDS: list[Command] = [
    Command("run", "run one virtual meter, printing LCD changes", add_run_arguments, run_command),
    Command("config", "meter configuration files", add_config_arguments, config_command),
    Command(
        "demo",
        "five days of central prepayment: two meters and the live platform over MQTT",
        add_demo_arguments,
        demo_command,
    ),
    Command("headend", "talk to a meter as the head-end", configure_headend, headend_command),
    Command("card", "budget-meter card files: new, load, show", configure_card, card_command),
    Command("token", "meter-side prepayment top-up tokens: make", configure_token, token_command),
    Command(
        "replay",
        "replay a scenario file headless: timeline, PASS/FAIL per expectation",
        configure_replay,
        replay_command,
    ),
    Command(
        "record",
        "run a meter, read actions on stdin, write them as a scenario file",
        add_record_arguments,
        record_command,
    ),
    Command(
        "tui",
        "the meter on screen: LCD, buttons, card slot, panels, replay controls",
        add_tui_arguments,
        tui_command,
    ),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vmeter",
        description="A virtual Belgian-style smart meter (electricity, gas, budget card) with "
        "prepayment, its DLMS/COSEM server, a head-end and the central prepayment platform.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        sub_parser = sub.add_parser(command.name, help=command.help, description=command.help)
        command.configure(sub_parser)
        sub_parser.set_defaults(handler=command.handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (ConfigError, FirmwareError, UsageError) as error:
        print(f"vmeter: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # before a meter was running: nothing to save
        print("vmeter: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
