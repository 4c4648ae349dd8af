"""``vmeter tui``: the options of ``vmeter run`` plus ``--scenario FILE`` (replay a scenario
on screen, paused at its start) and ``--record FILE`` (write the session's inputs as a
scenario when quitting). Textual is imported only when the command runs."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from emulator.config import ConfigError, MeterConfig
from emulator.runtime import VirtualMeter


def add_tui_options(parser: argparse.ArgumentParser) -> None:
    """The TUI's own options (the run options are added by ``emulator.cli``)."""
    parser.add_argument(
        "--scenario",
        metavar="FILE",
        type=Path,
        help="replay this scenario on screen (its meter, start and steps); starts paused",
    )
    parser.add_argument(
        "--record",
        metavar="FILE",
        type=Path,
        help="on quit, write the buttons, card and breaker inputs as a scenario file",
    )


def tui_command(args: argparse.Namespace, config: MeterConfig) -> int:
    """Run the app until the technician quits; the meter is saved on the way out. ``config``
    is the run options' configuration (unused for the meter of a ``--scenario``)."""
    from cosem.trace import open_trace
    from emulator.scenario.cli import config_section
    from emulator.scenario.loader import load_scenario
    from emulator.scenario.player import ScenarioPlayer, build_virtual
    from emulator.scenario.recorder import Recorder, check_destination
    from emulator.tui.app import MeterApp

    if config.run.instant:
        raise ConfigError("the terminal UI runs in time: use --speed N (and its replay controls)")
    if args.scenario is not None and args.record is not None:
        raise ConfigError("--record writes a live session: leave out --scenario")
    if args.record is not None and args.record.exists():
        raise ConfigError(f"{args.record} exists; remove it or choose another file")
    if args.record is not None:
        check_destination(args.record)
    if args.trace == "-":
        raise ConfigError("--trace -: the terminal shows the app; give a FILE")
    check_addresses(args)
    scenario = load_scenario(args.scenario) if args.scenario is not None else None
    run = config.run
    if scenario is not None:
        # The scenario's meter (serving what its file asks, by default nothing), plus the
        # services asked for on the command line.
        asked = {"tcp": args.tcp, "serial": args.serial, "mqtt": args.mqtt}
        communication = replace(
            scenario.config.communication,
            **{name: value for name, value in asked.items() if value is not None},
        )
        config = replace(scenario.config, communication=communication)
        virtual = build_virtual(scenario, instant=False, speed=run.speed, state=run.state)
    else:
        virtual = VirtualMeter(config, run)
    recorder = None
    if args.record is not None:
        recorder = Recorder(config.kind, config_section(args), virtual.clock.now())
    try:
        tracer = open_trace(args.trace)
    except OSError as error:
        raise ConfigError(f"--trace {args.trace}: {error.strerror or error}") from error
    app = MeterApp(
        virtual,
        config,
        start_paused=scenario is not None,
        on_action=recorder.record if recorder is not None else None,
        tcp_hdlc=args.tcp_hdlc,
        tracer=tracer,
    )
    if scenario is not None:
        app.follow(ScenarioPlayer(scenario, virtual, app.show_timeline))
    try:
        app.run()
    finally:
        if recorder is not None:
            recorder.save(args.record, virtual)
        virtual.shutdown()  # no-op when quitting saved it already
        if tracer is not None:
            tracer.close()
    if recorder is not None:
        print(f"wrote {args.record} ({len(recorder.actions)} actions)")
    print("stopped; state saved" if run.state else "stopped")
    return 0


def check_addresses(args: argparse.Namespace) -> None:
    """A malformed address is a usage error before the screen opens, as for ``vmeter run``
    (a port already taken shows in the app, like any service trouble)."""
    from emulator.broker import parse_mqtt_target
    from emulator.tcp_service import parse_endpoint

    for option, text, parse in (
        ("--tcp", args.tcp, parse_endpoint),
        ("--tcp-hdlc", args.tcp_hdlc, parse_endpoint),
        ("--mqtt", args.mqtt, parse_mqtt_target),
    ):
        if text is not None:
            try:
                parse(text)
            except ValueError as error:
                raise ConfigError(f"{option}: {error}") from None
