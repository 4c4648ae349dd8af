"""Replay controls: play, pause, one step, speed, jump to the next event. Each posts a
message; the scenario runner (``emulator/``) acts on it. Keys while focused: space
play/pause, ``s`` step, ``n`` next event, ``+``/``-`` speed."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Button, Static

SPEEDS = (1, 10, 60, 600, 3600)  # simulated seconds per real second


class ReplayControls(Widget, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_play", "play/pause"),
        Binding("s", "step", "step"),
        Binding("n", "next_event", "next event"),
        Binding("plus", "faster", "faster"),
        Binding("minus", "slower", "slower"),
    ]

    class Play(Message):
        pass

    class Pause(Message):
        pass

    class Step(Message):
        """Advance to the next scenario step."""

    class NextEvent(Message):
        """Jump to the next scheduled event."""

    class SpeedChanged(Message):
        def __init__(self, speed: float) -> None:
            super().__init__()
            self.speed = speed

    playing: reactive[bool] = reactive(False, init=False)
    speed: reactive[float] = reactive(SPEEDS[0], init=False)

    def compose(self) -> ComposeResult:
        yield Button("▶ play", id="replay-play")
        yield Button("⏸ pause", id="replay-pause", disabled=True)
        yield Button("step", id="replay-step")
        yield Button("-", id="replay-slower")
        yield Static(f"x{self.speed:g}", id="replay-speed")
        yield Button("+", id="replay-faster")
        yield Button("next event", id="replay-next")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {
            "replay-play": self.action_play,
            "replay-pause": self.action_pause,
            "replay-step": self.action_step,
            "replay-slower": self.action_slower,
            "replay-faster": self.action_faster,
            "replay-next": self.action_next_event,
        }
        actions[event.button.id or ""]()

    def action_play(self) -> None:
        self.playing = True
        self.post_message(self.Play())

    def action_pause(self) -> None:
        self.playing = False
        self.post_message(self.Pause())

    def action_toggle_play(self) -> None:
        (self.action_pause if self.playing else self.action_play)()

    def action_step(self) -> None:
        self.post_message(self.Step())

    def action_next_event(self) -> None:
        self.post_message(self.NextEvent())

    def action_faster(self) -> None:
        self._change_speed(+1)

    def action_slower(self) -> None:
        self._change_speed(-1)

    def _change_speed(self, direction: int) -> None:
        """The next listed speed up or down (from a speed between two, the nearer one that way)."""
        if direction > 0:
            chosen = next((speed for speed in SPEEDS if speed > self.speed), SPEEDS[-1])
        else:
            chosen = next((speed for speed in reversed(SPEEDS) if speed < self.speed), SPEEDS[0])
        if chosen != self.speed:
            self.speed = chosen
            self.post_message(self.SpeedChanged(self.speed))

    def watch_playing(self, playing: bool) -> None:
        self.query_one("#replay-play", Button).disabled = playing
        self.query_one("#replay-pause", Button).disabled = not playing

    def watch_speed(self, speed: float) -> None:
        self.query_one("#replay-speed", Static).update(f"x{speed:g}")
