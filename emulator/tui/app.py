"""``MeterApp``: the terminal UI around one running ``VirtualMeter``.

The meter runs on the app's own asyncio loop (a worker running ``run_with_services``); the
screen reads it ten times a second (``refresh_view``) and after each input or replay move.
Inputs (buttons, card slot, breaker) become scenario actions applied to the meter's hardware,
so a recorder can write them down; replay controls move its scaled clock
(``ReplayController``). Layouts: electricity (green button), budget (blue and red, card slot),
gas (the three-button strip, valve) and electricity with its gas meter (two LCDs).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widgets import Footer, Input, Static
from textual.worker import Worker

from cosem.trace import Tracer
from display.widgets import (
    STYLESHEET,
    ButtonStrip,
    CardSlot,
    CardSlotState,
    ConsumptionPlot,
    EventLogView,
    Indicators,
    LcdDisplay,
    RegistersPanel,
    ReplayControls,
)
from display.widgets.buttons import (
    BUDGET_BUTTONS,
    ELECTRICITY_BUTTONS,
    GAS_BUTTONS,
    HOLD,
)
from display.widgets.lcd import BLINK_INTERVAL_S
from emulator.config import ConfigError, MeterConfig
from emulator.runtime import VirtualMeter
from emulator.scenario.actions import ActionContext, apply_action
from emulator.scenario.model import Action, InsertCard, PressButton, RearmBreaker, RemoveCard
from emulator.scenario.player import EntryKind, ScenarioPlayer, TimelineEntry
from emulator.tui.controller import ReplayController
from emulator.tui.readings import EventFeed, electricity_core, read, second_lcd_hal
from emulator.tui.services import run_with_services
from firmware.errors import FirmwareError
from firmware.rules.localtime import to_local
from firmware.rules.money import Money, MoneyError

APP_STYLESHEET = Path(__file__).with_name("app.tcss")
REFRESH_S = 0.1
DEFAULT_CARD_CREDIT = "20.00"

ActionListener = Callable[[datetime, Action], None]
"""Hears each input with the meter's instant (``Recorder.record``)."""


def _button_bindings() -> list[BindingType]:
    keys = {"green": "g", "blue": "b", "red": "r", "euro": "e", "arrow": "a", "m3": "m"}
    bindings: list[BindingType] = []
    for button, key in keys.items():
        bindings.append(Binding(key, f"press('{button}')", button))
        bindings.append(
            Binding(f"{key.upper()},shift+{key}", f"hold('{button}')", f"hold {button}", show=False)
        )
    return bindings


class MeterApp(App[None]):
    """One meter on screen. ``on_action`` hears every input the technician gives (a
    recorder); ``start_paused`` starts with the clock standing still (scenario replays)."""

    CSS_PATH = [STYLESHEET, APP_STYLESHEET]  # noqa: RUF012 (Textual reads it, never changes it)
    TITLE = "vmeter"
    BINDINGS: ClassVar[list[BindingType]] = [
        *_button_bindings(),
        Binding("c", "card", "card in/out"),
        Binding("f", "foreign_card", "foreign card"),
        Binding("k", "rearm", "re-arm breaker"),
        Binding("space", "play_pause", "play/pause"),
        Binding("s", "step", "step"),
        Binding("n", "next_event", "next event"),
        Binding("plus,equals_sign", "faster", "faster", show=False),  # the replay bar shows
        Binding("minus", "slower", "slower", show=False),
        Binding("q", "quit", "quit & save"),
    ]

    def __init__(
        self,
        virtual: VirtualMeter,
        config: MeterConfig,
        *,
        start_paused: bool = False,
        on_action: ActionListener | None = None,
        tcp_hdlc: str | None = None,
        tracer: Tracer | None = None,
        blink_interval_s: float | None = BLINK_INTERVAL_S,
        refresh_s: float = REFRESH_S,
    ) -> None:
        super().__init__()
        self.virtual = virtual
        self.config = config
        self.controller = ReplayController(virtual)
        self._action_context = ActionContext(virtual, config)
        self.on_action = on_action
        self.player: ScenarioPlayer | None = None
        self.replay_worker: Worker[Any] | None = None
        self._replay_lock = asyncio.Lock()
        self.meter_worker: Worker[None] | None = None
        self._start_paused = start_paused
        self._tcp_hdlc = tcp_hdlc
        self._tracer = tracer
        self._blink_interval_s = blink_interval_s
        self._refresh_s = refresh_s
        self._feed = EventFeed(virtual)
        self._with_gas = second_lcd_hal(virtual) is not None
        self._core = electricity_core(virtual)
        if virtual.budget is not None:
            self.buttons: tuple[str, ...] = BUDGET_BUTTONS
        elif self._core is None:
            self.buttons = GAS_BUTTONS
        else:
            self.buttons = ELECTRICITY_BUTTONS
        self.all_buttons = self.buttons + (GAS_BUTTONS if self._with_gas else ())
        self.kind = config.kind + (" + gas" if self._with_gas else "")

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="status", markup=False)
        with Horizontal(id="top"):
            with Vertical(id="meter"):
                lcd = LcdDisplay(blink_interval_s=self._blink_interval_s, id="lcd")
                lcd.border_title = self.config.kind
                yield lcd
                yield ButtonStrip(self.buttons, id="strip")
                if self.virtual.budget is not None:
                    with Horizontal(id="card"):
                        yield CardSlot(id="slot")
                        yield Input(DEFAULT_CARD_CREDIT, id="card-credit", restrict=r"[0-9.]*")
                        yield Static("EUR on the card", id="card-credit-label")
                if self._with_gas:
                    gas_lcd = LcdDisplay(blink_interval_s=self._blink_interval_s, id="gas-lcd")
                    gas_lcd.border_title = "gas (M-Bus 1)"
                    yield gas_lcd
                    yield ButtonStrip(GAS_BUTTONS, id="gas-strip")
            with Vertical(id="side"):
                yield Indicators(id="indicators")
                yield RegistersPanel(id="registers")
        yield ConsumptionPlot("Wh" if self._core is not None else "dm3", id="plot")
        yield EventLogView(id="log")
        yield ReplayControls(id="replay")
        yield Footer()

    def on_mount(self) -> None:
        if self._start_paused:
            self.controller.start_paused()
        replay = self.query_one(ReplayControls)
        replay.speed = self.controller.speed
        replay.playing = not self._start_paused
        self.meter_worker = self._run_meter()
        self.set_interval(self._refresh_s, self.refresh_view)
        self.refresh_view()

    @work(exit_on_error=False, group="meter")
    async def _run_meter(self) -> None:
        try:
            await run_with_services(
                self.virtual, self.config, self._announce, self._tcp_hdlc, self._tracer
            )
        except (ConfigError, FirmwareError) as error:
            self.log_line("error", str(error))
            self.notify(str(error), title="the meter stopped", severity="error", timeout=30)
        finally:
            self.controller.mark_ended()
            with contextlib.suppress(NoMatches):  # quitting: the screen is gone already
                self._redraw()
                self._report_scenario()

    def _announce(self, text: str) -> None:
        self.log_line("service", text)

    # -- a scenario ----------------------------------------------------------------------------

    def follow(self, player: ScenarioPlayer) -> None:
        """Replay ``player``'s scenario: its steps are scheduled on the meter's run loop, and
        ``step`` runs to the next one. Call before the app runs."""
        self.player = player
        self.controller.next_step_at = player.next_step_at
        player.attach()

    def show_timeline(self, entry: TimelineEntry) -> None:
        """A scenario's note, action or check in the event log (the LCD is on screen)."""
        if entry.kind is EntryKind.LCD:
            return
        source = f"line {entry.line}"
        if entry.check is not None:
            source += " PASS" if entry.check.passed else " FAIL"
        self.log_line(source, entry.text, at=entry.at)

    def _report_scenario(self) -> None:
        player = self.player
        if player is None:
            return
        failed = sum(not check.passed for check in player.checks)
        verdict = "PASSED" if player.finished and not failed else "FAILED"
        passed = len(player.checks) - failed
        self.log_line(
            "scenario",
            f"{verdict}: {passed} of {len(player.checks)} checks passed, "
            f"{player.steps_played} of {len(player.scenario.steps)} steps",
        )

    # -- the screen ----------------------------------------------------------------------------

    def log_line(self, source: str, text: str, at: datetime | None = None) -> None:
        """A line in the event log (at the meter's time unless ``at`` is given), after what
        the meter logged until then."""
        self._drain_feed()
        moment = at or self.virtual.clock.now()
        self.query_one(EventLogView).add_event(to_local(moment), source, text)

    def _drain_feed(self) -> None:
        log = self.query_one(EventLogView)
        for line in self._feed.take():
            log.add_event(to_local(line.at), line.source, line.text)

    def refresh_view(self) -> None:
        """Read the meter and redraw what changed."""
        with contextlib.suppress(NoMatches):  # quitting: the widgets go before the last ticks
            self._redraw()

    def _redraw(self) -> None:
        readings = read(self.virtual)
        self.query_one("#lcd", LcdDisplay).state = readings.lcd
        if readings.gas_lcd is not None:
            self.query_one("#gas-lcd", LcdDisplay).state = readings.gas_lcd
        indicators = self.query_one(Indicators)
        indicators.relay = readings.relay
        indicators.valve = readings.valve
        indicators.breaker_tripped = readings.breaker_tripped
        indicators.limited = readings.limited
        registers = self.query_one(RegistersPanel)
        registers.registers = readings.registers_wh
        registers.volumes = readings.volumes_dm3
        registers.balance = readings.balance
        registers.gas_beside = readings.gas_lcd is not None
        registers.gas_balance = readings.gas_balance
        if readings.card is not None:
            self.query_one(CardSlot).state = readings.card
        plot = self.query_one(ConsumptionPlot)
        if plot.values != readings.quarters:
            plot.values = readings.quarters
        self._drain_feed()
        self.query_one(ReplayControls).playing = self.controller.playing
        state = (
            "ended"
            if self.controller.ended
            else ("playing" if self.controller.playing else "paused")
        )
        self.query_one("#status", Static).update(
            f"{self.kind} {self.config.meter.identity.serial_number}  "
            f"{to_local(readings.at):%Y-%m-%d %H:%M:%S %Z}  x{self.controller.speed:g} {state}"
        )

    # -- inputs --------------------------------------------------------------------------------

    async def perform(self, action: Action) -> None:
        """Carry out one input now, let the meter react, redraw. An input the hardware
        refuses (a card image that cannot be made) is logged, not recorded."""
        try:
            done = apply_action(self.virtual, action, self._action_context)
        except FirmwareError as error:
            self.log_line("input", f"{action.describe()}: refused: {error}")
            return
        self.log_line("input", f"{action.describe()}: {done}")
        if self.on_action is not None:
            self.on_action(self.virtual.clock.now(), action)
        await self.controller.settle()
        self.refresh_view()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys for buttons, card or breaker this meter has not are off (and not shown)."""
        if action in ("press", "hold"):
            return parameters[0] in self.all_buttons
        if action in ("card", "foreign_card"):
            return self.virtual.budget is not None
        if action == "rearm":
            return self._core is not None
        return True

    async def action_press(self, button: str) -> None:
        await self.perform(PressButton(button))

    async def action_hold(self, button: str) -> None:
        await self.perform(PressButton(button, HOLD.total_seconds()))

    @on(ButtonStrip.Pressed)
    async def _button_pressed(self, message: ButtonStrip.Pressed) -> None:
        await self.perform(PressButton(message.button, message.hold_s))

    async def action_card(self) -> None:
        self.query_one(CardSlot).action_use_slot()

    async def action_foreign_card(self) -> None:
        if self.query_one(CardSlot).state is not CardSlotState.EMPTY:
            await self.perform(RemoveCard())
        await self.perform(InsertCard(foreign=True))

    async def action_rearm(self) -> None:
        await self.perform(RearmBreaker())

    @on(CardSlot.Insert)
    async def _insert_card(self) -> None:
        text = self.query_one("#card-credit", Input).value or "0"
        try:
            credit = Money.parse(text)
        except MoneyError as error:
            self.log_line("input", f"card credit {text!r}: {error}")
            return
        await self.perform(InsertCard(credit=credit))

    @on(CardSlot.Remove)
    async def _remove_card(self) -> None:
        await self.perform(RemoveCard())

    @on(Input.Submitted, "#card-credit")
    async def _credit_entered(self) -> None:
        self.set_focus(None)
        if self.query_one(CardSlot).state is CardSlotState.EMPTY:
            await self._insert_card()

    # -- replay --------------------------------------------------------------------------------

    def action_play_pause(self) -> None:
        self.query_one(ReplayControls).action_toggle_play()

    def action_step(self) -> None:
        self._replay(self.controller.step)

    def action_next_event(self) -> None:
        self._replay(self.controller.jump_to_next_event)

    def action_faster(self) -> None:
        self.query_one(ReplayControls).action_faster()

    def action_slower(self) -> None:
        self.query_one(ReplayControls).action_slower()

    @on(ReplayControls.Play)
    def _play(self) -> None:
        self.controller.play()
        self.refresh_view()

    @on(ReplayControls.Pause)
    def _pause(self) -> None:
        self.controller.pause()
        self.refresh_view()

    @on(ReplayControls.SpeedChanged)
    def _speed(self, message: ReplayControls.SpeedChanged) -> None:
        self.controller.set_speed(message.speed)
        self.refresh_view()

    @on(ReplayControls.Step)
    def _step(self) -> None:
        self._replay(self.controller.step)

    @on(ReplayControls.NextEvent)
    def _next_event(self) -> None:
        self._replay(self.controller.jump_to_next_event)

    def _replay(self, move: Callable[[], Coroutine[Any, Any, datetime]]) -> None:
        async def moved() -> None:
            async with self._replay_lock:  # moves asked quickly run one after the other
                await move()
            self.refresh_view()

        self.replay_worker = self.run_worker(moved(), group="replay")

    async def replay_done(self) -> None:
        """Wait for the last replay move to be made and drawn; when the meter's run has
        ended meanwhile, also for the run's end to be drawn."""
        if self.replay_worker is not None:
            await self.replay_worker.wait()
        if self.controller.ended and self.meter_worker is not None:
            await self.meter_worker.wait()

    async def action_quit(self) -> None:
        """Stop the clock, power the meter down and save, leave."""
        self.controller.pause()
        self.virtual.shutdown()
        self.exit()
