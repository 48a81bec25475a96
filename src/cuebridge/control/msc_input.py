"""MIDI Show Control input: MSC sysex to engine commands, for this show's device id only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cuebridge.control.midi_input import INPUT_ROLE
from cuebridge.core.commands import (
    Command,
    Go,
    GoCue,
    LoadCue,
    Panic,
    Reset,
    Resume,
    StandbyNext,
    StandbyPrevious,
    Stop,
)
from cuebridge.protocols.msc import (
    MscCommand,
    MscDecodeError,
    MscMessage,
    decode_msc,
    msc_targets_device,
)

SUPPORTED = {
    MscCommand.GO: "GO; with a cue number: that cue",
    MscCommand.TIMED_GO: "as GO (the time is ignored)",
    MscCommand.STOP: "stop all; with a cue number: that cue",
    MscCommand.GO_OFF: "as STOP",
    MscCommand.RESUME: "resume all; with a cue number: that cue",
    MscCommand.LOAD: "stand by on the cue",
    MscCommand.RESET: "reset: stop everything, standby to the top",
    MscCommand.ALL_OFF: "panic: fade every level home",
    MscCommand.STANDBY_PLUS: "standby next",
    MscCommand.STANDBY_MINUS: "standby previous",
}
"""MSC commands cuebridge obeys, and what they do (for docs/control-api.md)."""


@dataclass(frozen=True, slots=True)
class MscResult:
    """What an MSC message asked for: a command, or why nothing happens."""

    command: Command | None = None
    ignored: str | None = None
    """"not-msc", "malformed", "other-device" or "unsupported"."""
    detail: str = ""


class MscMapper:
    """Decodes MSC and maps the commands above; other device ids are ignored (not errors)."""

    def __init__(
        self,
        device_id: int,
        groups: tuple[int, ...] = (),
        canonical: Callable[[str], str | None] = lambda number: number,
    ) -> None:
        self.device_id = device_id
        self.groups = groups
        self._canonical = canonical

    def map(self, sysex: bytes, source: str) -> MscResult:
        """The command for one complete sysex message (F0 ... F7)."""
        if len(sysex) < 4 or sysex[1] != 0x7F or sysex[3] != 0x02:
            return MscResult(ignored="not-msc")
        try:
            message = decode_msc(sysex)
        except MscDecodeError as err:
            return MscResult(ignored="malformed", detail=str(err))
        if not msc_targets_device(message, self.device_id, self.groups):
            return MscResult(ignored="other-device", detail=f"device {message.device_id}")
        command = self._command(message, source)
        if command is None:
            return MscResult(ignored="unsupported", detail=f"command {message.command:#04x}")
        return MscResult(command=command)

    def _command(self, message: MscMessage, source: str) -> Command | None:
        code, role = message.command, INPUT_ROLE
        cue = None if message.cue is None else (self._canonical(message.cue) or message.cue)
        if code in (MscCommand.GO, MscCommand.TIMED_GO):
            if cue is not None:
                return GoCue(number=cue, source=source, role=role)
            return Go(source=source, role=role)
        if code in (MscCommand.STOP, MscCommand.GO_OFF):
            return Stop(number=cue, source=source, role=role)
        if code == MscCommand.RESUME:
            return Resume(number=cue, source=source, role=role)
        if code == MscCommand.LOAD and cue is not None:
            return LoadCue(number=cue, source=source, role=role)
        if code == MscCommand.RESET:
            return Reset(source=source, role=role)
        if code == MscCommand.ALL_OFF:
            return Panic(source=source, role=role)
        if code == MscCommand.STANDBY_PLUS:
            return StandbyNext(source=source, role=role)
        if code == MscCommand.STANDBY_MINUS:
            return StandbyPrevious(source=source, role=role)
        return None
