"""Timecode GOs are machine-timed: the double-GO guard never drops them; a restart fires nothing."""

from __future__ import annotations

from cuebridge.control.timecode_input import TimecodeInput
from cuebridge.core.commands import Command, Go
from cuebridge.core.control_settings import TimecodeSettings
from cuebridge.core.engine import CueEngine
from cuebridge.core.events import CommandIgnored, CueStarted
from cuebridge.core.model import Cue, CueList, Show, ShowSettings
from cuebridge.protocols.mtc import FrameRate, Timecode, quarter_frames

RATE = FrameRate.FPS_25
START = Timecode(1, 0, 0, 0, RATE)


def at(frames: int) -> float:
    return START.add_frames(frames).to_seconds()


class Rig:
    """A timecode input feeding a real engine at an explicit time, 0.3 s double-GO guard."""

    def __init__(self, on_jump: str, cue_frames: tuple[int, ...], last_cue: bool = False) -> None:
        cues = [Cue(number="1", name="Preset")] + [
            Cue(number=str(k + 2), name=f"Hit {k}", timecode=at(frame))
            for k, frame in enumerate(cue_frames)
        ]
        if last_cue:
            cues.append(Cue(number="9", name="Bows"))
        show = Show(
            title="tc",
            cue_lists=(CueList(id="main", name="Main", cues=tuple(cues)),),
            settings=ShowSettings(min_go_interval=0.3),
        )
        self.engine = CueEngine(show)
        self.now = 100.0
        self.started: list[str] = []
        self.ignored: list[CommandIgnored] = []
        settings = TimecodeSettings(fps="25", on_jump=on_jump, jump=1.0)
        self.input = TimecodeInput(lambda: show, settings, self.submit)

    def submit(self, command: Command) -> bool:
        events = self.engine.handle(command, self.now).events
        self.started += [e.number for e in events if isinstance(e, CueStarted)]
        self.ignored += [e for e in events if isinstance(e, CommandIgnored)]
        return True

    def roll(self, first_frame: int, cycles: int) -> None:
        """Quarter frames from `first_frame`, two frames per cycle, time moving with them."""
        for cycle in range(cycles):
            for message in quarter_frames(START.add_frames(first_frame + 2 * cycle)):
                self.input.feed(message)
            self.now += 2 / 25


def test_timecode_cues_closer_than_the_guard_all_fire() -> None:
    rig = Rig("ignore", cue_frames=(10, 13, 15))  # 0.12 s and 0.08 s apart
    rig.roll(0, 20)
    assert rig.started == ["2", "3", "4"]
    assert rig.ignored == []


def test_a_human_go_does_not_lock_out_the_timecode_and_stays_guarded_itself() -> None:
    rig = Rig("ignore", cue_frames=(6,), last_cue=True)
    rig.submit(Go(source="console"))  # cue 1 at 100.0
    rig.roll(0, 5)  # the timecode cue fires 0.16 s later, inside the human GO's lockout
    assert rig.started == ["1", "2"]
    assert rig.ignored == []
    rig.submit(Go(source="console"))  # 0.24 s after the timecode cue: not a double press
    assert rig.started == ["1", "2", "9"]
    assert rig.ignored == []
    rig.now += 0.05
    rig.submit(Go(source="console"))  # this one is
    assert [e.reason.value for e in rig.ignored] == ["locked-out"]


def test_fire_all_jump_fires_every_cue_jumped_over() -> None:
    rig = Rig("fire-all", cue_frames=(100, 110, 120))
    rig.roll(0, 3)
    rig.roll(500, 3)  # a forward jump of about 20 s over all three
    assert rig.started == ["2", "3", "4"]
    assert rig.ignored == []


def test_first_reading_after_a_restart_fires_nothing_already_passed() -> None:
    for mode in ("fire-last", "fire-all"):
        rig = Rig(mode, cue_frames=(100, 110, 300))
        rig.roll(200, 3)  # joining a running timecode past cues 2 and 3
        assert rig.started == [], mode
        rig.roll(206, 60)  # playback from there fires the next cue
        assert rig.started == ["4"], mode
