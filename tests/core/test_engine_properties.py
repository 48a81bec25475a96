"""Property-based invariants of the engine under random command sequences and timings."""

from __future__ import annotations

import itertools

from builders import control, cue, level, position, send, show
from hypothesis import given, settings
from hypothesis import strategies as st

from cuebridge.core.commands import (
    Arm,
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
from cuebridge.core.effects import StartFade
from cuebridge.core.engine import CueEngine
from cuebridge.core.events import CueFinished, CueStarted, Trigger
from cuebridge.core.model import Show

NUMBERS = ["1", "2", "3", "4", "4.1", "4.2", "5", "6", "7"]


def demo_show() -> Show:
    return show(
        cue("1", level(1, 0.0, fade=3), cont="auto-continue", post=1.0),
        cue("2", position("spot", 40, fade=2), pre=0.5),
        cue("3", send(number=3), armed=False, cont="auto-follow"),
        cue(
            "4",
            children=(
                cue("4.1", level(2, -10, fade=1.5)),
                cue("4.2", level(1, -30, fade=2), pre=1),
            ),
            cont="auto-follow",
        ),
        cue("5", control("stop", "2"), level(3, 5, fade=4)),
        cue("6", control("start", "7"), pre=2, post=1, cont="auto-continue"),
        cue("7", send(number=7)),
        min_go=0.25,
        panic=1.5,
    )


number = st.sampled_from(NUMBERS)
commands: st.SearchStrategy[Command] = st.one_of(
    st.just(Go()),
    st.builds(GoCue, number=number),
    st.builds(StartCue, number=number),
    st.builds(LoadCue, number=number),
    st.just(StandbyNext()),
    st.just(StandbyPrevious()),
    st.builds(Stop, number=st.none() | number),
    st.builds(Pause, number=st.none() | number),
    st.builds(Resume, number=st.none() | number),
    st.just(Panic()),
    st.just(HardStop()),
    st.just(Reset()),
    st.builds(Arm, number=number, armed=st.booleans()),
)
steps = st.lists(
    st.tuples(st.floats(min_value=0.0, max_value=3.0), commands), min_size=1, max_size=30
)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_invariants_hold_for_any_command_sequence(sequence: list[tuple[float, Command]]) -> None:
    engine = CueEngine(demo_show())
    main = engine.show.cue_lists[0]
    now = 0.0
    for gap, command in sequence:
        now += gap
        # Steps due by `now` happen before the command (engine rule 2), and may move the standby.
        engine.advance(now)
        before = engine.snapshot(now).lists[0].standby
        out = engine.handle(command, now)
        snap = engine.snapshot(now)
        # One GO fires at most one cue by GO, and only the cue that was standing by.
        go_started = [
            e for e in out.events if isinstance(e, CueStarted) and e.trigger is Trigger.GO
        ]
        assert len(go_started) <= 1
        if isinstance(command, Go) and go_started:
            assert go_started[0].number == before
        # The standby is an armed top-level cue of the list, or none.
        standby = snap.lists[0].standby
        assert standby is None or (
            standby in {c.number for c in main.cues} and standby not in snap.disarmed
        )
        # Deadlines are never in the past once processed.
        deadline = engine.next_deadline()
        assert deadline is None or deadline > now or engine.advance(now).events == []
        for effect in out.effects:
            if isinstance(effect, StartFade):
                assert effect.duration > 0
                assert effect.values_at(effect.begin + effect.duration) == dict(effect.end)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=0.0, max_value=20.0),
    st.floats(min_value=0.0, max_value=100.0),
    st.floats(min_value=0.0, max_value=5.0),
)
def test_pause_then_resume_preserves_remaining_time(
    pause_at: float, held: float, pre: float
) -> None:
    engine = CueEngine(show(cue("1", level(1, 0.0, fade=10), pre=pre)))
    engine.handle(Go(), 0.0)
    engine.handle(Pause(), pause_at)
    if not engine.snapshot(pause_at).running:
        return  # it had already finished
    remaining = engine.snapshot(pause_at).running[0].remaining
    engine.handle(Resume(), pause_at + held)
    after = engine.snapshot(pause_at + held).running[0].remaining
    assert abs(after - remaining) < 1e-9
    finished = [e.at for e in engine.advance(1e6).events if isinstance(e, CueFinished)]
    assert len(finished) == 1
    assert abs(finished[0] - (pause_at + held + remaining)) < 1e-6


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=0.5), min_size=2, max_size=20))
def test_rapid_gos_fire_at_most_one_cue_per_guard_window(gaps: list[float]) -> None:
    engine = CueEngine(show(*(cue(str(n)) for n in range(1, 30)), min_go=0.3))
    now, fired = 0.0, []
    for gap in gaps:
        now += gap
        out = engine.handle(Go(), now)
        fired += [now for e in out.events if isinstance(e, CueStarted)]
    assert all(b - a >= 0.3 - 1e-9 for a, b in itertools.pairwise(fired))
