"""`vmeter card`: make, reload and read budget-meter card files (rules B3, B4, B11).

    vmeter card new FILE --card-id N --meter SERIAL   the operator issues a card bound to a meter
    vmeter card load FILE --amount 20.00              a shop terminal reloads it (B4: only after
                                                      the card went through its meter once)
    vmeter card show FILE [--json]                    what the card holds

A card file is the raw card image (`firmware.prepayment.card_image`). Exit codes: 0 ok,
1 the terminal refused the card, 2 usage error (bad file, bad amount).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Final

from firmware.errors import FirmwareError
from firmware.prepayment.card_image import CardError, CardImage, CardRefusal
from firmware.rules.credit import validate_top_up
from firmware.rules.localtime import to_local
from firmware.rules.money import ZERO, Money

EXIT_OK: Final = 0
EXIT_REFUSED: Final = 1
EXIT_USAGE: Final = 2


def configure_card(parser: argparse.ArgumentParser) -> None:
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    new = verbs.add_parser("new", help="issue a new card bound to one meter (B11)")
    new.add_argument("file", type=Path, metavar="FILE")
    new.add_argument("--card-id", type=int, required=True, metavar="N")
    new.add_argument("--meter", required=True, metavar="SERIAL", help="the meter it is bound to")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    load = verbs.add_parser("load", help="reload the card at a shop terminal (B4)")
    load.add_argument("file", type=Path, metavar="FILE")
    load.add_argument("--amount", required=True, metavar="EUR", help="e.g. 20.00 (5 to 250)")
    show = verbs.add_parser("show", help="print what the card holds")
    show.add_argument("file", type=Path, metavar="FILE")
    show.add_argument("--json", action="store_true", help="machine-readable output")


def card_command(args: argparse.Namespace) -> int:
    try:
        if args.verb == "new":
            return _new(args.file, args.card_id, args.meter, args.force)
        if args.verb == "load":
            return _load(args.file, args.amount)
        return _show(args.file, args.json)
    except OSError as error:
        return _fail(EXIT_USAGE, f"{args.file}: {error.strerror}")
    except CardError as error:
        refused = error.reason is CardRefusal.NOT_WRITTEN_BACK
        return _fail(EXIT_REFUSED if refused else EXIT_USAGE, str(error))
    except FirmwareError as error:
        return _fail(EXIT_USAGE, str(error))


def _new(file: Path, card_id: int, meter: str, force: bool) -> int:
    card = CardImage(card_id=card_id, meter_id=meter, transaction_counter=0, credit_to_load=ZERO)
    with file.open("wb" if force else "xb") as out:
        out.write(card.build())
    print(f"card {card_id} bound to meter {meter} written to {file}")
    print("insert it in the meter once before its first reload (rule B4)")
    return EXIT_OK


def _load(file: Path, amount_text: str) -> int:
    amount = validate_top_up(Money.parse(amount_text))
    card = CardImage.parse(file.read_bytes())
    reloaded = card.loaded(amount)
    file.write_bytes(reloaded.build())
    print(
        f"loaded {amount} EUR on card {card.card_id} (transaction {reloaded.transaction_counter})"
    )
    return EXIT_OK


def _show(file: Path, as_json: bool) -> int:
    card = CardImage.parse(file.read_bytes())
    data = card.meter_data
    fields: dict[str, object] = {
        "card_id": card.card_id,
        "meter": card.meter_id,
        "transaction": card.transaction_counter,
        "credit_to_load": str(card.credit_to_load),
        "written_back": data is not None,
    }
    if data is not None:
        fields |= {
            "written_at": to_local(data.written_at).isoformat(),
            "balance": str(data.balance),
            "debt": str(data.debt),
            "total_loaded": str(data.total_loaded),
            "energy_kwh": f"{data.energy_wh // 1000}",
        }
    if as_json:
        print(json.dumps(fields))
    else:
        for name, value in fields.items():
            print(f"{name.replace('_', ' '):15} {value}")
    return EXIT_OK


def _fail(code: int, message: str) -> int:
    print(f"vmeter card: error: {message}", file=sys.stderr)
    return code
