"""The head-end's meter-operation verbs (rules E3, E4, P6) on ``vmeter headend TARGET ...``:

    profile --from ISO --to ISO    the load profile's entries between the two times (E3)
    limit WATTS                    the power limit (E4, P4; meter mode with a limiter)
    balance [--at ISO] --balance EUR --emergency EUR   the 94.32.2 display update (E4, E7)
    topup SERIAL EUR --key HEX [--seq N]   meter-side mode: a Token gateway token (P6)

Each is one ``headend.operations`` call over the target's session; operating verbs need the
management client (``--password``). The last line printed is the value (``ok``, a profile's
last entry, the balance after a token); ``--json`` prints one JSON document instead.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from firmware.rules.credit import CreditError, validate_top_up
from firmware.rules.localtime import parse_local
from firmware.rules.money import Money, MoneyError
from firmware.rules.token import TokenError, default_seq, make_token
from headend import meter_obis
from headend.operations import push_balance, read_profile_rows, send_token, set_power_limit
from headend.platform.decisions import BalancePush
from headend.session import Session

MeterVerb = Callable[[Session, argparse.Namespace], Awaitable[list[str]]]
MAX_WATTS = 2**32 - 1


def add_meter_verbs(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    profile = verbs.add_parser("profile", help="load profile entries between two times (E3)")
    profile.add_argument("--from", dest="since", required=True, type=moment, metavar="ISO")
    profile.add_argument("--to", dest="until", required=True, type=moment, metavar="ISO")
    limit = verbs.add_parser("limit", help="set the power limit in W (E4, P4; management)")
    limit.add_argument("watts", type=watts, metavar="WATTS")
    balance = verbs.add_parser("balance", help="update the 94.32.2 balance display (E4, E7)")
    balance.add_argument("--at", type=moment, metavar="ISO", help="balance time (default now)")
    balance.add_argument("--balance", dest="amount", required=True, type=euros, metavar="EUR")
    balance.add_argument("--emergency", required=True, type=euros, metavar="EUR")


def add_token_arguments(topup: argparse.ArgumentParser) -> None:
    """Meter-side mode options of ``topup`` (the verb itself is ``headend.platform_cli``'s)."""
    topup.add_argument("--key", metavar="HEX", help="meter-side mode: the meter's token key")
    topup.add_argument("--seq", type=int, metavar="N", help="token sequence (default: minutes)")


async def profile_verb(session: Session, args: argparse.Namespace) -> list[str]:
    rows = await read_profile_rows(session, args.since, args.until)
    names = [str(obis) for obis in meter_obis.ENERGY_REGISTERS]
    if args.json:
        entries = [
            {"at": at.isoformat(), **dict(zip(names, values, strict=True))} for at, values in rows
        ]
        return [json.dumps(entries)]
    header = f"{len(rows)} entries, Wh: " + " ".join(names)
    return [header, *(f"{at.isoformat()}  " + " ".join(map(str, v)) for at, v in rows)]


async def limit_verb(session: Session, args: argparse.Namespace) -> list[str]:
    await set_power_limit(session, args.watts)
    return [json.dumps({"result": "ok", "watts": args.watts}) if args.json else "ok"]


async def balance_verb(session: Session, args: argparse.Namespace) -> list[str]:
    at = args.at or datetime.now(UTC).replace(microsecond=0)
    await push_balance(
        session, BalancePush(at, args.amount.milli_cents, args.emergency.milli_cents)
    )
    return [json.dumps({"result": "ok"}) if args.json else "ok"]


async def token_topup_verb(session: Session, args: argparse.Namespace) -> list[str]:
    """P6 in meter-side mode: the token (made by ``prepare_meter_verb``) entered on the meter."""
    said = await send_token(session, args.token)
    return [json.dumps({"result": "ok", "meter": list(said)})] if args.json else list(said)


def prepare_meter_verb(args: argparse.Namespace) -> None:
    """Checks done before connecting, so a typo is not a network problem: ``topup`` makes its
    token (``args.token``). ValueError saying what is wrong."""
    if args.verb == "topup":
        args.token = _topup_token(args)
    if args.verb == "profile" and args.since > args.until:
        raise ValueError(f"--from {args.since.isoformat()} is after --to {args.until.isoformat()}")


def _topup_token(args: argparse.Namespace) -> str:
    if args.key is None:
        raise ValueError("topup needs --db FILE (central mode) or --key HEX (meter-side mode)")
    try:
        key = bytes.fromhex(args.key)
        amount = validate_top_up(Money.parse(args.amount))
        seq = args.seq if args.seq is not None else default_seq(datetime.now(UTC))
        return make_token(key, args.meter_serial, seq, amount)
    except (CreditError, MoneyError, TokenError) as error:
        raise ValueError(str(error)) from None


METER_VERBS: dict[str, MeterVerb] = {
    "profile": profile_verb,
    "limit": limit_verb,
    "balance": balance_verb,
    "topup": token_topup_verb,
}


# ---------------------------------------------------------------- argument types


def moment(text: str) -> datetime:
    """ISO 8601, as an aware datetime; without an offset, Brussels local time."""
    try:
        return parse_local(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None


def euros(text: str) -> Money:
    try:
        return Money.parse(text)
    except MoneyError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def watts(text: str) -> int:
    if not text.isdigit() or int(text) > MAX_WATTS:
        raise argparse.ArgumentTypeError(f"watts: a whole number 0..{MAX_WATTS}, got {text!r}")
    return int(text)
