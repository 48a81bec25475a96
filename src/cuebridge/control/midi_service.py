"""The MIDI control service: opens each configured MIDI input once and routes its messages
to the note/CC/program map, MSC and timecode."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cuebridge.control.midi_input import MidiMapper, describe_trigger, trigger_command
from cuebridge.control.msc_input import MscMapper
from cuebridge.control.osc_stats import InputStats, RateLimitedLog
from cuebridge.control.osc_values import ShowLookup
from cuebridge.control.timecode_input import TimecodeInput
from cuebridge.core.commands import Command
from cuebridge.core.control_settings import ConnectionValue, ControlSettings
from cuebridge.core.cuenumber import cue_sort_key, is_valid_cue_number
from cuebridge.core.model import Show
from cuebridge.drivers.midi_transport import MidiBus, MidiReceiver, open_midi_receiver
from cuebridge.errors import CuebridgeError
from cuebridge.runtime.clock import Clock
from cuebridge.runtime.daemon import Daemon, Service

logger = logging.getLogger(__name__)

Connection = Mapping[str, ConnectionValue]


@dataclass(frozen=True, slots=True, kw_only=True)
class MidiControlOptions:
    """Test hooks; the inputs themselves come from the show's `control:` section."""

    bus: MidiBus | None = None
    """An in-process MIDI bus for `transport: inproc` inputs (tests)."""
    on_ready: Callable[[list[MidiReceiver]], None] | None = None
    """Called with the opened receivers (tests read bound UDP ports from them)."""


class MidiControl:
    """Routes complete MIDI messages to the consumers configured for their input."""

    def __init__(
        self,
        control: ControlSettings,
        show: Callable[[], Show],
        submit: Callable[[Command], bool],
        clock: Clock,
    ) -> None:
        self._submit = submit
        self._show = show
        self.stats = InputStats()
        self.log = RateLimitedLog(logger, clock)
        self.mapper = MidiMapper(control.midi_map) if control.midi_map else None
        self.msc = (
            MscMapper(control.msc_device_id, control.msc_groups, self._canonical)
            if control.msc_device_id is not None
            else None
        )
        self.timecode = TimecodeInput(show, control.timecode, submit) if control.timecode else None
        self._groups: list[tuple[Connection, list[Callable[[bytes], None]]]] = []
        self._numbers: tuple[Show, dict[tuple[int, ...], str]] | None = None
        wanted: list[tuple[Connection | None, Callable[[bytes], None] | None]] = [
            (control.midi_input, self._map if self.mapper else None),
            (control.msc_input, self._msc if self.msc else None),
            (
                control.timecode.input if control.timecode else None,
                self.timecode.feed if self.timecode else None,
            ),
        ]
        for connection, handler in wanted:
            if connection is None or handler is None:
                continue
            for known, handlers in self._groups:
                if known == connection:
                    handlers.append(handler)
                    break
            else:
                self._groups.append((connection, [handler]))

    def inputs(self) -> list[tuple[Connection, Callable[[bytes], None]]]:
        """One (connection, message handler) per distinct input: a port is opened once."""
        return [(connection, self._fan_out(handlers)) for connection, handlers in self._groups]

    def _fan_out(self, handlers: list[Callable[[bytes], None]]) -> Callable[[bytes], None]:
        def handle(message: bytes) -> None:
            self.stats.packets += 1
            for handler in handlers:
                try:
                    handler(message)
                except Exception:  # a bug costs one message, never the input
                    self.stats.rejected["internal"] += 1
                    logger.exception("MIDI control failed on %s", message.hex(" "))

        return handle

    def _canonical(self, number: str) -> str | None:
        """The show's spelling of an MSC cue number ("01" -> "1"), None when unknown."""
        show = self._show()
        if self._numbers is None or self._numbers[0] is not show:
            self._numbers = (show, {cue_sort_key(n): n for n in ShowLookup(show).cues})
        if not is_valid_cue_number(number):
            return None
        return self._numbers[1].get(cue_sort_key(number))

    def _map(self, message: bytes) -> None:
        assert self.mapper is not None
        trigger = self.mapper.match(message)
        if trigger is not None:
            self._send(trigger_command(trigger, f"midi:{describe_trigger(trigger)}"))

    def _msc(self, message: bytes) -> None:
        assert self.msc is not None
        if message[:1] != b"\xf0":
            return
        result = self.msc.map(message, f"msc:{self.msc.device_id}")
        if result.command is not None:
            self._send(result.command)
        elif result.ignored in ("malformed", "unsupported"):
            self.stats.rejected[f"msc-{result.ignored}"] += 1
            self.log.log(logging.WARNING, "MSC %s ignored: %s", result.ignored, result.detail)
        elif result.ignored == "other-device":
            self.stats.ignored["msc-other-device"] += 1

    def _send(self, command: Command) -> None:
        if self._submit(command):
            self.stats.accepted[type(command).__name__] += 1
            self.log.log(logging.INFO, "%s from %s", type(command).__name__, command.source)
        else:
            self.stats.rejected["busy"] += 1


async def midi_control_service(daemon: Daemon, options: MidiControlOptions) -> None:
    """Listen on every MIDI input the show configures (notes/CC/PC, MSC, MTC) until cancelled.

    An input that cannot be opened is logged and skipped: the show runs without it.
    """
    show = daemon.loop.engine.show
    control = MidiControl(
        show.control, lambda: daemon.loop.engine.show, daemon.loop.submit, daemon.clock
    )
    receivers: list[MidiReceiver] = []
    try:
        for connection, handler in control.inputs():
            try:
                receiver = await open_midi_receiver(connection, handler, bus=options.bus)
            except (CuebridgeError, ValueError, OSError) as err:
                message = f"MIDI control input {dict(connection)} cannot be opened: {err}"
                logger.error("%s", message)
                daemon.notices.post("error", message, topic="midi-control")
                continue
            receivers.append(receiver)
            logger.info("MIDI control input on %s", dict(connection))
        if options.on_ready is not None:
            options.on_ready(receivers)
        await asyncio.Event().wait()
    finally:
        await close_receivers(receivers)


async def close_receivers(receivers: list[MidiReceiver]) -> None:
    """Close every receiver; one that fails to close is logged and never keeps the rest open."""
    for receiver in receivers:
        try:
            await receiver.aclose()
        except Exception:
            logger.exception("closing the MIDI control input %r failed", receiver)


def midi_control(options: MidiControlOptions) -> Service:
    """`midi_control_service` bound to `options`, in the daemon's service shape."""

    async def service(daemon: Daemon) -> None:
        await midi_control_service(daemon, options)

    service.__name__ = "midi_control"
    return service
