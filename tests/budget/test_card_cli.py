"""`vmeter card new|load|show` end to end, with the card going through a meter (rules B4, B11)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from budget_support import EUR as eur
from budget_support import RESERVE, SERIAL, Bench

from firmware.prepayment.card_image import CardImage


def vmeter(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator.cli", "card", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_issue_reload_and_insert_a_card(tmp_path: Path) -> None:  # rules B3, B4
    file = tmp_path / "card.bin"
    issued = vmeter("new", file, "--card-id", "7", "--meter", SERIAL)
    assert issued.returncode == 0, issued.stderr
    assert "B4" in issued.stdout

    refused = vmeter("load", file, "--amount", "20.00")  # never inserted in its meter
    assert refused.returncode == 1
    assert "insert the card in the meter" in refused.stderr

    bench = Bench()
    file.write_bytes(bench.load(CardImage.parse(file.read_bytes())).build())
    shown = json.loads(vmeter("show", file, "--json").stdout)
    assert shown["written_back"] is True and shown["balance"] == "23.62"

    reloaded = vmeter("load", file, "--amount", "20.00")
    assert reloaded.returncode == 0, reloaded.stderr
    shown = json.loads(vmeter("show", file, "--json").stdout)
    assert (shown["credit_to_load"], shown["transaction"]) == ("20.00", 1)
    assert vmeter("load", file, "--amount", "20.00").returncode == 1  # not again before the meter

    file.write_bytes(bench.load(CardImage.parse(file.read_bytes())).build())
    assert bench.account.balance == RESERVE + eur("20")
    text = vmeter("show", file).stdout
    assert "total loaded" in text and "20.00" in text


def test_bad_input_is_one_clear_line(tmp_path: Path) -> None:
    file = tmp_path / "card.bin"
    assert vmeter("new", file, "--card-id", "7", "--meter", SERIAL).returncode == 0
    again = vmeter("new", file, "--card-id", "8", "--meter", SERIAL)
    assert again.returncode == 2 and "File exists" in again.stderr
    too_much = vmeter("load", file, "--amount", "900")
    assert too_much.returncode == 2 and "250.00" in too_much.stderr
    missing = vmeter("show", tmp_path / "none.bin")
    assert missing.returncode == 2 and "No such file" in missing.stderr
    (tmp_path / "junk.bin").write_bytes(b"not a card")
    junk = vmeter("show", tmp_path / "junk.bin")
    assert junk.returncode == 2 and "malformed" in junk.stderr
    assert "Traceback" not in junk.stderr + missing.stderr + too_much.stderr
