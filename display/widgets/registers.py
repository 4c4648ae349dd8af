"""The registers as on the LCD (energy ``000021.701 kWh``, gas volume ``00012.345 m3``) and
the prepayment balance; with a gas meter beside the electricity meter, its balance too."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from firmware.gas.volume import format_m3
from firmware.rules.money import Money
from firmware.screens import format_amount, format_kwh


class RegistersPanel(Static):
    """``registers``: (code, Wh) pairs such as ``("1.8.1", 21701)``; ``volumes``: (code, dm3)
    pairs such as ``("24.2.1", 12345)``; ``balance``: None when the meter has none or has no
    update yet. ``gas_beside``: a gas meter on the electricity meter's M-Bus, whose balance
    ``gas_balance`` shows on a line of its own (None: no update yet)."""

    registers: reactive[tuple[tuple[str, int], ...]] = reactive(())
    volumes: reactive[tuple[tuple[str, int], ...]] = reactive(())
    balance: reactive[Money | None] = reactive(None)
    gas_beside: reactive[bool] = reactive(False)
    gas_balance: reactive[Money | None] = reactive(None)

    def render(self) -> Content:
        lines = [f"{code:<8} {format_kwh(wh)} kWh" for code, wh in self.registers]
        lines += [f"{code:<8}  {format_m3(dm3)} m3" for code, dm3 in self.volumes]
        lines.append(f"{'balance':<8} {format_amount(self.balance):>10} EUR")
        if self.gas_beside:
            lines.append(f"{'gas bal.':<8} {format_amount(self.gas_balance):>10} EUR")
        return Content("\n".join(lines))
