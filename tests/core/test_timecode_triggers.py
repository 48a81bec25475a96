"""The timecode follower: playback fires each cue once, jitter and jumps never burst."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from cuebridge.core.model import Cue, CueList, Show
from cuebridge.core.timecode_triggers import JumpMode, Reading, TimecodeFollower, show_triggers

FRAME = 1 / 25
TOLERANCE = 3 * FRAME
JUMP = 1.0
START = 3600.0

times = st.lists(
    st.floats(min_value=START, max_value=START + 60, allow_nan=False).map(
        lambda t: round(t * 25) / 25
    ),
    min_size=1,
    max_size=12,
    unique=True,
)


def follower(trigger_times: list[float], mode: JumpMode = JumpMode.IGNORE) -> TimecodeFollower:
    triggers = [(t, f"c{i}") for i, t in enumerate(sorted(trigger_times))]
    return TimecodeFollower(triggers, tolerance=TOLERANCE, jump=JUMP, on_jump=mode)


def names(trigger_times: list[float]) -> dict[str, float]:
    return {f"c{i}": t for i, t in enumerate(sorted(trigger_times))}


def play(f: TimecodeFollower, start: float, end: float, step: float = FRAME) -> list[str]:
    fired: list[str] = []
    frames = round((end - start) / step)
    for k in range(frames + 1):
        fired += f.feed(Reading(start + k * step))
    return fired


@settings(max_examples=200, deadline=None)
@given(trigger_times=times)
def test_playback_from_before_the_first_cue_fires_every_cue_once_in_order(
    trigger_times: list[float],
) -> None:
    f = follower(trigger_times)
    fired = play(f, START - 5, START + 61)
    assert fired == sorted(names(trigger_times), key=names(trigger_times).__getitem__)


@settings(max_examples=200, deadline=None)
@given(
    trigger_times=times,
    seed=st.integers(0, 2**32),
)
def test_jitter_fires_each_cue_exactly_once_and_never_early(
    trigger_times: list[float], seed: int
) -> None:
    """Readings wobble by up to 1.5 frames either way around a steady roll."""
    rng = random.Random(seed)
    f = follower(trigger_times)
    when = names(trigger_times)
    fired: list[str] = []
    for k in range(1700):
        wobble = rng.uniform(-1.5 * FRAME, 1.5 * FRAME)
        seconds = START - 2 + k * FRAME + wobble
        for number in f.feed(Reading(seconds)):
            assert when[number] <= seconds  # never fires a cue that is still ahead
            fired.append(number)
    assert len(fired) == len(set(fired))  # no repeats
    assert set(fired) == set(when)  # the roll ends past the last cue


@settings(max_examples=200, deadline=None)
@given(trigger_times=times, landing=st.floats(min_value=START - 10, max_value=START + 70))
def test_a_forward_jump_never_bursts_unless_configured(
    trigger_times: list[float], landing: float
) -> None:
    when = names(trigger_times)
    for mode in JumpMode:
        f = follower(trigger_times, mode)
        f.feed(Reading(START - 20))
        fired = f.feed(Reading(landing))
        skipped = [n for n, t in when.items() if t <= landing - TOLERANCE]
        caught = [n for n, t in when.items() if landing - TOLERANCE < t <= landing]
        if landing - (START - 20) <= JUMP:
            continue  # playback, not a jump
        expected_skipped = {
            JumpMode.IGNORE: [],
            JumpMode.FIRE_LAST: sorted(skipped, key=when.__getitem__)[-1:],
            JumpMode.FIRE_ALL: sorted(skipped, key=when.__getitem__),
        }[mode]
        assert fired == expected_skipped + sorted(caught, key=when.__getitem__)


@settings(max_examples=200, deadline=None)
@given(trigger_times=times, back=st.floats(min_value=TOLERANCE * 1.01, max_value=30))
def test_a_jump_back_rearms_the_cues_after_it(trigger_times: list[float], back: float) -> None:
    when = names(trigger_times)
    f = follower(trigger_times)
    end = START + 61
    play(f, START - 5, end)
    restart = end - back
    again = play(f, restart, end)
    assert set(again) == {n for n, t in when.items() if t > restart}


@settings(max_examples=200, deadline=None)
@given(trigger_times=times, start=st.floats(min_value=START, max_value=START + 60))
def test_reverse_play_never_fires(trigger_times: list[float], start: float) -> None:
    f = follower(trigger_times)
    fired: list[str] = []
    for k in range(200):
        fired += f.feed(Reading(start - k * FRAME, forward=False))
    assert fired == []


def test_stop_and_resume_in_place_loses_nothing() -> None:
    f = follower([START + 1.0, START + 2.0])
    assert play(f, START, START + 1.5) == ["c0"]
    # the timecode stops for a long while (no readings), then rolls on from where it was
    assert play(f, START + 1.5, START + 2.5) == ["c1"]


def test_locate_then_roll_fires_a_cue_on_the_located_frame() -> None:
    f = follower([START + 10.0, START + 20.0])
    assert f.feed(Reading(START + 10.0, running=False)) == []
    assert f.feed(Reading(START + 10.0 + 2 * FRAME)) == ["c0"]


def test_first_reading_mid_show_only_establishes_the_position_in_every_mode() -> None:
    # after a crash and restart the cues before the first reading may already have run
    cues = [START + 1.0, START + 2.0, START + 3.0]
    for mode in JumpMode:
        f = follower(cues, mode)
        assert f.feed(Reading(START + 10)) == [], mode
        assert f.jumps == 0
        assert f.feed(Reading(START + 10 + FRAME)) == [], mode
    first_frame = follower([START])
    assert first_frame.feed(Reading(START + 2 * FRAME)) == ["c0"]


def test_show_triggers_reads_top_level_cue_timecodes() -> None:
    show = Show(
        title="t",
        cue_lists=(
            CueList(
                id="main",
                name="Main",
                cues=(Cue(number="1", timecode=3610.0), Cue(number="2")),
            ),
        ),
    )
    assert show_triggers(show) == [(3610.0, "1")]
