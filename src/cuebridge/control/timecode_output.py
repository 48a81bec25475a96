"""MTC output following the show clock: it rolls from the start time at the first GO."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from cuebridge.control.timecode_input import frame_rate
from cuebridge.core.engine import Outcome
from cuebridge.core.events import AllStopped, CueStarted, Trigger
from cuebridge.drivers.midi_transport import MidiBus, open_midi_sender
from cuebridge.drivers.mtc_output import MtcOutput
from cuebridge.errors import CuebridgeError
from cuebridge.protocols.mtc import Timecode
from cuebridge.runtime.daemon import Daemon, Service

logger = logging.getLogger(__name__)


class ShowClockMtc:
    """Engine listener: the first GO (or start) starts the MTC roll, a reset parks it."""

    def __init__(self, mtc: MtcOutput, start: Timecode) -> None:
        self.mtc = mtc
        self.start = start

    def __call__(self, outcome: Outcome) -> None:
        for event in outcome.events:
            if isinstance(event, AllStopped) and event.reset:
                self.mtc.stop()
                self.mtc.locate(self.start)
            elif (
                isinstance(event, CueStarted)
                and event.trigger in (Trigger.GO, Trigger.START)
                and not self.mtc.running
            ):
                self.mtc.start(self.start)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimecodeOutputOptions:
    """Test hooks."""

    bus: MidiBus | None = None


async def timecode_output_service(daemon: Daemon, options: TimecodeOutputOptions) -> None:
    """Send MTC following the show clock while the daemon runs (when the show asks for it)."""
    settings = daemon.loop.engine.show.control.timecode
    if settings is None or settings.output is None:
        return
    rate = frame_rate(settings.fps)
    try:
        sender = open_midi_sender(settings.output, bus=options.bus)
        await sender.start()
    except (CuebridgeError, ValueError, OSError) as err:
        message = f"MTC output {dict(settings.output)} cannot be opened: {err}"
        logger.error("%s", message)
        daemon.notices.post("error", message, topic="mtc-output")
        return
    mtc = MtcOutput(sender, daemon.clock, rate)
    start = Timecode.from_seconds(settings.output_start, rate)
    try:
        mtc.locate(start)
        daemon.loop.add_listener(ShowClockMtc(mtc, start))
        logger.info("MTC output at %s fps from %s on %s", settings.fps, start, settings.output)
        await asyncio.Event().wait()
    finally:
        await mtc.aclose()
        await sender.aclose()


def timecode_output(options: TimecodeOutputOptions) -> Service:
    """`timecode_output_service` bound to `options`, in the daemon's service shape."""

    async def service(daemon: Daemon) -> None:
        await timecode_output_service(daemon, options)

    service.__name__ = "timecode_output"
    return service
