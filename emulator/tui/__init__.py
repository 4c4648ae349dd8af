"""The terminal UI (``vmeter tui``): the Textual app that shows a running ``VirtualMeter`` with
the widgets of ``display.widgets``, lets a technician press its buttons and use its card slot,
and drives its clock (play, pause, speed, step, next event) for scenario replays."""
