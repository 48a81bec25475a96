"""MIDI notes, controllers and program changes mapped to engine commands by the show file."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cuebridge.core.commands import (
    Command,
    Go,
    GoCue,
    HardStop,
    LoadCue,
    Panic,
    Pause,
    Reset,
    Resume,
    StandbyNext,
    StandbyPrevious,
    StartCue,
    Stop,
)
from cuebridge.core.control_settings import MidiTrigger

INPUT_ROLE = "operator"
"""MIDI and MSC inputs are wired by the show's author: they act as operators."""

_PLAIN: dict[str, Callable[[str, str], Command]] = {
    "go": lambda s, r: Go(source=s, role=r),
    "stop": lambda s, r: Stop(source=s, role=r),
    "pause": lambda s, r: Pause(source=s, role=r),
    "resume": lambda s, r: Resume(source=s, role=r),
    "panic": lambda s, r: Panic(source=s, role=r),
    "hardstop": lambda s, r: HardStop(source=s, role=r),
    "reset": lambda s, r: Reset(source=s, role=r),
    "next": lambda s, r: StandbyNext(source=s, role=r),
    "prev": lambda s, r: StandbyPrevious(source=s, role=r),
}
_WITH_CUE: dict[str, Callable[[str, str, str], Command]] = {
    "cue": lambda n, s, r: GoCue(number=n, source=s, role=r),
    "start": lambda n, s, r: StartCue(number=n, source=s, role=r),
    "load": lambda n, s, r: LoadCue(number=n, source=s, role=r),
}


def trigger_command(trigger: MidiTrigger, source: str, role: str = INPUT_ROLE) -> Command:
    """The command a trigger stands for."""
    if trigger.command in _WITH_CUE:
        if trigger.cue is None:
            raise ValueError(f"MIDI command {trigger.command} needs a cue")
        return _WITH_CUE[trigger.command](trigger.cue, source, role)
    return _PLAIN[trigger.command](source, role)


def _press(message: bytes) -> tuple[str, int, int, int] | None:
    """(kind, channel 1-16, number, value) of a note-on, CC or program change; else None."""
    if not message or message[0] < 0x80 or message[0] >= 0xF0:
        return None
    kind, channel = message[0] & 0xF0, (message[0] & 0x0F) + 1
    if kind == 0x90 and len(message) == 3:
        return "note", channel, message[1], message[2]
    if kind == 0xB0 and len(message) == 3:
        return "cc", channel, message[1], message[2]
    if kind == 0xC0 and len(message) == 2:
        return "program", channel, message[1], 127
    return None


class MidiMapper:
    """Finds the command for one complete MIDI message; releases and strangers map to None.

    A note-on with velocity 0 and note-offs are releases (ignored); a program change always
    triggers. A CC with a configured value triggers on every message with that value. A CC
    without one triggers only when it goes above 0 from 0 or from unknown (its first
    message): a fader on that controller fires once as it leaves 0, not on every move, and
    must come back to 0 to fire again. The last value is kept per channel and controller.
    """

    def __init__(self, triggers: Sequence[MidiTrigger]) -> None:
        self._triggers = tuple(triggers)
        self._cc_values: dict[tuple[int, int], int] = {}
        """Last value of every (channel, controller) seen; at most 16 x 128 entries."""

    def match(self, message: bytes) -> MidiTrigger | None:
        """The trigger this message presses, if any."""
        parsed = _press(message)
        if parsed is None:
            return None
        kind, channel, number, value = parsed
        rising = value > 0
        if kind == "cc":
            previous = self._cc_values.get((channel, number))
            self._cc_values[(channel, number)] = value
            rising = value > 0 and not previous  # from 0 or from unknown (None)
        for trigger in self._triggers:
            if trigger.kind != kind or trigger.number != number:
                continue
            if trigger.channel is not None and trigger.channel != channel:
                continue
            if trigger.value is not None and kind == "cc":
                if value == trigger.value:
                    return trigger
            elif rising:
                return trigger
        return None

    def command(self, message: bytes, source: str) -> Command | None:
        """The command for `message`, or None."""
        trigger = self.match(message)
        return None if trigger is None else trigger_command(trigger, source)


def describe_trigger(trigger: MidiTrigger) -> str:
    """A trigger as a log-friendly source detail: note60/ch1, cc20=127, program5."""
    text = f"{trigger.kind}{trigger.number}"
    if trigger.value is not None:
        text += f"={trigger.value}"
    if trigger.channel is not None:
        text += f"/ch{trigger.channel}"
    return text
