"""`vmeter token make`: print a top-up token for a meter in meter-side mode (rules P6, M5).

    vmeter token make --meter SERIAL --amount 20.00 [--seq N] [--key HEX | --config FILE]

The key is the meter's `security.token_key` (from `--config`, or `--key` as hex). Each meter
accepts only sequence numbers above the last it credited, so the default `--seq` is the number
of minutes since 2024-01-01 UTC: a later token always counts higher. The token is entered on
the meter by the head-end: `vmeter headend ... action 0-0:19.40.0.255:1 TOKEN --type
octet-string`. Exit codes: 0 ok, 2 usage error (bad key, amount, sequence or file).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from emulator.config import ConfigError, load_config
from firmware.rules.credit import validate_top_up
from firmware.rules.money import Money
from firmware.rules.token import default_seq, make_token

EXIT_OK: Final = 0


def configure_token(parser: argparse.ArgumentParser) -> None:
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    make = verbs.add_parser("make", help="print a top-up token for one meter (P6)")
    make.add_argument("--meter", metavar="SERIAL", help="the meter's serial (default: --config's)")
    make.add_argument("--amount", required=True, metavar="EUR", help="e.g. 20.00 (5 to 250)")
    make.add_argument(
        "--seq",
        type=int,
        metavar="N",
        help="sequence number (default: minutes since 2024-01-01 UTC)",
    )
    source = make.add_mutually_exclusive_group(required=True)
    source.add_argument("--key", metavar="HEX", help="the meter's token key, hex")
    source.add_argument("--config", type=Path, metavar="FILE", help="the meter's configuration")


def token_command(args: argparse.Namespace) -> int:
    serial: str | None = args.meter
    if args.config is not None:
        config = load_config(args.config)
        key = bytes.fromhex(config.security.token_key)
        serial = serial or config.meter.identity.serial_number
    else:
        try:
            key = bytes.fromhex(args.key)
        except ValueError:
            raise ConfigError(f"--key must be hex digits, got {args.key!r}") from None
    if serial is None:
        raise ConfigError("--meter SERIAL is required without --config")
    amount = validate_top_up(Money.parse(args.amount))
    seq = args.seq if args.seq is not None else default_seq(datetime.now(UTC))
    print(make_token(key, serial, seq, amount))
    return EXIT_OK
