"""Brief: bad CLI arguments get a clear error. Every mistake below, on the commands added this
session (tui, replay, record, headend platform/topup/watch/profile/limit/balance), ends with
exit code 2 and the problem on the last line of stderr, no traceback, before anything is
served, connected or written. Our own checks say it in exactly one line; argparse's own (a
value of the wrong type) print the usage first, as every argparse tool does."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.cli import main

TOKEN_KEY = "00112233445566778899aabbccddeeff"
NOWHERE = "127.0.0.1:1"  # nothing listens: a check made after connecting would say so (3)
BROKER = f"mqtt://{NOWHERE}"
SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "gas-leak-test-pass.yaml"


def exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as leaving:  # argparse's own errors
        assert isinstance(leaving.code, int)
        return leaving.code


OURS: dict[str, tuple[list[str], str]] = {
    # vmeter tui
    "tui: speed zero": (["tui", "--speed", "0"], "--speed must be a positive number"),
    "tui: speed NaN": (["tui", "--speed", "nan"], "--speed must be a positive number, not nan"),
    "tui: instant": (["tui", "--instant", "--until", "+1h"], "runs in time"),
    "tui: a TCP address without port": (["tui", "--tcp", "nohost"], "--tcp: expected HOST:PORT"),
    "tui: a bad broker URL": (["tui", "--mqtt", "bogus://x"], "--mqtt: bad broker URL"),
    "tui: a bad HDLC address": (["tui", "--tcp-hdlc", "x"], "--tcp-hdlc: expected HOST:PORT"),
    "tui: a bad start": (["tui", "--start", "garbage"], "not an ISO date-time"),
    "tui: a bad until": (["tui", "--until", "soon"], "not an ISO date-time"),
    "tui: no scenario": (["tui", "--scenario", "/nonexistent.yaml"], "No such file"),
    "tui: no load file": (["tui", "--load", "/nonexistent.csv"], "No such file"),
    "tui: trace to the screen": (["tui", "--trace", "-"], "--trace -"),
    # vmeter replay
    "replay: no file": (["replay", "/nonexistent.yaml"], "No such file"),
    "replay: a directory": (["replay", "/"], "Is a directory"),
    "replay: an empty file": (["replay", "/dev/null"], "empty file"),
    "replay: speed zero": (["replay", "--speed", "0", str(SCENARIO)], "positive number"),
    "replay: speed NaN": (["replay", "--speed", "nan", str(SCENARIO)], "positive number"),
    "replay: speed infinite": (["replay", "--speed", "inf", str(SCENARIO)], "positive number"),
    # vmeter record
    "record: speed NaN": (["record", "-o", "{tmp}/r.yaml", "--speed", "nan"], "positive number"),
    "record: a bad until": (["record", "-o", "{tmp}/r.yaml", "--until", "x"], "not an ISO"),
    "record: no directory": (  # refused before the session, not after it
        ["record", "-o", "/nonexistent/dir/r.yaml", "--instant", "--until", "+1h"],
        "there is no directory /nonexistent/dir",
    ),
    "tui: record to no directory": (
        ["tui", "--record", "/nonexistent/dir/r.yaml"],
        "there is no directory /nonexistent/dir",
    ),
    "record: no config": (["record", "-o", "{tmp}/r.yaml", "--config", "/no.yaml"], "No such"),
    # vmeter headend platform
    "platform: no broker": (["headend", "platform", "--db", "{tmp}/p.db"], "needs --mqtt URL"),
    "platform: a bad broker": (
        ["headend", "platform", "--db", "{tmp}/p.db", "--mqtt", "bogus://x"],
        "bad broker URL",
    ),
    "platform: speed NaN": (
        ["headend", "platform", "--db", "{tmp}/p.db", "--mqtt", BROKER, "--speed", "nan"],
        "speed must be a positive number",
    ),
    "platform: speed negative": (
        ["headend", "platform", "--db", "{tmp}/p.db", "--mqtt", BROKER, "--speed", "-3"],
        "speed must be a positive number",
    ),
    "platform: a price in words": (
        ["headend", "platform", "--db", "{tmp}/p.db", "--mqtt", BROKER, "--peak-price", "x"],
        "price: not an amount of money",
    ),
    "platform: a negative price": (
        ["headend", "platform", "--db", "{tmp}/p.db", "--mqtt", BROKER, "--gas-price", "-1"],
        "prices cannot be negative",
    ),
    "platform: a negative alert": (
        ["headend", "platform", "--db", "{tmp}/p.db", "--mqtt", BROKER, "--alert", "-5"],
        "--alert is a percentage",
    ),
    "platform: a serial no topic takes": (
        ["headend", "platform", "--db", "{tmp}/p.db", "--mqtt", BROKER, "--meter", "a/b"],
        "cannot be an MQTT topic level",
    ),
    "platform: a database nowhere": (
        ["headend", "platform", "--db", "/nonexistent/dir/p.db", "--mqtt", BROKER],
        "cannot open the platform database",
    ),
    # vmeter headend topup (meter-side: a token)
    "topup: no mode": (["headend", "--tcp", NOWHERE, "topup", "X", "10.00"], "--db FILE"),
    "topup: a key not hex": (
        ["headend", "--tcp", NOWHERE, "topup", "--key", "zz", "X", "10.00"],
        "non-hexadecimal",
    ),
    "topup: a short key": (
        ["headend", "--tcp", NOWHERE, "topup", "--key", "00", "X", "10.00"],
        "at least 16 bytes",
    ),
    "topup: an amount in words": (
        ["headend", "--tcp", NOWHERE, "topup", "--key", TOKEN_KEY, "X", "abc"],
        "not an amount of money",
    ),
    "topup: too much": (
        ["headend", "--tcp", NOWHERE, "topup", "--key", TOKEN_KEY, "X", "1000000"],
        "refused",
    ),
    "topup: a negative sequence": (
        ["headend", "--tcp", NOWHERE, "topup", "--key", TOKEN_KEY, "--seq", "-1", "X", "10.00"],
        "token sequence number must be",
    ),
    "topup: no meter": (["headend", "topup", "--key", TOKEN_KEY, "X", "10.00"], "give the meter"),
    # vmeter headend watch
    "watch: no broker": (["headend", "watch"], "watch needs --mqtt URL"),
    "watch: a bad broker": (["headend", "--mqtt", "x", "--meter", "M", "watch"], "bad broker"),
    "watch: count zero": (
        ["headend", "--mqtt", BROKER, "--meter", "M", "watch", "--count", "0"],
        "--count must be at least 1",
    ),
    "watch: a negative timeout": (
        ["headend", "--mqtt", BROKER, "--meter", "M", "watch", "--timeout", "-1"],
        "--timeout must be a positive number",
    ),
    "watch: a NaN timeout": (
        ["headend", "--mqtt", BROKER, "--meter", "M", "watch", "--timeout", "nan"],
        "--timeout must be a positive number",
    ),
    "watch: a wildcard session": (
        ["headend", "--mqtt", BROKER, "--meter", "M", "watch", "--session", "a/#"],
        "cannot be an MQTT topic level",
    ),
    "watch: a slash in the serial": (
        ["headend", "--mqtt", BROKER, "--meter", "a/b", "watch"],
        "cannot be an MQTT topic level",
    ),
    # vmeter headend --timeout: every verb waits with it, so it is refused before connecting
    "headend: a negative timeout": (
        ["headend", "--timeout", "-1", "--tcp", NOWHERE, "read", "1.8.0"],
        "--timeout must be a positive number, got -1.0",
    ),
    "headend: a NaN timeout": (
        ["headend", "--timeout", "nan", "--mqtt", BROKER, "--meter", "M", "list"],
        "--timeout must be a positive number, got nan",
    ),
    "headend: an infinite timeout": (
        ["headend", "--timeout", "inf", "--tcp", NOWHERE, "limit", "100"],
        "--timeout must be a positive number, got inf",
    ),
    "headend: a zero timeout on the platform": (
        ["headend", "--timeout", "0", "platform", "--db", "{tmp}/p.db", "--mqtt", BROKER],
        "--timeout must be a positive number, got 0.0",
    ),
    # vmeter headend profile / limit / balance
    "profile: no meter": (
        ["headend", "profile", "--from", "2026-01-01", "--to", "2026-01-02"],
        "give the meter",
    ),
    "profile: from after to": (
        ["headend", "--tcp", NOWHERE, "profile", "--from", "2026-01-02", "--to", "2026-01-01"],
        "is after --to",
    ),
    "limit: a broker without meter": (["headend", "--mqtt", BROKER, "limit", "100"], "--meter"),
    "limit: a TCP address without port": (["headend", "--tcp", "x", "limit", "100"], "HOST:PORT"),
    "balance: a port out of range": (
        ["headend", "--tcp", "h:99999", "balance", "--balance", "1", "--emergency", "1"],
        "HOST:PORT",
    ),
}

ARGPARSE: dict[str, tuple[list[str], str]] = {
    "tui: a kind unknown": (["tui", "--kind", "water"], "invalid choice: 'water'"),
    "tui: watts in words": (["tui", "--load-watts", "abc"], "invalid int value"),
    "replay: no file given": (["replay"], "required: FILE"),
    "record: no output": (["record"], "required: --output"),
    "platform: no database": (["headend", "platform", "--mqtt", BROKER], "required: --db"),
    "platform: a bad start": (
        ["headend", "platform", "--db", "x", "--start", "garbage"],
        "not an ISO 8601 time",
    ),
    "topup: a bad booking time": (
        ["headend", "topup", "--db", "x", "--at", "garbage", "X", "10"],
        "not an ISO 8601 time",
    ),
    "watch: a timeout in words": (["headend", "watch", "--timeout", "abc"], "invalid float"),
    "profile: a bad from": (
        ["headend", "--tcp", NOWHERE, "profile", "--from", "x", "--to", "2026-01-01"],
        "not an ISO 8601 time",
    ),
    "limit: watts in words": (["headend", "--tcp", NOWHERE, "limit", "abc"], "a whole number"),
    "limit: negative watts": (["headend", "--tcp", NOWHERE, "limit", "--", "-5"], "whole number"),
    "limit: watts beyond 32 bits": (
        ["headend", "--tcp", NOWHERE, "limit", "99999999999999"],
        "a whole number 0..4294967295",
    ),
    "balance: NaN euros": (
        ["headend", "--tcp", NOWHERE, "balance", "--balance", "1", "--emergency", "nan"],
        "not an amount of money: 'nan'",
    ),
    "balance: a bad time": (
        ["headend", "--tcp", NOWHERE, "balance", "--balance", "1", "--emergency", "1", "--at", "x"],
        "not an ISO 8601 time",
    ),
}


@pytest.mark.parametrize(("argv", "says"), OURS.values(), ids=OURS.keys())
def test_our_checks_say_it_in_one_line_with_exit_2(
    argv: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    assert exit_code(argv) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    assert captured.err.count("\n") == 1 and says in captured.err
    assert captured.err.startswith("vmeter")
    assert not (tmp_path / "r.yaml").exists()  # record wrote nothing


@pytest.mark.parametrize(("argv", "says"), ARGPARSE.values(), ids=ARGPARSE.keys())
def test_argparse_checks_end_with_the_error_line_and_exit_2(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_code(argv) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    last = captured.err.splitlines()[-1]
    assert last.startswith("vmeter") and "error: " in last and says in last
