"""MTC input: assembles timecode from MIDI and fires cues whose timecode trigger it passes."""

from __future__ import annotations

import logging
from collections.abc import Callable

from cuebridge.control.midi_input import INPUT_ROLE
from cuebridge.core.commands import Command, GoCue
from cuebridge.core.control_settings import TimecodeSettings
from cuebridge.core.model import Show
from cuebridge.core.timecode_triggers import JumpMode, Reading, TimecodeFollower, show_triggers
from cuebridge.protocols.mtc import FrameRate, MtcDirection, MtcEvent, MtcReader, MtcState

logger = logging.getLogger(__name__)

SOURCE = "mtc"
TOLERANCE_FRAMES = 3
"""Readings this many frames behind the furthest point reached are jitter, not a rewind."""
_RATES = {"24": FrameRate.FPS_24, "25": FrameRate.FPS_25, "29.97df": FrameRate.FPS_29_97_DF}


def frame_rate(label: str) -> FrameRate:
    """The protocol frame rate for a show file label (24, 25, 29.97df, 30)."""
    return _RATES.get(label, FrameRate.FPS_30)


def reading_of(event: MtcEvent) -> Reading:
    """A follower reading from an MTC event."""
    return Reading(
        event.timecode.to_seconds(),
        running=event.state is MtcState.RUNNING,
        forward=event.direction is not MtcDirection.BACKWARD,
    )


class TimecodeInput:
    """Feeds MIDI bytes to an MtcReader and the show's follower; submits unguarded `GoCue`s.

    The first reading after a start (a restart after a crash included) only establishes the
    position: cues already passed stay unfired whatever `on_jump` says (see
    `TimecodeFollower`).
    """

    def __init__(
        self,
        show: Callable[[], Show],
        settings: TimecodeSettings,
        submit: Callable[[Command], bool],
    ) -> None:
        self._show = show
        self._settings = settings
        self._submit = submit
        self.reader = MtcReader()
        self._for_show: Show | None = None
        self.follower = self._follower(None)
        self.fired = 0
        self.last: Reading | None = None

    def _follower(self, previous: TimecodeFollower | None) -> TimecodeFollower:
        show = self._show()
        self._for_show = show
        tolerance = TOLERANCE_FRAMES / float(frame_rate(self._settings.fps).frames_per_second)
        follower = TimecodeFollower(
            show_triggers(show),
            tolerance=tolerance,
            jump=max(self._settings.jump, tolerance),
            on_jump=JumpMode(self._settings.on_jump),
        )
        if previous is not None:
            follower.passed = previous.passed  # a reloaded show keeps the position
        return follower

    def feed(self, message: bytes) -> None:
        """One complete MIDI message (other messages are skipped by the reader)."""
        if self._show() is not self._for_show:
            self.follower = self._follower(self.follower)
        for event in self.reader.feed(message):
            self.last = reading_of(event)
            for number in self.follower.feed(self.last):
                self.fired += 1
                logger.info("timecode %s: GO cue %s", event.timecode, number)
                # machine-timed: the double-GO guard is for people (see GoTypeCommand)
                self._submit(GoCue(number=number, source=SOURCE, role=INPUT_ROLE, guarded=False))
