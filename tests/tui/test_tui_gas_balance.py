"""An electricity meter with its gas meter (``--with-gas``) in the terminal UI: the registers
panel shows both balances the platform pushed, each on its own line (rules E7, G2, P6)."""

from __future__ import annotations

from tui_meter import SIZE, meter_app

from display.widgets import RegistersPanel
from emulator.cosem_binding import build_logical_device
from firmware.rules.money import Money
from headend import meter_obis
from headend.loopback import LoopbackTransport
from headend.operations import push_balance
from headend.platform.decisions import BalancePush
from headend.session import Session

MANAGEMENT = 1


def balance_lines(panel: RegistersPanel) -> list[list[str]]:
    return [line.split() for line in str(panel.render()).splitlines() if "EUR" in line]


async def test_with_gas_shows_the_gas_balance_beside_the_electricity_one() -> None:  # E7, P6
    app = meter_app(with_gas=True)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(RegistersPanel)
        # no update from the platform yet, for either energy
        assert balance_lines(panel) == [
            ["balance", "----.--", "EUR"],
            ["gas", "bal.", "----.--", "EUR"],
        ]
        # the platform's daily pushes, each to its own account's objects (E7, P6)
        device = build_logical_device(app.virtual, app.config)
        password = app.config.security.management_password.encode()
        now = app.virtual.clock.now()
        async with Session(
            LoopbackTransport(device.association(MANAGEMENT)), password=password
        ) as session:
            await push_balance(session, BalancePush(now, 1_234_000, 1_500_000))
            await push_balance(
                session, BalancePush(now, -345_000, 0), meter_obis.GAS_CHANNEL_1_ACCOUNT
            )
        app.refresh_view()
        await pilot.pause()
        assert panel.balance == Money(1_234_000) and panel.gas_balance == Money(-345_000)
        assert balance_lines(panel) == [
            ["balance", "12.34", "EUR"],
            ["gas", "bal.", "-3.45", "EUR"],
        ]


async def test_a_lone_electricity_meter_shows_one_balance() -> None:  # rule E7
    app = meter_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert balance_lines(app.query_one(RegistersPanel)) == [["balance", "----.--", "EUR"]]
