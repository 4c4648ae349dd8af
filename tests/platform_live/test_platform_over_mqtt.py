"""The live platform against a central-mode meter over Mosquitto and over amqtt: enrolment,
daily collection and balance push, the cut after the non-disconnect period, a top-up from
the command line that re-enables the relay, the customer's button, the outbox topic."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from live_rig import (
    SERIAL,
    TUESDAY_0010,
    WEDNESDAY_0010,
    WEDNESDAY_0801,
    LiveMeter,
    live_platform,
    outbox_listener,
    run_cli,
    serve_central,
    until_true,
    url,
)

from firmware.disconnect_control import ControlState
from firmware.rules.money import Money
from headend.operations import remote_disconnect
from headend.platform.billing import Prices
from headend.platform.decisions import NoticeKind, Supply
from headend.platform.ledger import Ledger
from headend.platform.live import Enrolment

pytestmark = pytest.mark.timeout(90)

PRICES = Prices(peak=30_000, offpeak=30_000)  # 0.30 EUR/kWh: 6 kW costs 43.20 EUR a day
ENROLMENT = Enrolment(prices=PRICES, consent=frozenset({SERIAL}))  # R1: consented


async def test_collect_push_cut_after_ndp_top_up_and_button(
    meter: LiveMeter, tmp_path: Path
) -> None:
    # rules E3, E7, R1, P1, P4, P5, P6, P8, P9, E8 in one customer's week
    db = tmp_path / "platform.sqlite"
    runtime = meter.runtime
    async with (
        outbox_listener(meter.address) as outbox,
        live_platform(meter, db, ENROLMENT) as (live, lines),
    ):
        await live.enrol(SERIAL)
        ledger = live.platform.ledger
        assert ledger.balance(SERIAL) == 2_000_000  # P1: the starting credit
        assert ledger.meter(SERIAL).ean == meter.config.meter.identity.ean

        await runtime.run(until=TUESDAY_0010)
        # Monday billed from the enrolment reading at 10:00 (M6): 84 kWh, 25.20 EUR + 1 EUR
        # repaid (P1); the balance pushed
        await live.step()
        update = runtime.meter.prepayment_balance
        assert update is not None and update.balance == Money(2_000_000 - 2_520_000 - 100_000)

        await runtime.run(until=WEDNESDAY_0010)
        await live.step()  # Tuesday billed: 144 kWh, 43.20 EUR + 1 EUR repaid
        assert ledger.balance(SERIAL) == 2_000_000 - 2_520_000 - 4_320_000 - 2 * 100_000
        update = runtime.meter.prepayment_balance
        assert update is not None
        assert (update.balance, update.emergency_credit) == (Money(-5_040_000), Money(0))
        assert len(ledger.profile(SERIAL)) == 55 + 96  # R1: Monday from 10:30, all Tuesday
        await live.step()
        assert ledger.account_state(SERIAL).supply is Supply.DISCONNECT_PENDING
        assert runtime.hal.relay.closed  # P5: not inside the non-disconnect period

        await runtime.run(until=WEDNESDAY_0801)
        await live.step()  # the cut is due (P4), decided and carried out in one pass
        assert not runtime.hal.relay.closed
        assert runtime.meter.relay.control_state is ControlState.DISCONNECTED

        code, printed = await asyncio.to_thread(
            run_cli, "headend", "topup", SERIAL, "75.00", "--db", str(db),
            "--at", runtime.clock.now().isoformat(), "--mqtt", url(meter.address),
        )  # fmt: skip
        assert code == 0
        assert printed[-1] == "balance 24.60 EUR"  # P6, the last line is the value: -50.40 + 75
        assert runtime.meter.relay.control_state is ControlState.READY_FOR_RECONNECTION  # P8
        update = runtime.meter.prepayment_balance
        assert update is not None and update.balance == Money(2_460_000)

        runtime.hal.buttons.press("green", timedelta(seconds=5))  # E8
        await runtime.run(until=runtime.clock.now() + timedelta(seconds=10))
        assert runtime.hal.relay.closed

        await live.step()  # the top-up's notices go out too
        kinds = [message.kind for message in ledger.notices(SERIAL)]
        assert kinds == [
            NoticeKind.LOW_BALANCE.value,
            NoticeKind.EMERGENCY_CREDIT.value,
            NoticeKind.DISCONNECTION_IMMINENT.value,
            NoticeKind.DISCONNECTED.value,
            NoticeKind.TOP_UP_RECEIVED.value,
            NoticeKind.RECONNECTION_ENABLED.value,
        ]  # P9
        await until_true(lambda: len(outbox) == len(kinds), "the outbox topic")
        assert [row["kind"] for row in outbox] == kinds
        assert outbox[4]["text"] == "Rechargement de 75,00 € reçu. Nouveau solde : 24,60 €."
        assert any("coupé le 04/03/26 à 08:01" in str(row["text"]) for row in outbox)
    assert any("indexes of 2026-03-03" in line for line in lines)


async def test_top_up_refusals_book_nothing(meter: LiveMeter, tmp_path: Path) -> None:
    # rule P6: 5.00 to 250.00 EUR, a known reference
    db = tmp_path / "platform.sqlite"
    async with live_platform(meter, db, ENROLMENT) as (live, _):
        await live.enrol(SERIAL)
    for amount, meter_id in (("4.99", SERIAL), ("250.01", SERIAL), ("20.00", "5414488600000")):
        code, printed = await asyncio.to_thread(
            run_cli, "headend", "topup", meter_id, amount, "--db", str(db)
        )
        assert (code, printed) == (1, [])
    ledger = Ledger(db)
    assert ledger.balance(SERIAL) == 2_000_000
    ledger.close()


async def test_a_technician_reads_while_the_platform_collects(
    meter: LiveMeter, tmp_path: Path
) -> None:
    # two head-ends at once: each gets its own answers
    db = tmp_path / "platform.sqlite"
    async with live_platform(meter, db, ENROLMENT) as (live, _):
        await live.enrol(SERIAL)
        await meter.runtime.run(until=TUESDAY_0010)
        reading = asyncio.to_thread(
            run_cli, "headend", "--mqtt", url(meter.address), "--meter", SERIAL, "read", "1.8.1"
        )
        (code, printed), _ = await asyncio.gather(reading, live.step())
        assert code == 0
        last = live.platform.ledger.last_indexes(SERIAL)
        assert last is not None
        assert printed[-1] == f"{last.peak_wh} Wh"


async def test_the_platform_command_discovers_and_enrols(meter: LiveMeter, tmp_path: Path) -> None:
    # the platform hears the meter's retained "online", reads its EAN and registers it (P1)
    db = tmp_path / "platform.sqlite"
    start = meter.runtime.clock.now().isoformat()
    until = (meter.runtime.clock.now() + timedelta(minutes=5)).isoformat()
    code, printed = await asyncio.to_thread(
        run_cli, "headend", "platform", "--db", str(db), "--mqtt", url(meter.address),
        "--start", start, "--until", until, "--speed", "150",
    )  # fmt: skip
    assert code == 0
    assert any(f"{SERIAL}: enrolled, EAN" in line for line in printed)
    ledger = Ledger(db)
    assert ledger.serials() == [SERIAL]
    ledger.close()


async def test_an_order_for_an_offline_meter_waits_for_the_platform(
    meter: LiveMeter, tmp_path: Path
) -> None:
    # rule P8: the top-up is booked at once; the reconnect enable goes out when the meter is back
    db = tmp_path / "platform.sqlite"
    async with live_platform(meter, db, ENROLMENT) as (live, _):
        await live.enrol(SERIAL)
        ledger = live.platform.ledger
        state = ledger.account_state(SERIAL)
        ledger.save_account_state(SERIAL, replace(state, supply=Supply.DISCONNECTED))
        async with await live.open_session(SERIAL) as session:
            await remote_disconnect(session)
        await meter.service.close()
        code, printed = await asyncio.to_thread(
            run_cli, "headend", "--timeout", "1", "topup", SERIAL, "20.00", "--db", str(db),
            "--mqtt", url(meter.address),
        )  # fmt: skip
        assert code == 0
        assert "not reached" in printed[-2] and printed[-1] == "balance 40.00 EUR"
        assert [kind for *_, kind in ledger.unsent_orders()] == ["reconnect_enable"]
        back = await serve_central(meter.address, meter.config, meter.runtime)
        try:
            await live.step()
        finally:
            await back.service.close()
    assert meter.runtime.meter.relay.control_state is ControlState.READY_FOR_RECONNECTION
